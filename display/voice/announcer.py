"""Render a call into one WAV: the template spoken twice, joined from the pack's clips."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from display.voice.errors import TemplateError, VoiceError
from display.voice.pack import ClipPack
from display.voice.tokens import PAUSE, WindowReading, tokenize
from display.voice.wav import AudioFormat, encode_wav, silence

__all__ = ["DEFAULT_TEMPLATE", "Announcer", "Call", "Rendering", "Segment", "VoiceConfig"]

DEFAULT_TEMPLATE = "请{ticket}号到{window}号窗口办理"


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
    repeat: int = 2
    repeat_pause_ms: int = 900
    gap_ms: int = 40
    comma_ms: int = 250
    window_reading: WindowReading = "number"
    #: Read the digit 1 as 幺 in ticket numbers; None: as the clip pack's manifest says.
    one_as_yao: bool | None = None

    def __post_init__(self) -> None:
        if self.repeat < 1:
            raise ValueError("repeat must be at least 1")
        if min(self.repeat_pause_ms, self.gap_ms, self.comma_ms) < 0:
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


class Announcer:
    """Turns calls into renderings with one clip pack and one hall's voice settings."""

    def __init__(self, pack: ClipPack, config: VoiceConfig | None = None) -> None:
        self.pack = pack
        self.config = config or VoiceConfig()
        self._phrases = pack.phrases
        # Fail at start-up, not at the first call, if a template needs a clip the pack lacks.
        for recall in (False, True):
            self.tokens(Call(ticket="A019", window="12", recall=recall))

    @property
    def one_as_yao(self) -> bool:
        """Whether ticket digits 1 are read 幺."""
        if self.config.one_as_yao is None:
            return self.pack.one_as_yao
        return self.config.one_as_yao

    def tokens(self, call: Call) -> list[str]:
        """The clip tokens of one repetition of the announcement for a call."""
        template = self.config.template
        if call.recall and self.config.recall_template:
            template = self.config.recall_template
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

    def render(self, call: Call) -> Rendering:
        """The full announcement for a call: the tokens spoken config.repeat times."""
        fmt = self.pack.format
        config = self.config
        tokens = self.tokens(call)
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

        for repetition in range(config.repeat):
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
