"""The standard 差评 reasons: one list for the evaluator device, the rating page and the cases.

The codes and Chinese names are the evaluator protocol's (`drivers.BAD_REVIEW_REASONS`),
so a reason picked on the device and one picked on the phone read the same in the cases.
"""

from __future__ import annotations

from drivers import BAD_REVIEW_REASONS
from server.errors import Invalid
from server.evaluations.models import BAD_LEVELS

ENGLISH = {
    1: "Poor attitude",
    2: "Long wait",
    3: "Slow handling",
    4: "Missing materials not told at once",
    5: "Unnecessary materials asked for",
    6: "Several trips, still not done",
    7: "Staff unfamiliar with the business",
    8: "Unclear service guide",
    9: "Inconvenient facilities",
    10: "Irregular fees or favours asked",
    99: "Other",
}


def catalogue() -> list[dict[str, str]]:
    """Every reason with its code and its Chinese and English names."""
    return [{"code": str(code), "zh": name, "en": ENGLISH.get(code, name)}
            for code, name in BAD_REVIEW_REASONS.items()]


def check(level: int, reasons: list[str]) -> list[str]:
    """The reasons of a web rating: known codes, each once, and only for a 差评."""
    if reasons and level not in BAD_LEVELS:
        raise Invalid("reasons are only for 不满意 and 非常不满意 (levels 2 and 1)")
    known = {str(code) for code in BAD_REVIEW_REASONS}
    unknown = [r for r in reasons if r not in known]
    if unknown:
        raise Invalid(f"unknown reason codes: {', '.join(unknown)}")
    return list(dict.fromkeys(reasons))


def label(code: str, lang: str = "zh") -> str:
    """A reason's name; a free-text reason (older ratings) as it was given."""
    try:
        number = int(code)
    except ValueError:
        return code
    if number not in BAD_REVIEW_REASONS:
        return code
    return BAD_REVIEW_REASONS[number] if lang == "zh" else ENGLISH.get(number, code)


__all__ = ["ENGLISH", "catalogue", "check", "label"]
