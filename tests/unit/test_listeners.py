"""Listeners: told after a restore commits; a failing one is reported, not fatal (R-E4)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from deleted_repo import (
    ById,
    DeletedRepository,
    InvalidInputError,
    Policy,
    Record,
    Requester,
    RestoreJob,
    RestorePlan,
    StalePlanError,
)
from tests.support import ANA, INSTITUTION, Clock, repository, sample

CATALOG = sample("bib-1", "hol-1", "itm-1", "itm-2")
IDS = [r.id for r in CATALOG]

Call = tuple[RestoreJob, list[Record]]


def bib_plan(repo: DeletedRepository, manager: Requester) -> RestorePlan:
    """Delete bib-1 with everything below it and plan its restore."""
    repo.catalog.add(INSTITUTION, CATALOG)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    return repo.plan(ById(kind="bib", id="bib-1"), requester=manager)


class Recorder:
    """A listener that keeps what it was told, and what the catalog held when it was told."""

    def __init__(self, repo: DeletedRepository) -> None:
        self.repo = repo
        self.calls: list[Call] = []
        self.active_then: list[set[str]] = []

    def __call__(self, job: RestoreJob, records: Sequence[Record]) -> None:
        self.calls.append((job, list(records)))
        self.active_then.append(set(self.repo.catalog.get(INSTITUTION, IDS)))


def failing(job: RestoreJob, records: Sequence[Record]) -> None:
    """A listener that always fails."""
    raise RuntimeError(f"index down for {job.id}")


def test_listener_receives_the_job_and_the_restored_records(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-E4: a listener is called once with the restore job and the records it reinstated."""
    recorder = Recorder(repo)
    repo.add_listener(recorder)
    plan = bib_plan(repo, manager)
    result = repo.restore(plan, requester=manager)
    assert recorder.calls == [(result.jobs[0], CATALOG)]


def test_listener_is_called_after_the_commit(repo: DeletedRepository, manager: Requester) -> None:
    """R-E4: when a listener runs, the restored records are already active in the catalog."""
    recorder = Recorder(repo)
    repo.add_listener(recorder)
    repo.restore(bib_plan(repo, manager), requester=manager)
    assert recorder.active_then == [set(IDS)]


def test_failing_listener_is_reported_and_does_not_undo_the_restore(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-E4: a listener that raises is listed in listener_failures; the restore stands."""
    repo.add_listener(failing)
    result = repo.restore(bib_plan(repo, manager), requester=manager)
    (failure,) = result.listener_failures
    assert failure.job_id == result.jobs[0].id
    assert "failing" in failure.listener
    assert failure.error_type == "RuntimeError"
    assert set(repo.catalog.get(INSTITUTION, IDS)) == set(IDS)
    assert repo.restore_jobs(requester=manager) == list(result.jobs)


def test_failing_listener_does_not_stop_the_others(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-E4: listeners registered after a failing one are still told."""
    recorder = Recorder(repo)
    repo.add_listener(failing)
    repo.add_listener(recorder)
    result = repo.restore(bib_plan(repo, manager), requester=manager)
    assert len(result.listener_failures) == 1
    assert len(recorder.calls) == 1


def test_listener_is_not_told_of_a_refused_restore(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-E4: nothing committed, nothing told: a stale plan calls no listener."""
    recorder = Recorder(repo)
    repo.add_listener(recorder)
    plan = bib_plan(repo, manager)
    repo.restore(plan, requester=manager)
    with pytest.raises(StalePlanError):
        repo.restore(plan, requester=manager)
    assert len(recorder.calls) == 1


def test_listener_is_told_once_per_batch(clock: Clock, manager: Requester) -> None:
    """R-E4, R-P8: each batch is its own job, and listeners hear of each one after it commits."""
    repo = repository(clock=clock, policy=Policy(max_records_per_job=2))
    recorder = Recorder(repo)
    repo.add_listener(recorder)
    repo.catalog.add(INSTITUTION, CATALOG)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=manager, batches=True)
    result = repo.restore(plan, requester=manager)
    assert [job for job, _ in recorder.calls] == list(result.jobs)
    assert [[r.id for r in records] for _, records in recorder.calls] == [
        list(b) for b in plan.batches
    ]
    assert recorder.active_then == [{"bib-1", "hol-1"}, set(IDS)]


@pytest.mark.parametrize("listener", [None, "reindex", 42])
def test_listener_must_be_callable(repo: DeletedRepository, listener: object) -> None:
    """R-E4: registering something that cannot be called is refused with InvalidInputError."""
    with pytest.raises(InvalidInputError):
        repo.add_listener(listener)  # type: ignore[arg-type]
