"""Turn a call template, a ticket number and a window number into clip tokens.

"请{ticket}号到{window}号窗口办理" with ticket "A001" and window "3" becomes
``["qing", "A", "0", "0", "1", "hao", "dao", "3", "hao", "chuangkou", "banli"]``:
each token names one clip of the pack. The ticket is read letter by letter and digit by
digit, as printed on the slip, so a citizen can match what they hear against what they
hold. The window is read as a number (十二号窗口) by default, or digit by digit.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Literal

from display.voice.errors import TemplateError

__all__ = [
    "DIGITS",
    "LETTERS",
    "PAUSE",
    "WindowReading",
    "cardinal_tokens",
    "spell_tokens",
    "template_fields",
    "tokenize",
]

#: Not a clip: a short silence, spoken for punctuation in the template (，。、).
PAUSE = ","
LETTERS = tuple(string.ascii_uppercase)
DIGITS = tuple(string.digits)
#: Token of the clip read for the digit 1 when the pack reads it 幺 (A幺零幺).
YAO = "yao"
TEN = "shi"
HUNDRED = "bai"

WindowReading = Literal["number", "digits"]

_FIELDS = ("ticket", "window")
_PAUSE_CHARS = frozenset("，,。.、；;：:！!？?…")
_IGNORED_CHARS = frozenset(" \t\u3000-_")


def template_fields(template: str) -> list[tuple[str, str | None]]:
    """Split a template into (literal text, field name or None) pairs; refuse unknown fields."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as err:
        raise TemplateError(f"bad template {template!r}: {err}") from err
    result: list[tuple[str, str | None]] = []
    for literal, field, spec, conversion in parts:
        if field is not None and (field not in _FIELDS or spec or conversion):
            raise TemplateError(
                f"bad template {template!r}: unknown field {{{field}}};"
                " only {ticket} and {window} can be used"
            )
        result.append((literal, field))
    return result


def spell_tokens(text: str, *, one_as_yao: bool = False, what: str = "ticket") -> list[str]:
    """Read letters and digits one by one: "A01" → ["A", "0", "1"]."""
    tokens: list[str] = []
    for char in text.strip():
        if char in _IGNORED_CHARS:
            continue
        upper = char.upper()
        if upper in LETTERS:
            tokens.append(upper)
        elif char in DIGITS:
            tokens.append(YAO if one_as_yao and char == "1" else char)
        else:
            raise TemplateError(f"cannot read {char!r} in {what} {text!r}: only A–Z and 0–9")
    if not tokens:
        raise TemplateError(f"empty {what} number {text!r}")
    return tokens


def cardinal_tokens(number: int) -> list[str]:
    """Read 0–999 as a Mandarin number: 12 → ["shi", "2"], 105 → ["1", "bai", "0", "5"]."""
    if not 0 <= number <= 999:
        raise ValueError(f"{number} is outside 0–999")
    if number < 10:
        return [str(number)]
    hundreds, rest = divmod(number, 100)
    tens, ones = divmod(rest, 10)
    tokens: list[str] = []
    if hundreds:
        tokens += [str(hundreds), HUNDRED]
        if rest == 0:
            return tokens
        if tens == 0:
            return [*tokens, "0", str(ones)]  # 一百零五
        tokens += [str(tens), TEN]  # 一百一十, not 一百十
    elif tens == 1:
        tokens.append(TEN)  # 十二, not 一十二
    else:
        tokens += [str(tens), TEN]
    if ones:
        tokens.append(str(ones))
    return tokens


def _window_tokens(window: str, reading: WindowReading, one_as_yao: bool) -> list[str]:
    text = window.strip()
    if reading == "number" and text.isascii() and text.isdigit() and int(text) <= 999:
        return cardinal_tokens(int(text))
    return spell_tokens(text, one_as_yao=one_as_yao, what="window")


def _literal_tokens(text: str, phrases: Mapping[str, str]) -> list[str]:
    """Cut fixed template text into phrase clips, longest match first."""
    longest = max((len(phrase) for phrase in phrases), default=0)
    tokens: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in _IGNORED_CHARS:
            i += 1
            continue
        if char in _PAUSE_CHARS:
            if tokens and tokens[-1] != PAUSE:
                tokens.append(PAUSE)
            i += 1
            continue
        for size in range(min(longest, len(text) - i), 0, -1):
            token = phrases.get(text[i : i + size])
            if token is not None:
                tokens.append(token)
                i += size
                break
        else:
            if char.upper() in LETTERS or char in DIGITS:
                tokens.append(char.upper())
                i += 1
                continue
            raise TemplateError(
                f"no clip in the pack says {text[i:]!r}: add a clip for it to the pack's"
                " manifest (docs/voice.md) or change the template"
            )
    return tokens


def tokenize(
    template: str,
    *,
    ticket: str,
    window: str,
    phrases: Mapping[str, str],
    one_as_yao: bool = False,
    window_reading: WindowReading = "number",
) -> list[str]:
    """Turn a template and a call into the clip tokens to play, in order.

    ``phrases`` maps the text a clip says to its token ({"请": "qing", "窗口": "chuangkou"}).
    """
    tokens: list[str] = []
    for literal, field in template_fields(template):
        tokens += _literal_tokens(literal, phrases)
        if field == "ticket":
            tokens += spell_tokens(ticket, one_as_yao=one_as_yao)
        elif field == "window":
            tokens += _window_tokens(window, window_reading, one_as_yao)
    while tokens and tokens[-1] == PAUSE:
        tokens.pop()
    if not tokens:
        raise TemplateError(f"template {template!r} says nothing")
    return tokens
