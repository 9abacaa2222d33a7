"""Logging in, issuing and resolving bearer tokens, device registration."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server.audit import service as audit
from server.auth.models import AccessToken, Device, Staff
from server.auth.principal import Principal
from server.auth.security import (
    hash_password,
    new_token,
    pii_digest,
    token_digest,
    verify_password,
)
from server.core import Core
from server.errors import Conflict, Forbidden, Invalid, Unauthorized
from server.halls import service as halls


def login(core: Core, *, username: str, password: str) -> str:
    """Check a job number and password; return a new bearer token."""
    now = core.clock.now()
    with core.db.begin() as db:
        staff = db.scalar(select(Staff).where(Staff.job_no == username))
        if not verify_password(password, staff.password_hash if staff else None) or (
            staff is None or not staff.active
        ):
            raise Unauthorized("wrong job number or password")
        token = new_token()
        db.add(AccessToken(token_hash=token_digest(token), staff_id=staff.id, created_at=now,
                           expires_at=now + timedelta(hours=core.settings.token_ttl_hours)))
        if staff.hall_id is not None:
            audit.record(db, hall_id=staff.hall_id, action="login", at=now, staff_id=staff.id)
    return token


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
                           expires_at=now + timedelta(hours=core.settings.token_ttl_hours)))
        audit.record(db, hall_id=staff.hall_id, action="login", at=now, staff_id=staff.id,
                     device_id=device.device_id, method="badge")
    return token


def logout(core: Core, *, token: str) -> None:
    """Revoke a token."""
    with core.db.begin() as db:
        row = db.get(AccessToken, token_digest(token))
        if row is not None:
            db.delete(row)


def resolve(core: Core, token: str) -> Principal:
    """The principal behind a bearer token, or Unauthorized."""
    now = core.clock.now()
    with core.db.read_session() as db:
        row = db.get(AccessToken, token_digest(token))
        if row is None or (row.expires_at is not None and row.expires_at < now):
            raise Unauthorized("invalid or expired token")
        if row.staff_id is not None:
            staff = db.get(Staff, row.staff_id)
            if staff is None or not staff.active:
                raise Unauthorized("account disabled")
            return Principal(roles=frozenset(staff.roles), staff_id=staff.id,
                             hall_id=staff.hall_id, name=staff.name, job_no=staff.job_no)
        device = db.get(Device, row.device_id) if row.device_id else None
        if device is None or not device.active:
            raise Unauthorized("device disabled")
        return Principal(roles=frozenset({"device", device.kind}), device_id=device.id,
                         hall_id=device.hall_id, name=device.name, device_kind=device.kind)


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
                    token: str | None = None) -> tuple[Device, str]:
    """Create (or re-key) a device of a hall; returns it with its token, shown only once."""
    now = core.clock.now()
    token = token or new_token()
    with core.db.begin() as db:
        h = halls.get_hall(db, hall)
        device = db.scalar(select(Device).where(Device.hall_id == h.id, Device.name == name))
        if device is None:
            device = Device(hall_id=h.id, name=name, kind=kind)
            db.add(device)
            db.flush()
        device.kind, device.active = kind, True
        existing = db.get(AccessToken, token_digest(token))
        if existing is not None and existing.device_id != device.id:
            raise Conflict("this token belongs to another account or device")
        if existing is None:
            db.add(AccessToken(token_hash=token_digest(token), device_id=device.id,
                               created_at=now))
        audit.record(db, hall_id=h.id, action="device_token", at=now, device_id=device.id)
    return device, token
