"""The host's own tables: bibs, holdings and items, with fixed columns.

The host's schema knows nothing of `deleted_repo`: no kind column, no JSON data. `HOST_TABLES`
tells the library how each table holds the records of one kind.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deleted_repo import Hierarchy
from deleted_repo.stores.sql import HostTable, SqlStore

__all__ = [
    "HOST_HIERARCHY",
    "HOST_TABLES",
    "bibs",
    "create_tables",
    "holdings",
    "host_metadata",
    "items",
]

host_metadata = sa.MetaData()
"""The host's tables."""

bibs = sa.Table(
    "bibs",
    host_metadata,
    sa.Column("institution", sa.String(20), primary_key=True),
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("title", sa.String(200)),
    sa.Column("author", sa.String(200)),
)
"""Bibliographic records."""

holdings = sa.Table(
    "holdings",
    host_metadata,
    sa.Column("institution", sa.String(20), primary_key=True),
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("bib_id", sa.String(40), nullable=False),
    sa.Column("location", sa.String(80)),
    sa.Column("call_number", sa.String(80)),
    sa.Index("ix_holdings_bib", "institution", "bib_id"),
)
"""Holdings, each under a bib."""

items = sa.Table(
    "items",
    host_metadata,
    sa.Column("institution", sa.String(20), primary_key=True),
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("holding_id", sa.String(40), nullable=False),
    sa.Column("barcode", sa.String(40)),
    sa.Column("status", sa.String(40)),
    sa.Index("ix_items_holding", "institution", "holding_id"),
    sa.Index("ix_items_barcode", "institution", "barcode"),
)
"""Physical items, each under a holding."""

HOST_HIERARCHY = Hierarchy.declare({"bib": None, "holding": "bib", "item": "holding"})
"""The host's three kinds: a bib, its holdings, their items."""

HOST_TABLES = (
    HostTable(kind="bib", table=bibs),
    HostTable(kind="holding", table=holdings, parent="bib_id"),
    HostTable(kind="item", table=items, parent="holding_id"),
)
"""How each table holds one kind; the other columns are the record's data."""


def _located(metadata: sa.MetaData, schema: str | None) -> sa.MetaData:
    if schema is None:
        return metadata
    copy = sa.MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(copy, schema=schema)
    return copy


def create_tables(connection: Connection, *, schema: str | None = None) -> None:
    """Create the host's tables and the library's, but for its catalog, in one transaction.

    On PostgreSQL, `schema` is created first when given.
    """
    with connection.begin():
        if schema is not None and connection.dialect.name == "postgresql":
            connection.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
        _located(host_metadata, schema).create_all(connection)
        # The host keeps its own catalog: the library's catalog tables are left out.
        SqlStore(connection, schema=schema).create_schema(catalog=False)
