"""Appointments (预约): slots, booking, reminders, no-show policy, the booking platform."""
