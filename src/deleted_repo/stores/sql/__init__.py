"""The SQL store: every port on SQLite or PostgreSQL, through SQLAlchemy Core.

`SqlStore` keeps the catalog, the deleted repository and the restore-job log in eight tables
(`metadata`; `metadata_for` places them in a schema, with or without the catalog's, for the
host's own migrations) and shares one transaction between them.
It needs the ``sql`` extra (SQLAlchemy 2); PostgreSQL also needs the ``postgres`` extra
(psycopg 3). Nothing connects or creates tables until asked.

One module per part: `schema` (the tables), `database` (connections, transactions, write
serialization, driver errors), `codec` (rows to values and back), `queries` (the searches'
statements), `records` (what the catalog and the deleted store share), `lineages` (the
deleted records' chains of ancestors as shared links), `catalog`, `deleted`, `jobs`,
`migrations` (schema versions and the steps between them), `store` (`SqlStore`), and `capture`
(`Capture`: for a host that keeps its catalog in its own tables, snapshots the rows it deletes
and records the deletion, D-39). The public API is what this package exports.

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
  origin, event, actor, deletion time and the first link of its lineage (``lineage_node``).
* ``lineage``: the links of each event's lineages (D-36): per event, one row per distinct link
  (a number, an ancestor's id, the number of the link above it), shared by every record whose
  chain passes through it; kept while a record of the event is deleted or superseded.
* ``catalog_field`` and ``deleted_field``: the values of the indexed data fields (an item's
  barcode, say), one row per record and field, so searches by them use an index.
* ``superseded``: the deletions superseded when their id was deleted again (R-D6), each as
  ``deleted`` held it, with the event that superseded it and the order superseded (``seq``).
* ``restore_job``: each restore job as JSON, with its id, institution and time.
* ``schema_version``: one row, the schema version of the tables (`SCHEMA_VERSION`).

Upgrading: a store refuses tables at another schema version than the code's with
`deleted_repo.SchemaVersionError`, checked once, on its first call (D-49). `SqlStore.upgrade`
(or ``deleted-repo upgrade``) applies the migrations older tables lack; tables made before
versions were recorded are version 0, which lacks the ``superseded`` table; version 2 keeps
each record's whole lineage in a JSON ``lineage`` column, which step 2 to 3 moves to the
shared links (D-36).

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
    * On PostgreSQL, a write the database refuses (a duplicate event id, say:
      `IntegrityError`) makes psycopg log one warning ("error ignored terminating Pipeline"),
      as its batched inserts run in pipeline mode. The facade checks before it writes, so this
      happens only when another writer races it or a host calls the ports directly with
      clashing ids.
"""

from deleted_repo.stores.sql.capture import Capture, Captured, HostTable
from deleted_repo.stores.sql.catalog import SqlCatalog
from deleted_repo.stores.sql.deleted import SqlDeletedStore
from deleted_repo.stores.sql.jobs import SqlJobLog
from deleted_repo.stores.sql.migrations import SCHEMA_VERSION
from deleted_repo.stores.sql.schema import metadata, metadata_for
from deleted_repo.stores.sql.store import SqlStore

__all__ = [
    "SCHEMA_VERSION",
    "Capture",
    "Captured",
    "HostTable",
    "SqlCatalog",
    "SqlDeletedStore",
    "SqlJobLog",
    "SqlStore",
    "metadata",
    "metadata_for",
]
