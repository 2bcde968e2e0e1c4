"""The data upgrade from whole lineages in a JSON column to shared links (D-36), on both databases.

Each test builds the tables in the layout of the last release (the ``lineage`` JSON column of the
deleted and superseded tables, no ``lineage`` table), writes events into them as that release
did, runs `upgrade`, and reads the lineages back through `SqlStore` (R-S7).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
import sqlalchemy as sa

from deleted_repo import DeletionEvent, Record
from deleted_repo.stores.keys import micros
from deleted_repo.stores.sql import SqlStore, metadata
from deleted_repo.stores.sql.lineage_upgrade import upgrade
from deleted_repo.stores.sql.schema import PREFIX, Micros, Text
from deleted_repo.testing.contract.builders import HOME, event, instant

from .conftest import Database


def rec(kind: str, ident: str, parent: str | None = None) -> Record:
    """A record of `kind` with no data."""
    return Record(kind, ident, parent)


_REPLACED = {PREFIX + "deleted", PREFIX + "superseded", PREFIX + "lineage"}


def _old_deleted_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("institution", Text, primary_key=True),
        sa.Column("id", Text, primary_key=True),
        sa.Column("kind", Text, nullable=False),
        sa.Column("parent_id", Text, nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("role", Text, nullable=False),
        sa.Column("origin_id", Text, nullable=False),
        sa.Column("lineage", sa.JSON, nullable=False),
        sa.Column("event_id", Text, nullable=False),
        sa.Column("actor_kind", Text, nullable=False),
        sa.Column("actor_id", Text, nullable=False),
        sa.Column("deleted_at", Micros, nullable=False),
    ]


def _old_layout(schema: str | None) -> tuple[sa.MetaData, sa.Table, sa.Table, sa.Table]:
    """The tables of schema version 2: the store's, with the old deleted tables (D-50)."""
    old = sa.MetaData(schema=schema)
    for table in metadata.sorted_tables:
        if table.name in _REPLACED:
            continue
        if schema is None:
            table.to_metadata(old)
        else:
            table.to_metadata(old, schema=schema)
    deleted = sa.Table(PREFIX + "deleted", old, *_old_deleted_columns())
    superseded = sa.Table(
        PREFIX + "superseded",
        old,
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        *(sa.Column(c.name, c.type, nullable=c.nullable) for c in _old_deleted_columns()),
        sa.Column("superseded_by", Text, nullable=False),
    )
    events = old.tables[f"{schema}.{PREFIX}event" if schema else f"{PREFIX}event"]
    return old, deleted, superseded, events


def _rows(e: DeletionEvent, members: Sequence[str] | None = None) -> list[dict[str, object]]:
    """The old deleted table's rows of `e`'s members (all, or those named)."""
    return [
        {
            "institution": e.institution,
            "id": m.id,
            "kind": m.kind,
            "parent_id": m.record.parent_id,
            "data": dict(m.record.data),
            "role": m.role.value,
            "origin_id": m.origin_id,
            "lineage": list(m.lineage),
            "event_id": e.id,
            "actor_kind": e.actor.kind.value,
            "actor_id": e.actor.id,
            "deleted_at": micros(e.at),
        }
        for m in e.members
        if members is None or m.id in members
    ]


def _write_old(engine: sa.Engine, schema: str | None, events: Sequence[DeletionEvent]) -> None:
    """Write `events` as the last release did; the last deletion of an id wins (R-D6)."""
    old, deleted, superseded, event_table = _old_layout(schema)
    if schema is not None:
        with engine.begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
    old.create_all(engine)
    latest: dict[str, tuple[DeletionEvent, dict[str, object]]] = {}
    older: list[dict[str, object]] = []
    for e in events:
        for row in _rows(e):
            ident = str(row["id"])
            if ident in latest:
                older.append({**latest[ident][1], "superseded_by": e.id})
            latest[ident] = (e, row)
    header = [
        {
            "institution": e.institution,
            "id": e.id,
            "actor_kind": e.actor.kind.value,
            "actor_id": e.actor.id,
            "at": micros(e.at),
            "origins": list(e.origins),
        }
        for e in events
    ]
    with engine.begin() as conn:
        conn.execute(event_table.insert(), header)
        conn.execute(deleted.insert(), [row for _, row in latest.values()])
        conn.execute(superseded.insert(), older)
        version = old.tables[
            f"{schema}.{PREFIX}schema_version" if schema else f"{PREFIX}schema_version"
        ]
        conn.execute(version.insert(), [{"version": 2}])


def _chain(depth: int) -> list[Record]:
    return [rec("collection", "k0")] + [
        rec("collection", f"k{n}", f"k{n - 1}") for n in range(1, depth)
    ]


def _events() -> list[DeletionEvent]:
    """A chain of 40 collections, a bib's tree, and a later event deleting an item again."""
    tree = [
        rec("bib", "b1"),
        rec("holding", "h1", "b1"),
        rec("item", "i1", "h1"),
        rec("item", "i2", "h1"),
    ]
    again = [rec("bib", "b9"), rec("holding", "h9", "b9"), rec("item", "i1", "h9")]
    return [
        event("e1", _chain(40), at=instant(1)),
        event("e2", tree, at=instant(2)),
        event("e3", again, at=instant(3)),
    ]


@pytest.fixture
def upgraded(db: Database) -> Iterator[SqlStore]:
    """A database written in the old layout (version 2), then upgraded by its store; the store."""
    _write_old(db.engine, db.schema, _events())
    store = db.store()
    assert store.upgrade() == 2
    assert store.schema_version() == 3
    yield store
    store.drop_schema()


def test_upgrade_keeps_every_lineage(upgraded: SqlStore) -> None:
    """R-S7, D-36: after the upgrade every deleted record reads back with its old lineage."""
    e1, e2, e3 = _events()
    latest = {m.id: m for e in (e1, e2, e3) for m in e.members}
    got = upgraded.deleted.get(HOME, sorted(latest))
    assert {i: tuple(d.lineage) for i, d in got.items()} == {
        i: tuple(m.lineage) for i, m in latest.items()
    }
    assert got["k39"].lineage == tuple(f"k{n}" for n in range(38, -1, -1))


def test_upgrade_keeps_superseded_lineages(upgraded: SqlStore) -> None:
    """R-D6, D-36: a superseded deletion keeps its lineage through the upgrade."""
    held = upgraded.deleted.superseded(HOME, ["i1"])["i1"]
    assert [(s.entry.event_id, tuple(s.entry.lineage), s.by) for s in held] == [
        ("e2", ("h1", "b1"), "e3")
    ]


def test_upgrade_stores_links_and_drops_the_old_column(db: Database, upgraded: SqlStore) -> None:
    """D-36: the upgrade leaves one link per distinct chain link, and no ``lineage`` column.

    40 nested collections take 39 links; the bib's tree 2 (b1, then h1 above b1); the later
    event 2 (b9, then h9 above b9). Running it again changes nothing.
    """
    inspector = sa.inspect(db.engine)
    for name in ("deleted", "superseded"):
        columns = {c["name"] for c in inspector.get_columns(PREFIX + name, schema=db.schema)}
        assert "lineage" not in columns
        assert "lineage_node" in columns
    table = sa.table(PREFIX + "lineage", sa.column("event_id"), schema=db.schema)
    count = sa.select(table.c.event_id, sa.func.count()).group_by(table.c.event_id)
    with db.engine.connect() as conn:
        assert dict(conn.execute(count).all()) == {"e1": 39, "e2": 2, "e3": 2}
    with db.engine.begin() as conn:
        upgrade(conn, db.schema)
    with db.engine.connect() as conn:
        assert dict(conn.execute(count).all()) == {"e1": 39, "e2": 2, "e3": 2}


def test_upgraded_store_removes_links_with_the_last_record(
    db: Database, upgraded: SqlStore
) -> None:
    """D-36: after the upgrade, a partial restore keeps the others' lineages; a full one, no link.

    The bib's tree keeps its links while its superseded item is kept (R-D6).
    """
    upgraded.deleted.remove(HOME, ["i2", "h1", "b1"])
    assert upgraded.deleted.superseded(HOME, ["i1"])["i1"][0].entry.lineage == ("h1", "b1")
    assert upgraded.deleted.get(HOME, ["i1"])["i1"].lineage == ("h9", "b9")
    upgraded.deleted.remove(HOME, [f"k{n}" for n in range(40)])
    table = sa.table(PREFIX + "lineage", sa.column("event_id"), schema=db.schema)
    count = sa.select(table.c.event_id, sa.func.count()).group_by(table.c.event_id)
    with db.engine.connect() as conn:
        assert dict(conn.execute(count).all()) == {"e2": 2, "e3": 2}
