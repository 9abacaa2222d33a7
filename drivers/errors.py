"""Errors of the device layer: one hierarchy, translated at each boundary with ``from``."""

from __future__ import annotations

__all__ = ["DeviceError", "ProtocolError", "TransportError"]


class DeviceError(Exception):
    """Base of every error raised by a device driver."""


class TransportError(DeviceError):
    """The bytes could not be moved: port missing, connection refused or closed, timeout."""


class ProtocolError(DeviceError):
    """The bytes moved but made no sense: bad frame, bad checksum, unknown message."""
