"""Statements of the hot flows, compiled once per dialect and run on the driver's cursor.

`Connection.execute` of a Core statement costs about 60 µs of SQLAlchemy per call before
the driver sees it (cache-key lookup, execution context, result set-up), several times
the INSERT itself on SQLite. A kiosk ticket runs three such statements that return
nothing to map: the number counter's upsert, the ticket's INSERT and the audit entry.
`Prepared` compiles its statement once per dialect with SQLAlchemy, keeps the SQL text,
the bind names in order and each bind's type processor (`TypeEngine.dialect_impl`), and
then runs it on the DBAPI cursor of the session's own connection: the same transaction,
the same SQL, the same stored values, about a fifth of the cost.

Rows it returns (`first`) get the same result processing as through SQLAlchemy (each
column type's `result_processor`). Only plain statements qualify: no expanding (`IN`) or
literal-rendered binds. Everything else keeps going through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Connection, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True)
class _Form:
    """A statement as one dialect runs it."""

    sql: str
    names: tuple[str, ...]  # bind names, in the statement's order
    fixed: dict[str, Any]  # binds whose value the statement carries (`last + 1`)
    processors: dict[str, Callable[[Any], Any]]
    positional: bool
    # What it returns (SELECT or RETURNING): the columns' keys and each one's result
    # processor (None where the driver's value is already the Python value).
    keys: tuple[str, ...]
    results: tuple[Callable[[Any], Any] | None, ...]

    def row(self, raw: Sequence[Any]) -> dict[str, Any]:
        """A returned row as the flows read it (SQLAlchemy's types applied)."""
        return {key: value if process is None or value is None else process(value)
                for key, process, value in zip(self.keys, self.results, raw, strict=True)}

    def args(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = {}
        processors = self.processors
        for name in self.names:
            value = params[name] if name in params else self.fixed[name]
            process = processors.get(name)
            values[name] = value if process is None or value is None else process(value)
        if self.positional:
            return tuple(values[n] for n in self.names)
        return values


def translated(conn: Connection, statement: str, params: Any, err: Any) -> DBAPIError:
    """A driver's error as SQLAlchemy raises it (`OperationalError` for a locked or lost
    database, which the app answers 503, `IntegrityError` …), after telling the pool
    about a connection that was lost, as `Connection.execute` does. Raise it `from err`
    in an `except conn.dialect.loaded_dbapi.Error` clause, which costs nothing until a
    statement fails."""
    dialect = conn.dialect
    if dialect.is_disconnect(err, conn.connection.dbapi_connection, None):
        conn.invalidate(err)
    error: DBAPIError = DBAPIError.instance(statement, params, err,
                                            dialect.loaded_dbapi.Error, dialect=dialect)
    return error


class Prepared:
    """One Core statement, run on the driver's cursor of the session's connection."""

    def __init__(self, statement: ClauseElement, keys: Sequence[str] | None = None) -> None:
        """`keys`: the parameters an INSERT is given (its columns); None for a statement
        whose binds are all named in it."""
        self.statement = statement
        self.keys = list(keys) if keys is not None else None
        self._forms: dict[str, _Form] = {}

    def execute(self, db: Session, params: Mapping[str, Any]) -> Any:
        """Run it in the session's transaction; returns the DBAPI cursor (for RETURNING)."""
        return self._run(db.connection(), params)

    def first(self, db: Session, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """Run it and return its first row by column key, with the columns' types applied,
        or None."""
        raw = self.first_raw(db, params)
        return None if raw is None else self.as_row(db, raw)

    def first_raw(self, db: Session, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """Run it and return its first row as the driver gave it (to compare with a kept
        one before paying for `as_row`), or None."""
        _, (raw,) = self._fetch(db, params, every=False)
        return None if raw is None else tuple(raw)

    def rows(self, db: Session, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run it and return every row by column key, with the columns' types applied."""
        conn, raws = self._fetch(db, params, every=True)
        form = self._forms[conn.dialect.name]
        return [form.row(raw) for raw in raws]

    def _fetch(self, db: Session, params: Mapping[str, Any], *,
               every: bool) -> tuple[Connection, list[Any]]:
        """Run it; its rows as the driver gives them (only the first unless `every`, None
        when there is none)."""
        conn = db.connection()
        cursor = self._run(conn, params)
        try:
            raws = cursor.fetchall() if every else [cursor.fetchone()]
            cursor.close()
        except conn.dialect.loaded_dbapi.Error as err:
            raise translated(conn, "fetch", params, err) from err
        return conn, raws

    def as_row(self, db: Session, raw: tuple[Any, ...]) -> dict[str, Any]:
        """A row from `first_raw` by column key, with the columns' types applied."""
        dialect = db.get_bind().dialect
        return (self._forms.get(dialect.name) or self._compile(dialect)).row(raw)

    def scalar(self, db: Session, params: Mapping[str, Any]) -> Any:
        """Run it and return the first column of its one row (an upsert's RETURNING)."""
        raw = self.first_raw(db, params)
        if raw is None:
            raise LookupError("the statement returned no row")
        return raw[0]

    def _run(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        form = self._forms.get(conn.dialect.name) or self._compile(conn.dialect)
        args = form.args(params)
        try:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            cursor.execute(form.sql, args)
        except conn.dialect.loaded_dbapi.Error as err:
            raise translated(conn, form.sql, args, err) from err
        return cursor

    def _compile(self, dialect: Dialect) -> _Form:
        compiled = self.statement.compile(dialect=dialect, column_keys=self.keys)
        assert isinstance(compiled, SQLCompiler), compiled
        by_name: dict[str, Any] = {}
        for bind, name in compiled.bind_names.items():
            by_name.setdefault(name, bind)
        if any(b.expanding or b.literal_execute for b in by_name.values()):
            raise ValueError("Prepared takes no expanding or literal-rendered binds")
        if getattr(compiled, "escaped_bind_names", None):
            raise ValueError("Prepared takes no bind names the dialect must escape")
        positional = bool(compiled.positional)
        names = tuple(compiled.positiontup or ()) if positional else tuple(by_name)
        fixed = {name: by_name[name].effective_value for name in names
                 if not by_name[name].required}
        processors = {}
        for name in names:
            process = by_name[name].type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors[name] = process
        returned = list(getattr(self.statement, "exported_columns", ()))
        keys = tuple(c.key for c in returned)
        results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None)
                        for c in returned)
        form = _Form(str(compiled), names, fixed, processors, positional, keys, results)
        self._forms[dialect.name] = form
        return form


def listed(name: str, n: int) -> list[BindParameter[Any]]:
    """`n` binds for an `IN (…)` of a known length (`Prepared` takes no expanding bind):
    `name_0` … `name_{n-1}`, given by `spread`."""
    return [bindparam(f"{name}_{i}") for i in range(n)]


def spread(name: str, values: Sequence[Any]) -> dict[str, Any]:
    """The parameters of `listed(name, len(values))`."""
    return {f"{name}_{i}": value for i, value in enumerate(values)}


class PreparedByKeys:
    """A statement whose SET (or VALUES) columns are the parameters' keys, as SQLAlchemy
    takes them: one `Prepared` per set of keys, made on first use."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_keys: dict[frozenset[str], Prepared] = {}

    def get(self, keys: Iterable[str]) -> Prepared:
        """The statement setting these columns."""
        key = frozenset(keys)
        prepared = self._by_keys.get(key)
        if prepared is None:
            prepared = self._by_keys[key] = Prepared(self.statement, keys=sorted(key))
        return prepared


__all__ = ["Prepared", "PreparedByKeys", "listed", "spread"]
