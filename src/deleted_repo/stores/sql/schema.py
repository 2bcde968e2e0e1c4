"""The tables of the SQL store, schema-less, with their naming conventions and indexes.

The package's docstring (`deleted_repo.stores.sql`) says what each table holds.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

__all__ = [
    "CATALOG_TABLES",
    "PREFIX",
    "Micros",
    "Node",
    "Text",
    "catalog",
    "catalog_field",
    "deleted",
    "deleted_field",
    "event",
    "lineage",
    "metadata",
    "metadata_for",
    "restore_job",
    "schema_version",
    "superseded",
]

PREFIX = "deleted_repo_"
"""The start of every table's name."""

metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    }
)
"""The tables of `SqlStore`, schema-less; `metadata_for` places them in a schema."""

# On PostgreSQL, ids compare by code point ("C"), as Python compares strings, so that the
# database's order is the search order whatever the database's default collation.
Text = sa.String().with_variant(postgresql.VARCHAR(collation="C"), "postgresql")
"""Ids and other text: compared by code point on every database."""

Micros = sa.BigInteger
"""Instants, as integer microseconds since the epoch in UTC (`deleted_repo.stores.keys`)."""

Node = sa.Integer
"""The number of a link of an event's lineages, within the event (see `lineage`)."""


def _field_table(name: str) -> sa.Table:
    table = sa.Table(
        PREFIX + name,
        metadata,
        sa.Column("institution", Text, primary_key=True),
        sa.Column("record_id", Text, primary_key=True),
        sa.Column("field", Text, primary_key=True),
        sa.Column("kind", Text, nullable=False),
        sa.Column("value", Text, nullable=False),
        sqlite_with_rowid=False,
    )
    sa.Index(
        f"ix_{PREFIX}{name}_value",
        table.c.institution,
        table.c.kind,
        table.c.field,
        table.c.value,
        table.c.record_id,
    )
    return table


def _sequence() -> sa.Column[int]:
    """An insertion-order key: the database numbers the rows as they are added."""
    return sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)


def _record_columns() -> list[sa.Column[Any]]:
    """The columns of a record, first in the tables of active and of deleted records."""
    return [
        sa.Column("institution", Text, primary_key=True),
        sa.Column("id", Text, primary_key=True),
        sa.Column("kind", Text, nullable=False),
        sa.Column("parent_id", Text, nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
    ]


catalog = sa.Table(
    PREFIX + "catalog",
    metadata,
    *_record_columns(),
)
"""The active records."""
sa.Index(f"ix_{PREFIX}catalog_parent", catalog.c.institution, catalog.c.parent_id)

catalog_field = _field_table("catalog_field")
"""The indexed data fields of the active records: one row per record and field."""

event = sa.Table(
    PREFIX + "event",
    metadata,
    _sequence(),
    sa.Column("institution", Text, nullable=False),
    sa.Column("id", Text, nullable=False),
    sa.Column("actor_kind", Text, nullable=False),
    sa.Column("actor_id", Text, nullable=False),
    sa.Column("at", Micros, nullable=False),
    sa.Column("origins", sa.JSON, nullable=False),
    sa.UniqueConstraint("institution", "id", name=f"uq_{PREFIX}event_id"),
)
"""The deletion events, in insertion order (``seq``)."""
sa.Index(
    f"ix_{PREFIX}event_actor",
    event.c.institution,
    event.c.actor_kind,
    event.c.actor_id,
    event.c.at,
    event.c.seq,
)
sa.Index(f"ix_{PREFIX}event_actor_kind", event.c.institution, event.c.actor_kind, event.c.at)


def _deleted_columns() -> list[sa.Column[Any]]:
    """The columns of a deleted record: its record's, then its deletion's."""
    return [
        *_record_columns(),
        sa.Column("role", Text, nullable=False),
        sa.Column("origin_id", Text, nullable=False),
        sa.Column("event_id", Text, nullable=False),
        sa.Column("actor_kind", Text, nullable=False),
        sa.Column("actor_id", Text, nullable=False),
        sa.Column("deleted_at", Micros, nullable=False),
        sa.Column("lineage_node", Node, nullable=True),
    ]


deleted = sa.Table(PREFIX + "deleted", metadata, *_deleted_columns())
"""The deleted records still in the repository, each with its event's header."""
sa.Index(
    f"ix_{PREFIX}deleted_kind_time",
    deleted.c.institution,
    deleted.c.kind,
    deleted.c.deleted_at,
    deleted.c.id.desc(),
)
sa.Index(f"ix_{PREFIX}deleted_event", deleted.c.institution, deleted.c.event_id)
sa.Index(f"ix_{PREFIX}deleted_parent", deleted.c.institution, deleted.c.parent_id)

deleted_field = _field_table("deleted_field")
"""The indexed data fields of the deleted records: one row per record and field."""

superseded = sa.Table(
    PREFIX + "superseded",
    metadata,
    _sequence(),
    *(sa.Column(c.name, c.type, nullable=c.nullable) for c in _deleted_columns()),
    sa.Column("superseded_by", Text, nullable=False),
)
"""The deletions superseded when their id was deleted again (R-D6), in the order superseded
(``seq``): each as the deleted table held it, with the event that superseded it."""
sa.Index(f"ix_{PREFIX}superseded_id", superseded.c.institution, superseded.c.id, superseded.c.seq)
sa.Index(f"ix_{PREFIX}superseded_event", superseded.c.institution, superseded.c.event_id)

lineage = sa.Table(
    PREFIX + "lineage",
    metadata,
    sa.Column("institution", Text, primary_key=True),
    sa.Column("event_id", Text, primary_key=True),
    sa.Column("node", Node, primary_key=True),
    sa.Column("id", Text, nullable=False),
    sa.Column("up", Node, nullable=True),
    sqlite_with_rowid=False,
)
"""The lineages of each event's records, as links shared between them (D-36): a link is an
ancestor's id and the link of the rest of the chain above it (``up``, NULL at the top). A
deleted record's ``lineage_node`` is the first link of its lineage (NULL: no ancestors). The
links of an event stay while a record of the event is deleted or superseded."""

restore_job = sa.Table(
    PREFIX + "restore_job",
    metadata,
    sa.Column("institution", Text, primary_key=True),
    sa.Column("id", Text, primary_key=True),
    sa.Column("at", Micros, nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("requested_by", Text, nullable=False, server_default=sa.text("''")),
    sa.Column("status", Text, nullable=False, server_default="restored"),
    sa.Column("criterion", Text, nullable=False, server_default=sa.text("''")),
)
"""The restore jobs and refused attempts, each as JSON, with the columns a listing filters on
(D-42): the requester, the status and the criteria's type."""
sa.Index(
    f"ix_{PREFIX}restore_job_time",
    restore_job.c.institution,
    restore_job.c.at,
    restore_job.c.id.desc(),
)


schema_version = sa.Table(
    PREFIX + "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
)
"""The schema version of the tables, in one row (D-49)."""

CATALOG_TABLES = frozenset({catalog.name, catalog_field.name})
"""The names of the catalog's tables, which a host with a catalog of its own goes without."""


def metadata_for(schema: str | None = None, *, catalog: bool = True) -> sa.MetaData:
    """The tables of `SqlStore` in `schema`, for a host's migrations (Alembic's target_metadata).

    Args:
        schema: the schema the tables are in, as given to `SqlStore`; None for the connection's
            default.
        catalog: whether to include the catalog's tables (``deleted_repo_catalog`` and
            ``deleted_repo_catalog_field``); False for a host with a catalog of its own, as
            ``SqlStore.create_schema(catalog=False)`` leaves them out.

    Returns:
        `metadata` itself for no schema and every table; otherwise a copy, with the same
        naming conventions, holding the tables asked for.
    """
    if schema is None and catalog:
        return metadata
    copy = sa.MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        if catalog or table.name not in CATALOG_TABLES:
            if schema is None:
                table.to_metadata(copy)
            else:
                table.to_metadata(copy, schema=schema)
    return copy
