"""Offline voice announcements: a chime, then "请 A001 号到 3 号窗口办理", joined from clips.

    pack = load_pack()                       # the default pack, or a hall's own directory
    announcer = Announcer(pack, VoiceConfig(template="请{ticket}号到{window}号窗口办理"))
    rendering = announcer.render(Call(ticket="A001", window="3"))   # .wav bytes, .segments
    async with AnnouncementQueue(announcer, find_player()) as queue:
        queue.submit(call)                   # one at a time, never over each other

``run_voice(server, hall)`` does all of it for the calls on a hall's display websocket.
"""

from display.voice.announcer import (
    CHIME,
    DEFAULT_TEMPLATE,
    Announcer,
    Call,
    Rendering,
    Segment,
    VoiceConfig,
)
from display.voice.backlog import Announcement, Backlog, plan_announcement
from display.voice.errors import PackError, PlayerError, TemplateError, VoiceError
from display.voice.listener import display_ws_url, listen_display, run_voice
from display.voice.pack import PACK_ENV, ClipPack, default_pack_dir, load_pack
from display.voice.player import CommandPlayer, FilePlayer, Player, find_player
from display.voice.queue import AnnouncementQueue
from display.voice.tokens import PAUSE, tokenize
from display.voice.wav import AudioFormat

__all__ = [
    "CHIME",
    "DEFAULT_TEMPLATE",
    "PACK_ENV",
    "PAUSE",
    "Announcement",
    "AnnouncementQueue",
    "Announcer",
    "AudioFormat",
    "Backlog",
    "Call",
    "ClipPack",
    "CommandPlayer",
    "FilePlayer",
    "PackError",
    "Player",
    "PlayerError",
    "Rendering",
    "Segment",
    "TemplateError",
    "VoiceConfig",
    "VoiceError",
    "default_pack_dir",
    "display_ws_url",
    "find_player",
    "listen_display",
    "load_pack",
    "make_default_pack",
    "plan_announcement",
    "run_voice",
    "tokenize",
]


def make_default_pack(*args, **kwargs):  # type: ignore[no-untyped-def]
    """Generate the default clip pack with espeak-ng and sox (see display.voice.espeak)."""
    from display.voice.espeak import make_default_pack as make

    return make(*args, **kwargs)
