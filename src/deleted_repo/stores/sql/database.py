"""The database under a `SqlStore`: connections, transactions, statements and driver errors."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from deleted_repo.errors import IntegrityError, InvalidInputError, StorageError

__all__ = ["Database"]

_SQLITE_BUSY_TIMEOUT_MS = 30_000
_IMMEDIATE = "deleted_repo.begin_immediate"
_PREPARED = "deleted_repo.sqlite_prepared"
_LOCKED = "deleted_repo.locked_transaction"

_S = TypeVar("_S", bound=sa.Executable)


def _sqlite_begin(conn: Connection) -> None:
    """Emit BEGIN ourselves: pysqlite's own transaction handling is off (SQLAlchemy's recipe)."""
    fairy = conn.connection
    raw: Any = fairy.dbapi_connection
    immediate = conn.info.pop(_IMMEDIATE, False)
    if getattr(raw, "autocommit", None) is False:
        return  # Python 3.12's PEP 249 mode keeps a transaction open by itself.
    if raw.isolation_level is not None:
        raw.isolation_level = None
    if not fairy.info.get(_PREPARED):
        cursor = raw.cursor()
        try:
            (current,) = cursor.execute("PRAGMA busy_timeout").fetchone()
            if current < _SQLITE_BUSY_TIMEOUT_MS:
                cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()
        fairy.info[_PREPARED] = True
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _host_begins(engine: Engine) -> bool:
    """Whether the host's engine already emits its own BEGIN (SQLAlchemy's pysqlite recipe).

    Then the store leaves the engine as it is: two listeners would begin twice ("cannot start
    a transaction within a transaction"), and the host's BEGIN is the one its code expects.
    """
    return any(listener is not _sqlite_begin for listener in engine.dispatch.begin)


class _Local(threading.local):
    conn: Connection | None = None


def _rollback_quietly(transaction: sa.engine.Transaction) -> None:
    """Roll back; if that fails too, the connection is gone and so is its transaction."""
    try:
        if transaction.is_active:
            transaction.rollback()
    except Exception:  # the original error is the one to report
        pass


class _Guard:
    """Translates driver and SQLAlchemy errors raised in its block into ours, chained.

    A class rather than a generator: it is entered several times by every port call.
    """

    def __init__(self, dbapi_errors: tuple[type[BaseException], ...]) -> None:
        self._dbapi_errors = dbapi_errors

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if e is None:
            return
        if isinstance(e, sa_exc.IntegrityError):
            raise IntegrityError(f"the database refused the write: {e.orig}") from e
        if isinstance(e, sa_exc.DBAPIError):
            raise StorageError(f"the database failed: {type(e.orig).__name__}: {e.orig}") from e
        if isinstance(e, sa_exc.SQLAlchemyError):
            raise StorageError(f"the database failed: {e}") from e
        if isinstance(e, Exception) and isinstance(e, self._dbapi_errors):
            raise StorageError(f"the database failed: {e}") from e


class Database:
    """The engine or connection a `SqlStore` works through, and the transactions on it.

    With an `Engine`, each `session` outside a transaction runs in a short transaction of its
    own, and `transaction` holds one connection until the block ends, for every session the
    same thread opens meanwhile. With a `Connection`, both join the transaction open on it
    (through a savepoint for writes), or open and commit one.

    Write transactions are serialized: on SQLite they start with ``BEGIN IMMEDIATE`` (the
    pysqlite recipe installed on the engine emits our BEGIN and sets a busy timeout of 30 s);
    on PostgreSQL they take a transaction-level advisory lock for the schema.

    Args:
        bind: the engine or connection to work through; nothing connects until a call needs it.
        schema: the schema of the tables, applied with ``schema_translate_map``; None for the
            connection's default.
        verify: run on the connection of the first `session` that asks for it, before its
            statements, until it returns without raising (the schema version check, D-49).

    Attributes:
        schema: the schema given.
        dialect: the database's dialect name ("sqlite", "postgresql").
        verified: whether `verify` has passed (or the tables are known to be current).

    Raises:
        InvalidInputError: `bind` is neither an engine nor a connection.
    """

    def __init__(
        self,
        bind: Engine | Connection,
        *,
        schema: str | None = None,
        verify: Callable[[Connection], None] | None = None,
    ) -> None:
        if isinstance(bind, Engine):
            self._engine: Engine | None = bind
            self._connection: Connection | None = None
        elif isinstance(bind, Connection):
            self._engine = None
            self._connection = bind
        else:
            raise InvalidInputError(
                f"bind must be a SQLAlchemy Engine or Connection, got {bind!r}",
                field="bind",
                value=bind,
            )
        self.schema = schema
        self.verified = verify is None
        self._verify = verify
        self.dialect: str = bind.dialect.name
        self._sql_dialect = bind.dialect
        self._options: dict[str, Any] = (
            {} if schema is None else {"schema_translate_map": {None: schema}}
        )
        self._lock_key = zlib.crc32(f"deleted_repo:{schema or ''}".encode())
        self._local = _Local()
        self._inserts: dict[str, str] = {}
        self._statements: dict[Hashable, Any] = {}
        self._guard = _Guard(
            tuple(
                error
                for error in (getattr(bind.dialect.loaded_dbapi, "Error", None),)
                if isinstance(error, type) and issubclass(error, BaseException)
            )
        )
        self.host_begins = self.dialect == "sqlite" and _host_begins(bind.engine)
        if self.dialect == "sqlite" and not self.host_begins:
            sa_event.listen(bind.engine, "begin", _sqlite_begin)

    # Transactions

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction that the sessions of this thread join until the block ends.

        Only beginning and committing are translated into our errors: what the block raises
        passes unchanged, after the transaction (or, when joined, the savepoint) is undone.

        Raises:
            StorageError: the database failed to begin or commit; nothing was kept.
        """
        with self._scope(write=True, share=True):
            yield

    @contextmanager
    def session(self, *, write: bool, verify: bool = True) -> Iterator[Connection]:
        """The connection one port call runs on, inside a transaction, errors translated.

        A session inside an open transaction joins it; a write one runs under a savepoint, so
        that a failed write changes nothing and the transaction can go on. Until `verified`,
        a session that `verify` runs the check first (schema changes pass False).

        Raises:
            IntegrityError: the database refused a write (a duplicate key).
            SchemaVersionError: the check refused the tables.
            StorageError: the database failed otherwise.
        """
        with self._guard, self._scope(write=write, share=False) as conn:
            if verify and not self.verified and self._verify is not None:
                self._verify(conn)
                self.verified = True
            yield conn

    @contextmanager
    def _scope(self, *, write: bool, share: bool) -> Iterator[Connection]:
        """Join the open transaction (a savepoint for writes), or begin one and commit it.

        `share`: the transaction begun is the one this thread's later calls join, until it
        ends (with an engine; a connection given is joined through `in_transaction`).
        """
        joined = self._joined()
        if joined is not None:
            if not write:
                yield joined
                return
            with self._guard:
                self._lock(joined)
                savepoint = joined.begin_nested()
            try:
                yield joined
            except BaseException:
                _rollback_quietly(savepoint)
                raise
            with self._guard:
                savepoint.commit()
            return
        with self._guard:
            conn = self._engine.connect() if self._engine is not None else self._given()
        shared = share and self._engine is not None
        try:
            with self._guard:
                transaction = self._begin(conn, write=write)
            if shared:
                self._local.conn = conn
            try:
                yield conn
            except BaseException:
                _rollback_quietly(transaction)
                raise
            with self._guard:
                transaction.commit()
        finally:
            if shared:
                self._local.conn = None
            if self._engine is not None:
                conn.close()

    def in_transaction(self) -> bool:
        """Whether a transaction is open around this thread's calls.

        One of this thread's `transaction` blocks, or, with a connection given, the host's.
        """
        return self._joined() is not None

    def _given(self) -> Connection:
        assert self._connection is not None
        return self._connection

    def _joined(self) -> Connection | None:
        """The connection of the transaction open around this call, if there is one."""
        if self._engine is not None:
            return self._local.conn
        connection = self._given()
        return connection if connection.in_transaction() else None

    def _begin(self, conn: Connection, *, write: bool) -> sa.engine.RootTransaction:
        if write and self.dialect == "sqlite":
            conn.info[_IMMEDIATE] = True
        try:
            transaction = conn.begin()
        finally:
            conn.info.pop(_IMMEDIATE, None)
        if write:
            try:
                self._lock(conn)
            except BaseException:
                _rollback_quietly(transaction)
                raise
        return transaction

    def _lock(self, conn: Connection) -> None:
        """Serialize write transactions on PostgreSQL, as BEGIN IMMEDIATE does on SQLite."""
        if self.dialect != "postgresql":
            return
        root = conn.get_transaction()
        if conn.info.get(_LOCKED) is root:
            return
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(self._lock_key)))
        conn.info[_LOCKED] = root

    # Statements

    def execute(
        self,
        conn: Connection,
        statement: sa.Executable,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> sa.CursorResult[*tuple[Any, ...]]:
        """Run `statement` on `conn` (a `session`'s), its tables in this database's schema."""
        return conn.execute(statement, parameters, execution_options=self._options)

    def cached(self, shape: Hashable, build: Callable[[], _S]) -> _S:
        """The statement of `shape`, built by `build` the first time, then kept.

        Building a statement and its cache key costs more than running a small query, so each
        shape of statement is built once, its values left as parameters.
        """
        statement: _S | None = self._statements.get(shape)
        if statement is None:
            statement = self._statements[shape] = build()
        return statement

    def insert_many(
        self, conn: Connection, table: sa.Table, rows: Sequence[tuple[Any, ...]]
    ) -> None:
        """Insert `rows` (every column but an autoincrement key, in order): one executemany.

        The driver gets the rows as they are, without SQLAlchemy's per-row processing, which
        would cost more than the database's own work; JSON columns take encoded text.
        """
        if not rows:
            return
        statement = self._inserts.get(table.name)
        if statement is None:
            prepare = self._sql_dialect.identifier_preparer
            name = prepare.quote(table.name)
            if self.schema is not None:
                name = f"{prepare.quote_schema(self.schema)}.{name}"
            columns = [c for c in table.columns if c is not table.autoincrement_column]
            style = self._sql_dialect.paramstyle
            marks = [
                "?" if style == "qmark" else f":{n}" if style == "numeric" else "%s"
                for n in range(1, len(columns) + 1)
            ]
            statement = (
                f"INSERT INTO {name} ({', '.join(prepare.quote(c.name) for c in columns)}) "
                f"VALUES ({', '.join(marks)})"
            )
            self._inserts[table.name] = statement
        conn.exec_driver_sql(statement, list(rows))
