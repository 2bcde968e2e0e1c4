"""Schema control for hosts: the catalog's tables optional, the schema version, the upgrades.

The version check and the upgrade follow D-49 and D-50; version 0 is the layout before versions
were recorded, without the superseded table of R-D6.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from deleted_repo import Actor, DeletionEvent, Record, SchemaVersionError
from deleted_repo.stores.sql import SCHEMA_VERSION, SqlStore, metadata, metadata_for, migrations
from deleted_repo.stores.sql.schema import CATALOG_TABLES
from tests.support import INSTITUTION

from .conftest import Database, counted
from .test_sql_store import event


def _event(event_id: str, record: Record) -> DeletionEvent:
    return event(event_id, [record])


def _qualified(db: Database, name: str) -> str:
    return name if db.schema is None else f'"{db.schema}".{name}'


def _ours(db: Database) -> set[str]:
    present = sa.inspect(db.engine).get_table_names(schema=db.schema)
    return {t for t in present if t in metadata.tables}


def _version_0(db: Database) -> None:
    """Make the database what a release before versions left: no superseded, no version."""
    made = db.store()
    made.create_schema()
    made.deleted.add_events([_event("e1", Record("bib", "b1", None, {"title": "Moby Dick"}))])
    with db.engine.begin() as conn:
        for name in ("deleted_repo_superseded", "deleted_repo_schema_version"):
            conn.exec_driver_sql(f"DROP TABLE {_qualified(db, name)}")


def _set_version(db: Database, version: int) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            f"UPDATE {_qualified(db, 'deleted_repo_schema_version')} SET version = {version}"
        )


@pytest.fixture
def fresh(db: Database) -> Iterator[Database]:
    """The database, with whatever a test made dropped afterwards."""
    yield db
    db.store().drop_schema()


def test_schema_version_is_the_count_of_steps() -> None:
    """D-49, D-50: each step adds one version; version 1 was the first recorded."""
    assert SCHEMA_VERSION == len(migrations.STEPS) >= 1


def test_create_schema_records_the_version(fresh: Database) -> None:
    """D-49: create_schema writes one row holding SCHEMA_VERSION, again when run again."""
    store = fresh.store()
    assert store.schema_version() is None
    store.create_schema()
    store.create_schema()
    assert store.schema_version() == SCHEMA_VERSION
    with fresh.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT version FROM {_qualified(fresh, 'deleted_repo_schema_version')}"
        ).all()
    assert rows == [(SCHEMA_VERSION,)]


def test_create_schema_without_the_catalog(fresh: Database) -> None:
    """A host with its own catalog gets every table but the catalog's; the rest works."""
    store = fresh.store()
    store.create_schema(catalog=False)
    assert _ours(fresh) == set(metadata_for(catalog=False).tables)
    assert not _ours(fresh) & CATALOG_TABLES
    fresh.store().deleted.add_events([_event("e1", Record("item", "i1", None, {"barcode": "x"}))])
    store.reindex()
    assert list(store.deleted.get(INSTITUTION, ["i1"])) == ["i1"]
    store.create_schema()
    assert _ours(fresh) == set(metadata.tables)


def test_metadata_for_places_and_filters_the_tables() -> None:
    """`metadata_for` is `metadata` by default; a copy in the schema, with or without catalog."""
    assert metadata_for() is metadata
    placed = metadata_for("ils", catalog=False)
    assert sorted(placed.tables) == sorted(
        f"ils.{name}" for name in metadata.tables if name not in CATALOG_TABLES
    )
    assert placed.naming_convention == metadata.naming_convention
    assert {len(t.indexes) for t in placed.tables.values()} == {
        len(metadata.tables[t.name].indexes) for t in placed.tables.values()
    }


def test_no_tables_are_refused_by_upgrade(fresh: Database) -> None:
    """D-50: upgrade creates nothing where there are no tables, and says how to create them."""
    with pytest.raises(SchemaVersionError, match="create_schema") as raised:
        fresh.store().upgrade()
    assert (raised.value.found, raised.value.expected) == (None, SCHEMA_VERSION)
    assert _ours(fresh) == set()


def test_version_0_is_refused_until_upgraded(fresh: Database) -> None:
    """D-49, D-50: tables without a version are version 0; calls refuse until upgrade."""
    _version_0(fresh)
    store = fresh.store()
    assert store.schema_version() == 0
    with pytest.raises(SchemaVersionError) as raised:
        store.deleted.get(INSTITUTION, ["b1"])
    assert (raised.value.found, raised.value.expected) == (0, SCHEMA_VERSION)
    message = str(raised.value)
    assert "version 0" in message
    assert f"version {SCHEMA_VERSION}" in message
    assert "'deleted-repo upgrade'" in message
    assert store.upgrade() == 0
    assert store.schema_version() == SCHEMA_VERSION
    assert _ours(fresh) == set(metadata.tables)
    assert fresh.store().deleted.get(INSTITUTION, ["b1"])["b1"].record.data == {
        "title": "Moby Dick"
    }
    assert fresh.store().deleted.superseded(INSTITUTION, ["b1"]) == {}


def test_upgrade_is_idempotent(fresh: Database) -> None:
    """D-50: on current tables upgrade changes nothing and says where they were."""
    store = fresh.store()
    store.create_schema()
    store.catalog.add(INSTITUTION, [Record("bib", "b1")])
    with counted(fresh.engine) as statements:
        assert fresh.store().upgrade() == SCHEMA_VERSION
    assert not [s for s in statements if s.lstrip().upper().startswith(("CREATE", "INSERT"))]
    assert list(store.catalog.get(INSTITUTION, ["b1"])) == ["b1"]


def test_create_schema_upgrades_older_tables(fresh: Database) -> None:
    """D-50: create_schema on version 0 runs the steps, then records the version."""
    _version_0(fresh)
    store = fresh.store()
    store.create_schema()
    assert store.schema_version() == SCHEMA_VERSION
    assert list(fresh.store().deleted.get(INSTITUTION, ["b1"])) == ["b1"]


def test_newer_tables_are_refused_everywhere(fresh: Database) -> None:
    """D-49: tables of a newer release are refused by calls, upgrade and create_schema alike."""
    fresh.store().create_schema()
    _set_version(fresh, SCHEMA_VERSION + 1)
    store = fresh.store()
    for call in (
        lambda: store.jobs.get(INSTITUTION, "j1"),
        store.upgrade,
        store.create_schema,
    ):
        with pytest.raises(SchemaVersionError, match="newer than this code") as raised:
            call()
        assert (raised.value.found, raised.value.expected) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)
    assert store.schema_version() == SCHEMA_VERSION + 1


def test_an_empty_version_table_is_recorded_by_create_schema(fresh: Database) -> None:
    """D-51: tables a host's migrations made record no version until create_schema records it."""
    with fresh.engine.begin() as conn:
        if fresh.schema is not None:
            conn.execute(sa.schema.CreateSchema(fresh.schema))
        metadata_for(fresh.schema).create_all(conn)
    store = fresh.store()
    with pytest.raises(SchemaVersionError, match="no single schema version"):
        store.deleted.get(INSTITUTION, ["b1"])
    store.create_schema()
    assert store.schema_version() == SCHEMA_VERSION
    assert fresh.store().deleted.get(INSTITUTION, ["b1"]) == {}


def test_the_check_runs_once_per_store(fresh: Database) -> None:
    """D-49: a store's first call checks the version (two reads); later calls do not."""
    fresh.store().create_schema()
    store = fresh.store()
    with counted(fresh.engine) as first:
        store.deleted.get(INSTITUTION, ["b1"])
    with counted(fresh.engine) as second:
        store.deleted.get(INSTITUTION, ["b1"])
    assert len(first) == len(second) + 2
    assert [s for s in first if "schema_version" in s]
    assert not [s for s in second if "schema_version" in s]


def test_a_failed_check_is_tried_again(fresh: Database) -> None:
    """D-49: a store refused before the upgrade works once another store upgraded."""
    _version_0(fresh)
    store = fresh.store()
    with pytest.raises(SchemaVersionError):
        store.deleted.has_actor(INSTITUTION, Actor.user("jdoe"))
    fresh.store().upgrade()
    assert store.deleted.has_actor(INSTITUTION, Actor.user("jdoe"))


def test_the_check_leaves_the_host_transaction_usable(fresh: Database) -> None:
    """D-49: a refusal inside the host's transaction leaves that transaction usable.

    The check sends no statement that fails, which on PostgreSQL would abort the transaction.
    """
    _version_0(fresh)
    with fresh.engine.begin() as conn:
        with pytest.raises(SchemaVersionError):
            SqlStore(conn, schema=fresh.schema).deleted.get(INSTITUTION, ["b1"])
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1


def test_steps_run_in_one_transaction(fresh: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """D-50: a step that fails undoes the steps before it; the version stays where it was."""

    def broken(conn: sa.Connection, schema: str | None) -> None:
        raise RuntimeError("step 1 -> 2 failed")

    _version_0(fresh)
    monkeypatch.setattr(migrations, "STEPS", (*migrations.STEPS, broken))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", len(migrations.STEPS))
    with pytest.raises(RuntimeError, match="failed"):
        fresh.store().upgrade()
    assert "deleted_repo_superseded" not in _ours(fresh)
    assert fresh.store().schema_version() == 0


def test_a_new_step_runs_alone_on_current_tables(
    fresh: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """D-50: appending a step to STEPS is all an upgrade needs; only the missing steps run."""
    ran: list[int] = []
    current = migrations.SCHEMA_VERSION

    def note(conn: sa.Connection, schema: str | None) -> None:
        ran.append(current + 1)
        conn.execute(sa.text(f"CREATE TABLE {_qualified(fresh, 'deleted_repo_extra')} (x INT)"))

    fresh.store().create_schema()
    monkeypatch.setattr(migrations, "STEPS", (*migrations.STEPS, note))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", len(migrations.STEPS))
    store = fresh.store()
    with pytest.raises(SchemaVersionError, match=f"version {current}"):
        store.jobs.get(INSTITUTION, "j1")
    assert store.upgrade() == current
    assert store.upgrade() == current + 1
    assert ran == [current + 1]
    assert store.schema_version() == current + 1
    with fresh.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {_qualified(fresh, 'deleted_repo_extra')}")
