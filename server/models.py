"""Every model, imported so that the metadata is complete (Alembic, create_all)."""

from server.audit.models import AuditEntry
from server.auth.models import AccessToken, Device, Staff
from server.db import Base
from server.evaluations.models import Evaluation
from server.halls.models import CalendarDay, Domain, Hall, OpeningPeriod, Service
from server.tickets.models import Appointment, NumberCounter, Ticket
from server.windows.models import Window, WindowServing

__all__ = [
    "AccessToken", "Appointment", "AuditEntry", "Base", "CalendarDay", "Device", "Domain", "Evaluation",
    "Hall", "NumberCounter", "OpeningPeriod", "Service", "Staff", "Ticket", "Window",
    "WindowServing",
]
