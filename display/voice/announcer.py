"""Render a call into one WAV: a chime, then the template, joined from the pack's clips.

Several calls can be rendered as one merged sentence ("请 A001 号到 3 号窗口，A002 号到
5 号窗口"); ``display.voice.backlog`` decides when.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from display.voice.errors import TemplateError, VoiceError
from display.voice.pack import ClipPack
from display.voice.tokens import PAUSE, WindowReading, template_fields, tokenize
from display.voice.wav import AudioFormat, encode_wav, silence

__all__ = [
    "CHIME",
    "DEFAULT_TEMPLATE",
    "Announcer",
    "Call",
    "Rendering",
    "Segment",
    "VoiceConfig",
    "merge_item_template",
]

DEFAULT_TEMPLATE = "请{ticket}号到{window}号窗口办理"
#: The segment token of the chime played before an announcement (not a clip of the pack).
CHIME = "#chime"


@dataclass(frozen=True)
class Call:
    """One call (or recall) of a ticket to a window, as the display websocket sends it."""

    ticket: str
    window: str
    service: str | None = None
    recall: bool = False
    at: str | None = None

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> Call:
        """Build a Call from a display websocket ``{"type": "call", ...}`` message."""
        ticket, window = message.get("ticket"), message.get("window")
        if not isinstance(ticket, str) or not ticket or window is None or window == "":
            raise VoiceError(f"call message without ticket and window: {dict(message)!r}")
        service = message.get("service")
        at = message.get("at")
        return cls(
            ticket=ticket,
            window=str(window),
            service=None if service is None else str(service),
            recall=bool(message.get("recall", False)),
            at=None if at is None else str(at),
        )


@dataclass(frozen=True)
class VoiceConfig:
    """A hall's voice settings; every field has the default most halls use."""

    template: str = DEFAULT_TEMPLATE
    #: Template for recalls (e.g. "请{ticket}号再次到{window}号窗口办理"); None: as calls.
    recall_template: str | None = None
    #: Times one call is said (a hall that wants it twice sets 2; the backlog drops repeats).
    repeat: int = 1
    repeat_pause_ms: int = 700
    #: Silence between clips; the default pack's clips are trimmed to join like one phrase.
    gap_ms: int = 0
    comma_ms: int = 180
    #: A short two-note chime (叮咚) before an announcement, so the hall looks up.
    chime: bool = True
    chime_gap_ms: int = 100
    #: One call inside a merged announcement; None: derived from the template
    #: ("请{ticket}号到{window}号窗口办理" → "{ticket}号到{window}号窗口").
    merge_item: str | None = None
    window_reading: WindowReading = "number"
    #: Read the digit 1 as 幺 in ticket numbers; None: as the clip pack's manifest says.
    one_as_yao: bool | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.repeat <= 5:
            raise ValueError("repeat must be 1 to 5")
        if min(self.repeat_pause_ms, self.gap_ms, self.comma_ms, self.chime_gap_ms) < 0:
            raise ValueError("pauses cannot be negative")
        if self.window_reading not in ("number", "digits"):
            raise ValueError(
                f"window_reading must be 'number' or 'digits', not {self.window_reading!r}"
            )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> VoiceConfig:
        """Build from a hall's settings (e.g. parsed YAML); unknown keys are an error."""
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown voice settings {unknown}; known: {sorted(known)}")
        return cls(**dict(data))


@dataclass(frozen=True)
class Segment:
    """A stretch of a rendering: one clip (token) or a silence (token None), in frames."""

    token: str | None
    start: int
    frames: int


@dataclass(frozen=True)
class Rendering:
    """An announcement ready to play: WAV bytes and what is where inside them."""

    wav: bytes = field(repr=False)
    format: AudioFormat
    tokens: tuple[str, ...]
    segments: tuple[Segment, ...]

    @property
    def frames(self) -> int:
        """Length in frames."""
        return sum(segment.frames for segment in self.segments)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.format.rate


def merge_item_template(template: str) -> tuple[str, str]:
    """Split a call template into the text said once before merged calls, and one call.

    "请{ticket}号到{window}号窗口办理" → ("请", "{ticket}号到{window}号窗口"): the words
    before the ticket are said once, and a trailing 办理 is left out of every call.
    """
    prefix = ""
    for literal, name in template_fields(template):
        prefix += literal
        if name is not None:
            break
    item = template[len(prefix):] if template.startswith(prefix) else template
    if item.rstrip().endswith("办理"):
        item = item.rstrip()[: -len("办理")]
    return prefix, item


class Announcer:
    """Turns calls into renderings with one clip pack and one hall's voice settings."""

    def __init__(self, pack: ClipPack, config: VoiceConfig | None = None) -> None:
        self.pack = pack
        self.config = config or VoiceConfig()
        self._phrases = pack.phrases
        prefix, item = merge_item_template(self.config.template)
        if self.config.merge_item is not None:
            item = self.config.merge_item
        self._merge_prefix, self._merge_item = prefix, item
        # Fail at start-up, not at the first call, if a template needs a clip the pack lacks.
        for recall in (False, True):
            self.tokens(Call(ticket="A019", window="12", recall=recall))
        self.merged_tokens([Call(ticket="A019", window="12"), Call(ticket="B2", window="3")])

    @property
    def one_as_yao(self) -> bool:
        """Whether ticket digits 1 are read 幺."""
        if self.config.one_as_yao is None:
            return self.pack.one_as_yao
        return self.config.one_as_yao

    def _tokenize(self, template: str, call: Call) -> list[str]:
        tokens = tokenize(
            template,
            ticket=call.ticket,
            window=call.window,
            phrases=self._phrases,
            one_as_yao=self.one_as_yao,
            window_reading=self.config.window_reading,
        )
        missing = self.pack.missing(tokens)
        if missing:
            raise TemplateError(
                f"clip pack {self.pack.name!r} ({self.pack.path}) has no clip for"
                f" {', '.join(missing)} (needed to say {call.ticket} / window {call.window})"
            )
        return tokens

    def tokens(self, call: Call) -> list[str]:
        """The clip tokens of one repetition of the announcement for a call."""
        template = self.config.template
        if call.recall and self.config.recall_template:
            template = self.config.recall_template
        return self._tokenize(template, call)

    def merged_tokens(self, calls: Sequence[Call]) -> list[str]:
        """The clip tokens of several calls said as one sentence (one call: its template)."""
        if len(calls) == 1:
            return self.tokens(calls[0])
        if not calls:
            raise TemplateError("no call to announce")
        tokens: list[str] = []
        for index, call in enumerate(calls):
            item = self._merge_item
            if index == 0:
                item = self._merge_prefix + item
            if tokens:
                tokens.append(PAUSE)
            tokens += self._tokenize(item, call)
        return tokens

    def render(self, call: Call) -> Rendering:
        """The announcement of one call: the chime (if configured), then config.repeat times."""
        return self.render_calls([call], repeat=self.config.repeat, chime=self.config.chime)

    def render_calls(
        self, calls: Sequence[Call], *, repeat: int | None = None, chime: bool | None = None
    ) -> Rendering:
        """One announcement of one or more calls (several are merged into one sentence)."""
        fmt = self.pack.format
        config = self.config
        repeat = config.repeat if repeat is None else repeat
        chime = config.chime if chime is None else chime
        if not 1 <= repeat <= 5:
            raise ValueError("repeat must be 1 to 5")
        tokens = self.merged_tokens(calls)
        chunks: list[bytes] = []
        segments: list[Segment] = []
        position = 0

        def add(token: str | None, frames: bytes) -> None:
            nonlocal position
            count = len(frames) // fmt.frame_size
            if count:
                chunks.append(frames)
                segments.append(Segment(token, position, count))
                position += count

        if chime:
            add(CHIME, self.pack.chime)
            add(None, silence(fmt, config.chime_gap_ms))
        for repetition in range(repeat):
            if repetition:
                add(None, silence(fmt, config.repeat_pause_ms))
            for index, token in enumerate(tokens):
                if token == PAUSE:
                    add(None, silence(fmt, config.comma_ms))
                    continue
                if index and tokens[index - 1] != PAUSE:
                    add(None, silence(fmt, config.gap_ms))
                add(token, self.pack.frames(token))
        return Rendering(
            wav=encode_wav(b"".join(chunks), fmt),
            format=fmt,
            tokens=tuple(tokens),
            segments=tuple(segments),
        )
