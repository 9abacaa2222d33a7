"""The core's error hierarchy; routers map these to HTTP statuses, never to a 500."""

from __future__ import annotations


class HallqError(Exception):
    """Base of every error the core reports to a caller."""

    status = 400
    code = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class NotFound(HallqError):
    """The hall, service, window or ticket does not exist."""

    status = 404
    code = "not_found"


class Unauthorized(HallqError):
    """No credentials, or credentials that do not check out."""

    status = 401
    code = "unauthorized"


class Forbidden(HallqError):
    """Authenticated, but not allowed to do this."""

    status = 403
    code = "forbidden"


class Conflict(HallqError):
    """The request does not fit the current state (no ticket on the window, paused …)."""

    status = 409
    code = "conflict"


class Refused(HallqError):
    """A business rule refuses the request (closed hours, daily limit …)."""

    status = 422
    code = "refused"


class Invalid(HallqError):
    """The request is malformed in a way the schema could not catch."""

    status = 422
    code = "invalid"


# Bounds of what the database and Python's dates hold: ids are 64-bit signed integers, and
# a report's period must have a day before and after it.
MAX_ID = 2**63 - 1
