"""Reading a hall's YAML file for `hallq load`: every problem listed, each with its line.

Pydantic reports a problem by its path in the parsed data (``staff → 0 → roles``); the
person who wrote the file needs the line and column and a plain sentence. The YAML is
composed once into nodes, which keep their positions, and each path is walked back to
the node it names (or, for a missing key, to the mapping that lacks it).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from server.halls.schemas import HallConfig

__all__ = ["HallFileError", "Problem", "read_hall_file"]


@dataclass(frozen=True)
class Problem:
    """One problem of a file: where (1-based line and column, dotted path) and what."""

    line: int
    column: int
    path: str
    message: str

    def format(self, file: str) -> str:
        """``file:line:col: path: message``, the way compilers and editors read it."""
        where = f"{self.path}: " if self.path else ""
        return f"{file}:{self.line}:{self.column}: {where}{self.message}"


class HallFileError(Exception):
    """A hall file that cannot be loaded, with every problem found in it."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        super().__init__("\n".join(problem.format(file) for problem in problems))


def read_hall_file(path: Path) -> HallConfig:
    """Parse and validate a hall's YAML file; raise HallFileError listing every problem."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise HallFileError(name, [Problem(1, 1, "", f"cannot read the file: {err}")]) from err
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = getattr(err, "problem", None) or str(err)
        raise HallFileError(name, [Problem(line, column, "", f"not valid YAML: {what}")]) from err
    if not isinstance(data, dict) or root is None:
        raise HallFileError(name, [Problem(1, 1, "", "the file must be a mapping with a "
                                                     "'hall:' section (see "
                                                     "server/demo/demo_hall.yaml)")])
    try:
        return HallConfig.model_validate(data)
    except ValidationError as err:
        problems = [_problem(root, error) for error in err.errors()]
        problems.sort(key=lambda p: (p.line, p.column))
        raise HallFileError(name, problems) from err


def _problem(root: yaml.Node, error: Any) -> Problem:
    loc = tuple(error.get("loc", ()))
    node, found = _walk(root, loc)
    # A missing key is reported at the mapping that should hold it.
    mark = node.start_mark
    path = _dotted(loc)
    return Problem(mark.line + 1, mark.column + 1, path, _plain(error, found, loc))


def _walk(root: yaml.Node, loc: tuple[Any, ...]) -> tuple[yaml.Node, bool]:
    """The node at loc (as far as it exists) and whether all of loc was found."""
    node = root
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    # An unknown key is best shown at the key itself.
                    child = value if part != loc[-1] else key
                    break
        elif (isinstance(node, yaml.SequenceNode) and isinstance(part, int)
              and 0 <= part < len(node.value)):
            child = node.value[part]
        if child is None:
            return node, False
        node = child
    return node, True


def _dotted(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _known_fields(loc: tuple[Any, ...]) -> list[str]:
    """The field names allowed where loc's last key stands (for "did you mean")."""
    model: Any = HallConfig
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        for candidate in (annotation, *getattr(annotation, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                model = candidate
                break
        else:
            return []
    return list(getattr(model, "model_fields", {}))


_PATTERNS = {
    r"^[a-z0-9][a-z0-9_-]{0,31}$": "lower-case letters, digits, '-' and '_' (at most 32),"
                                   " starting with a letter or digit",
    r"^[A-Z]{1,2}$": "one or two capital letters, such as A or BD",
    r"^[0-9A-Za-z-]{1,16}$": "letters, digits and '-' (at most 16)",
    r"^(any|domain|special)$": "one of any, domain, special",
    r"^(holiday|workday)$": "holiday or workday",
}

_PLAIN = {
    "missing": "is required but missing",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list (lines starting with '- ')",
    "dict_type": "must be a mapping (key: value lines)",
    "model_type": "must be a mapping (key: value lines)",
    "date_from_datetime_parsing": "must be a date such as 2026-10-01",
    "date_parsing": "must be a date such as 2026-10-01",
    "time_parsing": "must be a time such as 08:30",
}


def _plain(error: Any, found: bool, loc: tuple[Any, ...]) -> str:
    kind = error.get("type", "")
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        known = _known_fields(loc)
        close = difflib.get_close_matches(str(loc[-1]), known, n=1) if loc else []
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"'{loc[-1]}' is not a setting here{hint}"
    if kind == "missing":
        return _PLAIN[kind]
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        form = _PATTERNS.get(pattern, f"text matching {pattern}")
        return f"{value!r} is not valid here: expected {form}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{value!r} is too small: it must be at least {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"{value!r} is too large: it must be at most {ctx.get('le', ctx.get('lt'))}"
    if kind in ("string_too_short", "too_short"):
        return f"{value!r} is too short (at least {ctx.get('min_length')})"
    if kind in ("string_too_long", "too_long"):
        return f"is too long (at most {ctx.get('max_length')})"
    if kind in ("literal_error", "enum"):
        return f"{value!r} is not one of {ctx.get('expected', '')}"
    if kind in _PLAIN:
        return f"{_PLAIN[kind]}, not {value!r}"
    message = str(error.get("msg", "is not valid"))
    message = message.removeprefix("Value error, ")
    return message if found else f"{message} (at its parent)"
