"""The voice package's error hierarchy."""

from __future__ import annotations

__all__ = ["PackError", "PlayerError", "TemplateError", "VoiceError"]


class VoiceError(Exception):
    """Base class of every error raised by display.voice."""


class TemplateError(VoiceError):
    """A call template, ticket or window that cannot be spoken with the clip pack."""


class PackError(VoiceError):
    """A clip pack that is missing, malformed, or has unreadable clips."""


class PlayerError(VoiceError):
    """A player that cannot play an announcement."""
