"""Fault injection: a store that fails at the k-th write leaves no trace of the restore (R-E1).

The catalog, the deleted repository and the job log of a `MemoryStore` are wrapped so that the
k-th write call (add, remove, add_events, jobs.add) raises, before or after the write lands. For
every k, the failed restore must leave all three exactly as they were, raise an error of our tree
or the injected one, and a retry without faults must then succeed. The one trace a failure may
leave is the audit entry of a refused attempt, when it ends as stale (D-42).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs
import pytest

from deleted_repo import (
    Actor,
    ById,
    ByRange,
    DeletedRepoError,
    DeletedRepository,
    IntegrityError,
    Policy,
    RecordNotFoundError,
    RestorePlan,
    StalePlanError,
    StorageError,
)
from deleted_repo.jobs import JobStatus, RestoreJob
from deleted_repo.search import Query, Window
from tests.support import (
    ALL_IDS,
    ANA,
    BO,
    CATALOG,
    INSTITUTION,
    MANAGER,
    START,
    Clock,
    Wrapped,
    counter,
    repository,
)

IDS = ALL_IDS
KINDS = ("bib", "holding", "item", "representation", "file", "collection")
READS = {
    "catalog.get",
    "catalog.children",
    "catalog.find_by_field",
    "deleted.get",
    "deleted.children",
    "deleted.find",
    "deleted.latest_event",
    "deleted.has_actor",
    "jobs.get",
    "jobs.list",
}
"""The port methods that only read; every other port call is a write."""


class InjectedFault(Exception):
    """The failure a faulty store raises; not one of ours, like a driver's error."""


@attrs.define
class Faults:
    """A `Wrapped` store's hook: counts the write calls, and fails the `fail_at`-th one.

    Attributes:
        fail_at: the write call to fail (from 1), or None for none.
        after: fail after the write landed, rather than before it.
        error: makes the exception to raise.
        calls: the write calls made since the last reset.
        names: the name of every write call made.
    """

    fail_at: int | None = None
    after: bool = False
    error: Callable[[str], Exception] = InjectedFault
    calls: int = 0
    names: list[str] = attrs.Factory(list)

    def __call__(self, name: str, call: Callable[[], Any]) -> Any:
        """Make the port call `call`, failing it if it is the chosen write."""
        if name in READS:
            return call()
        self.calls += 1
        self.names.append(name)
        chosen = self.calls == self.fail_at
        if chosen and not self.after:
            raise self.error(f"injected before {name} (write {self.calls})")
        result = call()
        if chosen:
            raise self.error(f"injected after {name} (write {self.calls})")
        return result


def build(
    faults: Faults, policy: Policy | None = None, clock: Clock | None = None
) -> DeletedRepository:
    """A repository over a faulty MemoryStore, with deterministic ids."""
    clock = Clock() if clock is None else clock
    return repository(Wrapped(hook=faults), clock=clock, policy=policy, new_id=counter("id"))


def snapshot(repo: DeletedRepository) -> tuple[Any, ...]:
    """Everything the three stores answer through their ports, for this test's records."""
    catalog, deleted, jobs = repo.catalog, repo.deleted, repo.jobs
    everything = Window(start=None, end=None)
    actors = [ANA, BO, Actor.job("J1")]
    listed = [j for j in jobs.list(INSTITUTION) if j.status is JobStatus.RESTORED]
    return (
        catalog.get(INSTITUTION, IDS),
        sorted(r.id for r in catalog.children(INSTITUTION, IDS)),
        catalog.find_by_field(INSTITUTION, "item", "barcode", ["B-1", "B-2", "B-3", "B-4"]),
        deleted.get(INSTITUTION, IDS),
        sorted(d.id for d in deleted.children(INSTITUTION, IDS)),
        [deleted.find(Query(institution=INSTITUTION, kind=k)) for k in KINDS],
        deleted.find(Query(institution=INSTITUTION, kind="item", field=("barcode", "B-2"))),
        [
            (deleted.latest_event(INSTITUTION, a, everything), deleted.has_actor(INSTITUTION, a))
            for a in actors
        ],
        listed,
        [jobs.get(INSTITUTION, j.id) for j in listed],
    )


def refusals(repo: DeletedRepository) -> list[RestoreJob]:
    """The audit entries of refused attempts (D-42)."""
    return [j for j in repo.jobs.list(INSTITUTION) if j.status is not JobStatus.RESTORED]


def settled(state: tuple[Any, ...]) -> tuple[Any, ...]:
    """A snapshot with its job ids blanked: a failed attempt may have used up an id."""
    jobs = sorted((attrs.evolve(j, id="-") for j in state[-2]), key=lambda j: (j.at, j.batch))
    return (*state[:-2], jobs)


Scenario = Callable[[DeletedRepository], tuple[RestorePlan, int | None]]


def items_of_a_bib(repo: DeletedRepository) -> tuple[RestorePlan, int | None]:
    """A one-batch plan: the items of a deleted bib, with their holdings and the bib."""
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    criteria = ByRange(kind="item", start=START - timedelta(days=1), end=START)
    return repo.plan(criteria, requester=MANAGER), None


def second_batch(repo: DeletedRepository) -> tuple[RestorePlan, int | None]:
    """The second batch of a plan whose first batch already ran."""
    repo.delete(INSTITUTION, ["bib-1", "bib-2"], actor=ANA)
    criteria = ByRange(kind="bib", start=START - timedelta(days=1), end=START)
    plan = repo.plan(criteria, requester=MANAGER, batches=True)
    repo.restore(plan, requester=MANAGER, batch=1)
    return plan, 2


def whole_plan_of_batches(repo: DeletedRepository) -> tuple[RestorePlan, int | None]:
    """Every batch of a batched plan: a failure stops it at the failing batch."""
    repo.delete(INSTITUTION, ["col-1"], actor=ANA)
    return repo.plan(ById(kind="collection", id="col-1"), requester=MANAGER, batches=True), 1


SCENARIOS: dict[str, Scenario] = {
    "one batch": items_of_a_bib,
    "second batch": second_batch,
    "first batch of two": whole_plan_of_batches,
}
ERRORS: dict[str, Callable[[str], Exception]] = {
    "driver error": InjectedFault,
    "storage error": StorageError,
    "integrity error": IntegrityError,
    "not found": lambda message: RecordNotFoundError([message], state="deleted"),
}
CAP = Policy(max_records_per_job=6)


def prepared(
    scenario: Scenario, faults: Faults
) -> tuple[DeletedRepository, RestorePlan, int | None]:
    """A repository set up for `scenario`, with the write counter reset."""
    repo = build(faults, CAP)
    repo.catalog.add(INSTITUTION, CATALOG)
    plan, batch = scenario(repo)
    faults.calls = 0
    return repo, plan, batch


def writes_of(scenario: Scenario) -> tuple[int, tuple[Any, ...]]:
    """Run `scenario`'s restore without faults: its write calls, and the state it leaves."""
    faults = Faults()
    repo, plan, batch = prepared(scenario, faults)
    repo.restore(plan, requester=MANAGER, batch=batch)
    return faults.calls, settled(snapshot(repo))


@pytest.mark.parametrize("after", [False, True], ids=["before the write", "after the write"])
@pytest.mark.parametrize("error", ERRORS.values(), ids=ERRORS.keys())
@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_restore_failing_at_any_write_changes_nothing(
    scenario: Scenario, error: Callable[[str], Exception], after: bool
) -> None:
    """R-E1: whichever write fails, catalog, deleted repository and job log are as before."""
    writes, done = writes_of(scenario)
    assert writes >= 3
    for k in range(1, writes + 1):
        faults = Faults()
        repo, plan, batch = prepared(scenario, faults)
        faults.fail_at, faults.after, faults.error = k, after, error
        before, refused = snapshot(repo), refusals(repo)
        with pytest.raises((DeletedRepoError, InjectedFault)) as caught:
            repo.restore(plan, requester=MANAGER, batch=batch)
        assert snapshot(repo) == before, f"write {k} left a trace"
        added = refusals(repo)[: len(refusals(repo)) - len(refused)]
        if isinstance(caught.value, StalePlanError):  # D-42: a stale attempt is recorded once
            assert [j.status for j in added] == [JobStatus.STALE], f"write {k}: {added}"
            assert added[0].outcomes == ()
            assert not added[0].counts
        else:
            assert added == [], f"write {k} recorded {added}"
        faults.fail_at = None
        repo.restore(plan, requester=MANAGER, batch=batch)
        assert settled(snapshot(repo)) == done, f"retry after write {k} did not restore as planned"


def test_every_write_of_a_restore_goes_through_the_ports() -> None:
    """R-E1: a one-batch restore writes the catalog, the deleted repository and the job log."""
    faults = Faults()
    repo, plan, batch = prepared(items_of_a_bib, faults)
    faults.names.clear()
    repo.restore(plan, requester=MANAGER, batch=batch)
    assert sorted(faults.names) == ["catalog.add", "deleted.remove", "jobs.add"]


@pytest.mark.parametrize("after", [False, True], ids=["before the write", "after the write"])
def test_purge_failing_changes_nothing(after: bool) -> None:
    """R-R1, R-E1: a purge whose write fails purges nothing."""
    faults = Faults()
    clock = Clock()
    repo = build(faults, clock=clock)
    repo.catalog.add(INSTITUTION, CATALOG)
    repo.delete(INSTITUTION, ["rep-1"], actor=ANA)
    clock.advance(days=91)
    before = snapshot(repo)
    faults.fail_at, faults.after, faults.calls = 1, after, 0
    with pytest.raises(InjectedFault):
        repo.purge(requester=MANAGER)
    assert snapshot(repo) == before
    faults.fail_at = None
    assert repo.purge(requester=MANAGER).ids == ("fil-1", "fil-2")
