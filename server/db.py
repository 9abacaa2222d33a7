"""Database plumbing: the declarative base, engines and sessions.

SQLite is the embedded default (WAL). Writes on SQLite take the write lock at BEGIN
(`BEGIN IMMEDIATE`), so a flow that reads the queue and then claims a ticket can never be
overtaken between the two; reads use a deferred BEGIN. On PostgreSQL the flows lock the
rows they claim (`FOR UPDATE SKIP LOCKED`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import JSON, Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from server.prepared import translated

if TYPE_CHECKING:
    from server.events.bus import EventBus

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store aware datetimes as UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return aware UTC datetimes."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def aggregate_time(value: Any, tz: Any = UTC) -> datetime | None:
    """A MIN()/MAX() over a datetime column as an aware datetime.

    The column type does not apply to an aggregate: SQLite answers text, and a naive
    value is taken to be in `tz` (UTC, as the columns store it).
    """
    if value is None:
        return None
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(when, datetime), when
    return when if when.tzinfo is not None else when.replace(tzinfo=tz)


T = TypeVar("T")


class Base(DeclarativeBase):
    """Declarative base with a naming convention for stable migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


PING_AFTER_IDLE_S = 2.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled PostgreSQL connection at checkout only when it sat idle
    `PING_AFTER_IDLE_S` or more, instead of at every checkout (`pool_pre_ping`).

    A connection in steady use just worked: pinging it costs a round trip and about 75
    Python calls per flow, a sixth of a kiosk ticket's round trips. One that sat idle
    may have been closed under us (a restarted server, a failover, a firewall's idle
    timeout): it is pinged, and replaced when dead, as `pool_pre_ping` would. A
    connection that dies in use anyway makes its statement fail as a disconnect: the
    request is answered 503 (nothing was written, the client may retry) and SQLAlchemy
    invalidates the pool's older connections, so the next requests get fresh ones.
    """

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_conn: Any, record: Any) -> None:
        record.info["hallq_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _lent(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("hallq_idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return  # new, or back in the pool a moment ago
        alive = False
        with contextlib.suppress(Exception):
            alive = bool(engine.dialect.do_ping(dbapi_conn))
        if not alive:
            # The pool closes this connection and checks out another (a new one).
            raise DisconnectionError("idle connection was closed")


class Database:
    """One engine and its session factories (write and read)."""

    def __init__(self, url: str, *, pool_size: int = 20, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size)
        self.engine: Engine = create_engine(url, **kwargs)
        if not self.is_sqlite:
            _ping_when_idle(self.engine)
        self.checkpointer: WalCheckpointer | None = None
        if self.is_sqlite:
            _configure_sqlite(self.engine)
            path = self.engine.url.database
            if path and ":memory:" not in path and "mode=memory" not in url:
                self.checkpointer = checkpointer = WalCheckpointer(path)
                event.listen(self.engine, "connect", lambda *_: checkpointer.start())
        # Called with each session right after it commits (the flows' in-memory changes,
        # `server.tickets.picture`); what a rolled-back transaction noted is dropped.
        self.commit_hooks: list[Callable[[Session], None]] = []
        # The hall pictures (`server.tickets.picture.Pictures`), set by the core.
        self.pictures: Any = None
        # The event bus, set by the core: `run_write` collects each flow's events into a
        # batch and publishes it after the flow (`server.events.bus.Batch`).
        self.bus: EventBus | None = None
        self._write = sessionmaker(self.engine, expire_on_commit=False,
                                   info={"hallq_db": self})
        self._read = sessionmaker(
            self.engine.execution_options(hallq_read=True), expire_on_commit=False,
            info={"hallq_db": self},
        )
        # PostgreSQL: each statement commits on its own (no BEGIN, no COMMIT), for a flow
        # that writes in one statement (`server.tickets.at_once`).
        self._alone = None if self.is_sqlite else sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False, info={"hallq_db": self})
        for maker in self.makers():
            event.listen(maker, "after_commit", self._committed)
            event.listen(maker, "after_rollback", _forget)
        self._writer: ThreadPoolExecutor | None = None
        self._flows: ThreadPoolExecutor | None = None
        self._flow_threads = 2 * pool_size
        self._writer_lock = threading.Lock()
        self._writer_threads: set[int | None] = set()
        # SQLite: the writer thread's own connection, kept between its flows (`session`).
        self._held: Connection | None = None

    async def run_write(self, flow: Callable[[], T]) -> T:
        """Run a writing flow off the event loop in one hop, and return what it returns
        (or raise what it raised, unchanged).

        On SQLite every such flow is queued on one writer thread of this process, so
        writers take the write lock one after the other instead of spinning in SQLite's
        busy handler at BEGIN IMMEDIATE. On PostgreSQL, which runs writers side by side,
        the flow runs on one of the flow threads (`_flow_pool`).

        The events the flow publishes are collected and published together once it has
        ended (also when it raised), here on the event loop: the writer is free for the
        next flow meanwhile.
        """
        bus = self.bus
        if bus is None:
            return await self._run(flow)
        batch = bus.batch()

        def collected() -> T:
            with bus.collecting(batch):
                return flow()

        try:
            result = await self._run(collected)
        except asyncio.CancelledError:
            bus.abandon(batch)  # sent when the flow ends
            raise
        except BaseException:
            await bus.release(batch)
            raise
        await bus.release(batch)
        return result

    async def _run(self, flow: Callable[[], T]) -> T:
        if not self.is_sqlite:
            return await asyncio.wrap_future(self._flow_pool().submit(flow))
        return await asyncio.wrap_future(self._writer_pool().submit(flow))

    def _flow_pool(self) -> ThreadPoolExecutor:
        """PostgreSQL's flows run side by side on threads of their own, as many as the
        connection pool lends (its size and overflow). A plain executor rather than
        anyio's threadpool: its capacity limiter, cancel scope and context copy cost
        about 40 µs of the event loop's CPU per flow (measured with 8 concurrent no-op
        calls: 60-68 µs against 22-31 µs), and a flow needs none of them (its events'
        batch is set on the flow's own thread, `Database.run_write`)."""
        if self._flows is None:
            with self._writer_lock:
                if self._flows is None:
                    self._flows = ThreadPoolExecutor(self._flow_threads,
                                                     thread_name_prefix="hallq-flow")
        return self._flows

    def write(self, flow: Callable[[], T]) -> T:
        """`run_write` for code already in a thread (the background workers' rounds): on
        SQLite the flow runs on the writer thread while this thread waits for it; on the
        writer thread itself, or on PostgreSQL, it runs here.

        Only the flow's transaction belongs there: a worker's network calls (an SMS
        gateway, the evaluation platform) stay on its own thread, so they never hold up
        the hall's writes.
        """
        if not self.is_sqlite or self.on_writer():
            return flow()
        return self._writer_pool().submit(flow).result()

    def on_writer(self) -> bool:
        """True on this database's writer thread (a flow there must not queue on it again:
        the one thread would wait for itself)."""
        return threading.current_thread().ident in self._writer_threads

    def _writer_pool(self) -> ThreadPoolExecutor:
        if self._writer is None:
            with self._writer_lock:
                if self._writer is None:
                    self._writer = ThreadPoolExecutor(
                        1, thread_name_prefix="hallq-writer", initializer=self._note_writer)
        return self._writer

    def _note_writer(self) -> None:
        self._writer_threads.add(threading.current_thread().ident)

    def session(self) -> Session:
        """A session for a flow that writes (BEGIN IMMEDIATE on SQLite).

        On SQLite's writer thread the session is bound to the thread's own connection,
        kept open between flows: the pool's check-out and check-in and a new
        `Connection` cost about a tenth of a kiosk ticket's flow, for a connection that
        only this thread ever writes with. The session still begins, commits or rolls
        back its own transaction on it, with the same hooks.
        """
        if self.is_sqlite and self.on_writer():
            return self._write(bind=self._writer_connection())
        return self._write()

    def _writer_connection(self) -> Connection:
        """The writer thread's connection (a new one if it was closed or invalidated)."""
        conn = self._held
        if conn is None or conn.closed or conn.invalidated:
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
            conn = self._held = self.engine.connect()
        return conn

    def makers(self) -> list[sessionmaker[Session]]:
        """The session factories (write, read and, on PostgreSQL, single statements), for
        session event hooks."""
        return [self._write, self._read] + ([self._alone] if self._alone else [])

    def read_session(self) -> Session:
        """A session for reads only."""
        return self._read()

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A write session committed on success and rolled back on error."""
        with self.session() as db, db.begin():
            yield db

    @contextmanager
    def single_statements(self) -> Iterator[Session]:
        """PostgreSQL only: a write session whose every statement commits on its own, one
        round trip each. For a flow that writes in one statement, which is atomic alone:
        the session's commit then sends nothing, and its hooks (the picture, the events'
        place in line) run as after any commit."""
        if self._alone is None:
            raise RuntimeError("single statements are PostgreSQL's")
        with self._alone() as db, db.begin():
            yield db

    def _committed(self, session: Session) -> None:
        for hook in self.commit_hooks:
            hook(session)

    def dispose(self) -> None:
        """Stop the writer thread and the checkpointer, and close every pooled connection."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        if self._held is not None:
            with contextlib.suppress(Exception):
                self._held.close()
            self._held = None
        if self._flows is not None:
            self._flows.shutdown(wait=True)
            self._flows = None
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()


class WalCheckpointer:
    """Copies SQLite's write-ahead log into the database file from a thread of its own.

    SQLite's default is to checkpoint inside the commit that takes the log past 1,000
    pages: every hundredth kiosk ticket or so, its writer then spent 5–7 ms copying pages
    and syncing the file, and the flows queued behind it waited as long (the p99 of
    `hallq bench core`). Here the connections turn that off (`wal_autocheckpoint=0`) and
    this thread runs a PASSIVE checkpoint every `interval` seconds: it never takes the
    write lock, so the writer goes on committing while the pages are copied, and SQLite
    releases the GIL for the copy. Once a checkpoint has caught up with the log, the next
    writer starts the log again from its beginning, so it stays about one interval's
    writes long. When the last connection closes SQLite checkpoints the rest itself.
    """

    def __init__(self, path: str, interval: float = 0.5) -> None:
        self.path = path
        self.interval = interval
        self.checkpoints = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the thread (idempotent; called as each pooled connection opens)."""
        if self._thread is not None or self._stop.is_set():
            return
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="hallq-checkpoint",
                                                daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Stop the thread after one last checkpoint."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(10)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(self.path, timeout=0, check_same_thread=False)
            while True:
                stopping = self._stop.wait(self.interval)
                self.checkpoint(conn)
                if stopping:
                    return
        except sqlite3.Error as err:
            # The file is gone or unreadable; SQLite still checkpoints on the last close.
            log.warning("WAL checkpointer of %s stopped: %s", self.path, err)
        finally:
            if conn is not None:
                conn.close()

    def checkpoint(self, conn: sqlite3.Connection) -> None:
        """One PASSIVE checkpoint (as much of the log as no reader still needs)."""
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.checkpoints += 1
        except sqlite3.OperationalError as err:  # busy: another checkpoint is running
            log.debug("checkpoint skipped: %s", err)


def _forget(session: Session) -> None:
    for key in [k for k in session.info if k.startswith("hallq_notes")]:
        del session.info[key]


def of(session: Session) -> Database | None:
    """The `Database` a session belongs to (None for a foreign session)."""
    db: Database | None = session.info.get("hallq_db")
    return db


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, and BEGIN IMMEDIATE for writing sessions (SQLAlchemy's recipe)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        if ":memory:" not in str(engine.url) and engine.url.database:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        # Checkpoints run on the core's checkpointer thread, not in a flow's commit.
        cur.execute("PRAGMA wal_autocheckpoint=0")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        read = conn.get_execution_options().get("hallq_read", False)
        # On the driver itself: through `exec_driver_sql` the BEGIN cost as much
        # SQLAlchemy as a statement (server.prepared).
        begin = "BEGIN" if read else "BEGIN IMMEDIATE"
        try:
            conn.connection.dbapi_connection.execute(begin)
        except conn.dialect.loaded_dbapi.Error as err:
            raise translated(conn, begin, (), err) from err
