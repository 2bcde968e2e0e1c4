"""The data upgrade from lineages kept whole per record to lineages kept as links (D-36).

Databases written before the ``lineage`` table keep each deleted (and superseded) record's
whole chain of ancestors in a JSON column ``lineage``: storage quadratic in the depth of a
hierarchy. `upgrade` moves them to the links of `deleted_repo.stores.sql.lineages` and drops
the old column. It is one step, to be run once, inside the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deleted_repo.lineage import Lineage
from deleted_repo.stores.sql.codec import decode
from deleted_repo.stores.sql.lineages import Links
from deleted_repo.stores.sql.queries import bind_ids, member
from deleted_repo.stores.sql.schema import PREFIX, Node, Text, metadata

__all__ = ["BATCH", "upgrade"]

BATCH = 500
"""How many events are read and written at a time."""

_OLD = "lineage"
_NEW = "lineage_node"


def upgrade(conn: Connection, schema: str | None) -> None:
    """Move the lineages from the old ``lineage`` column to the ``lineage`` table, and drop it.

    Creates the ``lineage`` table and the superseded table's index by event, adds the
    ``lineage_node`` column to the deleted and superseded tables, fills them a batch of events
    at a time (links shared within each event, as `SqlStore` writes them), then drops the old
    column. A database already upgraded is left as it is.

    Args:
        conn: a connection, in the transaction the upgrade is to run in.
        schema: the schema of the tables (PostgreSQL), None for the connection's default.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database refused; the caller's transaction should
            be rolled back.
    """
    links_table, by_event = _new_tables(schema)
    links_table.create(conn, checkfirst=True)
    by_event.create(conn, checkfirst=True)
    inspector = sa.inspect(conn)
    old = {
        key: {c["name"] for c in inspector.get_columns(PREFIX + key, schema=schema)}
        for key in ("deleted", "superseded")
    }
    if not any(_OLD in columns for columns in old.values()):
        return
    prepare = conn.dialect.identifier_preparer
    quoted = {
        key: (f"{prepare.quote_schema(schema)}." if schema else "") + prepare.quote(PREFIX + key)
        for key in old
    }
    for key, columns in old.items():
        if _NEW not in columns:
            conn.exec_driver_sql(f"ALTER TABLE {quoted[key]} ADD COLUMN {_NEW} INTEGER")
    having = tuple(key for key in _ROW_KEYS if _OLD in old[key])
    events = conn.execute(
        sa.union(
            *(
                sa.select(table.c.institution, table.c.event_id)
                for table in (_old_table(key, schema) for key in having)
            )
        )
    ).all()
    by_institution: dict[str, list[str]] = defaultdict(list)
    for institution, event_id in events:
        by_institution[institution].append(event_id)
    dialect = conn.dialect.name
    for institution, event_ids in sorted(by_institution.items()):
        event_ids.sort()
        for start in range(0, len(event_ids), BATCH):
            batch = event_ids[start : start + BATCH]
            _move(conn, dialect, institution, batch, links_table, having)
    for key, columns in old.items():
        if _OLD in columns:
            conn.exec_driver_sql(f"ALTER TABLE {quoted[key]} DROP COLUMN {_OLD}")


_ROW_KEYS = {"deleted": "id", "superseded": "seq"}
"""The tables holding lineages, and the column that picks one of their rows."""


def _new_tables(schema: str | None) -> tuple[sa.Table, sa.Index]:
    """The links table and the superseded table's index by event, as version 3 made them."""
    frozen = sa.MetaData(naming_convention=metadata.naming_convention)
    links = sa.Table(
        PREFIX + "lineage",
        frozen,
        sa.Column("institution", Text, primary_key=True),
        sa.Column("event_id", Text, primary_key=True),
        sa.Column("node", Node, primary_key=True),
        sa.Column("id", Text, nullable=False),
        sa.Column("up", Node, nullable=True),
        sqlite_with_rowid=False,
        schema=schema,
    )
    superseded = sa.Table(
        PREFIX + "superseded",
        frozen,
        sa.Column("institution", Text),
        sa.Column("event_id", Text),
        schema=schema,
    )
    index = sa.Index(
        f"ix_{PREFIX}superseded_event", superseded.c.institution, superseded.c.event_id
    )
    return links, index


def _old_table(key: str, schema: str | None) -> sa.TableClause:
    """The columns of the old layout that the upgrade reads and writes, of one table."""
    return sa.table(
        PREFIX + key,
        sa.column("institution"),
        sa.column("event_id"),
        sa.column(_ROW_KEYS[key]),
        sa.column(_OLD),
        sa.column(_NEW),
        schema=schema,
    )


def _move(  # noqa: PLR0917 (a private step of `upgrade`)
    conn: Connection,
    dialect: str,
    institution: str,
    event_ids: Sequence[str],
    links: sa.Table,
    having: Sequence[str],
) -> None:
    """Write the links of the lineages of `event_ids`' records, and point the rows at them."""
    links_of = Links()
    rows: list[tuple[str, str, Any, Any]] = []
    for key in having:
        row_key = _ROW_KEYS[key]
        table = _old_table(key, links.schema)
        found = conn.execute(
            sa.select(table.c.event_id, table.c[row_key], table.c[_OLD]).where(
                table.c.institution == sa.bindparam("inst"),
                member(dialect, table.c.event_id, "ids"),
            ),
            {"inst": institution, "ids": bind_ids(dialect, event_ids)},
        )
        rows += [(key, event_id, ident, chain) for event_id, ident, chain in found]
    rows.sort(key=lambda r: r[1])
    updates: dict[str, list[dict[str, Any]]] = {"deleted": [], "superseded": []}
    for key, event_id, ident, chain in rows:
        node = links_of.number(institution, event_id, Lineage(decode(chain)))
        updates[key].append({"inst": institution, "key": ident, "node": node})
    if links_of.rows:
        columns = [c.name for c in links.columns]
        conn.execute(links.insert(), [dict(zip(columns, r, strict=True)) for r in links_of.rows])
    for key, row_key in _ROW_KEYS.items():
        if updates[key]:
            table = _old_table(key, links.schema)
            conn.execute(
                sa.update(table)
                .where(
                    table.c.institution == sa.bindparam("inst"),
                    table.c[row_key] == sa.bindparam("key"),
                )
                .values({_NEW: sa.bindparam("node")}),
                updates[key],
            )
