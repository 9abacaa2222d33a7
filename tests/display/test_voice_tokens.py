"""The tokenizer: template + ticket + window → clip tokens."""

from __future__ import annotations

import pytest

from display.voice import PAUSE, TemplateError, tokenize
from display.voice.tokens import cardinal_tokens, template_fields

PHRASES = {
    "请": "qing",
    "号": "hao",
    "到": "dao",
    "窗口": "chuangkou",
    "办理": "banli",
    "再次": "zaici",
    "号码": "haoma",
    "十": "shi",
}
TEMPLATE = "请{ticket}号到{window}号窗口办理"


def say(ticket: str, window: str, template: str = TEMPLATE, **options: object) -> list[str]:
    return tokenize(template, ticket=ticket, window=window, phrases=PHRASES, **options)  # type: ignore[arg-type]


def test_the_issue_example() -> None:
    assert say("A001", "3") == [
        "qing",
        "A",
        "0",
        "0",
        "1",
        "hao",
        "dao",
        "3",
        "hao",
        "chuangkou",
        "banli",
    ]


def test_ticket_is_read_letter_by_letter_and_digit_by_digit() -> None:
    assert say("b120", "1")[:5] == ["qing", "B", "1", "2", "0"]
    assert say("AB07", "1")[1:5] == ["A", "B", "0", "7"]


def test_one_as_yao_changes_ticket_digits_only() -> None:
    tokens = say("A101", "11", one_as_yao=True)
    assert tokens[1:5] == ["A", "yao", "0", "yao"]
    assert tokens[7:9] == ["shi", "1"]  # 十一号窗口: a number, never 十幺


@pytest.mark.parametrize(
    ("number", "tokens"),
    [
        (0, ["0"]),
        (7, ["7"]),
        (10, ["shi"]),
        (12, ["shi", "2"]),
        (20, ["2", "shi"]),
        (35, ["3", "shi", "5"]),
        (100, ["1", "bai"]),
        (105, ["1", "bai", "0", "5"]),
        (110, ["1", "bai", "1", "shi"]),
        (999, ["9", "bai", "9", "shi", "9"]),
    ],
)
def test_window_numbers_are_read_as_mandarin_numbers(number: int, tokens: list[str]) -> None:
    assert cardinal_tokens(number) == tokens


def test_window_reading_digits_and_non_numeric_windows() -> None:
    window = slice(7, -3)  # between "...号到" and "号窗口办理"
    assert say("A001", "12", window_reading="digits")[window] == ["1", "2"]
    assert say("A001", "12")[window] == ["shi", "2"]
    assert say("A001", "3B")[window] == ["3", "B"]  # not a number: spelled
    assert say("A001", "1200")[window] == ["1", "2", "0", "0"]  # beyond 999: spelled
    assert say("A001", "03")[window] == ["3"]


def test_longest_phrase_wins_and_spaces_and_punctuation() -> None:
    assert say("A1", "2", template="请 {ticket} 号码，再次到{window}号窗口。") == [
        "qing",
        "A",
        "1",
        "haoma",
        PAUSE,
        "zaici",
        "dao",
        "2",
        "hao",
        "chuangkou",
    ]


def test_latin_letters_and_digits_in_the_template_are_spelled() -> None:
    assert say("A1", "2", template="请{ticket}号到VIP{window}号") == [
        "qing",
        "A",
        "1",
        "hao",
        "dao",
        "V",
        "I",
        "P",
        "2",
        "hao",
    ]


def test_text_without_a_clip_is_refused_with_its_place() -> None:
    with pytest.raises(TemplateError, match="'柜台办理'"):
        say("A001", "3", template="请{ticket}号到{window}号柜台办理")


@pytest.mark.parametrize("template", ["请{name}号", "请{ticket!r}号", "请{ticket:>4}", "请{ticket"])
def test_bad_templates_are_refused(template: str) -> None:
    with pytest.raises(TemplateError, match="template"):
        say("A001", "3", template=template)


@pytest.mark.parametrize("ticket", ["", " - ", "A+1", "A0０1", "甲001"])
def test_unreadable_tickets_are_refused(ticket: str) -> None:
    with pytest.raises(TemplateError):
        say(ticket, "3")


def test_template_fields_split() -> None:
    assert template_fields("请{ticket}号") == [("请", "ticket"), ("号", None)]
