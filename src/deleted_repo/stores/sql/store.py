"""`SqlStore`: the three parts of the SQL store over one database, under one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from deleted_repo.model import Record
from deleted_repo.policy import Policy
from deleted_repo.stores.sql import migrations
from deleted_repo.stores.sql.catalog import SqlCatalog
from deleted_repo.stores.sql.codec import FieldIndex
from deleted_repo.stores.sql.database import Database
from deleted_repo.stores.sql.deleted import SqlDeletedStore
from deleted_repo.stores.sql.jobs import SqlJobLog
from deleted_repo.stores.sql.restores import SqlRestores
from deleted_repo.stores.sql.schema import (
    catalog,
    catalog_field,
    deleted,
    deleted_field,
    metadata_for,
)

__all__ = ["SqlStore"]


class SqlStore:
    """A catalog, a deleted repository and a restore-job log in SQL, under one transaction.

    With an `Engine`, each port call outside a transaction runs in a short transaction of its
    own, and `transaction` holds one connection and transaction for the three parts until the
    block ends; the connection belongs to the thread that opened it, so threads sharing a
    store never share a connection. With a `Connection`, the store works on it: port calls and
    `transaction` join the transaction open on it (through a savepoint), or open and commit one.

    Write transactions are serialized, so that a restore's freshness check and its writes see
    no concurrent writer in between (R-E1, R-E2): on PostgreSQL they take a transaction-level
    advisory lock for the schema; on SQLite they start with ``BEGIN IMMEDIATE``. A write inside
    a transaction runs under a savepoint, so one that fails changes nothing and the transaction
    can go on, as in the in-memory store.

    What the store changes on a SQLite engine, and only there: unless the engine already has a
    ``begin`` listener of the host's (SQLAlchemy's documented pysqlite recipe), the store adds
    its own (`host_begins` is then False). That listener turns off pysqlite's own BEGIN on each
    connection it begins on, emits ours (``BEGIN IMMEDIATE`` for writes), and raises the
    connection's busy timeout to 30 s if it is lower. With the host's own listener in place,
    the store adds nothing: the host's BEGIN opens the transactions, deferred ones by default,
    so two writers that meet make one of them fail with "database is locked" (`StorageError`)
    rather than wait. On PostgreSQL the store changes nothing on the engine.

    Args:
        bind: the engine or connection to work through; nothing connects until a call needs it.
        schema: the schema of the tables (PostgreSQL), applied with ``schema_translate_map``;
            None for the connection's default.

    The tables carry a schema version (`SCHEMA_VERSION`): the store's first call checks it,
    once, and refuses tables that are missing, older or newer with `SchemaVersionError` (D-49);
    `upgrade` brings older tables up to date.

    The data fields kept in an index, so that searches and unique checks by them use it
    (R-S10, R-P7), are the default `Policy`'s searchable and unique fields until a repository
    names its own through `index_fields`; other fields are searched by reading every record of
    the kind. After the indexed fields of an existing database change, call `reindex`.

    Attributes:
        catalog: the active records (`deleted_repo.ports.Catalog`).
        deleted: the deleted repository (`deleted_repo.ports.DeletedStore`).
        jobs: the restore-job log (`deleted_repo.ports.RestoreJobLog`).
        schema: the schema given.
        host_begins: whether the SQLite engine already had the host's own ``begin`` listener,
            so the store added none (always False on PostgreSQL).
        dialect: the database's dialect name ("sqlite", "postgresql").
        indexed_fields: per kind, the data fields in the field index.

    Raises:
        InvalidInputError: `bind` is neither an engine nor a connection.
    """

    def __init__(self, bind: Engine | Connection, *, schema: str | None = None) -> None:
        self._db = Database(bind, schema=schema, verify=self._check)
        self._fields = FieldIndex(Policy().indexed_fields())
        self.schema = schema
        self.dialect: str = self._db.dialect
        self.host_begins: bool = self._db.host_begins
        self.catalog = SqlCatalog(self._db, self._fields)
        self.deleted = SqlDeletedStore(self._db, self._fields)
        self.jobs = SqlJobLog(self._db)
        self._restores = SqlRestores(self._db, self._fields)

    @property
    def indexed_fields(self) -> dict[str, tuple[str, ...]]:
        """Per kind, the data fields in the field index (see `index_fields`)."""
        return self._fields.fields

    def index_fields(self, fields: Mapping[str, Sequence[str]]) -> None:
        """See `deleted_repo.ports.Store.index_fields`.

        Records written before a field was indexed are not in its index: call `reindex` after
        the indexed fields of an existing database change.
        """
        self._fields.set(fields)

    def transaction(self) -> AbstractContextManager[None]:
        """See `deleted_repo.ports.Store.transaction`.

        A transaction opened inside another (of the same store, in the same thread, or the
        host's on the connection given) joins it through a savepoint: if the inner block
        raises, only its writes are undone.

        Raises:
            StorageError: the database failed to begin or commit; nothing was kept.
        """
        return self._db.transaction()

    def deleted_as_planned(
        self, institution: str, planned: Sequence[tuple[Record, str]]
    ) -> dict[str, datetime]:
        """See `deleted_repo.ports.SetRestores.deleted_as_planned` (D-53).

        Raises:
            StorageError: the database failed.
        """
        return self._restores.deleted_as_planned(institution, planned)

    def deleted_below(
        self, institution: str, roots: Mapping[str, str]
    ) -> list[tuple[Record, str, datetime]]:
        """See `deleted_repo.ports.SetRestores.deleted_below` (D-59).

        Raises:
            StorageError: the database failed.
        """
        return self._restores.deleted_below(institution, roots)

    def restore_deleted(self, institution: str, records: Sequence[Record]) -> None:
        """See `deleted_repo.ports.SetRestores.restore_deleted` (D-53).

        Raises:
            IntegrityError: an id is already active, or given twice; nothing changed.
            RecordNotFoundError: an id is not deleted; nothing changed.
            StorageError: the database failed.
        """
        self._restores.restore_deleted(institution, records)

    def in_transaction(self) -> bool:
        """See `deleted_repo.ports.Store.in_transaction`.

        True inside this thread's `transaction` block and, with a `Connection`, whenever a
        transaction is open on it (the host's, begun explicitly or by SQLAlchemy's autobegin).
        """
        return self._db.in_transaction()

    def _check(self, conn: Connection) -> None:
        migrations.check(conn, self.schema)

    def create_schema(self, *, catalog: bool = True) -> None:
        """Create the tables and indexes that do not exist yet (and, on PostgreSQL, the schema).

        Tables there already, and what they hold, are left alone; tables at an older schema
        version are upgraded first, as `upgrade` does (D-50); the version is then recorded.

        Args:
            catalog: whether to create the catalog's tables (``deleted_repo_catalog`` and
                ``deleted_repo_catalog_field``); False for a host that plugs its own catalog.
                The tables' metadata is then ``metadata_for(schema, catalog=False)``.

        Raises:
            SchemaVersionError: the tables are newer than the code, or record several versions.
            StorageError: the database refused.
        """
        with self._db.session(write=True, verify=False) as conn:
            if self.schema is not None and self.dialect == "postgresql":
                conn.execute(sa.schema.CreateSchema(self.schema, if_not_exists=True))
            migrations.create(conn, self.schema, catalog=catalog)
        self._db.verified = True

    def upgrade(self) -> int:
        """Bring the tables to this code's `SCHEMA_VERSION`, in one transaction (D-50).

        Applies the migration steps the tables lack, in order, and records the version; on
        tables at the version already it changes nothing. Tables there are not created: a
        database without them is refused, and the catalog's tables stay absent if they are.

        Returns:
            The schema version the tables were at (0: made before versions were recorded).

        Raises:
            SchemaVersionError: there are no tables, or they are newer than the code, or
                record no single version.
            StorageError: the database refused; nothing was changed.
        """
        with self._db.session(write=True, verify=False) as conn:
            found = migrations.upgrade(conn, self.schema)
        self._db.verified = True
        return found

    def schema_version(self) -> int | None:
        """The schema version of the tables: 0 before versions were recorded, None without tables.

        Raises:
            SchemaVersionError: the tables record no single version.
            StorageError: the database failed.
        """
        with self._db.session(write=False, verify=False) as conn:
            return migrations.found_version(conn, self.schema)

    def drop_schema(self) -> None:
        """Drop the tables and all they hold (and, on PostgreSQL, the schema once it is empty).

        Raises:
            StorageError: the database refused.
        """
        with self._db.session(write=True, verify=False) as conn:
            metadata_for(self.schema).drop_all(conn)
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
        self._db.verified = False

    def reindex(self) -> None:
        """Rebuild the field indexes from the records, after `indexed_fields` changed.

        Without the catalog's tables (``create_schema(catalog=False)``), only the deleted
        records' index is rebuilt.

        Raises:
            SchemaVersionError: the tables are not at this code's version (D-49).
            StorageError: the database refused.
        """
        db = self._db
        with db.session(write=True) as conn:
            pairs = [(deleted, deleted_field)]
            if sa.inspect(conn).has_table(catalog.name, schema=self.schema):
                pairs.insert(0, (catalog, catalog_field))
            for table, fields in pairs:
                db.execute(conn, sa.delete(fields))
                rows = db.execute(
                    conn, sa.select(table.c.institution, table.c.id, table.c.kind, table.c.data)
                )
                values = [
                    value
                    for institution, ident, kind, data in rows
                    for value in self._fields.rows(institution, Record(kind, ident, None, data))
                ]
                db.insert_many(conn, fields, values)
