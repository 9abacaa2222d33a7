"""Logging in, issuing and resolving bearer tokens, device registration."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth import cache as access_cache
from server.auth.models import DEVICE_KINDS, AccessToken, Device, Staff
from server.auth.principal import Principal
from server.auth.security import (
    hash_password,
    new_token,
    pii_digest,
    token_digest,
    verify_password,
)
from server.core import Core
from server.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from server.halls import service as halls
from server.halls.models import Hall


def login(core: Core, *, username: str, password: str, address: str = "") -> str:
    """Check a job number and password; return a new bearer token.

    Throttled per account and per address (`auth.throttle`): 429 with Retry-After.
    """
    return grant(core, staff_id=check_password(core, username=username, password=password,
                                               address=address))


def check_password(core: Core, *, username: str, password: str, address: str = "") -> int:
    """The id of the active account with this job number and password, or Unauthorized
    (throttled as `login`). Reads only: the argon2 check takes tens of milliseconds and
    must not run inside a writing transaction (on SQLite it would hold the write lock,
    or the one writer thread, that long)."""
    core.throttle.check(account=username, address=address)
    with core.db.read_session() as db:
        staff = db.scalar(select(Staff).where(Staff.job_no == username))
        hashed = staff.password_hash if staff else None
        if not verify_password(password, hashed) or staff is None or not staff.active:
            core.throttle.failed(account=username, address=address)
            raise Unauthorized("wrong job number or password")
        core.throttle.succeeded(account=username)
        return staff.id


def grant(core: Core, *, staff_id: int) -> str:
    """A new bearer token for an account whose password was just checked
    (`check_password`), and the login in the hall's audit trail."""
    now = core.clock.now()
    with core.db.begin() as db:
        staff = db.get(Staff, staff_id)
        if staff is None or not staff.active:  # disabled since the check
            raise Unauthorized("wrong job number or password")
        token = new_token()
        db.add(AccessToken(token_hash=token_digest(token), staff_id=staff.id, created_at=now,
                           expires_at=now + timedelta(hours=_token_hours(db, core, staff))))
        if staff.hall_id is not None:
            audit.record(db, hall_id=staff.hall_id, action="login", at=now, staff_id=staff.id)
    return token


def _token_hours(db: Session, core: Core, staff: Staff) -> int:
    """A staff token's lifetime: the hall's `staff_token_hours`, else the setting."""
    if staff.hall_id is not None:
        hall = db.get(Hall, staff.hall_id)
        if hall is not None:
            return halls.rules_of(hall).staff_token_hours
    return core.settings.token_ttl_hours


def badge_login(core: Core, *, badge: str, device: Principal) -> str:
    """Exchange a scanned staff badge for a staff token, at a registered counter PC.

    Only a counter device may ask, and only for staff of its own hall, so badge codes
    cannot be tried from anywhere else.
    """
    if device.device_kind != "counter":
        raise Forbidden("badge login is for registered counter PCs")
    now = core.clock.now()
    digest = pii_digest(badge.strip(), core.settings.pepper)
    with core.db.begin() as db:
        staff = db.scalar(select(Staff).where(Staff.badge_hash == digest))
        if (staff is None or not staff.active or staff.hall_id is None
                or staff.hall_id != device.hall_id):
            raise Unauthorized("unknown badge")
        token = new_token()
        db.add(AccessToken(token_hash=token_digest(token), staff_id=staff.id, created_at=now,
                           expires_at=now + timedelta(hours=_token_hours(db, core, staff))))
        audit.record(db, hall_id=staff.hall_id, action="login", at=now, staff_id=staff.id,
                     device_id=device.device_id, method="badge")
    return token


def logout(core: Core, *, token: str) -> None:
    """Revoke a token."""
    with core.db.begin() as db:
        row = db.get(AccessToken, token_digest(token))
        if row is not None:
            db.delete(row)


def cached(core: Core, token: str) -> Principal | None:
    """The principal of a token from the access cache (no database): None when not cached,
    Unauthorized when its token has expired."""
    hit = core.access.principal(token_digest(token))
    if hit is None:
        return None
    principal, expires_at = hit
    if expires_at is not None and expires_at < core.clock.now():
        raise Unauthorized("invalid or expired token")
    return principal


def resolve(core: Core, token: str) -> Principal:
    """The principal behind a bearer token, or Unauthorized (cached: `server.auth.cache`)."""
    principal = cached(core, token)
    if principal is not None:
        return principal
    now = core.clock.now()
    digest = token_digest(token)
    generation = core.access.generation
    with core.db.read_session() as db:
        row = db.get(AccessToken, digest)
        if row is None or (row.expires_at is not None and row.expires_at < now):
            raise Unauthorized("invalid or expired token")
        if row.staff_id is not None:
            staff = db.get(Staff, row.staff_id)
            if staff is None or not staff.active:
                raise Unauthorized("account disabled")
            principal = Principal(roles=frozenset(staff.roles), staff_id=staff.id,
                                  hall_id=staff.hall_id, name=staff.name, job_no=staff.job_no)
        else:
            device = db.get(Device, row.device_id) if row.device_id else None
            if device is None or not device.active:
                raise Unauthorized("device disabled")
            principal = Principal(roles=frozenset({"device", device.kind}),
                                  device_id=device.id, hall_id=device.hall_id,
                                  name=device.name, device_kind=device.kind)
        expires_at = row.expires_at
    core.access.put_principal(generation, digest, principal, expires_at)
    return principal


def create_deployment_admin(core: Core, *, job_no: str, name: str, password: str) -> None:
    """Create (or reset the password of) the deployment-wide administrator.

    The only account with no hall: it creates halls and centres and may act in any of them.
    Made from the command line (`hallq admin`), never through the API.
    """
    if len(password) < 8:
        raise Invalid("the deployment administrator's password needs at least 8 characters")
    with core.db.begin() as db:
        staff = db.scalar(select(Staff).where(Staff.job_no == job_no))
        if staff is not None and staff.hall_id is not None:
            raise Conflict(f"account {job_no!r} belongs to a hall")
        if staff is None:
            staff = Staff(job_no=job_no, name=name, password_hash="")
            db.add(staff)
        staff.name, staff.roles, staff.hall_id = name, ["deployment_admin"], None
        staff.password_hash, staff.active = hash_password(password), True


def register_device(core: Core, *, hall: str, name: str, kind: str,
                    token: str | None = None, rotate: bool = False) -> tuple[Device, str]:
    """Register a device of a hall; returns it with its token, shown only this once.

    A name already registered is refused unless `rotate` (its old tokens then stop
    working). The demo passes its fixed `token`, which is idempotent. Tokens are stored
    only as SHA-256 digests and expire after `device_token_days`.
    """
    if kind not in DEVICE_KINDS:
        raise Invalid(f"unknown device kind {kind!r} (one of {', '.join(DEVICE_KINDS)})")
    now = core.clock.now()
    fixed = token is not None
    token = token or new_token()
    with core.db.begin() as db:
        h = halls.get_hall(db, hall)
        device = db.scalar(select(Device).where(Device.hall_id == h.id, Device.name == name))
        if device is not None and not (rotate or fixed):
            raise Conflict(f"device {name!r} is registered; rotate its token instead",
                           code="device_exists")
        if device is None:
            device = Device(hall_id=h.id, name=name, kind=kind)
            db.add(device)
            db.flush()
        device.kind, device.active = kind, True
        existing = db.get(AccessToken, token_digest(token))
        if existing is not None and existing.device_id != device.id:
            raise Conflict("this token belongs to another account or device")
        if rotate:
            db.execute(delete(AccessToken).where(AccessToken.device_id == device.id))
            access_cache.note_hall(db, h.code)  # other processes forget its old tokens
            existing = None
        if existing is None:
            db.add(AccessToken(token_hash=token_digest(token), device_id=device.id,
                               created_at=now,
                               expires_at=now + timedelta(days=core.settings.device_token_days)))
        audit.record(db, hall_id=h.id, action="device_rotate" if rotate else "device_token",
                     at=now, device_id=device.id)
    return device, token


def list_devices(core: Core, *, hall: str) -> list[dict[str, Any]]:
    """The hall's devices with their tokens' dates (never the tokens)."""
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        out = []
        for device in db.scalars(select(Device).where(Device.hall_id == h.id)
                                 .order_by(Device.name)):
            tokens = list(db.scalars(select(AccessToken)
                                     .where(AccessToken.device_id == device.id)))
            out.append({
                "name": device.name, "kind": device.kind, "active": device.active,
                "last_seen": device.last_seen.isoformat() if device.last_seen else None,
                "tokens": len(tokens),
                "issued_at": max((t.created_at for t in tokens), default=None),
                "expires_at": max((t.expires_at for t in tokens if t.expires_at),
                                  default=None),
            })
    return out


def revoke_device(core: Core, *, hall: str, name: str) -> None:
    """Revoke every token of a device and mark it inactive."""
    now = core.clock.now()
    with core.db.begin() as db:
        h = halls.get_hall(db, hall)
        device = db.scalar(select(Device).where(Device.hall_id == h.id, Device.name == name))
        if device is None:
            raise NotFound(f"no device {name!r} in hall {hall!r}")
        db.execute(delete(AccessToken).where(AccessToken.device_id == device.id))
        device.active = False
        audit.record(db, hall_id=h.id, action="device_revoke", at=now, device_id=device.id)
