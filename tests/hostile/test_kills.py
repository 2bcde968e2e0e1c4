"""Kills: a `KeyboardInterrupt` in the middle of a delete, a recorded batch, a purge or a restore.

A kill is a `BaseException`, which `except Exception` does not catch. It is raised from a
wrapped port, before or after each write in turn lands, and from a listener after a restore
commits. Every time, on every store, the call leaves the state exactly as before (or, for the
listener, exactly as the committed restore left it), and the invariants I1, I4 and I5 hold.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from deleted_repo import (
    Actor,
    ById,
    DeletedRepository,
    Deletion,
    Record,
    RestorePlan,
)
from deleted_repo.ports import Store

from .conftest import Backend
from .values import NOW
from .world import HOME, KNOWN_IDS, MANAGER, OTHER, POLICIES, seed, snapshot

WRITES = {"add", "remove", "add_events"}


class Kill(KeyboardInterrupt):
    """The kill the tests inject."""


class Killer:
    """Counts write calls through the wrapped ports; kills the `at`-th, before or after it."""

    def __init__(self) -> None:
        self.at: int | None = None
        self.after = False
        self.calls = 0

    def write(self, apply: Callable[[], Any]) -> Any:
        self.calls += 1
        chosen = self.calls == self.at
        if chosen and not self.after:
            raise Kill(f"before write {self.calls}")
        result = apply()
        if chosen:
            raise Kill(f"after write {self.calls}")
        return result


class KillingPort:
    """A port whose write methods go through a `Killer`; every other method is the port's."""

    def __init__(self, inner: Any, killer: Killer) -> None:
        self._inner = inner
        self._killer = killer

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)
        if name not in WRITES:
            return method
        return lambda *args, **kwargs: self._killer.write(lambda: method(*args, **kwargs))


class KillingStore:
    """A store whose three ports can be killed at any write; transactions are the store's."""

    def __init__(self, inner: Store, killer: Killer) -> None:
        self.inner = inner
        self.catalog: Any = KillingPort(inner.catalog, killer)
        self.deleted: Any = KillingPort(inner.deleted, killer)
        self.jobs: Any = KillingPort(inner.jobs, killer)

    def transaction(self) -> Any:
        return self.inner.transaction()

    def index_fields(self, fields: Any) -> None:
        self.inner.index_fields(fields)


NEW = [Record("holding", "n2", "b3"), Record("item", "n3", "n2", {"barcode": "N3"})]


def _delete(repo: DeletedRepository) -> object:
    return repo.delete(HOME, ["b1"], actor=Actor.user("ana"), emptied_parents="delete")


def _record_batch(repo: DeletedRepository) -> object:
    return repo.record_deletions(
        HOME,
        [
            Deletion(NEW, actor=Actor.user("ana")),
            Deletion([Record("file", "n4", "r1")], actor=Actor.job("J2")),
        ],
    )


def _purge(repo: DeletedRepository) -> object:
    return repo.purge(requester=MANAGER)


def _restore(repo: DeletedRepository) -> object:
    plan = repo.plan(ById(kind="item", id="i2"), requester=MANAGER, batches=True)
    return repo.restore(plan, requester=MANAGER)


OPERATIONS: dict[str, Callable[[DeletedRepository], object]] = {
    "delete": _delete,
    "record_deletions": _record_batch,
    "purge": _purge,
    "restore": _restore,
}


def invariants(store: Store, cap: int = POLICIES["default"].max_records_per_job) -> None:
    """I1, I4, I5 over every id the world knows."""
    ids = [*KNOWN_IDS, "n2", "n3", "n4"]
    for institution in (HOME, OTHER):
        active = store.catalog.get(institution, ids)
        deleted = store.deleted.get(institution, ids)
        for record in active.values():
            parent = record.parent_id
            assert parent is None or parent in active, f"I1: {record.id!r} is an orphan"
        assert not active.keys() & deleted.keys(), "I5: ids both active and deleted"
        for job in store.jobs.list(institution):
            assert len(job.restored) <= cap, f"I4: job {job.id} holds more than {cap}"
            assert sum(job.counts.values()) == len(job.restored), "I4: a job miscounts"


def world(backend: Backend, killer: Killer) -> tuple[Store, DeletedRepository]:
    """The seeded world, with a repository over its killable store."""
    store = backend.fresh()
    seed(store, POLICIES["default"])
    now = [NOW]
    repo = DeletedRepository(
        KillingStore(store, killer), clock=lambda: now[0], policy=POLICIES["default"]
    )
    now[0] += timedelta(days=1)
    return store, repo


@pytest.mark.parametrize("after", [False, True], ids=["before the write", "after the write"])
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_a_kill_at_any_write_changes_nothing(backend: Backend, operation: str, after: bool) -> None:
    """R-D5, R-E1, R-R1: a kill at any write of the operation leaves the state as it was."""
    run = OPERATIONS[operation]
    killer = Killer()
    store, repo = world(backend, killer)
    run(repo)
    writes = killer.calls
    assert writes >= 1, f"{operation} wrote nothing"
    for k in range(1, writes + 1):
        killer = Killer()
        store, repo = world(backend, killer)
        before = snapshot(store, backend.dump, [])
        killer.at, killer.after = k, after
        with pytest.raises(Kill):
            run(repo)
        assert snapshot(store, backend.dump, []) == before, f"a kill at write {k} left a trace"
        invariants(store)


def test_a_kill_in_a_listener_leaves_the_committed_restore(backend: Backend) -> None:
    """R-E4, I1, I5: a listener killed after the restore commits does not undo or corrupt it."""
    store = backend.fresh()
    repo = seed(store, POLICIES["cap 2"])
    plan: RestorePlan = repo.plan(ById(kind="bib", id="b2"), requester=MANAGER, batches=True)
    assert len(plan.batches) == 2
    told: list[str] = []

    def listener(job: Any, _records: Any) -> None:
        told.append(job.id)
        if len(told) == 1:
            raise Kill("listener")

    repo.add_listener(listener)
    with pytest.raises(Kill):
        repo.restore(plan, requester=MANAGER)
    first = set(plan.batches[0])
    assert set(store.catalog.get(HOME, plan.ids)) == first
    assert set(store.deleted.get(HOME, plan.ids)) == set(plan.ids) - first
    assert len(told) == 1, "the restore went on after its listener was killed"
    assert set(store.jobs.get(HOME, told[0]).restored) == first  # type: ignore[union-attr]
    invariants(store, cap=2)
    rest = repo.restore(plan, requester=MANAGER, batch=2)
    assert set(rest.restored) == set(plan.batches[1])
    invariants(store, cap=2)
