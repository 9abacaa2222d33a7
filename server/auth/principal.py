"""Who is making a request: a person (staff, operator, admin) or a device."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    roles: frozenset[str]
    staff_id: int | None = None
    device_id: int | None = None
    hall_id: int | None = None
    name: str = ""
    job_no: str = ""
    device_kind: str | None = None

    @property
    def is_staff(self) -> bool:
        """True for a person rather than a device."""
        return self.staff_id is not None

    def has(self, *roles: str) -> bool:
        """True when the caller holds any of `roles` (a device holds its kind)."""
        return bool(self.roles & set(roles))

    def audit(self) -> dict[str, Any]:
        """The actor fields of an audit entry."""
        return {"staff_id": self.staff_id, "device_id": self.device_id}
