"""Events for every change of state, told once committed; one log record each (D-41, D-43, D-44)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import attrs
import pytest

from deleted_repo import (
    ById,
    Deleted,
    DeletedRepository,
    Deletion,
    Event,
    InvalidInputError,
    InvalidPlanError,
    JobStatus,
    Policy,
    Progress,
    Purged,
    Restored,
    RestoreRefused,
    RestoreStale,
    StalePlanError,
    StorageError,
)
from deleted_repo.stores.memory import MemoryStore
from tests.support import (
    ANA,
    BIB_1,
    CLERK,
    INSTITUTION,
    MANAGER,
    Clock,
    Wrapped,
    repository,
    sample,
    seeded,
)


def listening(repo: DeletedRepository) -> list[Event]:
    """Subscribe a recorder to `repo`; return the list it fills."""
    heard: list[Event] = []
    repo.subscribe(heard.append)
    return heard


def test_every_change_is_one_event_in_order() -> None:
    """D-43: a deletion, a recorded deletion, a restore and a purge are each told, in order."""
    clock = Clock()
    repo = seeded(repository(clock=clock), records=BIB_1)
    heard = listening(repo)
    deleted = repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    (recorded,) = repo.record_deletions(INSTITUTION, [Deletion(sample("bib-2"), actor=ANA)])
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=MANAGER)
    (job,) = repo.restore(plan, requester=MANAGER).jobs
    repo.delete(INSTITUTION, ["rep-1"], actor=ANA)
    clock.advance(days=91)
    report = repo.purge(requester=MANAGER)
    assert [type(e) for e in heard] == [Deleted, Deleted, Restored, Deleted, Purged]
    assert heard[0] == Deleted(deleted)
    assert heard[1] == Deleted(recorded)
    assert heard[2] == Restored(job, tuple(p.record for p in plan.records))
    assert heard[4] == Purged(INSTITUTION, MANAGER.user_id, report)


def test_a_dry_run_purge_and_a_failed_deletion_tell_nothing() -> None:
    """D-43: nothing changed, nothing told."""
    repo = seeded(repository())
    heard = listening(repo)
    repo.purge(requester=MANAGER, dry_run=True)
    with pytest.raises(InvalidInputError):
        repo.delete(INSTITUTION, ["bib-1", "bib-1"], actor=ANA)
    assert heard == []


def test_a_stale_attempt_is_told_with_its_audit_entry() -> None:
    """D-42, D-43: a stale restore is told as RestoreStale carrying the entry recorded."""
    repo = seeded(repository())
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=MANAGER)
    repo.restore(plan, requester=MANAGER)
    heard = listening(repo)
    with pytest.raises(StalePlanError):
        repo.restore(plan, requester=MANAGER)
    (event,) = heard
    assert isinstance(event, RestoreStale)
    assert event.job.status is JobStatus.STALE
    assert repo.restore_job(event.job.id, requester=MANAGER) == event.job
    assert "no longer deleted as planned" in event.job.reason


def test_a_batch_that_does_not_exist_is_told_as_refused() -> None:
    """D-42, D-43: an invalid batch is told as RestoreRefused."""
    repo = seeded(repository())
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=MANAGER)
    heard = listening(repo)
    with pytest.raises(InvalidPlanError):
        repo.restore(plan, requester=MANAGER, batch=7)
    (event,) = heard
    assert isinstance(event, RestoreRefused)
    assert (event.job.status, event.job.batch) == (JobStatus.REFUSED, 7)


def test_a_failing_subscriber_is_reported_and_the_others_still_hear() -> None:
    """R-E4, D-43: a subscriber that raises is reported with the event's type; others are told."""
    repo = seeded(repository())

    def broken(event: Event) -> None:
        raise RuntimeError("index down")

    repo.subscribe(broken)
    heard = listening(repo)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    result = repo.restore(
        repo.plan(ById(kind="bib", id="bib-1"), requester=MANAGER), requester=MANAGER
    )
    (failure,) = result.listener_failures
    assert (failure.event_type, failure.job_id, failure.error) == (
        "Restored",
        result.jobs[0].id,
        "index down",
    )
    assert [type(e) for e in heard] == [Deleted, Restored]


@pytest.mark.parametrize("subscriber", [None, "reindex"])
def test_a_subscriber_must_be_callable(subscriber: object) -> None:
    """D-43: something that cannot be called is refused."""
    with pytest.raises(InvalidInputError):
        repository().subscribe(subscriber)  # type: ignore[arg-type]


def test_inside_an_outer_transaction_events_wait_for_dispatch() -> None:
    """D-41: inside a transaction the repository did not open, events wait for `dispatch`."""
    store = MemoryStore()
    repo = seeded(repository(store))
    heard = listening(repo)
    with store.transaction():
        event = repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
        assert heard == []
    assert repo.pending() == (Deleted(event),)
    assert repo.dispatch() == []
    assert heard == [Deleted(event)]
    assert repo.pending() == ()


def test_an_outer_transaction_that_rolls_back_tells_nothing() -> None:
    """D-41: the host rolls back and discards: the listeners never hear of the restore."""
    store = MemoryStore()
    repo = seeded(repository(store))
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=MANAGER)
    told: list[str] = []
    repo.add_listener(lambda job, records: told.append(job.id))
    with pytest.raises(RuntimeError), store.transaction():  # noqa: PT012 (the host's block)
        assert repo.restore(plan, requester=MANAGER).deferred
        raise RuntimeError("the host's own write failed")
    assert [type(e) for e in repo.discard()] == [Restored]
    assert repo.dispatch() == []
    assert told == []
    assert repo.restore_jobs(requester=MANAGER) == []


def test_a_store_without_in_transaction_tells_at_once() -> None:
    """D-41: a host's store that cannot say is taken to commit its own transactions."""

    @attrs.define
    class HostStore:
        inner: MemoryStore = attrs.field(factory=MemoryStore)

        def __getattr__(self, name: str) -> object:
            if name == "in_transaction":
                raise AttributeError(name)
            return getattr(self.inner, name)

    repo = seeded(repository(HostStore()))  # type: ignore[arg-type]
    heard = listening(repo)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    assert [type(e) for e in heard] == [Deleted]


# D-44 Logs


def test_each_operation_logs_one_structured_record(caplog: pytest.LogCaptureFixture) -> None:
    """D-44: one record per deletion, restore job and refusal, ids counted and never listed."""
    clock = Clock()
    repo = seeded(repository(clock=clock))
    with caplog.at_level(logging.INFO, logger="deleted_repo"):
        repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
        plan = repo.plan(ById(kind="bib", id="bib-1"), requester=MANAGER)
        (job,) = repo.restore(plan, requester=MANAGER).jobs
        with pytest.raises(StalePlanError):
            repo.restore(plan, requester=MANAGER)
        repo.delete(INSTITUTION, ["rep-1"], actor=ANA)
        clock.advance(days=91)
        repo.purge(requester=MANAGER)
    records = [r for r in caplog.records if r.name == "deleted_repo"]
    fields = [(r.operation, r.outcome, r.records) for r in records]  # type: ignore[attr-defined]
    assert fields == [
        ("delete", "deleted", len(BIB_1)),
        ("restore", "restored", len(BIB_1)),
        ("restore", "stale", 0),
        ("delete", "deleted", 3),
        ("purge", "purged", 2),
    ]
    restore = records[1]
    assert restore.job_id == job.id  # type: ignore[attr-defined]
    assert restore.actor == MANAGER.user_id  # type: ignore[attr-defined]
    assert restore.counts == dict(job.counts)  # type: ignore[attr-defined]
    assert records[2].levelno == logging.WARNING
    for record in records:
        assert "itm-1" not in record.getMessage()
        assert record.institution == INSTITUTION  # type: ignore[attr-defined]


def test_an_unauthorized_restore_is_logged_not_audited(caplog: pytest.LogCaptureFixture) -> None:
    """D-42, D-44: a requester without the role leaves a warning, and no audit entry."""
    repo = seeded(repository())
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=MANAGER)
    with caplog.at_level(logging.WARNING, logger="deleted_repo"), pytest.raises(PermissionError):
        repo.restore(plan, requester=CLERK)
    (record,) = caplog.records
    assert record.outcome == "not_authorized"  # type: ignore[attr-defined]
    assert repo.restore_jobs(requester=MANAGER) == []


# D-45 Progress


def test_progress_is_told_after_each_committed_batch() -> None:
    """D-45: a multi-batch restore calls `progress` once per batch, with running totals."""
    repo = seeded(repository(policy=Policy(max_records_per_job=4)), records=BIB_1)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=MANAGER, batches=True)
    told: list[Progress] = []
    result = repo.restore(plan, requester=MANAGER, progress=told.append)
    assert [(p.done, p.batches, p.total) for p in told] == [
        (n, len(plan.batches), plan.total) for n in range(1, len(plan.batches) + 1)
    ]
    assert [p.job for p in told] == list(result.jobs)
    assert [p.restored for p in told] == [
        sum(len(b) for b in plan.batches[:n]) for n in range(1, len(plan.batches) + 1)
    ]


def test_progress_of_one_batch_counts_that_batch() -> None:
    """D-45: restoring one batch, the total is that batch's records."""
    repo = seeded(repository(policy=Policy(max_records_per_job=4)), records=BIB_1)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=MANAGER, batches=True)
    told: list[Progress] = []
    repo.restore(plan, requester=MANAGER, batch=1, progress=told.append)
    assert [(p.done, p.batches, p.total) for p in told] == [(1, 1, len(plan.batches[0]))]


def test_progress_is_not_told_of_a_stale_batch() -> None:
    """D-45: a batch that does not commit is not progress."""
    repo = seeded(repository())
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=MANAGER)
    repo.restore(plan, requester=MANAGER)
    told: list[Progress] = []
    with pytest.raises(StalePlanError):
        repo.restore(plan, requester=MANAGER, progress=told.append)
    assert told == []


def test_progress_must_be_callable() -> None:
    """D-45: a progress that cannot be called is refused before anything runs."""
    repo = seeded(repository())
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=MANAGER)
    with pytest.raises(InvalidInputError):
        repo.restore(plan, requester=MANAGER, progress=42)  # type: ignore[arg-type]
    assert repo.restore_jobs(requester=MANAGER) == []


def test_a_refusal_that_cannot_be_recorded_is_still_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """D-42: when the store fails to record a refused attempt, the refusal is what is raised."""
    refusing = {"on": False}

    def hook(name: str, call: Callable[[], object]) -> object:
        if refusing["on"] and name == "jobs.add":
            raise StorageError("the audit table is gone")
        return call()

    repo = seeded(repository(Wrapped(hook=hook)), records=BIB_1)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=MANAGER)
    repo.restore(plan, requester=MANAGER)
    heard = listening(repo)
    refusing["on"] = True
    with caplog.at_level(logging.ERROR, logger="deleted_repo"), pytest.raises(StalePlanError):
        repo.restore(plan, requester=MANAGER)
    assert heard == []
    assert any("could not record the refused restore" in r.getMessage() for r in caplog.records)
    assert [j.status for j in repo.restore_jobs(requester=MANAGER)] == [JobStatus.RESTORED]
