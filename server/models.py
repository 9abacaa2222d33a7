"""Every model, imported so that the metadata is complete (Alembic, create_all)."""

from server.appointments.models import AppointmentReminder, PlatformCursor
from server.audit.models import AuditEntry
from server.auth.models import AccessToken, Device, Staff
from server.db import Base
from server.evaluations.models import Evaluation, ReviewCase
from server.evaluations.platform.models import EvaluationUpload
from server.halls.models import CalendarDay, Domain, Hall, OpeningPeriod, Service
from server.monitoring.models import AlertEntry, WindowDayOverride
from server.notices.models import NoticeMessage, PhoneTicket
from server.staffing.models import PostOverride, PresenceChange
from server.tickets.models import Appointment, NumberCounter, Ticket
from server.windows.models import Window, WindowServing

__all__ = [
    "AccessToken", "AlertEntry", "Appointment", "AppointmentReminder", "AuditEntry", "Base",
    "CalendarDay", "Device", "Domain", "Evaluation", "EvaluationUpload", "Hall", "NoticeMessage",
    "NumberCounter", "OpeningPeriod", "PhoneTicket", "PlatformCursor", "PostOverride",
    "PresenceChange", "ReviewCase", "Service",
    "Staff", "Ticket", "Window", "WindowDayOverride", "WindowServing",
]
