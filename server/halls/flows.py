"""Hall-level flows: the live queue view, configuration load and export."""

from __future__ import annotations

from typing import Any

from server.audit import service as audit
from server.auth.principal import Principal
from server.core import Core
from server.errors import NotFound
from server.halls import service as halls
from server.halls.schemas import HallConfig, ServiceRead
from server.tickets import flows as ticket_flows
from server.tickets import service as tickets
from server.windows import service as windows


def services(core: Core, *, hall: str) -> list[ServiceRead]:
    """The hall's open services (public contract)."""
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        codes = halls.domain_codes(db, h)
        return [ServiceRead(code=s.code, name=s.name, prefix=s.prefix,
                            domain=codes.get(s.domain_id) if s.domain_id else None)
                for s in halls.list_services(db, h) if s.active]


def queue(core: Core, *, hall: str, actor: Principal | None = None) -> dict[str, Any]:
    """Waiting per service and every window's state (the operator's view)."""
    now = core.clock.now()
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        stats = tickets.waiting_stats(db, h)
        service_rows = []
        for s in halls.list_services(db, h):
            count, oldest = stats.get(s.id, (0, None))
            if not s.active and not count:
                continue
            service_rows.append({
                "code": s.code, "name": s.name, "name_en": s.name_en, "waiting": count,
                "longest_wait_s": int((now - oldest).total_seconds()) if oldest else 0,
            })
        window_rows = [windows.view(db, h, w).model_dump() for w in halls.list_windows(db, h)]
    return {"hall": hall, "at": tickets.iso(h, now), "services": service_rows,
            "windows": window_rows}


def load(core: Core, *, config: HallConfig, actor: Principal | None = None) -> str:
    """Create or update a hall from its configuration document.

    Without an actor (the command line, the demo) everything may change; through the API
    only the deployment administrator creates or moves halls, and no one re-keys accounts.
    """
    now = core.clock.now()
    deploy = actor is not None and actor.hall_id is None and actor.has("deployment_admin")
    with core.db.begin() as db:
        hall = halls.load_config(db, config, pepper=core.settings.pepper,
                                 trusted=actor is None, may_create=actor is None or deploy,
                                 may_reparent=actor is None or deploy)
        audit.record(db, hall_id=hall.id, action="config", at=now,
                     **(actor.audit() if actor else {}))
        code = hall.code
    ticket_flows.publish_queue(core, code, from_db=True)
    return code


def exists(core: Core, *, hall: str) -> bool:
    """True when a hall with this code exists."""
    with core.db.read_session() as db:
        try:
            halls.get_hall(db, hall)
        except NotFound:
            return False
        return True


def export(core: Core, *, hall: str) -> HallConfig:
    """The hall's configuration document."""
    with core.db.read_session() as db:
        return halls.export_config(db, halls.get_hall(db, hall))


def accounts_without_password(config: HallConfig) -> list[str]:
    """Job numbers of the file's accounts that give neither a password nor its hash."""
    return [s.job_no for s in config.staff if not s.password and not s.password_hash]


def accounts_needing_password(core: Core, *, config: HallConfig) -> list[str]:
    """Job numbers of the file's new accounts that give no password (load refuses them)."""
    without = accounts_without_password(config)
    if not without:
        return []
    with core.db.read_session() as db:
        return halls.new_job_numbers(db, without)


def with_password(config: HallConfig, *, job_nos: list[str], password: str) -> HallConfig:
    """The configuration with `password` given to the accounts named."""
    named = set(job_nos)
    staff = [s.model_copy(update={"password": password}) if s.job_no in named else s
             for s in config.staff]
    return config.model_copy(update={"staff": staff})
