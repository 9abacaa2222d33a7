"""The outside-link alert rule, as a pure function of the hall's state."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from server.monitoring import rules
from server.monitoring.models import ALERT_KINDS

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def state(*links: rules.LinkBacklog) -> rules.HallState:
    return rules.HallState(thresholds=rules.Thresholds(), open_since=None, links=list(links),
                           link_behind_s=300)


def test_behind_rejected_and_failed() -> None:
    found = rules.links(state(
        rules.LinkBacklog("notices", 299, failed=("A003:near",)),
        rules.LinkBacklog("evaluation_platform", 301, rejected=2)), NOW)
    assert [(a.cond, a.kind, a.severity) for a in found] == [
        ("notice_failed:A003:near", "notice_failed", "warning"),
        ("link_behind:evaluation_platform", "link_behind", "warning"),
        ("link_rejected:evaluation_platform", "link_rejected", "critical")]
    assert found[1].detail == {"link": "evaluation_platform", "name": "省好差评平台",
                               "name_en": "provincial rating platform", "minutes": 5}


def test_nothing_when_links_keep_up() -> None:
    assert rules.links(state(rules.LinkBacklog("notices", 0),
                             rules.LinkBacklog("evaluation_platform", 120)), NOW) == []


def test_booking_links_unreachable_and_reminders_given_up_on() -> None:
    found = rules.links(state(
        rules.LinkBacklog("booking_reminders", 360, failed=("P0000001:soon",)),
        rules.LinkBacklog("booking_platform", 0, error="503 from the platform")), NOW)
    assert [(a.cond, a.kind, a.subject, a.detail) for a in found] == [
        ("link_behind:booking_reminders", "link_behind", "booking_reminders",
         {"link": "booking_reminders", "name": "预约短信提醒",
          "name_en": "booking SMS reminders", "minutes": 6}),
        ("booking_reminder_failed:P0000001:soon", "booking_reminder_failed", "P0000001",
         {"booking": "P0000001", "kind": "soon"}),
        ("link_down:booking_platform", "link_down", "booking_platform",
         {"link": "booking_platform", "name": "省网上预约平台",
          "name_en": "provincial booking platform", "error": "503 from the platform"})]


def _strings(lang: str) -> str:
    """The block of one language in the operator pages' strings (server/monitoring/web)."""
    text = (Path(rules.__file__).parent / "web" / "i18n.js").read_text(encoding="utf-8")
    return text.split(f"\n  {lang}: {{", 1)[1].split("\n  }", 1)[0]


def test_every_alert_kind_is_written_in_both_languages() -> None:
    raised = rules.links(state(
        rules.LinkBacklog("notices", 999, failed=("A001:near",)),
        rules.LinkBacklog("evaluation_platform", 999, rejected=1),
        rules.LinkBacklog("booking_reminders", 999, failed=("P0000001:soon",)),
        rules.LinkBacklog("booking_platform", 0, error="down")), NOW)
    kinds = {a.kind for a in raised}
    assert kinds == {"link_behind", "link_rejected", "link_down", "notice_failed",
                     "booking_reminder_failed"}
    assert kinds <= set(ALERT_KINDS)
    for lang in ("zh", "en"):
        block = _strings(lang)
        missing = [k for k in ALERT_KINDS if f'"alert.{k}":' not in block]
        assert missing == [], (lang, missing)
