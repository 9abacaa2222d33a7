"""Display flows: the operator's scrolling line and the spoken announcement of a call."""

from __future__ import annotations

from functools import lru_cache

from display.voice import Announcer, Call, TemplateError, VoiceConfig, VoiceError, load_pack
from server.core import Core
from server.errors import HallqError, Refused
from server.halls import service as halls


class VoiceUnavailable(HallqError):
    """The clip pack is missing or broken on this server."""

    status = 503
    code = "voice_unavailable"


@lru_cache(maxsize=8)
def _announcer(template: str) -> Announcer:
    """One announcer per template over the configured clip pack ($HALLQ_VOICE_PACK)."""
    return Announcer(load_pack(), VoiceConfig(template=template))


@lru_cache(maxsize=512)
def _render(template: str, ticket: str, window: str, recall: bool) -> bytes:
    return _announcer(template).render(Call(ticket=ticket, window=window, recall=recall)).wav


def announcement(core: Core, *, hall: str, ticket: str, window: str,
                 recall: bool = False) -> bytes:
    """The WAV of a call, spoken twice in the hall's template (请 A001 号到 3 号窗口办理)."""
    with core.db.read_session() as db:
        template = halls.rules_of(halls.get_hall(db, hall)).voice_template
    try:
        return _render(template, ticket.upper(), window, recall)
    except TemplateError as err:
        raise Refused(str(err), code="voice_template") from err
    except VoiceError as err:
        raise VoiceUnavailable(f"voice clip pack unavailable: {err}") from err
