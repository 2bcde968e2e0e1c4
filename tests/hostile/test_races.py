"""Racing recorded deletions: of two overlapping batches recorded at once, one wins.

Two threads, each with a store on its own engine over the same database, released together by a
barrier, record batches that share one record. In every round exactly one batch is recorded in
full; the other raises our error and leaves nothing of itself behind (R-D1, R-D6: an id is
deleted in exactly one event at a time).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from deleted_repo import Actor, DeletedRepoError, DeletedRepository, Deletion, Record
from deleted_repo.stores.sql import SqlStore

from .conftest import Backend
from .world import HOME, clock

ROUNDS = 8


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_backend(request: pytest.FixtureRequest) -> Backend:
    """Each SQL store in turn."""
    chosen: Backend = request.getfixturevalue(f"{request.param}_backend")
    return chosen


@pytest.fixture
def engines(sql_backend: Backend) -> Iterator[list[sa.Engine]]:
    """Two more engines on the backend's database, disposed of after the test."""
    assert sql_backend.engine is not None
    made = [sa.create_engine(sql_backend.engine.url) for _ in range(2)]
    yield made
    for engine in made:
        engine.dispose()


def race(repos: list[DeletedRepository], batches: list[list[Deletion]]) -> list[Any]:
    """Record each batch in its own thread, all released at once; return what each did."""
    barrier = threading.Barrier(len(repos))
    outcomes: list[Any] = [None] * len(repos)

    def run(slot: int) -> None:
        barrier.wait(10)
        try:
            outcomes[slot] = repos[slot].record_deletions(HOME, batches[slot])
        except Exception as e:  # every outcome is checked by the test
            outcomes[slot] = e

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(len(repos))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_overlapping_recorded_batches_apply_whole_one_after_the_other(
    sql_backend: Backend, engines: list[sa.Engine]
) -> None:
    """R-D1, R-D6: batches that race are each recorded whole, or refused whole.

    A record both batches delete ends with one current deletion, the other superseded: the
    batches were applied one after the other, never interleaved.
    """
    store = sql_backend.fresh()
    repos = [
        DeletedRepository(SqlStore(e, schema=sql_backend.schema), clock=clock) for e in engines
    ]
    store.catalog.add(HOME, [Record("bib", "b")])
    for n in range(ROUNDS):
        shared = Record("holding", f"s{n}", "b")
        own = [Record("holding", f"a{n}", "b"), Record("holding", f"z{n}", "b")]
        batches = [
            [
                Deletion([shared], actor=Actor.user("ana")),
                Deletion([own[0]], actor=Actor.user("ana")),
            ],
            [Deletion([own[1]], actor=Actor.job("J")), Deletion([shared], actor=Actor.job("J"))],
        ]

        outcomes = race(repos, batches)

        won = [slot for slot, o in enumerate(outcomes) if isinstance(o, list)]
        for o in outcomes:
            assert isinstance(o, list | DeletedRepoError), outcomes
        deleted = store.deleted.get(HOME, [shared.id, *(r.id for r in own)])
        assert set(deleted) == {shared.id, *(own[slot].id for slot in won)}, "a trace of a loser"
        older = store.deleted.superseded(HOME, [shared.id]).get(shared.id, ())
        events = {slot: {e.id for e in outcomes[slot]} for slot in won}
        current = deleted[shared.id].event_id
        assert any(current in ids for ids in events.values())
        assert len(older) == len(won) - 1
        for s in older:
            assert any(s.entry.event_id in ids for ids in events.values())
