"""The SQL store's own promises: schema, transactions, connections, exact values, field index."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from deleted_repo import (
    Actor,
    ByField,
    ById,
    ByRange,
    ByUser,
    DeletedRecord,
    DeletionEvent,
    IntegrityError,
    MemberRole,
    Record,
    RecordNotFoundError,
    RestoreJob,
)
from deleted_repo.jobs import Outcome, RecordOutcome
from deleted_repo.search import Query, Window
from deleted_repo.stores.memory import MemoryStore
from deleted_repo.stores.sql import SqlStore, metadata
from tests.support import INSTITUTION, MANAGER, OTHER, START, counter, repository

from .conftest import Database


def event(
    event_id: str,
    records: list[Record],
    *,
    at: datetime = START,
    actor: Actor | None = None,
    institution: str = INSTITUTION,
) -> DeletionEvent:
    """A deletion event whose first record is its origin and the rest were deleted with it."""
    who = actor or Actor.user("jdoe")
    origin = records[0].id
    members = [
        DeletedRecord(
            record=r,
            role=MemberRole.ORIGIN if r.id == origin else MemberRole.CASCADE,
            origin_id=origin,
            lineage=(),
            event_id=event_id,
            institution=institution,
            actor=who,
            deleted_at=at,
        )
        for r in records
    ]
    return DeletionEvent(
        id=event_id, institution=institution, actor=who, at=at, origins=[origin], members=members
    )


class Abandon(Exception):
    """Raised to abandon a transaction."""


def abandoned(transactions: SqlStore, *steps: Callable[[], object]) -> None:
    """Run `steps` in a transaction, then raise `Abandon` inside it."""
    with transactions.transaction():
        for step in steps:
            step()
        raise Abandon


def test_metadata_is_schema_less_and_prefixed() -> None:
    """`metadata` holds our nine tables, with no schema, all named deleted_repo_* (D-36)."""
    assert sorted(metadata.tables) == [
        "deleted_repo_catalog",
        "deleted_repo_catalog_field",
        "deleted_repo_deleted",
        "deleted_repo_deleted_field",
        "deleted_repo_event",
        "deleted_repo_lineage",
        "deleted_repo_restore_job",
        "deleted_repo_schema_version",
        "deleted_repo_superseded",
    ]
    assert all(t.schema is None for t in metadata.tables.values())
    assert metadata.schema is None


def test_construction_does_not_connect() -> None:
    """Building a store opens no connection: nothing happens until a call needs one."""
    opened: list[object] = []

    def creator() -> object:
        opened.append(1)
        raise AssertionError("connected")

    for url in ("postgresql+psycopg://", "sqlite://"):
        SqlStore(sa.create_engine(url, creator=creator), schema="anywhere")
    assert opened == []


def test_bind_must_be_an_engine_or_connection() -> None:
    """Anything else is refused at once."""
    with pytest.raises(ValueError, match="Engine or Connection"):
        SqlStore("sqlite://")  # type: ignore[arg-type]


def test_create_schema_is_idempotent(db: Database) -> None:
    """Creating the tables twice keeps them and what they hold; dropping removes them."""
    store = db.store()
    store.create_schema()
    store.catalog.add(INSTITUTION, [Record("bib", "b1")])
    store.create_schema()
    assert list(store.catalog.get(INSTITUTION, ["b1"])) == ["b1"]
    store.drop_schema()
    inspector = sa.inspect(db.engine)
    assert not [t for t in inspector.get_table_names(schema=db.schema) if t in metadata.tables]


def test_postgres_schema_is_created_and_dropped(postgres_db: Database) -> None:
    """On PostgreSQL the store's schema is made on demand and dropped once empty."""
    store = postgres_db.store()
    store.create_schema()
    assert postgres_db.schema in sa.inspect(postgres_db.engine).get_schema_names()
    store.drop_schema()
    assert postgres_db.schema not in sa.inspect(postgres_db.engine).get_schema_names()


def test_datetimes_come_back_exactly(store: SqlStore) -> None:
    """Times with microseconds and any offset come back equal, and order by the instant."""
    plus_two = timezone(timedelta(hours=2))
    first = datetime(2026, 3, 1, 11, 0, 0, 1, tzinfo=plus_two)
    second = first + timedelta(microseconds=1)
    store.deleted.add_events(
        [
            event("e1", [Record("bib", "b1")], at=first),
            event("e2", [Record("bib", "b2")], at=second),
        ]
    )
    found = store.deleted.get(INSTITUTION, ["b1", "b2"])
    assert found["b1"].deleted_at == first
    assert found["b1"].deleted_at.utcoffset() is not None
    window = Window(start=second, end=second)
    hits = store.deleted.find(Query(institution=INSTITUTION, kind="bib", window=window))
    assert [h.id for h in hits] == ["b2"]
    ordered = store.deleted.find(Query(institution=INSTITUTION, kind="bib"))
    assert [h.id for h in ordered] == ["b2", "b1"]


def test_data_and_jobs_round_trip(store: SqlStore) -> None:
    """Record data and restore jobs (criteria, counts, outcomes) read back equal."""
    data = {"title": "Ünïcödé ✓", "n": 3, "x": 1.5, "flag": True, "none": None, "list": [1, "a"]}
    store.catalog.add(INSTITUTION, [Record("bib", "b1", None, data)])
    assert store.catalog.get(INSTITUTION, ["b1"])["b1"].data == data
    job = RestoreJob(
        id="j1",
        institution=INSTITUTION,
        requested_by="ana",
        at=datetime(2026, 3, 1, 9, 0, 0, 7, tzinfo=timezone(timedelta(hours=-5))),
        criteria=ByRange(kind="item", start=START - timedelta(days=3), end=START),
        batch=1,
        batches=2,
        counts={"item": 1},
        outcomes=[
            RecordOutcome(id="i1", kind="item", outcome=Outcome.RESTORED),
            RecordOutcome(id="i2", kind="item", outcome=Outcome.EXCLUDED, reason="active again"),
        ],
    )
    store.jobs.add(job)
    assert store.jobs.get(INSTITUTION, "j1") == job
    assert store.jobs.get(OTHER, "j1") is None
    with pytest.raises(IntegrityError, match="j1"):
        store.jobs.add(job)


def test_ids_order_by_code_point(store: SqlStore) -> None:
    """Ids of one deletion time sort as Python sorts them, whatever the database's collation."""
    ids = ["b", "B", "a", "Z", "é", "e", "10", "9", "a b", "ab"]
    store.deleted.add_events([event("e1", [Record("bib", i) for i in ids])])
    query = Query(institution=INSTITUTION, kind="bib")
    assert [h.id for h in store.deleted.find(query)] == sorted(ids)
    paged, cursor = [], None
    while True:
        page = store.deleted.find(query, after=cursor, limit=3)
        if not page:
            break
        paged += [h.id for h in page]
        cursor = (page[-1].deleted_at, page[-1].id)
    assert paged == sorted(ids)


def test_latest_event_breaks_ties_by_insertion_order(store: SqlStore) -> None:
    """Of two events at the same time, the one added last is the latest, until it is gone."""
    user = Actor.user("jdoe")
    store.deleted.add_events([event("e-z", [Record("bib", "b1")], actor=user)])
    store.deleted.add_events([event("e-a", [Record("bib", "b2")], actor=user)])
    window = Window(start=None, end=None)
    assert store.deleted.latest_event(INSTITUTION, user, window) == "e-a"
    store.deleted.remove(INSTITUTION, ["b2"])
    assert store.deleted.latest_event(INSTITUTION, user, window) == "e-z"
    assert store.deleted.has_actor(INSTITUTION, user)
    assert not store.deleted.has_actor(INSTITUTION, Actor.user("other"))


def test_a_failed_transaction_keeps_nothing(store: SqlStore) -> None:
    """A block that raises undoes every write of the three parts."""
    with pytest.raises(Abandon):
        abandoned(
            store,
            lambda: store.catalog.add(INSTITUTION, [Record("bib", "b1")]),
            lambda: store.deleted.add_events([event("e1", [Record("bib", "b2")])]),
        )
    assert store.catalog.get(INSTITUTION, ["b1"]) == {}
    assert store.deleted.get(INSTITUTION, ["b2"]) == {}
    assert not store.deleted.has_actor(INSTITUTION, Actor.user("jdoe"))


def test_a_nested_transaction_that_fails_undoes_only_its_writes(store: SqlStore) -> None:
    """The inner block joins the outer one; if it raises, only its own writes are undone."""
    with store.transaction():
        store.catalog.add(INSTITUTION, [Record("bib", "b1")])
        with pytest.raises(Abandon):
            abandoned(store, lambda: store.catalog.add(INSTITUTION, [Record("bib", "b2")]))
        store.catalog.add(INSTITUTION, [Record("bib", "b3")])
    assert sorted(store.catalog.get(INSTITUTION, ["b1", "b2", "b3"])) == ["b1", "b3"]


def test_a_refused_write_in_a_transaction_changes_nothing(store: SqlStore) -> None:
    """A write the store refuses changes nothing, and the transaction goes on."""
    with store.transaction():
        store.catalog.add(INSTITUTION, [Record("bib", "b1")])
        with pytest.raises(IntegrityError, match="b1"):
            store.catalog.add(INSTITUTION, [Record("bib", "b2"), Record("bib", "b1")])
        with pytest.raises(RecordNotFoundError) as raised:
            store.catalog.remove(INSTITUTION, ["b1", "nope"])
        assert raised.value.ids == ("nope",)
        store.catalog.add(INSTITUTION, [Record("bib", "b3")])
    assert sorted(store.catalog.get(INSTITUTION, ["b1", "b2", "b3"])) == ["b1", "b3"]


def test_threads_do_not_share_a_transaction(store: SqlStore) -> None:
    """Another thread using the same store does not see an open transaction's writes."""
    opened, checked = threading.Event(), threading.Event()
    seen: list[object] = []

    def look() -> None:
        opened.wait(10)
        seen.append(store.catalog.get(INSTITUTION, ["b1"]))
        checked.set()

    reader = threading.Thread(target=look)
    reader.start()
    with pytest.raises(Abandon):
        abandoned(
            store,
            lambda: store.catalog.add(INSTITUTION, [Record("bib", "b1")]),
            opened.set,
            lambda: checked.wait(10),
        )
    reader.join()
    assert seen == [{}]
    assert store.catalog.get(INSTITUTION, ["b1"]) == {}


def test_a_connection_bind_joins_the_host_transaction(db: Database) -> None:
    """Given a connection in a transaction, the store's writes stand or fall with the host's."""
    db.store().create_schema()
    with db.engine.connect() as conn:
        store = db.store(conn)
        with conn.begin():
            store.catalog.add(INSTITUTION, [Record("bib", "b1")])
            with pytest.raises(Abandon):
                abandoned(store, lambda: store.catalog.add(INSTITUTION, [Record("bib", "b2")]))
            assert conn.in_transaction()
            host = conn.begin_nested()
            store.catalog.add(INSTITUTION, [Record("bib", "b3")])
            host.rollback()
        assert sorted(store.catalog.get(INSTITUTION, ["b1", "b2", "b3"])) == ["b1"]
        trans = conn.begin()
        store.catalog.add(INSTITUTION, [Record("bib", "b4")])
        trans.rollback()
        store.catalog.add(INSTITUTION, [Record("bib", "b5")])
        assert not conn.in_transaction()
    assert sorted(db.store().catalog.get(INSTITUTION, ["b1", "b4", "b5"])) == ["b1", "b5"]
    db.store().drop_schema()


def test_restore_through_a_connection_bind(db: Database) -> None:
    """The facade runs a whole delete and restore on a host's connection."""
    db.store().create_schema()
    with db.engine.connect() as conn:
        store = db.store(conn)
        repo = repository(store, new_id=counter("id"))
        store.catalog.add(INSTITUTION, [Record("bib", "b1"), Record("holding", "h1", "b1")])
        repo.delete(INSTITUTION, ["b1"], actor=Actor.user("jdoe"))
        restored = repo.restore(
            repo.plan(ById(kind="bib", id="b1"), requester=MANAGER), requester=MANAGER
        )
        assert restored.restored == ("b1", "h1")
    assert sorted(db.store().catalog.get(INSTITUTION, ["b1", "h1"])) == ["b1", "h1"]
    db.store().drop_schema()


def test_fields_outside_the_index_are_still_found(db: Database) -> None:
    """With no field indexed, searches and unique checks by field give the same answers."""
    plain = db.store(indexed_fields={})
    plain.create_schema()
    item = Record("item", "i1", "h1", {"barcode": "B-1", "n": 1})
    plain.deleted.add_events([event("e1", [item, Record("item", "i2", "h1", {"barcode": "x"})])])
    plain.catalog.add(INSTITUTION, [Record("item", "i3", "h1", {"barcode": "B-1", "n": 1.0})])
    hits = plain.deleted.find(Query(institution=INSTITUTION, kind="item", field=("barcode", "B-1")))
    assert [h.id for h in hits] == ["i1"]
    assert plain.catalog.find_by_field(INSTITUTION, "item", "n", [True, [1]]) == {True: "i3"}
    indexed = db.store(indexed_fields={"item": ["barcode", "n"]})
    assert (
        indexed.deleted.find(Query(institution=INSTITUTION, kind="item", field=("barcode", "B-1")))
        == []
    )
    indexed.reindex()
    assert (
        indexed.deleted.find(Query(institution=INSTITUTION, kind="item", field=("barcode", "B-1")))
        == hits
    )
    assert indexed.catalog.find_by_field(INSTITUTION, "item", "n", [True, [1]]) == {True: "i3"}
    plain.drop_schema()


def test_field_values_match_as_python_compares_them(store: SqlStore) -> None:
    """1, 1.0 and True are one value, "1" another; the lowest id wins a shared value."""
    store.catalog.add(
        INSTITUTION,
        [
            Record("item", "i2", "h1", {"barcode": 1}),
            Record("item", "i1", "h1", {"barcode": 1.0}),
            Record("item", "i3", "h1", {"barcode": "1"}),
            Record("item", "i4", "h1", {"barcode": "x" * 500}),
        ],
    )
    found = store.catalog.find_by_field(
        INSTITUTION, "item", "barcode", [True, "1", "x" * 500, 2, None]
    )
    assert found == {True: "i1", "1": "i3", "x" * 500: "i4"}
    store.catalog.remove(INSTITUTION, ["i1"])
    assert store.catalog.find_by_field(INSTITUTION, "item", "barcode", [1]) == {1: "i2"}


def test_the_facade_agrees_with_the_memory_store(store: SqlStore) -> None:
    """One story told to the in-memory and the SQL store gives the same searches and jobs."""
    results = []
    for backend in (MemoryStore(), store):
        repo = repository(backend, new_id=counter("id"))
        backend.catalog.add(
            INSTITUTION,
            [
                Record("bib", "b1", None, {"title": "One"}),
                Record("holding", "h1", "b1"),
                Record("item", "i1", "h1", {"barcode": "B1"}),
                Record("item", "i2", "h1", {"barcode": "B2"}),
                Record("bib", "b2"),
            ],
        )
        repo.delete(INSTITUTION, ["i2"], actor=Actor.user("jdoe"))
        repo.delete(INSTITUTION, ["b1", "b2"], actor=Actor.job("J1"))
        pages = [
            repo.search(criteria, requester=MANAGER)
            for criteria in (
                ByUser(kind="item", user_id="jdoe"),
                ByField(kind="item", field="barcode", value="B1"),
                ByRange(kind="bib", start=START - timedelta(days=1), end=START),
            )
        ]
        plan = repo.plan(ById(kind="item", id="i2"), requester=MANAGER)
        restored = repo.restore(plan, requester=MANAGER)
        results.append((pages, plan, restored, repo.restore_jobs(requester=MANAGER)))
    assert results[0] == results[1]


def test_other_institutions_see_nothing(store: SqlStore) -> None:
    """Records, events and jobs of one institution are invisible from another (R-M3)."""
    store.catalog.add(INSTITUTION, [Record("bib", "b1")])
    store.deleted.add_events([event("e1", [Record("bib", "b2")])])
    store.catalog.add(OTHER, [Record("bib", "b1")])
    assert store.deleted.get(OTHER, ["b2"]) == {}
    assert store.deleted.find(Query(institution=OTHER, kind="bib")) == []
    assert not store.deleted.has_actor(OTHER, Actor.user("jdoe"))
    with pytest.raises(RecordNotFoundError):
        store.deleted.remove(OTHER, ["b2"])
    store.catalog.remove(OTHER, ["b1"])
    assert list(store.catalog.get(INSTITUTION, ["b1"])) == ["b1"]


def test_add_events_refuses_duplicate_events_and_keeps_nothing(store: SqlStore) -> None:
    """An event id already recorded, or given twice, fails the whole batch (R-D6 aside)."""
    store.deleted.add_events([event("e1", [Record("bib", "b1")])])
    with pytest.raises(IntegrityError, match="e1"):
        store.deleted.add_events(
            [event("e2", [Record("bib", "b2")]), event("e1", [Record("bib", "b3")])]
        )
    with pytest.raises(IntegrityError, match="e3"):
        store.deleted.add_events(
            [event("e3", [Record("bib", "b1")]), event("e3", [Record("bib", "b4")])]
        )
    with pytest.raises(IntegrityError, match="e1"):
        store.deleted.add_events(
            [event("e4", [Record("bib", "b1")]), event("e1", [Record("bib", "b9")])]
        )
    assert list(store.deleted.get(INSTITUTION, ["b1", "b2", "b3", "b4"])) == ["b1"]
    assert store.deleted.get(INSTITUTION, ["b1"])["b1"].event_id == "e1"
    assert store.deleted.superseded(INSTITUTION, ["b1"]) == {}


def test_sqlite_writes_begin_immediate_and_reads_do_not(sqlite_db: Database) -> None:
    """On SQLite a write transaction takes the write lock at BEGIN; a read does not."""
    store = sqlite_db.store()
    store.create_schema()
    sent: list[str] = []

    def capture(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    sa.event.listen(sqlite_db.engine, "before_cursor_execute", capture)
    with store.transaction():
        store.catalog.get(INSTITUTION, ["b1"])
    store.catalog.get(INSTITUTION, ["b1"])
    store.catalog.add(INSTITUTION, [Record("bib", "b1")])
    sa.event.remove(sqlite_db.engine, "before_cursor_execute", capture)
    assert [s for s in sent if s.startswith("BEGIN")] == [
        "BEGIN IMMEDIATE",
        "BEGIN",
        "BEGIN IMMEDIATE",
    ]
    with sqlite_db.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_postgres_write_transactions_hold_the_store_lock(postgres_db: Database) -> None:
    """On PostgreSQL a write transaction holds the schema's advisory lock until it ends."""
    store = postgres_db.store()
    store.create_schema()
    key = zlib.crc32(f"deleted_repo:{postgres_db.schema}".encode())
    query = sa.text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND classid = 0 AND objid::bigint = :key"
    )
    with postgres_db.engine.connect() as observer:
        with store.transaction():
            assert observer.execute(query, {"key": key}).scalar() == 1
            observer.rollback()
        assert observer.execute(query, {"key": key}).scalar() == 0
    store.drop_schema()
