"""The event loop never waits on a database round trip (issue 11): no coroutine in the core
opens a session or runs a statement itself. Database work inside an `async def` lives in a
nested plain function handed to a thread (`hub.blocking`, `Database.run_write`,
`asyncio.to_thread`), which this check does not descend into."""

from __future__ import annotations

import ast
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "server"
# Calls that open a session or talk to the database.
DATABASE_CALLS = {"read_session", "begin", "execute", "scalar", "scalars", "commit", "flush",
                  "refresh", "connect"}


def _blocking_calls(fn: ast.AsyncFunctionDef) -> list[str]:
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue  # run elsewhere (a thread), or checked on its own
            if (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
                    and child.func.attr in DATABASE_CALLS):
                found.append(f"{child.func.attr}() at line {child.lineno}")
            visit(child)
    visit(fn)
    return found


def test_no_coroutine_of_the_core_touches_the_database() -> None:
    offenders = []
    for path in sorted(SERVER.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.AsyncFunctionDef):
                offenders += [f"{path.relative_to(SERVER.parent)}::{node.name}: {call}"
                              for call in _blocking_calls(node)]
    assert offenders == []


def test_the_check_sees_a_session_opened_on_the_loop() -> None:
    bad = ast.parse("async def f(core):\n    with core.db.read_session() as db:\n"
                    "        db.execute(1)\n")
    good = ast.parse("async def f(core, hub):\n    def work():\n"
                     "        with core.db.read_session() as db:\n            db.execute(1)\n"
                     "    await hub.blocking(work)\n")
    fn_bad, fn_good = bad.body[0], good.body[0]
    assert isinstance(fn_bad, ast.AsyncFunctionDef) and isinstance(fn_good, ast.AsyncFunctionDef)
    assert len(_blocking_calls(fn_bad)) == 2
    assert _blocking_calls(fn_good) == []
