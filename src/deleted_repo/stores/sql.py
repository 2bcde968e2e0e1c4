"""The SQL store: every port on SQLite or PostgreSQL, through SQLAlchemy Core.

`SqlStore` keeps the catalog, the deleted repository and the restore-job log in six tables
(`metadata`, to include in the host's own migrations) and shares one transaction between them.
It needs the ``sql`` extra (SQLAlchemy 2); PostgreSQL also needs the ``postgres`` extra
(psycopg 3). Nothing connects or creates tables until asked.

Example:
    >>> import sqlalchemy as sa
    >>> from datetime import datetime, timezone
    >>> from deleted_repo import DeletedRepository, Record
    >>> store = SqlStore(sa.create_engine("sqlite://"))
    >>> store.create_schema()
    >>> repo = DeletedRepository(store, clock=lambda: datetime(2026, 1, 5, tzinfo=timezone.utc))
    >>> store.catalog.add("01UNI", [Record("bib", "991"), Record("holding", "221", "991")])
    >>> sorted(store.catalog.get("01UNI", ["991", "221", "999"]))
    ['221', '991']

Tables (all names start with ``deleted_repo_``; datetimes are integer microseconds since the
epoch in UTC, so order and equality are exact on every database):

* ``catalog``: the active records (institution, id, kind, parent_id, data) for hosts without a
  catalog of their own.
* ``event``: one row per deletion event, with its actor, time and insertion order (``seq``).
* ``deleted``: one row per deleted record still in the repository, with its snapshot, role,
  origin, lineage, event, actor and deletion time.
* ``catalog_field`` and ``deleted_field``: the values of the indexed data fields (an item's
  barcode, say), one row per record and field, so searches by them use an index.
* ``restore_job``: each restore job as JSON, with its id, institution and time.

Limits:
    * Record data are stored as JSON: tuples come back as lists, and values JSON cannot hold
      raise `StorageError`. PostgreSQL text cannot hold the NUL character.
    * Write transactions are serialized (see `SqlStore`), which is what keeps a restore's
      check and writes together; two stores on one database serialize each other too.
    * On SQLite, a connection given already inside the host's transaction keeps the kind of
      BEGIN the host chose; a deferred one may then fail with "database is locked"
      (`StorageError`) when two writers meet. An in-memory database shared through one
      connection (``StaticPool``) gives every thread the same transaction.
    * Searches by a data field outside ``indexed_fields`` read every record of the kind.
    * On PostgreSQL, a write the database refuses (a duplicate id, say: `IntegrityError`) makes
      psycopg log one warning ("error ignored terminating Pipeline"), as its batched inserts run
      in pipeline mode. The facade checks before it writes, so this happens only when another
      writer races it or a host calls the ports directly with clashing ids.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine

from deleted_repo.errors import (
    IntegrityError,
    InvalidInputError,
    RecordNotFoundError,
    StorageError,
)
from deleted_repo.jobs import RestoreJob
from deleted_repo.model import Actor, ActorKind, DeletedRecord, DeletionEvent, MemberRole, Record
from deleted_repo.policy import Policy
from deleted_repo.search import Cursor, Query, Window
from deleted_repo.serialization import make_converter

__all__ = ["SqlCatalog", "SqlDeletedStore", "SqlJobLog", "SqlStore", "metadata"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_PREFIX = "deleted_repo_"
_SQLITE_BUSY_TIMEOUT_MS = 30_000
_IMMEDIATE = "deleted_repo.begin_immediate"
_PREPARED = "deleted_repo.sqlite_prepared"
_LOCKED = "deleted_repo.locked_transaction"
_LONGEST_KEY = 200

metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    }
)
"""The tables of `SqlStore`, schema-less: add them to the host's migrations (Alembic)."""

# On PostgreSQL, ids compare by code point ("C"), as Python compares strings, so that the
# database's order is the search order whatever the database's default collation.
_Text = sa.String().with_variant(postgresql.VARCHAR(collation="C"), "postgresql")
_Micros = sa.BigInteger


def _field_table(name: str) -> sa.Table:
    table = sa.Table(
        _PREFIX + name,
        metadata,
        sa.Column("institution", _Text, primary_key=True),
        sa.Column("record_id", _Text, primary_key=True),
        sa.Column("field", _Text, primary_key=True),
        sa.Column("kind", _Text, nullable=False),
        sa.Column("value", _Text, nullable=False),
        sqlite_with_rowid=False,
    )
    sa.Index(
        f"ix_{_PREFIX}{name}_value",
        table.c.institution,
        table.c.kind,
        table.c.field,
        table.c.value,
        table.c.record_id,
    )
    return table


_catalog = sa.Table(
    _PREFIX + "catalog",
    metadata,
    sa.Column("institution", _Text, primary_key=True),
    sa.Column("id", _Text, primary_key=True),
    sa.Column("kind", _Text, nullable=False),
    sa.Column("parent_id", _Text, nullable=True),
    sa.Column("data", sa.JSON, nullable=False),
)
sa.Index(f"ix_{_PREFIX}catalog_parent", _catalog.c.institution, _catalog.c.parent_id)
_catalog_field = _field_table("catalog_field")

_event = sa.Table(
    _PREFIX + "event",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("institution", _Text, nullable=False),
    sa.Column("id", _Text, nullable=False),
    sa.Column("actor_kind", _Text, nullable=False),
    sa.Column("actor_id", _Text, nullable=False),
    sa.Column("at", _Micros, nullable=False),
    sa.Column("origins", sa.JSON, nullable=False),
    sa.UniqueConstraint("institution", "id", name=f"uq_{_PREFIX}event_id"),
)
sa.Index(
    f"ix_{_PREFIX}event_actor",
    _event.c.institution,
    _event.c.actor_kind,
    _event.c.actor_id,
    _event.c.at,
    _event.c.seq,
)
sa.Index(f"ix_{_PREFIX}event_actor_kind", _event.c.institution, _event.c.actor_kind, _event.c.at)

_deleted = sa.Table(
    _PREFIX + "deleted",
    metadata,
    sa.Column("institution", _Text, primary_key=True),
    sa.Column("id", _Text, primary_key=True),
    sa.Column("kind", _Text, nullable=False),
    sa.Column("parent_id", _Text, nullable=True),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("role", _Text, nullable=False),
    sa.Column("origin_id", _Text, nullable=False),
    sa.Column("lineage", sa.JSON, nullable=False),
    sa.Column("event_id", _Text, nullable=False),
    sa.Column("actor_kind", _Text, nullable=False),
    sa.Column("actor_id", _Text, nullable=False),
    sa.Column("deleted_at", _Micros, nullable=False),
)
sa.Index(
    f"ix_{_PREFIX}deleted_kind_time",
    _deleted.c.institution,
    _deleted.c.kind,
    _deleted.c.deleted_at,
    _deleted.c.id.desc(),
)
sa.Index(f"ix_{_PREFIX}deleted_event", _deleted.c.institution, _deleted.c.event_id)
sa.Index(f"ix_{_PREFIX}deleted_parent", _deleted.c.institution, _deleted.c.parent_id)
_deleted_field = _field_table("deleted_field")

_job = sa.Table(
    _PREFIX + "restore_job",
    metadata,
    sa.Column("institution", _Text, primary_key=True),
    sa.Column("id", _Text, primary_key=True),
    sa.Column("at", _Micros, nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
)
sa.Index(f"ix_{_PREFIX}restore_job_time", _job.c.institution, _job.c.at, _job.c.id.desc())


def _raw(column: sa.Column[Any]) -> sa.ColumnElement[Any]:
    """A JSON column read as the driver gives it: `_loads` decodes it, faster than SQLAlchemy."""
    return sa.type_coerce(column, sa.String).label(column.name)


_DELETED_COLUMNS = (
    _deleted.c.id,
    _deleted.c.kind,
    _deleted.c.parent_id,
    _raw(_deleted.c.data),
    _deleted.c.role,
    _deleted.c.origin_id,
    _raw(_deleted.c.lineage),
    _deleted.c.event_id,
    _deleted.c.institution,
    _deleted.c.actor_kind,
    _deleted.c.actor_id,
    _deleted.c.deleted_at,
)
_CATALOG_COLUMNS = (_catalog.c.kind, _catalog.c.id, _catalog.c.parent_id, _raw(_catalog.c.data))
_ROLES = {role.value: role for role in MemberRole}

_converter = make_converter()
_S = TypeVar("_S", bound=sa.Executable)
_INSTITUTION: sa.BindParameter[str] = sa.bindparam("institution")


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // _MICROSECOND


def _instant(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


# The decoder's C scanner, without json.loads' whitespace handling: typeshed does not list it.
_scan_json: Any = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _loads(value: Any) -> Any:
    """Decode a JSON column as `json.loads` does; psycopg gives it decoded already."""
    if not isinstance(value, str):
        return value
    try:
        decoded, end = _scan_json(value, 0)
    except StopIteration:
        end = -1
    # What we wrote starts with the value itself; anything else takes json.loads' path.
    return decoded if end == len(value) else json.loads(value)


def _field_key(value: object) -> str | None:
    """The text a data value is indexed under: equal values (1, 1.0, True) share one key.

    None for values no index holds (lists, mappings, NaN), as the in-memory store skips
    unhashable values.
    """
    if isinstance(value, str):
        key = "s" + value
    elif isinstance(value, bool | int):
        key = f"n{int(value)}"
    elif isinstance(value, float):
        if math.isnan(value):
            return None
        key = f"n{int(value)}" if value.is_integer() else f"n{value!r}"
    elif value is None:
        key = "z"
    else:
        return None
    if len(key) > _LONGEST_KEY:
        key = "h" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return key


def _not_json(value: object) -> object:
    raise TypeError(f"{type(value).__name__} is not JSON")


# The C encoder made once: json.dumps builds one per call, which costs more than encoding
# a small record.
_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_c_encoder: Any = (
    None
    if _make_encoder is None
    else _make_encoder(
        None, _not_json, json.encoder.encode_basestring, None, ": ", ", ", False, False, True
    )
)


def _json(value: object, ident: str) -> str:
    try:
        if _c_encoder is None:
            return json.dumps(value, default=_not_json, ensure_ascii=False)
        return "".join(_c_encoder(value, 0))
    except (TypeError, ValueError, RecursionError) as e:
        raise StorageError(f"the data of {ident!r} cannot be stored as JSON: {e}") from e


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


def _install_sqlite_begin(engine: Engine) -> None:
    if not sa_event.contains(engine, "begin", _sqlite_begin):
        sa_event.listen(engine, "begin", _sqlite_begin)


class _Local(threading.local):
    conn: Connection | None = None


def _rollback_quietly(transaction: sa.engine.Transaction) -> None:
    """Roll back; if that fails too, the connection is gone and so is its transaction."""
    try:
        if transaction.is_active:
            transaction.rollback()
    except Exception:  # the original error is the one to report
        pass


class SqlStore:
    """A catalog, a deleted repository and a restore-job log in SQL, under one transaction.

    With an `Engine`, each port call outside a transaction runs in a short transaction of its
    own, and `transaction` holds one connection and transaction for the three parts until the
    block ends; the connection belongs to the thread that opened it, so threads sharing a
    store never share a connection. With a `Connection`, the store works on it: port calls and
    `transaction` join the transaction open on it (through a savepoint), or open and commit one.

    Write transactions are serialized, so that a restore's freshness check and its writes see
    no concurrent writer in between (R-E1, R-E2): on SQLite they start with ``BEGIN
    IMMEDIATE`` (the store installs SQLAlchemy's documented pysqlite recipe on the engine: it
    turns off pysqlite's own BEGIN and emits ours, and sets a busy timeout of 30 s); on
    PostgreSQL they take a transaction-level advisory lock for the schema. A write inside a
    transaction runs under a savepoint, so one that fails changes nothing and the transaction
    can go on, as in the in-memory store.

    Args:
        bind: the engine or connection to work through; nothing connects until a call needs it.
        schema: the schema of the tables (PostgreSQL), applied with ``schema_translate_map``;
            None for the connection's default.

    The data fields kept in an index, so that searches and unique checks by them use it
    (R-S10, R-P7), are the default `Policy`'s searchable and unique fields until a repository
    names its own through `index_fields`; other fields are searched by reading every record of
    the kind. After the indexed fields of an existing database change, call `reindex`.

    Attributes:
        catalog: the active records (`deleted_repo.ports.Catalog`).
        deleted: the deleted repository (`deleted_repo.ports.DeletedStore`).
        jobs: the restore-job log (`deleted_repo.ports.RestoreJobLog`).
        schema: the schema given.
        dialect: the database's dialect name ("sqlite", "postgresql").
        indexed_fields: per kind, the data fields in the field index.

    Raises:
        InvalidInputError: `bind` is neither an engine nor a connection.
    """

    def __init__(
        self,
        bind: Engine | Connection,
        *,
        schema: str | None = None,
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
        self.dialect: str = bind.dialect.name
        self.indexed_fields: dict[str, tuple[str, ...]] = Policy().indexed_fields()
        self._options: dict[str, Any] = (
            {} if schema is None else {"schema_translate_map": {None: schema}}
        )
        self._lock_key = zlib.crc32(f"deleted_repo:{schema or ''}".encode())
        self._local = _Local()
        self._sql_dialect = bind.dialect
        self._inserts: dict[str, str] = {}
        self._statements: dict[Hashable, Any] = {}
        self._dbapi_errors: tuple[type[BaseException], ...] = tuple(
            error
            for error in (getattr(bind.dialect.loaded_dbapi, "Error", None),)
            if isinstance(error, type) and issubclass(error, BaseException)
        )
        if self.dialect == "sqlite":
            _install_sqlite_begin(bind.engine)
        self.catalog = SqlCatalog(self)
        self.deleted = SqlDeletedStore(self)
        self.jobs = SqlJobLog(self)

    def index_fields(self, fields: Mapping[str, Sequence[str]]) -> None:
        """See `deleted_repo.ports.Store.index_fields`.

        Records written before a field was indexed are not in its index: call `reindex` after
        the indexed fields of an existing database change.
        """
        self.indexed_fields = {kind: tuple(dict.fromkeys(names)) for kind, names in fields.items()}

    # Schema

    def create_schema(self) -> None:
        """Create the tables and indexes that do not exist yet (and, on PostgreSQL, the schema).

        Raises:
            StorageError: the database refused.
        """
        with self._session(write=True) as conn:
            if self.schema is not None and self.dialect == "postgresql":
                conn.execute(sa.schema.CreateSchema(self.schema, if_not_exists=True))
            self._located_metadata().create_all(conn)

    def drop_schema(self) -> None:
        """Drop the tables and all they hold (and, on PostgreSQL, the schema once it is empty).

        Raises:
            StorageError: the database refused.
        """
        with self._session(write=True) as conn:
            self._located_metadata().drop_all(conn)
            if self.schema is not None and self.dialect == "postgresql":
                left = conn.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                        "ON n.oid = c.relnamespace WHERE n.nspname = :schema"
                    ),
                    {"schema": self.schema},
                )
                if not left:
                    conn.execute(sa.schema.DropSchema(self.schema, if_exists=True))

    def reindex(self) -> None:
        """Rebuild the field indexes from the records, after `indexed_fields` changed.

        Raises:
            StorageError: the database refused.
        """
        with self._session(write=True) as conn:
            for table, fields in ((_catalog, _catalog_field), (_deleted, _deleted_field)):
                self._execute(conn, sa.delete(fields))
                rows = self._execute(
                    conn, sa.select(table.c.institution, table.c.id, table.c.kind, table.c.data)
                )
                values = [
                    value
                    for institution, ident, kind, data in rows
                    for value in self._field_rows(institution, Record(kind, ident, None, data))
                ]
                self._insert_many(conn, fields, values)

    def _located_metadata(self) -> sa.MetaData:
        if self.schema is None:
            return metadata
        located = sa.MetaData(naming_convention=metadata.naming_convention)
        for table in metadata.sorted_tables:
            table.to_metadata(located, schema=self.schema)
        return located

    # Transactions

    def transaction(self) -> AbstractContextManager[None]:
        """See `deleted_repo.ports.Store.transaction`.

        A transaction opened inside another (of the same store, in the same thread, or the
        host's on the connection given) joins it through a savepoint: if the inner block
        raises, only its writes are undone.

        Raises:
            StorageError: the database failed to begin or commit; nothing was kept.
        """
        return self._transaction()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        joined = self._joined()
        if joined is not None:
            with self._guard():
                self._lock(joined)
                savepoint = joined.begin_nested()
            try:
                yield
            except BaseException:
                _rollback_quietly(savepoint)
                raise
            with self._guard():
                savepoint.commit()
            return
        with self._guard():
            conn = self._connect()
        try:
            with self._guard():
                transaction = self._begin(conn, write=True)
            if self._engine is not None:
                self._local.conn = conn
            try:
                yield
            except BaseException:
                _rollback_quietly(transaction)
                raise
            with self._guard():
                transaction.commit()
        finally:
            if self._engine is not None:
                self._local.conn = None
                conn.close()

    def _connect(self) -> Connection:
        """A connection for a transaction of our own: the one given, or one from the engine."""
        if self._engine is not None:
            return self._engine.connect()
        assert self._connection is not None
        return self._connection

    def _joined(self) -> Connection | None:
        """The connection of the transaction open around this call, if there is one."""
        if self._engine is not None:
            return self._local.conn
        assert self._connection is not None
        return self._connection if self._connection.in_transaction() else None

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

    @contextmanager
    def _session(self, *, write: bool) -> Iterator[Connection]:
        """The connection one port call runs on, inside a transaction, errors translated."""
        with self._guard():
            joined = self._joined()
            if joined is not None:
                if not write:
                    yield joined
                    return
                self._lock(joined)
                savepoint = joined.begin_nested()
                try:
                    yield joined
                except BaseException:
                    _rollback_quietly(savepoint)
                    raise
                savepoint.commit()
                return
            conn = self._connect()
            try:
                transaction = self._begin(conn, write=write)
                try:
                    yield conn
                except BaseException:
                    _rollback_quietly(transaction)
                    raise
                transaction.commit()
            finally:
                if self._engine is not None:
                    conn.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Translate driver and SQLAlchemy errors into ours, chaining the original."""
        try:
            yield
        except sa_exc.IntegrityError as e:
            raise IntegrityError(f"the database refused the write: {e.orig}") from e
        except sa_exc.DBAPIError as e:
            raise StorageError(f"the database failed: {type(e.orig).__name__}: {e.orig}") from e
        except sa_exc.SQLAlchemyError as e:
            raise StorageError(f"the database failed: {e}") from e
        except Exception as e:
            if isinstance(e, self._dbapi_errors):
                raise StorageError(f"the database failed: {e}") from e
            raise

    # Helpers for the parts

    def _execute(
        self,
        conn: Connection,
        statement: sa.Executable,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> sa.CursorResult[*tuple[Any, ...]]:
        """Run `statement` in this store's schema (for the store's parts)."""
        return conn.execute(statement, parameters, execution_options=self._options)

    def _cached(self, shape: Hashable, build: Callable[[], _S]) -> _S:
        """The statement of `shape`, built by `build` the first time, then kept.

        Building a statement and its cache key costs more than running a small query, so each
        shape of statement is built once, its values left as parameters.
        """
        statement: _S | None = self._statements.get(shape)
        if statement is None:
            statement = self._statements[shape] = build()
        return statement

    def _member(self, column: sa.ColumnElement[str], name: str) -> sa.ColumnElement[bool]:
        """`column` is one of the ids bound as `name` (see `ids`): one parameter, any count."""
        if self.dialect == "postgresql":
            return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(sa.String)))
        if self.dialect == "sqlite":
            values = sa.func.json_each(sa.bindparam(name, type_=sa.String)).table_valued("value")
            return column.in_(sa.select(values.c.value))
        return column.in_(sa.bindparam(name, expanding=True))

    def _ids(self, values: Iterable[str]) -> object:
        """The value to bind for a `member` parameter."""
        listed = list(values)
        return json.dumps(listed) if self.dialect == "sqlite" else listed

    def _field_rows(self, institution: str, record: Record) -> list[tuple[str, str, str, str, str]]:
        """The field-index rows of `record`, in the column order of the field tables."""
        rows = []
        for name in self.indexed_fields.get(record.kind, ()):
            if name in record.data:
                key = _field_key(record.data[name])
                if key is not None:
                    rows.append((institution, record.id, name, record.kind, key))
        return rows

    def _insert_many(
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

    def _is_indexed(self, kind: str, field: str) -> bool:
        """Whether `field` of `kind` records is in the field index."""
        return field in self.indexed_fields.get(kind, ())


def _distinct(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _twice(ids: Sequence[str]) -> list[str]:
    return sorted(i for i, n in Counter(ids).items() if n > 1)


class SqlCatalog:
    """The catalog of a `SqlStore` (`deleted_repo.ports.Catalog`), for hosts with none."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    def get(self, institution: str, ids: Collection[str]) -> dict[str, Record]:
        """See `deleted_repo.ports.Catalog.get`."""
        wanted = _distinct(ids)
        if not wanted:
            return {}
        s = self._store
        statement = s._cached(
            "catalog.get",
            lambda: sa.select(*_CATALOG_COLUMNS).where(
                _catalog.c.institution == _INSTITUTION, s._member(_catalog.c.id, "ids")
            ),
        )
        with s._session(write=False) as conn:
            rows = s._execute(
                conn, statement, {"institution": institution, "ids": s._ids(wanted)}
            ).all()
        found = {row[1]: Record(row[0], row[1], row[2], _loads(row[3])) for row in rows}
        return {i: found[i] for i in wanted if i in found}

    def children(self, institution: str, parent_ids: Collection[str]) -> list[Record]:
        """See `deleted_repo.ports.Catalog.children`."""
        parents = _distinct(parent_ids)
        if not parents:
            return []
        s = self._store
        statement = s._cached(
            "catalog.children",
            lambda: sa.select(*_CATALOG_COLUMNS).where(
                _catalog.c.institution == _INSTITUTION, s._member(_catalog.c.parent_id, "ids")
            ),
        )
        with s._session(write=False) as conn:
            rows = s._execute(
                conn, statement, {"institution": institution, "ids": s._ids(parents)}
            ).all()
        return [Record(kind, ident, parent, _loads(data)) for kind, ident, parent, data in rows]

    def find_by_field(
        self, institution: str, kind: str, field: str, values: Collection[Any]
    ) -> dict[Any, str]:
        """See `deleted_repo.ports.Catalog.find_by_field`.

        The lowest id is returned when several records hold a value.
        """
        keys: dict[Any, str] = {}
        for value in values:
            key = _field_key(value)
            if key is not None:
                keys[value] = key
        if not keys:
            return {}
        s = self._store
        if not s._is_indexed(kind, field):
            return self._scan(institution, kind, field, keys)
        f = _catalog_field
        statement = s._cached(
            "catalog.find_by_field",
            lambda: (
                sa.select(f.c.value, sa.func.min(f.c.record_id))
                .where(
                    f.c.institution == _INSTITUTION,
                    f.c.kind == sa.bindparam("kind"),
                    f.c.field == sa.bindparam("field"),
                    s._member(f.c.value, "ids"),
                )
                .group_by(f.c.value)
            ),
        )
        params = {
            "institution": institution,
            "kind": kind,
            "field": field,
            "ids": s._ids(set(keys.values())),
        }
        with s._session(write=False) as conn:
            rows = s._execute(conn, statement, params).all()
        owners = dict(rows)
        return {value: owners[key] for value, key in keys.items() if key in owners}

    def _scan(
        self, institution: str, kind: str, field: str, keys: Mapping[Any, str]
    ) -> dict[Any, str]:
        """find_by_field for a field outside the index: read every record of the kind."""
        s = self._store
        owners: dict[str, str] = {}
        with s._session(write=False) as conn:
            rows = s._execute(
                conn,
                sa.select(_catalog.c.id, _catalog.c.data).where(
                    _catalog.c.institution == institution, _catalog.c.kind == kind
                ),
            )
            for ident, data in rows:
                if field in data:
                    key = _field_key(data[field])
                    if key is not None and (key not in owners or ident < owners[key]):
                        owners[key] = ident
        return {value: owners[key] for value, key in keys.items() if key in owners}

    def add(self, institution: str, records: Sequence[Record]) -> None:
        """See `deleted_repo.ports.Catalog.add`."""
        if not records:
            return
        ids = [r.id for r in records]
        twice = _twice(ids)
        if twice:
            raise IntegrityError(f"already active or given twice: {twice}")
        s = self._store
        rows = [(institution, r.id, r.kind, r.parent_id, _json(r.data, r.id)) for r in records]
        fields = [row for r in records for row in s._field_rows(institution, r)]
        try:
            with s._session(write=True) as conn:
                s._insert_many(conn, _catalog, rows)
                s._insert_many(conn, _catalog_field, fields)
        except IntegrityError as e:
            clashes = sorted(self.get(institution, ids))
            raise IntegrityError(f"already active or given twice: {clashes or ids}") from e

    def remove(self, institution: str, ids: Collection[str]) -> None:
        """See `deleted_repo.ports.Catalog.remove`."""
        _remove(self._store, _catalog, _catalog_field, institution, ids, state="active")


def _remove(
    s: SqlStore,
    table: sa.Table,
    fields: sa.Table,
    institution: str,
    ids: Collection[str],
    *,
    state: str,
) -> None:
    wanted = _distinct(ids)
    if not wanted:
        return
    records = s._cached(
        (table.name, "remove"),
        lambda: (
            sa.delete(table)
            .where(table.c.institution == _INSTITUTION, s._member(table.c.id, "ids"))
            .returning(table.c.id)
        ),
    )
    values = s._cached(
        (fields.name, "remove"),
        lambda: sa.delete(fields).where(
            fields.c.institution == _INSTITUTION, s._member(fields.c.record_id, "ids")
        ),
    )
    params = {"institution": institution, "ids": s._ids(wanted)}
    with s._session(write=True) as conn:
        gone = set(s._execute(conn, records, params).scalars())
        if len(gone) != len(wanted):
            raise RecordNotFoundError([i for i in wanted if i not in gone], state=state)
        s._execute(conn, values, params)


class _Rows:
    """Builds `DeletedRecord` values from rows, sharing equal actors, times and lineages."""

    def __init__(self) -> None:
        self.actors: dict[tuple[str, str], Actor] = {}
        self.instants: dict[int, datetime] = {}
        self.lineages: dict[Any, tuple[str, ...]] = {}

    def __call__(self, row: Sequence[Any]) -> DeletedRecord:
        (ident, kind, parent, data, role, origin, lineage, event, inst, a_kind, a_id, at) = row
        actor = self.actors.get((a_kind, a_id))
        if actor is None:
            actor = self.actors[(a_kind, a_id)] = Actor(ActorKind(a_kind), a_id)
        instant = self.instants.get(at)
        if instant is None:
            instant = self.instants[at] = _instant(at)
        key = lineage if isinstance(lineage, str) else tuple(lineage)
        chain = self.lineages.get(key)
        if chain is None:
            chain = self.lineages[key] = tuple(_loads(lineage))
        return DeletedRecord(
            record=Record(kind, ident, parent, _loads(data)),
            role=_ROLES[role],
            origin_id=origin,
            lineage=chain,
            event_id=event,
            institution=inst,
            actor=actor,
            deleted_at=instant,
        )


def _bounds(window: Window) -> tuple[int | None, int | None]:
    lo = None if window.start is None else _micros(window.start)
    hi = None if window.end is None else _micros(window.end)
    return lo, hi


_ABSENT = object()


class SqlDeletedStore:
    """The deleted repository of a `SqlStore` (`deleted_repo.ports.DeletedStore`).

    Every search reads through an index: by id, by event, by parent, by kind and deletion time,
    by actor (through the events), and by indexed data field.
    """

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    def add_events(self, events: Sequence[DeletionEvent]) -> None:
        """See `deleted_repo.ports.DeletedStore.add_events`.

        One multi-row insert per table, whatever the number of events and records.
        """
        if not events:
            return
        s = self._store
        indexed = s.indexed_fields
        seen_events: set[tuple[str, str]] = set()
        seen_ids: dict[str, set[str]] = {}
        event_rows = []
        member_rows: list[tuple[Any, ...]] = []
        field_rows: list[tuple[str, str, str, str, str]] = []
        add_member, add_field = member_rows.append, field_rows.append
        # Siblings share their lineage tuple (see `DeletedRepository`): encode each once.
        lineages: dict[tuple[str, ...], str] = {(): "[]"}
        for e in events:
            institution, event_id = e.institution, e.id
            if (institution, event_id) in seen_events:
                raise IntegrityError(f"deletion event {event_id!r} is already recorded")
            seen_events.add((institution, event_id))
            seen = seen_ids.setdefault(institution, set())
            at = _micros(e.at)
            kind, actor_id = e.actor.kind._value_, e.actor.id
            event_rows.append(
                (institution, event_id, kind, actor_id, at, _json(e.origins, event_id))
            )
            for m in e.members:
                r = m.record
                ident = r.id
                if ident in seen:
                    raise IntegrityError(f"record {ident!r} is already deleted")
                seen.add(ident)
                lineage = m.lineage
                encoded = lineages.get(lineage)
                if encoded is None:
                    encoded = lineages[lineage] = _json(list(lineage), ident)
                add_member(
                    (
                        institution,
                        ident,
                        r.kind,
                        r.parent_id,
                        _json(r.data, ident),
                        m.role._value_,
                        m.origin_id,
                        encoded,
                        event_id,
                        kind,
                        actor_id,
                        at,
                    )
                )
                names = indexed.get(r.kind)
                if names:
                    data = r.data
                    for name in names:
                        if name in data and (key := _field_key(data[name])) is not None:
                            add_field((institution, ident, name, r.kind, key))
        try:
            with s._session(write=True) as conn:
                s._insert_many(conn, _event, event_rows)
                s._insert_many(conn, _deleted, member_rows)
                s._insert_many(conn, _deleted_field, field_rows)
        except IntegrityError as e:
            raise self._clash(events) from e

    def _clash(self, events: Sequence[DeletionEvent]) -> IntegrityError:
        """Say which event or record made `add_events` fail."""
        s = self._store
        by_institution: dict[str, list[DeletionEvent]] = {}
        for e in events:
            by_institution.setdefault(e.institution, []).append(e)
        for institution, group in by_institution.items():
            with s._session(write=False) as conn:
                known = set(
                    s._execute(
                        conn,
                        sa.select(_event.c.id).where(
                            _event.c.institution == institution, s._member(_event.c.id, "ids")
                        ),
                        {"ids": s._ids(e.id for e in group)},
                    ).scalars()
                )
            for e in group:
                if e.id in known:
                    return IntegrityError(f"deletion event {e.id!r} is already recorded")
            deleted = self.get(institution, [m.id for e in group for m in e.members])
            if deleted:
                return IntegrityError(f"record {next(iter(deleted))!r} is already deleted")
        return IntegrityError("a deletion event or record is already recorded")

    def get(self, institution: str, ids: Collection[str]) -> dict[str, DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.get`."""
        wanted = _distinct(ids)
        if not wanted:
            return {}
        s = self._store
        statement = s._cached(
            "deleted.get",
            lambda: sa.select(*_DELETED_COLUMNS).where(
                _deleted.c.institution == _INSTITUTION, s._member(_deleted.c.id, "ids")
            ),
        )
        with s._session(write=False) as conn:
            rows = s._execute(
                conn, statement, {"institution": institution, "ids": s._ids(wanted)}
            ).all()
        build = _Rows()
        found = {row[0]: build(row) for row in rows}
        return {i: found[i] for i in wanted if i in found}

    def children(self, institution: str, parent_ids: Collection[str]) -> list[DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.children`."""
        parents = _distinct(parent_ids)
        if not parents:
            return []
        s = self._store
        statement = s._cached(
            "deleted.children",
            lambda: sa.select(*_DELETED_COLUMNS).where(
                _deleted.c.institution == _INSTITUTION, s._member(_deleted.c.parent_id, "ids")
            ),
        )
        with s._session(write=False) as conn:
            rows = s._execute(
                conn, statement, {"institution": institution, "ids": s._ids(parents)}
            ).all()
        return list(map(_Rows(), rows))

    def find(
        self, query: Query, *, after: Cursor | None = None, limit: int | None = None
    ) -> list[DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.find`.

        A search by a data field outside the store's `indexed_fields` reads every record of
        the kind; every other search reads only through indexes.
        """
        s = self._store
        search = self._search(query, after, limit)
        if search is None:
            return []
        statement, params, unindexed = search
        build = _Rows()
        with s._session(write=False) as conn:
            if unindexed is None:
                return list(map(build, s._execute(conn, statement, params).all()))
            name, value = unindexed
            found: list[DeletedRecord] = []
            for row in s._execute(conn, statement, params):
                if limit is not None and len(found) >= limit:
                    break
                if _loads(row.data).get(name, _ABSENT) == value:
                    found.append(build(row))
            return found

    def _search(
        self, query: Query, after: Cursor | None, limit: int | None
    ) -> tuple[sa.Select[*tuple[Any, ...]], dict[str, Any], tuple[str, object] | None] | None:
        """The statement and parameters of `query`, and a field left to filter; None: no hit.

        The statement depends only on which criteria are given (its shape), and is built once
        per shape; the criteria's values are its parameters.
        """
        s = self._store
        lo, hi = _bounds(query.window)
        actor_kind = query.actor.kind if query.actor is not None else query.actor_kind
        params: dict[str, Any] = {
            "institution": query.institution,
            "kind": query.kind,
            "lo": lo,
            "hi": hi,
            "actor_kind": None if actor_kind is None else actor_kind.value,
            "actor_id": None if query.actor is None else query.actor.id,
        }
        for name, wanted in (("ids", query.ids), ("event_ids", query.event_ids)):
            if wanted is not None:
                if not wanted:
                    return None
                params[name] = s._ids(sorted(wanted))
        unindexed: tuple[str, object] | None = None
        indexed = False
        if query.field is not None:
            name, value = query.field
            key = _field_key(value)
            if key is None:
                return None
            if s._is_indexed(query.kind, name):
                indexed = True
                params["field"], params["value"] = name, key
            else:
                unindexed = (name, value)
        if after is not None:
            params["after_at"], params["after_id"] = _micros(after[0]), after[1]
        if limit is not None and unindexed is None:
            params["limit"] = limit
        shape = (
            "deleted.find",
            *(name in params for name in ("ids", "event_ids", "after_at", "limit")),
            actor_kind is not None,
            query.actor is not None,
            indexed,
            lo is not None,
            hi is not None,
        )
        statement = s._cached(shape, lambda: self._statement(shape))
        return statement, {k: v for k, v in params.items() if v is not None}, unindexed

    def _statement(self, shape: tuple[Any, ...]) -> sa.Select[*tuple[Any, ...]]:
        """The search statement of `shape` (see `_search`), with its values as parameters."""
        _, ids, event_ids, after, limit, by_kind, by_actor, field, lo, hi = shape
        s = self._store
        d = _deleted
        narrow: list[sa.ColumnElement[bool]] = [d.c.institution == _INSTITUTION]
        if ids:
            narrow.append(s._member(d.c.id, "ids"))
        if event_ids:
            narrow.append(s._member(d.c.event_id, "event_ids"))
        if by_kind:
            narrow.append(d.c.actor_kind == sa.bindparam("actor_kind"))
            if by_actor:
                narrow.append(d.c.actor_id == sa.bindparam("actor_id"))
            if not ids and not event_ids:
                # Through the events' actor index: the records of those events are few.
                narrow.append(d.c.event_id.in_(self._events_of(by_actor=by_actor, lo=lo, hi=hi)))
        if field:
            f = _deleted_field
            holders = sa.select(f.c.record_id).where(
                f.c.institution == _INSTITUTION,
                f.c.kind == sa.bindparam("kind"),
                f.c.field == sa.bindparam("field"),
                f.c.value == sa.bindparam("value"),
            )
            narrow.append(d.c.id.in_(holders))
        kind: sa.ColumnElement[str] = d.c.kind
        at: sa.ColumnElement[int] = d.c.deleted_at
        if len(narrow) > 1:
            # The conditions above find few rows through their own index: keep SQLite's planner
            # from walking the kind's timeline instead, with its documented no-op expressions.
            kind = kind.concat(sa.literal_column("''"))
            at = at + sa.literal_column("0")
        conditions = [*narrow, kind == sa.bindparam("kind")]
        if lo:
            conditions.append(at >= sa.bindparam("lo", type_=_Micros))
        if hi:
            conditions.append(at <= sa.bindparam("hi", type_=_Micros))
        if after:
            last = sa.bindparam("after_at", type_=_Micros)
            conditions.append(at <= last)
            conditions.append(sa.or_(at < last, d.c.id > sa.bindparam("after_id")))
        statement = sa.select(*_DELETED_COLUMNS).where(*conditions).order_by(at.desc(), d.c.id)
        if limit:
            statement = statement.limit(sa.bindparam("limit", type_=sa.Integer))
        return statement

    @staticmethod
    def _events_of(*, by_actor: bool, lo: bool, hi: bool) -> sa.Select[tuple[str]]:
        """The ids of the events of the query's actor (or actor kind) inside its window."""
        e = _event
        conditions = [
            e.c.institution == _INSTITUTION,
            e.c.actor_kind == sa.bindparam("actor_kind"),
        ]
        if by_actor:
            conditions.append(e.c.actor_id == sa.bindparam("actor_id"))
        if lo:
            conditions.append(e.c.at >= sa.bindparam("lo", type_=_Micros))
        if hi:
            conditions.append(e.c.at <= sa.bindparam("hi", type_=_Micros))
        return sa.select(e.c.id).where(*conditions)

    def latest_event(self, institution: str, actor: Actor, window: Window) -> str | None:
        """See `deleted_repo.ports.DeletedStore.latest_event`."""
        s = self._store
        lo, hi = _bounds(window)

        def build() -> sa.Select[tuple[str]]:
            e, d = _event, _deleted
            conditions = [
                e.c.institution == _INSTITUTION,
                e.c.actor_kind == sa.bindparam("actor_kind"),
                e.c.actor_id == sa.bindparam("actor_id"),
                sa.exists().where(d.c.institution == e.c.institution, d.c.event_id == e.c.id),
            ]
            if lo is not None:
                conditions.append(e.c.at >= sa.bindparam("lo", type_=_Micros))
            if hi is not None:
                conditions.append(e.c.at <= sa.bindparam("hi", type_=_Micros))
            return (
                sa.select(e.c.id)
                .where(*conditions)
                .order_by(e.c.at.desc(), e.c.seq.desc())
                .limit(1)
            )

        statement = s._cached(("latest_event", lo is not None, hi is not None), build)
        params: dict[str, Any] = {
            "institution": institution,
            "actor_kind": actor.kind.value,
            "actor_id": actor.id,
        }
        params.update({k: v for k, v in (("lo", lo), ("hi", hi)) if v is not None})
        with s._session(write=False) as conn:
            found: str | None = s._execute(conn, statement, params).scalar()
        return found

    def has_actor(self, institution: str, actor: Actor) -> bool:
        """See `deleted_repo.ports.DeletedStore.has_actor`."""
        s = self._store
        e = _event
        statement = s._cached(
            "has_actor",
            lambda: (
                sa.select(sa.literal(1))
                .where(
                    e.c.institution == _INSTITUTION,
                    e.c.actor_kind == sa.bindparam("actor_kind"),
                    e.c.actor_id == sa.bindparam("actor_id"),
                )
                .limit(1)
            ),
        )
        params = {"institution": institution, "actor_kind": actor.kind.value, "actor_id": actor.id}
        with s._session(write=False) as conn:
            return s._execute(conn, statement, params).first() is not None

    def remove(self, institution: str, ids: Collection[str]) -> None:
        """See `deleted_repo.ports.DeletedStore.remove`."""
        _remove(self._store, _deleted, _deleted_field, institution, ids, state="deleted")


class SqlJobLog:
    """The restore-job log of a `SqlStore` (`deleted_repo.ports.RestoreJobLog`)."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    def add(self, job: RestoreJob) -> None:
        """See `deleted_repo.ports.RestoreJobLog.add`."""
        s = self._store
        row = {
            "institution": job.institution,
            "id": job.id,
            "at": _micros(job.at),
            "body": _converter.unstructure(job),
        }
        try:
            with s._session(write=True) as conn:
                s._execute(conn, sa.insert(_job), row)
        except IntegrityError as e:
            raise IntegrityError(f"restore job {job.id!r} is already recorded") from e

    def get(self, institution: str, job_id: str) -> RestoreJob | None:
        """See `deleted_repo.ports.RestoreJobLog.get`."""
        s = self._store
        with s._session(write=False) as conn:
            body = s._execute(
                conn,
                sa.select(_job.c.body).where(
                    _job.c.institution == institution, _job.c.id == job_id
                ),
            ).scalar()
        return None if body is None else _converter.structure(body, RestoreJob)

    def list(
        self, institution: str, *, after: str | None = None, limit: int | None = None
    ) -> list[RestoreJob]:
        """See `deleted_repo.ports.RestoreJobLog.list`.

        An `after` that names no recorded job is ignored: the list starts from the newest.
        """
        s = self._store
        j = _job
        conditions: list[sa.ColumnElement[bool]] = [j.c.institution == institution]
        with s._session(write=False) as conn:
            if after is not None:
                at = s._execute(
                    conn,
                    sa.select(j.c.at).where(j.c.institution == institution, j.c.id == after),
                ).scalar()
                if at is not None:
                    conditions.append(j.c.at <= at)
                    conditions.append(sa.or_(j.c.at < at, j.c.id > after))
            statement = sa.select(j.c.body).where(*conditions).order_by(j.c.at.desc(), j.c.id)
            if limit is not None:
                statement = statement.limit(limit)
            bodies = s._execute(conn, statement).scalars().all()
        return [_converter.structure(body, RestoreJob) for body in bodies]
