"""Running a restore plan through the store: batch by batch, every attempt audited and told.

Each batch runs in one transaction and is recorded as one restore job (R-E1, R-E3, D-22). A
batch refused as invalid or stale leaves an audit entry of its own, written in a transaction
of its own after the failed one was undone (D-42); the committed batches, and the refusal,
become events (D-41, D-43), and a progress callback hears of each committed batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

import attrs

from deleted_repo import audit, inputs, restoring
from deleted_repo.errors import (
    DeletedRepoError,
    IntegrityError,
    InvalidInputError,
    InvalidPlanError,
    NotAuthorizedError,
    RecordNotFoundError,
    StalePlanError,
)
from deleted_repo.events import (
    Dispatcher,
    Event,
    Restored,
    RestoreRefused,
    RestoreStale,
)
from deleted_repo.jobs import RestoreJob
from deleted_repo.model import Record, Requester
from deleted_repo.planner import RestorePlan
from deleted_repo.ports import SetRestores, Store
from deleted_repo.results import ListenerFailure, RestoreResult

__all__ = ["Executor", "Progress", "ProgressCallback"]

log = logging.getLogger("deleted_repo")


@attrs.frozen(kw_only=True)
class Progress:
    """How far a restore has come, told after each batch it ran commits (D-45).

    Attributes:
        job: the restore job of the batch that just committed.
        done: the batches of this call committed so far.
        batches: the batches this call runs.
        restored: the records this call restored so far.
        total: the records this call restores when every batch commits.
    """

    job: RestoreJob
    done: int
    batches: int
    restored: int
    total: int


ProgressCallback = Callable[[Progress], None]
"""Called after each committed batch of a restore (D-45)."""


@attrs.frozen
class Executor:
    """Runs plans for a repository.

    Attributes:
        store: the repository's store.
        rules: the state and the rules a batch is checked against.
        events: the repository's subscribers and held-back events.
        now: reads the clock, checked timezone-aware.
        new_id: makes job ids.
    """

    store: Store
    rules: restoring.Rules
    events: Dispatcher
    now: Callable[[], datetime]
    new_id: Callable[[], str]

    def restore(
        self,
        plan: RestorePlan,
        requester: Requester,
        batch: int | None,
        progress: ProgressCallback | None,
    ) -> RestoreResult:
        """See `deleted_repo.service.DeletedRepository.restore`."""
        policy = self.rules.policy
        try:
            policy.authorize(requester)
            inputs.check_instance(plan, RestorePlan, "plan")
            if batch is not None:
                inputs.check_instance(batch, int, "batch")
            policy.authorize(requester, plan.institution)
        except NotAuthorizedError as e:
            # Not recorded: the requester may not write this institution's audit (D-42).
            log.warning(
                "restore refused: %s",
                e,
                extra={
                    "operation": "restore",
                    "outcome": "not_authorized",
                    "actor": e.user_id,
                    "institution": e.institution,
                },
            )
            raise
        if progress is not None and not callable(progress):
            raise InvalidInputError("progress must be callable", field="progress")
        # D-20: a plan restoring nothing runs one empty job, to record its exclusions (R-E3).
        numbers = range(1, max(len(plan.batches), 1) + 1) if batch is None else [batch]
        return self._run(plan, requester.user_id, numbers, progress)

    def _run(
        self,
        plan: RestorePlan,
        user: str,
        numbers: Sequence[int],
        progress: ProgressCallback | None,
    ) -> RestoreResult:
        deferred = self.events.held_back()
        total = plan.total if len(numbers) != 1 else len(_batch_or_none(plan, numbers[0]))
        jobs: list[RestoreJob] = []
        failures: list[ListenerFailure] = []
        restored = 0
        for number in numbers:
            try:
                job, records = self._execute(plan, number, user)
            except (StalePlanError, InvalidPlanError) as e:
                refusal = self._record_refusal(plan, number, e, user)
                if refusal is not None:
                    self.events.emit([refusal], deferred=deferred)
                e.batch, e.committed = number, tuple(jobs)
                raise
            except DeletedRepoError as e:
                e.batch, e.committed = number, tuple(jobs)
                raise
            jobs.append(job)
            restored += len(records)
            failures.extend(self.events.emit([Restored(job, tuple(records))], deferred=deferred))
            if progress is not None:
                progress(
                    Progress(
                        job=job,
                        done=len(jobs),
                        batches=len(numbers),
                        restored=restored,
                        total=total,
                    )
                )
        return RestoreResult(tuple(jobs), tuple(failures), deferred)

    def _execute(
        self, plan: RestorePlan, number: int, user: str
    ) -> tuple[RestoreJob, list[Record]]:
        planned = restoring.batch_of(plan, number, self.rules.policy)
        now = self.now()
        records = [p.record for p in planned]
        store = self.store
        # A store offering set-based restores is used through them (D-53).
        set_based = store if isinstance(store, SetRestores) else None
        with store.transaction():
            restoring.check_fresh(plan, planned, self.rules, now, set_based)
            job = restoring.batch_job(
                plan, number, planned, self.rules, job_id=self.new_id(), at=now, requested_by=user
            )
            try:
                if records and set_based is not None:
                    set_based.restore_deleted(plan.institution, records)
                elif records:
                    store.catalog.add(plan.institution, records)
                    store.deleted.remove(plan.institution, [r.id for r in records])
            except (IntegrityError, RecordNotFoundError) as e:
                # A concurrent restore got there first, between our check and our writes.
                ids = [r.id for r in records]
                raise StalePlanError(ids, f"another restore changed these records ({e})") from e
            store.jobs.add(job)
        return job, records

    def _record_refusal(
        self, plan: RestorePlan, number: int, error: DeletedRepoError, user: str
    ) -> Event | None:
        """Record the refused attempt in a transaction of its own (D-42); its event.

        The failed batch's transaction is already undone: the entry does not depend on it.
        A store that fails to record it is logged; the refusal is what the caller hears of.
        """
        entry = audit.refusal_entry(
            plan, number, error, job_id=self.new_id(), requested_by=user, at=self.now()
        )
        try:
            with self.store.transaction():
                self.store.jobs.add(entry)
        except DeletedRepoError as e:
            log.error("could not record the refused restore attempt %s", entry.id, exc_info=e)
            return None
        return RestoreStale(entry) if isinstance(error, StalePlanError) else RestoreRefused(entry)


def _batch_or_none(plan: RestorePlan, number: int) -> Sequence[object]:
    """The records of batch `number`, or none when it does not exist (refused later)."""
    if not plan.batches and number == 1:
        return ()
    try:
        return plan.batch(number)
    except DeletedRepoError:
        return ()
