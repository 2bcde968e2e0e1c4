"""Racing restores: of two overlapping plans run at once, one wins and the other changes nothing.

A restore checks its plan against the state and writes in one transaction (R-E1, R-E2). Two
threads, released together by a barrier, restore overlapping plans many times over; in every round
exactly one restore commits, the other raises `StalePlanError`, no record is restored twice and
none is lost.
"""

from __future__ import annotations

import threading

import pytest

from deleted_repo import (
    Actor,
    ById,
    DeletedRepository,
    Record,
    RestorePlan,
    RestoreResult,
    StalePlanError,
)
from deleted_repo.stores.sql import SqlStore
from tests.support import INSTITUTION, MANAGER, repository

from .conftest import Database

ROUNDS = 12


def race(pairs: list[tuple[DeletedRepository, RestorePlan]]) -> list[RestoreResult | Exception]:
    """Run each restore in its own thread, all released at once; return what each did."""
    barrier = threading.Barrier(len(pairs))
    outcomes: list[RestoreResult | Exception] = [StalePlanError([], "did not run")] * len(pairs)

    def run(slot: int, repo: DeletedRepository, plan: RestorePlan) -> None:
        barrier.wait(10)
        try:
            outcomes[slot] = repo.restore(plan, requester=MANAGER)
        except Exception as e:  # every outcome is checked by the test
            outcomes[slot] = e

    threads = [
        threading.Thread(target=run, args=(slot, repo, plan))
        for slot, (repo, plan) in enumerate(pairs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


@pytest.mark.parametrize("sharing", ["one store", "an engine each"])
def test_overlapping_restores_one_wins(db: Database, store: SqlStore, sharing: str) -> None:
    """Each round, one restore commits and the other is refused as stale; none restores twice."""
    setup = repository(store)
    if sharing == "one store":
        repos = [setup, setup]
    else:
        repos = [repository(db.store(db.new_engine())) for _ in range(2)]
    for n in range(ROUNDS):
        bib, holding = f"b{n}", f"h{n}"
        items = [f"i{n}-{k}" for k in range(3)]
        store.catalog.add(
            INSTITUTION,
            [Record("bib", bib), Record("holding", holding, bib)]
            + [Record("item", i, holding, {"barcode": i}) for i in items],
        )
        setup.delete(INSTITUTION, [bib], actor=Actor.user("jdoe"))
        whole = setup.plan(ById(kind="bib", id=bib), requester=MANAGER)
        one_item = setup.plan(ById(kind="item", id=items[1]), requester=MANAGER)
        plans = [whole, one_item] if n % 2 else [one_item, whole]

        outcomes = race(list(zip(repos, plans, strict=True)))

        won = [o for o in outcomes if isinstance(o, RestoreResult)]
        lost = [o for o in outcomes if not isinstance(o, RestoreResult)]
        assert len(won) == 1, outcomes
        assert len(lost) == 1
        assert isinstance(lost[0], StalePlanError), lost
        restored = set(won[0].restored)
        everything = {bib, holding, *items}
        active = store.catalog.get(INSTITUTION, everything)
        deleted = store.deleted.get(INSTITUTION, everything)
        assert set(active) == restored
        assert set(deleted) == everything - restored
        assert len(won[0].jobs) == 1
    listed = store.jobs.list(INSTITUTION)
    # D-42: each round records the winner's job and the loser's stale attempt.
    assert sorted(j.status.value for j in listed) == ["restored"] * ROUNDS + ["stale"] * ROUNDS


def test_restores_racing_for_a_unique_value_do_not_both_win(db: Database, store: SqlStore) -> None:
    """Two deleted items that held one barcode, restored at once: only one comes back (R-P7)."""
    setup = repository(store)
    repos = [repository(db.store(db.new_engine())) for _ in range(2)]
    store.catalog.add(INSTITUTION, [Record("bib", "b"), Record("holding", "h", "b")])
    for n in range(ROUNDS):
        first, second = f"x{n}", f"y{n}"
        for item in (first, second):
            store.catalog.add(INSTITUTION, [Record("item", item, "h", {"barcode": f"BC{n}"})])
            setup.delete(INSTITUTION, [item], actor=Actor.user("jdoe"))
        plans = [
            setup.plan(ById(kind="item", id=item), requester=MANAGER) for item in (first, second)
        ]

        outcomes = race(list(zip(repos, plans, strict=True)))

        assert sum(isinstance(o, RestoreResult) for o in outcomes) == 1, outcomes
        assert sum(isinstance(o, StalePlanError) for o in outcomes) == 1, outcomes
        assert len(store.catalog.find_by_field(INSTITUTION, "item", "barcode", [f"BC{n}"])) == 1
        assert len(store.catalog.get(INSTITUTION, [first, second])) == 1
