"""Executing a restore: all or nothing, stale plans, batches, the audit (R-E1..R-E3, I2..I4)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deleted_repo import (
    ById,
    ByRange,
    DeletedRepository,
    EmptiedParents,
    JobStatus,
    Outcome,
    Policy,
    Record,
    Requester,
    RestoreJob,
    RestoreJobNotFoundError,
    RestorePlan,
    StalePlanError,
)
from tests.support import (
    ALL_IDS,
    ANA,
    BIB_1,
    BO,
    CATALOG,
    INSTITUTION,
    OTHER,
    Clock,
    manager_of,
    only_audited,
    repository,
    seeded,
    state,
)

IDS = [*ALL_IDS, "itm-9", "big", "big-h"]
"""The sample catalog's ids and those the tests add to it."""


def bib_plan(repo: DeletedRepository, manager: Requester) -> RestorePlan:
    """Delete bib-1 with everything below it and plan its restore."""
    seeded(repo).delete(INSTITUTION, ["bib-1"], actor=ANA)
    return repo.plan(ById(kind="bib", id="bib-1"), requester=manager)


# R-E1 All or nothing


def test_restore_reinstates_original_ids_parents_and_data(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-E1: each restored record is back in the catalog with its original id, parent and data."""
    plan = bib_plan(repo, manager)
    result = repo.restore(plan, requester=manager)
    assert result.restored == plan.ids
    assert repo.catalog.get(INSTITUTION, [r.id for r in BIB_1]) == {r.id: r for r in BIB_1}


def test_restored_records_leave_the_deleted_repository(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-E1, R-S9: restored records are no longer deleted, and a search by id finds nothing."""
    plan = bib_plan(repo, manager)
    repo.restore(plan, requester=manager)
    assert repo.deleted.get(INSTITUTION, plan.ids) == {}
    assert repo.search(ById(kind="item", id="itm-1"), requester=manager).hits == ()


def test_restore_changes_only_the_records_of_its_plan(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """I3: a restore changes the planned records and nothing else."""
    seeded(repo).delete(INSTITUTION, ["itm-4"], actor=BO)
    repo.delete(INSTITUTION, ["col-2"], actor=BO)
    clock.advance(days=1)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="item", id="itm-2"), requester=manager)
    catalog, deleted, _ = state(repo, IDS)
    repo.restore(plan, requester=manager)
    catalog_after, deleted_after, _ = state(repo, IDS)
    assert set(catalog_after) - set(catalog) == set(plan.ids) == {"bib-1", "hol-1", "itm-2"}
    assert {i: r for i, r in catalog_after.items() if i not in plan.ids} == catalog
    assert set(deleted) - set(deleted_after) == set(plan.ids)
    assert {i: d for i, d in deleted.items() if i not in plan.ids} == deleted_after


@pytest.mark.parametrize("origin", ["bib-1", "hol-1", "itm-3", "rep-1", "fil-2", "col-2", "col-1"])
@pytest.mark.parametrize("emptied", list(EmptiedParents))
def test_delete_then_restore_by_id_returns_the_catalog_to_its_prior_state(
    repo: DeletedRepository, manager: Requester, origin: str, emptied: EmptiedParents
) -> None:
    """I2: deleting a record and restoring it by its id leaves the catalog exactly as it was."""
    before = seeded(repo).catalog.get(INSTITUTION, IDS)
    kind = before[origin].kind
    repo.delete(INSTITUTION, [origin], actor=ANA, emptied_parents=emptied)
    repo.restore(repo.plan(ById(kind=kind, id=origin), requester=manager), requester=manager)
    assert repo.catalog.get(INSTITUTION, IDS) == before
    assert repo.deleted.get(INSTITUTION, IDS) == {}


# R-E2 Stale plans are refused


def test_plan_restored_meanwhile_is_stale(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-E2: a plan whose records another restore brought back raises and changes nothing."""
    plan = bib_plan(repo, manager)
    repo.restore(repo.plan(ById(kind="item", id="itm-3"), requester=manager), requester=manager)
    before = state(repo, IDS)
    with pytest.raises(StalePlanError) as caught:
        repo.restore(plan, requester=manager)
    assert set(caught.value.ids) <= set(plan.ids)
    assert caught.value.ids
    only_audited(repo, IDS, before, JobStatus.STALE)


def test_plan_of_records_deleted_again_meanwhile_is_stale(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-E2: a record restored and deleted again, in a new event, makes the old plan stale."""
    plan = bib_plan(repo, manager)
    repo.restore(repo.plan(ById(kind="bib", id="bib-1"), requester=manager), requester=manager)
    clock.advance(hours=1)
    repo.delete(INSTITUTION, ["bib-1"], actor=BO)
    before = state(repo, IDS)
    with pytest.raises(StalePlanError):
        repo.restore(plan, requester=manager)
    only_audited(repo, IDS, before, JobStatus.STALE)


def test_plan_whose_barcode_was_taken_meanwhile_is_stale(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-E2: a barcode given to an active item after planning makes the plan stale."""
    plan = bib_plan(repo, manager)
    repo.catalog.add(INSTITUTION, [Record("item", "itm-9", "hol-3", {"barcode": "B-2"})])
    before = state(repo, IDS)
    with pytest.raises(StalePlanError) as caught:
        repo.restore(plan, requester=manager)
    assert "itm-2" in caught.value.ids
    only_audited(repo, IDS, before, JobStatus.STALE)


def test_plan_whose_id_is_active_again_is_stale(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-E2: an id made active again after planning makes the plan stale."""
    plan = bib_plan(repo, manager)
    repo.catalog.add(INSTITUTION, [Record("collection", "itm-1")])
    before = state(repo, IDS)
    with pytest.raises(StalePlanError):
        repo.restore(plan, requester=manager)
    only_audited(repo, IDS, before, JobStatus.STALE)


def test_plan_whose_file_expired_meanwhile_is_stale(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-E2, R-P6: a file planned at 89 days cannot be restored at 91 days; nothing changes."""
    seeded(repo).delete(INSTITUTION, ["bib-1"], actor=ANA)
    clock.advance(days=89)
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=manager)
    assert {"fil-1", "fil-2"} <= set(plan.ids)
    clock.advance(days=2)
    before = state(repo, IDS)
    with pytest.raises(StalePlanError) as caught:
        repo.restore(plan, requester=manager)
    assert set(caught.value.ids) == {"fil-1", "fil-2"}
    only_audited(repo, IDS, before, JobStatus.STALE)


def test_executing_a_plan_twice_restores_nothing_the_second_time(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-E2, D-42: a second execution raises StalePlanError; only its attempt is recorded."""
    plan = bib_plan(repo, manager)
    repo.restore(plan, requester=manager)
    before = state(repo, IDS)
    with pytest.raises(StalePlanError):
        repo.restore(plan, requester=manager)
    only_audited(repo, IDS, before, JobStatus.STALE)
    assert len(repo.restore_jobs(requester=manager, status="restored")) == 1


def test_plan_is_still_good_when_unrelated_records_moved(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-E2: changes outside the plan do not make it stale."""
    plan = bib_plan(repo, manager)
    clock.advance(hours=1)
    repo.delete(INSTITUTION, ["bib-2"], actor=BO)
    repo.catalog.add(INSTITUTION, [Record("item", "itm-9", "hol-3", {"barcode": "B-9"})])
    assert repo.restore(plan, requester=manager).restored == plan.ids


# R-P8, I4 Batches


def big_plan(repo: DeletedRepository, manager: Requester) -> RestorePlan:
    """Delete a bib with 5,001 records in all, and plan its restore in batches."""
    records = [Record("bib", "big", None, {"title": "Big"}), Record("holding", "big-h", "big")]
    records += [
        Record("item", f"big-{n:05d}", "big-h", {"barcode": f"BIG-{n}"}) for n in range(4999)
    ]
    repo.catalog.add(INSTITUTION, records)
    repo.delete(INSTITUTION, ["big"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="big"), requester=manager, batches=True)
    assert [len(b) for b in plan.batches] == [5000, 1]
    return plan


def test_batch_2_before_batch_1_is_stale_and_changes_nothing(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-P8, R-E2: the second batch needs the first one's records; run first, it changes nothing."""
    plan = big_plan(repo, manager)
    ids = list(plan.ids)
    before = state(repo, ids)
    with pytest.raises(StalePlanError) as caught:
        repo.restore(plan, requester=manager, batch=2)
    assert caught.value.ids == ("big-h",)
    only_audited(repo, ids, before, JobStatus.STALE)


def test_batches_run_one_by_one_restore_everything(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-P8, I4: batch 1 then batch 2 restore the whole plan, one job of <= 5000 records each."""
    plan = big_plan(repo, manager)
    first = repo.restore(plan, requester=manager, batch=1)
    second = repo.restore(plan, requester=manager, batch=2)
    assert first.restored + second.restored == plan.ids
    assert [(j.batch, j.batches, len(j.restored)) for j in first.jobs + second.jobs] == [
        (1, 2, 5000),
        (2, 2, 1),
    ]
    assert len(repo.catalog.get(INSTITUTION, plan.ids)) == 5001
    assert repo.deleted.get(INSTITUTION, plan.ids) == {}


def test_restoring_a_batched_plan_runs_every_batch_in_order(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-P8, I4: restoring a batched plan records one job per batch, none over the cap."""
    plan = big_plan(repo, manager)
    result = repo.restore(plan, requester=manager)
    assert result.restored == plan.ids
    assert [j.batch for j in result.jobs] == [1, 2]
    assert all(len(j.restored) <= 5000 for j in repo.restore_jobs(requester=manager))


def test_batches_with_whole_subtrees_split_between_them_all_restore(
    clock: Clock, manager: Requester
) -> None:
    """R-P8: records deleted with a target may fall in a later batch than the target; all return."""
    repo = seeded(repository(clock=clock, policy=Policy(max_records_per_job=3)))
    start = clock()
    repo.delete(INSTITUTION, ["bib-1", "bib-2"], actor=ANA)
    plan = repo.plan(ByRange(kind="bib", start=start, end=clock()), requester=manager, batches=True)
    assert len(plan.batches) == 5
    for number in range(1, 6):
        repo.restore(plan, requester=manager, batch=number)
    assert repo.catalog.get(INSTITUTION, IDS) == {r.id: r for r in CATALOG}


def test_a_batch_run_twice_is_stale(repo: DeletedRepository, manager: Requester) -> None:
    """R-E2: running batch 1 again after it committed restores nothing."""
    plan = big_plan(repo, manager)
    repo.restore(plan, requester=manager, batch=1)
    before = state(repo, list(plan.ids))
    with pytest.raises(StalePlanError):
        repo.restore(plan, requester=manager, batch=1)
    only_audited(repo, list(plan.ids), before, JobStatus.STALE)


def test_plan_with_nothing_to_restore_records_an_empty_job(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-E3: restoring a plan that restores nothing is still recorded, with its exclusions."""
    seeded(repo).delete(INSTITUTION, ["fil-1"], actor=ANA)
    clock.advance(days=91)
    plan = repo.plan(ById(kind="file", id="fil-1"), requester=manager)
    catalog_before = repo.catalog.get(INSTITUTION, list(repo.deleted.get(INSTITUTION, ["fil-1"])))
    deleted_before = repo.deleted.get(INSTITUTION, ["fil-1"])
    (job,) = repo.restore(plan, requester=manager).jobs
    assert job.restored == ()
    assert job.counts == {}
    assert [(o.id, o.outcome) for o in job.outcomes] == [("fil-1", Outcome.EXCLUDED)]
    assert repo.restore_jobs(requester=manager) == [job]
    assert repo.catalog.get(INSTITUTION, ["fil-1"]) == catalog_before
    assert repo.deleted.get(INSTITUTION, ["fil-1"]) == deleted_before


# R-E3 Every restore is recorded


def test_restore_job_records_who_when_criteria_counts_and_outcomes(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-E3: a job keeps its id, who, when (execution time), criteria, counts and outcomes."""
    seeded(repo).delete(INSTITUTION, ["itm-1"], actor=ANA)
    clock.advance(days=1)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    repo.catalog.add(INSTITUTION, [Record("item", "itm-9", "hol-3", {"barcode": "B-2"})])
    criteria = ByRange(kind="item", start=clock() - timedelta(days=2), end=clock())
    plan = repo.plan(criteria, requester=manager)
    at = clock.advance(minutes=5)
    (job,) = repo.restore(plan, requester=manager).jobs
    assert job.id
    assert (job.institution, job.requested_by, job.at, job.criteria) == (
        INSTITUTION,
        "manager",
        at,
        criteria,
    )
    assert (job.batch, job.batches) == (1, 1)
    assert job.counts == plan.counts
    assert job.restored == plan.ids
    excluded = {o.id: o.reason for o in job.outcomes if o.outcome is Outcome.EXCLUDED}
    assert excluded == {e.id: e.detail for e in plan.excluded}
    assert "B-2" in excluded["itm-2"]


def test_restore_job_names_who_ran_the_plan(repo: DeletedRepository, manager: Requester) -> None:
    """R-E3: a plan made by one manager may be run by another; the job names the one who ran it."""
    plan = bib_plan(repo, manager)
    colleague = Requester(
        user_id="colleague", institution=INSTITUTION, roles={"Repository Manager"}
    )
    (job,) = repo.restore(plan, requester=colleague).jobs
    assert (plan.requested_by, job.requested_by) == ("manager", "colleague")


def test_restore_jobs_are_listed_newest_first_and_read_back(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-E3: jobs are listed newest first, and each reads back equal by its id."""
    seeded(repo).delete(INSTITUTION, ["bib-1"], actor=ANA)
    repo.delete(INSTITUTION, ["bib-2"], actor=ANA)
    repo.delete(INSTITUTION, ["col-1"], actor=ANA)
    jobs: list[RestoreJob] = []
    for kind, ident in (("item", "itm-1"), ("bib", "bib-2"), ("collection", "col-1")):
        clock.advance(minutes=1)
        plan = repo.plan(ById(kind=kind, id=ident), requester=manager)
        jobs += repo.restore(plan, requester=manager).jobs
    listed = repo.restore_jobs(requester=manager)
    assert list(listed) == jobs[::-1]
    for job in jobs:
        assert repo.restore_job(job.id, requester=manager) == job


def test_restore_jobs_page_with_after_and_limit(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-E3: the job list pages: `after` the last id seen, `limit` at a time, nothing repeated."""
    seeded(repo)
    for ident in ("itm-1", "itm-2", "itm-3", "itm-4"):
        repo.delete(INSTITUTION, [ident], actor=ANA)
        clock.advance(minutes=1)
        repo.restore(repo.plan(ById(kind="item", id=ident), requester=manager), requester=manager)
    everything = list(repo.restore_jobs(requester=manager))
    first = list(repo.restore_jobs(requester=manager, limit=3))
    rest = list(repo.restore_jobs(requester=manager, after=first[-1].id, limit=3))
    assert first + rest == everything
    assert len(everything) == 4


def test_unknown_restore_job_is_not_found(repo: DeletedRepository, manager: Requester) -> None:
    """R-E3: reading back a job id never recorded raises RestoreJobNotFoundError naming it."""
    with pytest.raises(RestoreJobNotFoundError) as caught:
        repo.restore_job("no-such-job", requester=manager)
    assert caught.value.job_id == "no-such-job"


def test_restore_jobs_of_another_institution_are_invisible(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-E3, R-M3: a manager of another institution neither lists nor reads this one's jobs."""
    (job,) = repo.restore(bib_plan(repo, manager), requester=manager).jobs
    other = manager_of(OTHER)
    assert repo.restore_jobs(requester=other) == []
    with pytest.raises(RestoreJobNotFoundError):
        repo.restore_job(job.id, requester=other)
