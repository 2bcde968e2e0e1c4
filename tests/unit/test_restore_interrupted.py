"""A restore that stops part-way says where, and a purge can be rehearsed (R-E1, R-E3, R-R1)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from deleted_repo import (
    ById,
    Policy,
    Record,
    RestoreJob,
    StalePlanError,
)
from tests.support import ANA, BIB_1, INSTITUTION, MANAGER, Clock, repository, seeded


def test_a_restore_stopped_at_a_later_batch_names_it_and_the_jobs_that_stand() -> None:
    """R-E1, D-22: the error carries the failed batch and the jobs committed before it."""
    repo = seeded(repository(policy=Policy(max_records_per_job=4)), records=BIB_1)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=MANAGER, batches=True)
    assert len(plan.batches) == 3
    taken = next(p.record for p in plan.records if p.id == plan.batches[1][-1])

    def take_an_id_of_batch_two(job: RestoreJob, records: Sequence[Record]) -> None:
        if job.batch == 1:  # the host catalogues a record under that id in between
            repo.catalog.add(INSTITUTION, [Record(taken.kind, taken.id)])

    repo.add_listener(take_an_id_of_batch_two)
    with pytest.raises(StalePlanError) as caught:
        repo.restore(plan, requester=MANAGER)
    assert caught.value.batch == 2
    [first] = caught.value.committed
    assert (first.batch, first.restored) == (1, plan.batches[0])
    assert [j.id for j in repo.restore_jobs(requester=MANAGER, status="restored")] == [first.id]
    [attempt] = repo.restore_jobs(requester=MANAGER, status="stale")  # D-42
    assert (attempt.batch, attempt.outcomes, attempt.requested_by) == (2, (), MANAGER.user_id)


def test_an_error_of_the_first_batch_has_nothing_committed() -> None:
    """R-E1: a restore refused at once names batch 1 and no committed job."""
    repo = seeded(repository(), records=BIB_1)
    repo.delete(INSTITUTION, ["itm-1"], actor=ANA)
    plan = repo.plan(ById(kind="item", id="itm-1"), requester=MANAGER)
    repo.restore(plan, requester=MANAGER)
    with pytest.raises(StalePlanError) as caught:
        repo.restore(plan, requester=MANAGER)
    assert (caught.value.batch, caught.value.committed) == (1, ())


def test_a_dry_run_purge_reports_what_a_purge_removes_and_removes_nothing() -> None:
    """R-R1: the dry run lists exactly what the purge then removes."""
    clock = Clock()
    repo = seeded(repository(clock=clock), records=BIB_1)
    repo.delete(INSTITUTION, ["rep-1"], actor=ANA)
    clock.advance(days=91)
    rehearsal = repo.purge(requester=MANAGER, dry_run=True)
    assert rehearsal.ids == ("fil-1", "fil-2")
    assert sorted(repo.deleted.get(INSTITUTION, ["rep-1", "fil-1", "fil-2"])) == [
        "fil-1",
        "fil-2",
        "rep-1",
    ]
    assert repo.purge(requester=MANAGER) == rehearsal
    assert sorted(repo.deleted.get(INSTITUTION, ["rep-1", "fil-1", "fil-2"])) == ["rep-1"]
