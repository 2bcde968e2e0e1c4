"""Batch-first: the statements sent to the database do not grow with the records handled.

Statements are counted with SQLAlchemy's ``before_cursor_execute`` event, so an executemany counts
once, as it is one round trip.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from deleted_repo import (
    Actor,
    ById,
    ByUser,
    DeletedRecord,
    DeletedRepository,
    DeletionEvent,
    MemberRole,
    Record,
)
from deleted_repo.stores.sql import SqlStore
from tests.support import INSTITUTION, MANAGER, START, Wrapped, repository

from .conftest import Database, counted


def deleted_bib(store: SqlStore, bib: str, records: int) -> DeletedRepository:
    """A bib, one holding and items, `records` in all, deleted together by one user."""
    repo = repository(store)
    holding = f"{bib}-h"
    items = [
        Record("item", f"{bib}-i{n}", holding, {"barcode": f"{bib}-{n}"})
        for n in range(records - 2)
    ]
    store.catalog.add(INSTITUTION, [Record("bib", bib), Record("holding", holding, bib), *items])
    repo.delete(INSTITUTION, [bib], actor=Actor.user("jdoe"))
    return repo


def statements_of(engine: sa.Engine, action: Callable[[], object]) -> list[str]:
    with counted(engine) as statements:
        action()
    return statements


def test_restore_statements_do_not_grow_with_records(db: Database, store: SqlStore) -> None:
    """Planning and restoring 5,000 records sends as many statements as 50 records (R-P8 cap)."""
    small = deleted_bib(store, "small", 50)
    records = 5000
    large = deleted_bib(store, "large", records)

    def plan_and_restore(repo: DeletedRepository, bib: str) -> tuple[str, ...]:
        plan = repo.plan(ById(kind="bib", id=bib), requester=MANAGER)
        return repo.restore(plan, requester=MANAGER).restored

    baseline = statements_of(db.engine, lambda: plan_and_restore(small, "small"))
    measured = statements_of(db.engine, lambda: plan_and_restore(large, "large"))
    assert len(measured) == len(baseline), (baseline, measured)
    assert len(measured) < 60
    assert (
        len(store.catalog.get(INSTITUTION, [f"large-i{n}" for n in range(records - 2)]))
        == records - 2
    )


class CountedReads:
    """A `Wrapped` store's hook: counts, per id, the records `deleted.get` and `.find` return."""

    def __init__(self) -> None:
        self.reads: Counter[str] = Counter()

    def __call__(self, name: str, call: Callable[[], Any]) -> Any:
        found = call()
        if name == "deleted.get":
            self.reads.update(found.keys())
        elif name == "deleted.find":
            self.reads.update(e.id for e in found)
        return found


def test_a_restore_reads_each_planned_record_once(db: Database, store: SqlStore) -> None:
    """Executing a plan reads each of its records from the deleted store once (R-E2's checks).

    Its targets come from re-running the plan's search; the freshness check uses those, and
    reads only the other records (here the bib's holding and items, deleted with it).
    """
    deleted_bib(store, "b1", 40)
    items = [Record("item", f"u-{n}", "b1-h2") for n in range(30)]
    store.catalog.add(INSTITUTION, [Record("holding", "b1-h2", "b2"), Record("bib", "b2"), *items])
    counted_reads = CountedReads()
    repo = repository(Wrapped(store, counted_reads))
    repo.delete(INSTITUTION, [i.id for i in items], actor=Actor.user("bo"))
    for criteria in (ById(kind="bib", id="b1"), ByUser(kind="item", user_id="bo")):
        plan = repo.plan(criteria, requester=MANAGER)
        counted_reads.reads.clear()
        restored = repo.restore(plan, requester=MANAGER).restored
        assert len(restored) in (40, 30)
        assert counted_reads.reads == Counter(restored), criteria


def _events(prefix: str, count: int, size: int) -> list[DeletionEvent]:
    actor = Actor.job("J1")
    events = []
    for n in range(count):
        ids = [f"{prefix}{n}-{k}" for k in range(size)]
        members = [
            DeletedRecord(
                record=Record(
                    "bib" if k == 0 else "holding",
                    ident,
                    None if k == 0 else ids[0],
                    {"barcode": ident},
                ),
                role=MemberRole.ORIGIN if k == 0 else MemberRole.CASCADE,
                origin_id=ids[0],
                lineage=() if k == 0 else (ids[0],),
                event_id=f"{prefix}{n}",
                institution=INSTITUTION,
                actor=actor,
                deleted_at=START - timedelta(seconds=n),
            )
            for k, ident in enumerate(ids)
        ]
        events.append(
            DeletionEvent(
                id=f"{prefix}{n}",
                institution=INSTITUTION,
                actor=actor,
                at=START - timedelta(seconds=n),
                origins=[ids[0]],
                members=members,
            )
        )
    return events


def test_add_events_is_one_insert_per_table(db: Database, store: SqlStore) -> None:
    """Recording 2,000 events sends one executemany per table, as recording one does.

    The tables: events, their lineages' links (D-36), deleted records and their fields.
    """
    store_with_fields = db.store(indexed_fields={"holding": ["barcode"]})
    store_with_fields.deleted.get(INSTITUTION, ["none"])  # the first call checks the version
    one = statements_of(db.engine, lambda: store_with_fields.deleted.add_events(_events("a", 1, 5)))
    many = statements_of(
        db.engine, lambda: store_with_fields.deleted.add_events(_events("b", 2000, 5))
    )
    inserts = [s for s in many if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 4
    assert len(many) == len(one)


def test_record_deletion_statements_do_not_grow_with_records(db: Database, store: SqlStore) -> None:
    """Recording a deletion the host made sends as many statements for 2,000 records as for 3."""
    repo = repository(store)

    def record(prefix: str, size: int) -> None:
        records = [Record("bib", prefix)] + [
            Record("holding", f"{prefix}{n}", prefix) for n in range(size - 1)
        ]
        repo.record_deletion(INSTITUTION, records, actor=Actor.user("jdoe"))

    assert len(statements_of(db.engine, lambda: record("x", 3))) == len(
        statements_of(db.engine, lambda: record("y", 2000))
    )


def test_a_set_based_restore_sends_few_statements_whatever_its_size(
    db: Database, store: SqlStore
) -> None:
    """D-53: executing 5,000 records through `SetRestores` sends as many statements as 50.

    The freshness check reads the batch's rows in one statement and the move is one statement
    per table, so a restore on PostgreSQL makes a bounded number of round trips (R-E1, R-E2).
    """
    small = deleted_bib(store, "small", 50)
    large = deleted_bib(store, "large", 5000)
    sent = []
    for repo, bib in ((small, "small"), (large, "large")):
        plan = repo.plan(ById(kind="bib", id=bib), requester=MANAGER)
        sent.append(
            statements_of(db.engine, functools.partial(repo.restore, plan, requester=MANAGER))
        )
    assert len(sent[1]) == len(sent[0]), sent
    assert len(sent[1]) <= 16, sent[1]
    assert not store.deleted.get(INSTITUTION, ["large", "large-h", "large-i0"])
