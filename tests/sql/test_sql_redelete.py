"""An id deleted again supersedes its older deletion in the SQL store (R-D6), on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from deleted_repo import Actor, DeletedRecord, DeletionEvent, MemberRole, Record, Superseded
from deleted_repo.errors import IntegrityError
from deleted_repo.search import Query, Window
from deleted_repo.stores.sql import SqlStore
from tests.support import ANA, BO, INSTITUTION, OTHER, START

from .conftest import Database, counted

WINDOW = Window(start=START - timedelta(days=30), end=START + timedelta(days=1))


def event(
    event_id: str,
    records: list[Record],
    *,
    minutes: int = 0,
    actor: Actor = ANA,
    institution: str = INSTITUTION,
) -> DeletionEvent:
    """An event `minutes` after START: the first record its origin, the rest deleted with it."""
    at = START + timedelta(minutes=minutes)
    origin = records[0].id
    members = [
        DeletedRecord(
            record=r,
            role=MemberRole.ORIGIN if r.id == origin else MemberRole.CASCADE,
            origin_id=origin,
            lineage=() if r.id == origin else (origin,),
            event_id=event_id,
            institution=institution,
            actor=actor,
            deleted_at=at,
        )
        for r in records
    ]
    return DeletionEvent(
        id=event_id, institution=institution, actor=actor, at=at, origins=[origin], members=members
    )


def bib(ident: str, title: str) -> Record:
    """A bib with a title and a barcode-like indexed field."""
    return Record("bib", ident, None, {"title": title, "barcode": f"B-{title}"})


@pytest.fixture
def indexed(db: Database) -> Iterator[SqlStore]:
    """A store whose bibs' ``barcode`` field is indexed, its tables created."""
    created = db.store(indexed_fields={"bib": ["barcode"]})
    created.create_schema()
    yield created
    created.drop_schema()


def by_barcode(store: SqlStore, value: str) -> list[str]:
    """The ids of the deleted bibs found by an indexed field's value."""
    found = store.deleted.find(Query(institution=INSTITUTION, kind="bib", field=("barcode", value)))
    return [r.id for r in found]


def test_a_later_call_supersedes_the_deleted_record(indexed: SqlStore) -> None:
    """R-D6: deleting an id again keeps only the newer deletion; the older is superseded."""
    first = event("e1", [bib("b1", "old"), Record("holding", "h1", "b1")])
    indexed.deleted.add_events([first])
    second = event("e2", [bib("b1", "new")], minutes=5, actor=BO)
    indexed.deleted.add_events([second])
    d = indexed.deleted
    assert d.get(INSTITUTION, ["b1"]) == {"b1": second.members[0]}
    assert d.superseded(INSTITUTION, ["b1", "h1"]) == {
        "b1": [Superseded(entry=first.members[0], by="e2")]
    }
    assert [
        r.id for r in d.find(Query(institution=INSTITUTION, kind="bib", ids=frozenset({"b1"})))
    ] == ["b1"]
    assert d.find(Query(institution=INSTITUTION, kind="bib", event_ids=frozenset({"e1"}))) == []
    assert by_barcode(indexed, "B-old") == []
    assert by_barcode(indexed, "B-new") == ["b1"]


def test_one_call_applies_its_events_in_order(indexed: SqlStore) -> None:
    """R-D6: in one call a later event's member supersedes an earlier event's, oldest first."""
    stored = event("e0", [bib("b1", "zero")])
    indexed.deleted.add_events([stored])
    batch = [
        event("e1", [bib("b1", "one"), bib("b2", "two")], minutes=1),
        event("e2", [bib("b1", "three")], minutes=2),
        event("e3", [bib("b2", "four"), bib("b1", "five")], minutes=3),
    ]
    indexed.deleted.add_events(batch)
    d = indexed.deleted
    assert d.get(INSTITUTION, ["b1", "b2"]) == {
        "b1": batch[2].members[1],
        "b2": batch[2].members[0],
    }
    assert d.superseded(INSTITUTION, ["b2", "b1", "b9"]) == {
        "b2": [Superseded(entry=batch[0].members[1], by="e3")],
        "b1": [
            Superseded(entry=stored.members[0], by="e1"),
            Superseded(entry=batch[0].members[0], by="e2"),
            Superseded(entry=batch[1].members[0], by="e3"),
        ],
    }
    assert sorted(by_barcode(indexed, v)[0] for v in ("B-four", "B-five")) == ["b1", "b2"]
    assert [by_barcode(indexed, f"B-{v}") for v in ("zero", "one", "two", "three")] == [[]] * 4


def test_superseding_stays_in_its_institution(store: SqlStore) -> None:
    """R-M3, R-D6: deleting an id in one institution leaves another's deletion of it alone."""
    other = event("o1", [Record("bib", "b1")], institution=OTHER)
    store.deleted.add_events([other, event("e1", [Record("bib", "b1")])])
    store.deleted.add_events([event("e2", [Record("bib", "b1")], institution=OTHER)])
    assert store.deleted.get(INSTITUTION, ["b1"])["b1"].event_id == "e1"
    assert store.deleted.superseded(INSTITUTION, ["b1"]) == {}
    assert store.deleted.superseded(OTHER, ["b1"]) == {
        "b1": [Superseded(entry=other.members[0], by="e2")]
    }


def test_an_event_wholly_superseded_is_no_users_latest(store: SqlStore) -> None:
    """R-S4, R-D6: an event whose records were all deleted again has no records left."""
    d = store.deleted
    d.add_events([event("e1", [Record("bib", "b1"), Record("holding", "h1", "b1")])])
    d.add_events([event("e2", [Record("bib", "b2")], minutes=1)])
    d.add_events([event("e3", [Record("bib", "b2")], minutes=2, actor=BO)])
    assert d.latest_event(INSTITUTION, ANA, WINDOW) == "e1"
    d.add_events([event("e4", [Record("holding", "h1")], minutes=3, actor=BO)])
    assert d.latest_event(INSTITUTION, ANA, WINDOW) == "e1"
    d.add_events([event("e5", [Record("bib", "b1")], minutes=4, actor=BO)])
    assert d.latest_event(INSTITUTION, ANA, WINDOW) is None
    assert d.latest_event(INSTITUTION, BO, WINDOW) == "e5"


def test_removing_the_current_deletion_keeps_the_superseded(store: SqlStore) -> None:
    """R-D6: restoring or purging the newer deletion leaves the older one superseded."""
    first = event("e1", [Record("bib", "b1")])
    store.deleted.add_events([first, event("e2", [Record("bib", "b1")], minutes=1)])
    store.deleted.remove(INSTITUTION, ["b1"])
    assert store.deleted.get(INSTITUTION, ["b1"]) == {}
    assert store.deleted.superseded(INSTITUTION, ["b1"]) == {
        "b1": [Superseded(entry=first.members[0], by="e2")]
    }
    store.deleted.add_events([event("e3", [Record("bib", "b1")], minutes=2)])
    assert [s.by for s in store.deleted.superseded(INSTITUTION, ["b1"])["b1"]] == ["e2"]


def test_a_failed_transaction_puts_the_older_deletion_back(indexed: SqlStore) -> None:
    """R-D6: a transaction undone after superseding leaves the older deletion exactly as it was."""
    first = event("e1", [bib("b1", "old"), Record("holding", "h1", "b1")])
    indexed.deleted.add_events([first])
    seen: list[str] = []

    def supersede_then_fail() -> None:
        with indexed.transaction():
            indexed.deleted.add_events([event("e2", [bib("b1", "new")], minutes=1)])
            seen.append(indexed.deleted.get(INSTITUTION, ["b1"])["b1"].event_id)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        supersede_then_fail()
    assert seen == ["e2"]
    assert indexed.deleted.get(INSTITUTION, ["b1", "h1"]) == {
        "b1": first.members[0],
        "h1": first.members[1],
    }
    assert indexed.deleted.superseded(INSTITUTION, ["b1"]) == {}
    assert by_barcode(indexed, "B-old") == ["b1"]
    assert indexed.deleted.latest_event(INSTITUTION, ANA, WINDOW) == "e1"


def test_a_refused_event_id_supersedes_nothing(store: SqlStore) -> None:
    """R-D6: a batch refused for a recorded event id leaves the deletions it would supersede."""
    first = event("e1", [Record("bib", "b1")])
    store.deleted.add_events([first])
    refused = [event("e2", [Record("bib", "b1")], minutes=1), event("e1", [Record("bib", "b2")])]
    with pytest.raises(IntegrityError, match="e1"):
        store.deleted.add_events(refused)
    assert store.deleted.get(INSTITUTION, ["b1", "b2"]) == {"b1": first.members[0]}
    assert store.deleted.superseded(INSTITUTION, ["b1"]) == {}


def redelete(store: SqlStore, engine: sa.Engine, prefix: str, size: int) -> tuple[int, int]:
    """Statements sent to delete `size` records, then to delete them all again in two events."""
    ids = [f"{prefix}{n}" for n in range(size)]
    records = [bib(ident, ident) for ident in ids]
    with counted(engine) as first:
        store.deleted.add_events([event(f"{prefix}-e1", records)])
    again = [
        event(f"{prefix}-e2", records, minutes=1),
        event(f"{prefix}-e3", records[: size // 2 + 1], minutes=2),
    ]
    with counted(engine) as second:
        store.deleted.add_events(again)
    superseded = store.deleted.superseded(INSTITUTION, ids)
    assert len(superseded) == size
    assert len(superseded[ids[0]]) == 2
    return len(first), len(second)


def test_superseding_statements_do_not_grow_with_records(db: Database, indexed: SqlStore) -> None:
    """R-D6: deleting 500 records again sends as many statements as deleting 5 again.

    That is four more than deleting them the first time: the move, the two deletes, and the
    insert of the supersedes within the call (the query for deleted members runs either way).
    """
    small = redelete(indexed, db.engine, "s", 5)
    large = redelete(indexed, db.engine, "l", 500)
    assert small == large
    first, second = large
    assert second - first == 4


def test_superseded_of_no_ids_reads_nothing(db: Database, store: SqlStore) -> None:
    """The read of no ids sends no statement and finds nothing."""
    with counted(db.engine) as statements:
        assert store.deleted.superseded(INSTITUTION, []) == {}
    assert statements == []


def test_create_schema_adds_the_superseded_table_to_an_older_database(
    db: Database, store: SqlStore
) -> None:
    """A database made before R-D6 gets its superseded table from `create_schema`, data kept."""
    first = event("e1", [Record("bib", "b1")])
    store.deleted.add_events([first])
    with db.engine.begin() as conn:
        prefix = "" if db.schema is None else f'"{db.schema}".'
        conn.exec_driver_sql(f"DROP TABLE {prefix}deleted_repo_superseded")
    store.create_schema()
    store.deleted.add_events([event("e2", [Record("bib", "b1")], minutes=1)])
    assert store.deleted.superseded(INSTITUTION, ["b1"]) == {
        "b1": [Superseded(entry=first.members[0], by="e2")]
    }
