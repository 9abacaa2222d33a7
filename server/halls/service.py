"""Hall configuration: loading, exporting and looking things up."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.auth.models import Staff
from server.auth.security import hash_password, pii_digest
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.halls.hours import WEEKDAYS, HallHours, Period, format_period, parse_period
from server.halls.models import CalendarDay, Domain, Hall, OpeningPeriod, Service
from server.halls.schemas import (
    CalendarIn,
    DomainIn,
    HallConfig,
    HallInfo,
    HallRules,
    ServiceIn,
    StaffIn,
    WindowIn,
)
from server.tickets.engine import RankRules, ServiceInfo, ServingEntry, WindowScope, window_scope
from server.windows.models import Window, WindowServing


def get_hall(db: Session, code: str) -> Hall:
    """The hall with this code, or NotFound."""
    hall = db.scalar(select(Hall).where(Hall.code == code))
    if hall is None:
        raise NotFound(f"no hall {code!r}", code="unknown_hall")
    return hall


def rules_of(hall: Hall) -> HallRules:
    """The hall's validated rules."""
    return HallRules.model_validate(hall.rules or {})


def rank_rules(rules: HallRules) -> RankRules:
    """The engine's view of the rules."""
    return RankRules(
        primary_bonus_s=rules.primary_bonus_s,
        primary_first=rules.primary_first,
        appointment_early_s=rules.appointment_early_min * 60,
        appointment_grace_s=rules.appointment_grace_min * 60,
    )


def local_time(hall: Hall, now: datetime) -> datetime:
    """`now` in the hall's time zone."""
    return now.astimezone(ZoneInfo(hall.timezone))


def local_day(hall: Hall, now: datetime) -> date:
    """The hall's calendar day at `now`."""
    return local_time(hall, now).date()


def hours_of(db: Session, hall: Hall) -> HallHours:
    """The hall's week and calendar."""
    weekly: dict[int, list[Period]] = {}
    for p in db.scalars(
        select(OpeningPeriod).where(OpeningPeriod.hall_id == hall.id).order_by(OpeningPeriod.opens)
    ):
        weekly.setdefault(p.weekday, []).append(Period(p.opens, p.closes))
    days = list(db.scalars(select(CalendarDay).where(CalendarDay.hall_id == hall.id)))
    return HallHours(
        weekly={k: tuple(v) for k, v in weekly.items()},
        holidays=frozenset(d.day for d in days if d.kind == "holiday"),
        workdays={d.day: d.as_weekday for d in days if d.kind == "workday"},
    )


def get_service(db: Session, hall: Hall, code: str) -> Service:
    """The hall's service with this code, or NotFound."""
    service = db.scalar(select(Service).where(Service.hall_id == hall.id, Service.code == code))
    if service is None:
        raise NotFound(f"no service {code!r} in hall {hall.code!r}", code="unknown_service")
    return service


def list_services(db: Session, hall: Hall) -> Sequence[Service]:
    """The hall's services in display order."""
    return db.scalars(
        select(Service).where(Service.hall_id == hall.id).order_by(Service.sort, Service.code)
    ).all()


def domain_codes(db: Session, hall: Hall) -> dict[int, str]:
    """Domain id to code."""
    return {d.id: d.code for d in db.scalars(select(Domain).where(Domain.hall_id == hall.id))}


def get_window(db: Session, hall: Hall, number: str, *, lock: bool = False) -> Window:
    """The hall's window with this number (row-locked when `lock`), or NotFound."""
    query = select(Window).where(Window.hall_id == hall.id, Window.number == number)
    if lock:
        query = query.with_for_update()
    window = db.scalar(query)
    if window is None:
        raise NotFound(f"no window {number!r} in hall {hall.code!r}", code="unknown_window")
    return window


def list_windows(db: Session, hall: Hall) -> Sequence[Window]:
    """The hall's windows in display order."""
    return db.scalars(
        select(Window).where(Window.hall_id == hall.id).order_by(Window.sort, Window.id)
    ).all()


def window_scopes(db: Session, hall: Hall) -> dict[int, WindowScope]:
    """What every window of the hall serves."""
    services = [
        ServiceInfo(s.id, s.domain_id, s.kind)
        for s in db.scalars(select(Service).where(Service.hall_id == hall.id))
    ]
    entries: dict[int, list[ServingEntry]] = {}
    windows = list_windows(db, hall)
    rows: Iterable[WindowServing] = db.scalars(
        select(WindowServing).where(WindowServing.window_id.in_([w.id for w in windows]))
        .order_by(WindowServing.primary.desc(), WindowServing.id)
    ) if windows else []
    for row in rows:
        entries.setdefault(row.window_id, []).append(
            ServingEntry(row.service_id, row.domain_id, row.primary)
        )
    return {w.id: window_scope(w.id, w.kind, entries.get(w.id, []), services) for w in windows}


def load_config(db: Session, config: HallConfig, *, pepper: str = "",
                trusted: bool = True, may_create: bool = True,
                may_reparent: bool = True) -> Hall:
    """Create or update a hall from its configuration document (idempotent).

    Services and windows missing from the document are deactivated or closed, never
    deleted, so that tickets and reports keep what they point at. `trusted` (the command
    line) may set passwords of existing accounts; only the deployment administrator (and the
    command line) create halls (`may_create`) and move them in the tree (`may_reparent`).
    """
    info = config.hall
    hall = db.scalar(select(Hall).where(Hall.code == info.code))
    if hall is None:
        if not may_create:
            raise Forbidden("only the deployment administrator creates halls and centres")
        hall = Hall(code=info.code, name=info.name)
        db.add(hall)
    parent_id = None
    if info.parent:
        parent_id = get_hall(db, info.parent).id
    if hall.id is not None and parent_id != hall.parent_id and not may_reparent:
        raise Forbidden("only the deployment administrator moves a hall in the centre tree")
    if parent_id is not None and hall.id is not None and hall.id in _ancestry(db, parent_id):
        raise Invalid(f"hall {info.code!r} cannot be placed below itself")
    try:
        ZoneInfo(info.timezone)
    except Exception as err:
        raise Invalid(f"unknown time zone {info.timezone!r}") from err
    hall.name, hall.name_en, hall.level, hall.timezone, hall.parent_id = (
        info.name, info.name_en, info.level, info.timezone, parent_id)
    hall.rules = config.rules.model_dump()
    hall.config_version = (hall.config_version or 0) + 1
    db.flush()
    _load_hours(db, hall, config)
    domains = _load_domains(db, hall, config.domains)
    services = _load_services(db, hall, config.services, domains)
    _load_windows(db, hall, config.windows, services, domains)
    _load_staff(db, hall, config.staff, pepper, trusted=trusted)
    db.flush()
    _load_posts(db, hall, config.windows)
    return hall


def _load_hours(db: Session, hall: Hall, config: HallConfig) -> None:
    db.execute(delete(OpeningPeriod).where(OpeningPeriod.hall_id == hall.id))
    for day, periods in config.hours.items():
        for text in periods:
            p = parse_period(text)
            db.add(OpeningPeriod(hall_id=hall.id, weekday=WEEKDAYS.index(day),
                                 opens=p.opens, closes=p.closes))
    db.execute(delete(CalendarDay).where(CalendarDay.hall_id == hall.id))
    for c in config.calendar:
        db.add(CalendarDay(hall_id=hall.id, day=c.date, kind=c.kind, name=c.name,
                           as_weekday=WEEKDAYS.index(c.as_weekday)))


def _load_domains(db: Session, hall: Hall, items: list[DomainIn]) -> dict[str, int]:
    existing = {d.code: d for d in db.scalars(select(Domain).where(Domain.hall_id == hall.id))}
    for item in items:
        domain = existing.get(item.code)
        if domain is None:
            domain = existing[item.code] = Domain(hall_id=hall.id, code=item.code, name=item.name)
            db.add(domain)
        domain.name, domain.name_en = item.name, item.name_en
    db.flush()
    return {code: d.id for code, d in existing.items()}


def _load_services(
    db: Session, hall: Hall, items: list[ServiceIn], domains: dict[str, int]
) -> dict[str, int]:
    existing = {s.code: s for s in db.scalars(select(Service).where(Service.hall_id == hall.id))}
    listed = set()
    for sort, item in enumerate(items):
        service = existing.get(item.code)
        if service is None:
            service = existing[item.code] = Service(hall_id=hall.id, code=item.code)
            db.add(service)
        listed.add(item.code)
        service.name, service.prefix, service.kind = item.name, item.prefix, item.kind
        service.name_en = item.name_en
        service.domain_id = domains[item.domain] if item.domain else None
        service.special_type = item.special_type
        service.active, service.sort = item.active, sort
        service.avg_handle_s = round(item.avg_handle_min * 60)
        service.materials = list(item.materials) or None
    for code, service in existing.items():
        if code not in listed:
            service.active = False
    db.flush()
    return {code: s.id for code, s in existing.items()}


def _load_windows(
    db: Session, hall: Hall, items: list[WindowIn], services: dict[str, int],
    domains: dict[str, int],
) -> None:
    existing = {w.number: w for w in db.scalars(select(Window).where(Window.hall_id == hall.id))}
    listed = set()
    for sort, item in enumerate(items):
        window = existing.get(item.number)
        if window is None:
            window = existing[item.number] = Window(hall_id=hall.id, number=item.number)
            db.add(window)
        listed.add(item.number)
        window.name, window.kind, window.sort, window.open = item.name, item.kind, sort, item.open
        window.name_en = item.name_en
        db.flush()
        db.execute(delete(WindowServing).where(WindowServing.window_id == window.id))
        for codes, primary in ((item.services, True), (item.backup_services, False)):
            for code in codes:
                db.add(WindowServing(window_id=window.id, service_id=services[code],
                                     primary=primary))
        for codes, primary in ((item.domains, True), (item.backup_domains, False)):
            for code in codes:
                db.add(WindowServing(window_id=window.id, domain_id=domains[code],
                                     primary=primary))
    for number, window in existing.items():
        if number not in listed:
            window.open = False


def _ancestry(db: Session, hall_id: int) -> list[int]:
    """Ids of a hall and every centre above it (cycles cut)."""
    ids = [hall_id]
    parent_id = db.scalar(select(Hall.parent_id).where(Hall.id == hall_id))
    while parent_id is not None and parent_id not in ids:
        ids.append(parent_id)
        parent_id = db.scalar(select(Hall.parent_id).where(Hall.id == parent_id))
    return ids


def new_job_numbers(db: Session, job_nos: Sequence[str]) -> list[str]:
    """The job numbers (in the given order) that no account has yet."""
    known = set(db.scalars(select(Staff.job_no).where(Staff.job_no.in_(list(job_nos)))))
    return [job_no for job_no in job_nos if job_no not in known]


def _load_staff(db: Session, hall: Hall, items: list[StaffIn], pepper: str, *,
                trusted: bool) -> None:
    """Create or update the hall's accounts.

    Accounts are unique per deployment: a job number of another hall (or the deployment
    administrator's) is refused, never moved. Through the API (`trusted` false) an existing
    account's password is never re-keyed by a configuration document.
    """
    for item in items:
        staff = db.scalar(select(Staff).where(Staff.job_no == item.job_no))
        if staff is not None and staff.hall_id != hall.id:
            raise Conflict(f"account {item.job_no!r} belongs to another hall",
                           code="account_elsewhere")
        if (staff is not None and not trusted and (item.password or item.password_hash)
                and item.password_hash != staff.password_hash):
            raise Invalid(f"staff {item.job_no}: an existing account's password is not "
                          "changed by the hall's configuration")
        if item.password_hash:
            password_hash = item.password_hash
        elif item.password:
            password_hash = hash_password(item.password)
        elif staff is None:
            raise Invalid(f"staff {item.job_no}: a new account needs a password")
        else:
            password_hash = staff.password_hash
        if staff is None:
            staff = Staff(job_no=item.job_no, password_hash=password_hash)
            db.add(staff)
        staff.name, staff.department, staff.roles = item.name, item.department, list(item.roles)
        staff.hall_id, staff.password_hash = hall.id, password_hash
        if item.badge:
            staff.badge_hash = pii_digest(item.badge, pepper)
        elif item.badge_hash:
            staff.badge_hash = item.badge_hash


def _load_posts(db: Session, hall: Hall, items: list[WindowIn]) -> None:
    """Name each window's A and B staff (AB岗, 邵阳 第十六条) once the accounts exist."""
    for item in items:
        window = get_window(db, hall, item.number)
        ids: list[int | None] = []
        for job_no in (item.a_staff, item.b_staff):
            if job_no is None:
                ids.append(None)
                continue
            staff = db.scalar(select(Staff).where(Staff.job_no == job_no))
            if staff is None or staff.hall_id != hall.id:
                raise Invalid(f"window {item.number}: no staff {job_no!r} in this hall")
            ids.append(staff.id)
        window.a_staff_id, window.b_staff_id = ids


def export_config(db: Session, hall: Hall) -> HallConfig:
    """The hall's configuration as a document (no password or badge hashes)."""
    parent = db.get(Hall, hall.parent_id) if hall.parent_id else None
    dcodes = domain_codes(db, hall)
    services = list_services(db, hall)
    scodes = {s.id: s.code for s in services}
    hours = hours_of(db, hall)
    windows = []
    for w in list_windows(db, hall):
        entry: dict[str, list[str]] = {"services": [], "backup_services": [], "domains": [],
                                       "backup_domains": []}
        for row in db.scalars(select(WindowServing).where(WindowServing.window_id == w.id)):
            if row.service_id is not None:
                entry["services" if row.primary else "backup_services"].append(
                    scodes[row.service_id])
            elif row.domain_id is not None:
                entry["domains" if row.primary else "backup_domains"].append(
                    dcodes[row.domain_id])
        posts = {post: (staff.job_no if staff else None) for post, staff in (
            ("a_staff", db.get(Staff, w.a_staff_id) if w.a_staff_id else None),
            ("b_staff", db.get(Staff, w.b_staff_id) if w.b_staff_id else None))}
        windows.append(WindowIn(number=w.number, name=w.name, name_en=w.name_en, kind=w.kind,
                                open=w.open,
                                **entry, **posts))
    return HallConfig(
        hall=HallInfo(code=hall.code, name=hall.name, name_en=hall.name_en, level=hall.level,
                      parent=parent.code if parent else None, timezone=hall.timezone),
        rules=rules_of(hall),
        hours={WEEKDAYS[d]: [format_period(p) for p in ps] for d, ps in
               sorted(hours.weekly.items())},
        calendar=[CalendarIn(date=c.day, kind=c.kind, name=c.name,
                             as_weekday=WEEKDAYS[c.as_weekday])
                  for c in db.scalars(select(CalendarDay).where(CalendarDay.hall_id == hall.id)
                                      .order_by(CalendarDay.day))],
        domains=[DomainIn(code=d.code, name=d.name, name_en=d.name_en) for d in
                 db.scalars(select(Domain).where(Domain.hall_id == hall.id))],
        services=[ServiceIn(code=s.code, name=s.name, name_en=s.name_en, prefix=s.prefix,
                            domain=dcodes.get(s.domain_id) if s.domain_id else None,
                            kind=s.kind, special_type=s.special_type, active=s.active,
                            avg_handle_min=s.avg_handle_s / 60,
                            materials=list(s.materials or [])) for s in services],
        windows=windows,
        # Never the password or badge hashes: a configuration read is not a credential dump.
        staff=[StaffIn(job_no=s.job_no, name=s.name, department=s.department, roles=s.roles)
               for s in db.scalars(select(Staff).where(Staff.hall_id == hall.id))],
    )
