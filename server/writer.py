"""Routes that write run on the one writer (`Database.run_write`).

On SQLite a writing transaction takes the write lock at BEGIN IMMEDIATE; a sync route in
the threadpool that writes would meet the writer thread's transactions in SQLite's busy
handler, spinning and sleeping until the lock frees. Queued on the writer thread it waits
its turn instead. On PostgreSQL `run_write` runs it on the flow threads (side by side).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from server.core import Core

P = ParamSpec("P")
T = TypeVar("T")


def on_writer(endpoint: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
    """A sync route whose body runs in one hop through `core.db.run_write` (the route must
    take the core as its `core` parameter, as every route that writes does).

    The route's signature, name and docstring are kept (`functools.wraps`), so FastAPI
    reads the same parameters and return type and the OpenAPI document does not change.
    The body should hold only the route's flow and its answer: anything slow that is not
    a write (hashing a password, a call to another system) belongs before the hop, in
    the threadpool, or it holds up every write of the process.
    """

    @functools.wraps(endpoint)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        core = kwargs["core"]
        assert isinstance(core, Core), "an @on_writer route takes `core: CoreDep`"
        return await core.db.run_write(functools.partial(endpoint, *args, **kwargs))

    return run


def in_writer(fn: Callable[P, T]) -> Callable[P, T]:
    """A sync function that is one writing transaction, called from a thread (a background
    worker's round): it runs on the writer (`Database.write`) while the caller waits, and
    inline when already there. Its first argument is the core, or an object holding it as
    `core` (a worker's method).

    Only the transaction goes there: the worker's calls to other systems (an SMS gateway,
    the evaluation platform) stay on its own thread.
    """

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        first = args[0]
        core = first if isinstance(first, Core) else getattr(first, "core", None)
        assert isinstance(core, Core), f"@in_writer {fn.__qualname__}: no core"
        return core.db.write(functools.partial(fn, *args, **kwargs))

    return run
