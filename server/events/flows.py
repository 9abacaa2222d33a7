"""Display flows: the operator's scrolling line and the spoken announcement of a call."""

from __future__ import annotations

from collections.abc import Sequence
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
def _announcer(template: str, repeat: int) -> Announcer:
    """One announcer per template over the configured clip pack ($HALLQ_VOICE_PACK)."""
    return Announcer(load_pack(), VoiceConfig(template=template, repeat=repeat))


@lru_cache(maxsize=512)
def _render(template: str, hall_repeat: int, calls: tuple[Call, ...], repeat: int | None,
            chime: bool) -> bytes:
    return _announcer(template, hall_repeat).render_calls(calls, repeat=repeat, chime=chime).wav


def announcement(core: Core, *, hall: str, calls: Sequence[tuple[str, str]],
                 recall: bool = False, repeat: int | None = None, chime: bool = True) -> bytes:
    """The WAV of one call (请 A001 号到 3 号窗口办理) or of several merged into one sentence.

    A chime comes first unless ``chime`` is False; one call is said the hall's
    ``voice_repeat`` times unless ``repeat`` is given; merged calls are said once.
    """
    with core.db.read_session() as db:
        rules = halls.rules_of(halls.get_hall(db, hall))
    said = tuple(Call(ticket=ticket.upper(), window=window, recall=recall)
                 for ticket, window in calls)
    try:
        return _render(rules.voice_template, rules.voice_repeat, said,
                       repeat if len(said) == 1 else 1, chime)
    except TemplateError as err:
        raise Refused(str(err), code="voice_template") from err
    except VoiceError as err:
        raise VoiceUnavailable(f"voice clip pack unavailable: {err}") from err
