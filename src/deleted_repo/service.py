"""The facade host code calls: delete, search, plan, restore, audit and purge.

`DeletedRepository` ties the pure core to the host's store and clock. It decides nothing a rule
says: it checks who asks (R-P1, R-M3), reads the clock, opens the transactions, calls the core
(`deleting`, `search`, `planner`, `restoring`, `retention`), writes what the core returns, and
tells the listeners.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime

from deleted_repo import deleting, inputs, restoring, retention
from deleted_repo.deleting import Deletion
from deleted_repo.errors import (
    DeletedRepoError,
    IntegrityError,
    RecordNotFoundError,
    RestoreJobNotFoundError,
    StalePlanError,
)
from deleted_repo.jobs import RestoreJob
from deleted_repo.listeners import Listener, Listeners
from deleted_repo.model import (
    ALMA,
    Actor,
    DeletionEvent,
    EmptiedParents,
    Hierarchy,
    Record,
    Requester,
)
from deleted_repo.planner import RestorePlan, plan_restore
from deleted_repo.policy import Policy
from deleted_repo.ports import Catalog, DeletedStore, RestoreJobLog, Store
from deleted_repo.reads import StateReader
from deleted_repo.results import ListenerFailure, PurgeReport, RestoreResult
from deleted_repo.search import (
    Brief,
    Criteria,
    PageCursor,
    SearchPage,
    brief,
    page_of,
    query_for,
)

__all__ = ["DeletedRepository"]

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware."""

MAX_PAGE = 10_000
"""The most hits (or jobs) one page of a search (or of the job list) may hold."""


def _new_id() -> str:
    return uuid.uuid4().hex


class DeletedRepository:
    """A deleted repository: records deletions, finds deleted records, plans and runs restores.

    Args:
        store: the catalog, the deleted repository and the restore-job log, under one
            transaction boundary (`deleted_repo.ports.Store`); the repository tells it which
            data fields its policy indexes.
        clock: returns the current time, timezone-aware; the core never reads the clock itself.
        hierarchy: which kind may be the parent of which (default: Alma's).
        policy: the rules' numbers and switches, naming only declared kinds (default: Alma's).
        new_id: makes event and job ids (default: random UUIDs).

    Attributes:
        catalog: the store's active records.
        deleted: the store's deleted repository.
        jobs: the store's restore-job log.

    Example:
        >>> from datetime import datetime, timezone
        >>> from deleted_repo import Actor, ById, Record, Requester
        >>> now = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> repo = DeletedRepository.in_memory(clock=lambda: now)
        >>> repo.catalog.add("01UNI", [Record("bib", "991"), Record("holding", "221", "991")])
        >>> event = repo.delete("01UNI", ["991"], actor=Actor.user("jdoe"))
        >>> [m.id for m in event.members]
        ['991', '221']
        >>> manager = Requester(user_id="ana", institution="01UNI", roles={"Repository Manager"})
        >>> plan = repo.plan(ById(kind="bib", id="991"), requester=manager)
        >>> repo.restore(plan, requester=manager).restored
        ('991', '221')
    """

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        hierarchy: Hierarchy = ALMA,
        policy: Policy | None = None,
        new_id: Callable[[], str] = _new_id,
    ) -> None:
        self.store = store
        self.catalog: Catalog = store.catalog
        self.deleted: DeletedStore = store.deleted
        self.jobs: RestoreJobLog = store.jobs
        self.hierarchy = hierarchy
        self.policy = (
            Policy.default_for(hierarchy) if policy is None else policy.checked_against(hierarchy)
        )
        self._clock = clock
        self._new_id = new_id
        self._listeners = Listeners()
        self._state = StateReader(store.catalog, store.deleted)
        self._rules = restoring.Rules(self._state, hierarchy, self.policy)
        store.index_fields(self.policy.indexed_fields())

    @classmethod
    def in_memory(
        cls,
        *,
        clock: Clock,
        hierarchy: Hierarchy = ALMA,
        policy: Policy | None = None,
        new_id: Callable[[], str] = _new_id,
    ) -> DeletedRepository:
        """A repository over a fresh `deleted_repo.stores.memory.MemoryStore`."""
        from deleted_repo.stores.memory import MemoryStore  # noqa: PLC0415 (the core does not need it)

        return cls(MemoryStore(), clock=clock, hierarchy=hierarchy, policy=policy, new_id=new_id)

    def add_listener(self, listener: Listener) -> None:
        """Call `listener` with each restore job and its records after the job commits (R-E4)."""
        self._listeners.add(listener)

    def delete(
        self,
        institution: str,
        ids: Collection[str],
        *,
        actor: Actor,
        emptied_parents: EmptiedParents | str = EmptiedParents.RETAIN,
    ) -> DeletionEvent:
        """Delete active records and everything below them, as one event (R-D1..R-D5).

        Args:
            institution: the institution of the records.
            ids: the records to delete (the event's origins).
            actor: who deletes.
            emptied_parents: with ``delete``, a parent left with no active children is deleted
                too, repeating upward (R-D3); ``retain`` (default) keeps it.

        Returns:
            The event recorded.

        Raises:
            InvalidInputError: malformed arguments.
            RecordNotFoundError: an id is not active in the institution (R-D5); nothing changed.
        """
        institution = inputs.check_institution(institution)
        origins = inputs.check_ids(ids)
        actor = inputs.check_actor(actor)
        emptied = inputs.check_choice(EmptiedParents, emptied_parents, "emptied_parents")
        now = self._now()
        with self.store.transaction():
            event = deleting.delete_event(
                self._state,
                institution,
                origins,
                actor=actor,
                at=now,
                emptied=emptied,
                event_id=self._new_id(),
            )
            self.catalog.remove(institution, [m.id for m in event.members])
            self.deleted.add_events([event])
        return event

    def record_deletion(
        self,
        institution: str,
        records: Sequence[Record],
        *,
        actor: Actor,
        origins: Collection[str] | None = None,
        at: datetime | None = None,
    ) -> DeletionEvent:
        """Record, as one event, records the host has already removed from its catalog (R-D1).

        Records standing below an origin get the cascade role; records standing above one get
        the emptied-parent role. To record many deletions at once, use `record_deletions`.

        Args:
            institution: the institution of the records.
            records: the deleted records, as they were just before deletion.
            actor: who deleted them.
            origins: the ids the action was asked to delete (default: every record whose parent
                is not among `records`).
            at: when they were deleted (default: now), timezone-aware.

        Returns:
            The event recorded.

        Raises:
            InvalidInputError: malformed arguments; a record neither an origin nor above or
                below one; an active record left under a deleted one (I1).
            RecordNotFoundError: a record still active, or already deleted (D-30).
            HierarchyError: a record whose parent breaks the hierarchy or is unknown.
        """
        (event,) = self.record_deletions(
            institution, [Deletion(records, actor=actor, origins=origins, at=at)]
        )
        return event

    def record_deletions(
        self, institution: str, deletions: Iterable[Deletion]
    ) -> list[DeletionEvent]:
        """Record many deletions the host has already made, one event each, in one transaction.

        It records what `record_deletion` called for each in turn would, reading the stores a
        fixed number of times whatever their number. All or nothing: when one fails, none is
        recorded, and the error is the one the calls in turn would raise first.

        Args:
            institution: the institution of every deletion.
            deletions: the deletions, in the order they happened.

        Returns:
            The events recorded, one per deletion, in order; none for no deletion.

        Raises:
            InvalidInputError: `deletions` is not a collection of `Deletion`; or as
                `record_deletion`, for the first deletion that fails; nothing is recorded.
            RecordNotFoundError, HierarchyError: as `record_deletion`, for the first deletion
                that fails; nothing is recorded.
        """
        institution = inputs.check_institution(institution)
        recordings, refused = deleting.prepare_recordings(deletions, self._now)
        events: list[DeletionEvent] = []
        if recordings:
            with self.store.transaction():
                events = deleting.record_events(
                    self._state,
                    institution,
                    recordings,
                    hierarchy=self.hierarchy,
                    new_id=self._new_id,
                )
                if refused is None:
                    self.deleted.add_events(events)
        if refused is not None:
            raise refused
        return events

    def search(
        self,
        criteria: Criteria,
        *,
        requester: Requester,
        cursor: str | None = None,
        limit: int = 25,
    ) -> SearchPage:
        """Find deleted records: one page, newest first (R-S1..R-S10).

        Every page of a search belongs to the result set its first page resolved: the cursor
        carries that page's window and the user's last action (D-31).

        Args:
            criteria: the find type and one criterion.
            requester: who asks; needs the restore role (R-P1).
            cursor: the `next_cursor` of the previous page, to get the next one.
            limit: the most hits on the page.

        Raises:
            NotAuthorizedError: the requester lacks the restore role.
            InvalidInputError: malformed criteria, cursor or limit, or a cursor of another
                search.
            UnknownActorError: a search by a user or job that never deleted anything here.
        """
        institution = self.policy.authorize(requester)
        inputs.check_limit(limit, most=MAX_PAGE)
        resumed = None if cursor is None else PageCursor.decode(cursor, criteria)
        scope = (None, None) if resumed is None else (resumed.window, resumed.events)
        query = query_for(
            criteria, self.deleted, institution, self.hierarchy, self.policy, self._now(), *scope
        )
        found = self.deleted.find(
            query, after=None if resumed is None else resumed.after, limit=limit + 1
        )
        return page_of(found, limit, criteria, query, self.hierarchy)

    def brief(self, record_id: str, *, requester: Requester) -> Brief:
        """The brief view of one deleted record, of any kind (R-S7).

        Raises:
            NotAuthorizedError: the requester lacks the restore role.
            RecordNotFoundError: the id is not deleted in the requester's institution.
        """
        institution = self.policy.authorize(requester)
        inputs.check_ids([record_id], field="record_id")
        found = self.deleted.get(institution, [record_id])
        if record_id not in found:
            raise RecordNotFoundError([record_id], state="deleted")
        return brief(found[record_id], self.hierarchy)

    def plan(
        self, criteria: Criteria, *, requester: Requester, batches: bool = False
    ) -> RestorePlan:
        """Compute what restoring the hits of `criteria` (all pages) would do; change nothing.

        Args:
            criteria: the search whose hits are the targets.
            requester: who asks; needs the restore role (R-P1).
            batches: split a plan over the cap into ordered batches instead of refusing it.

        Raises:
            NotAuthorizedError: the requester lacks the restore role.
            InvalidInputError: malformed criteria.
            UnknownActorError: a search by a user or job that never deleted anything here.
            CapExceededError: over the cap without batches (R-P8).
            ConflictError: a conflict under the ``fail`` policy (R-P7).
        """
        institution = self.policy.authorize(requester)
        now = self._now()
        query = query_for(criteria, self.deleted, institution, self.hierarchy, self.policy, now)
        return plan_restore(
            self.deleted.find(query),
            state=self._state,
            criteria=criteria,
            institution=institution,
            requested_by=requester.user_id,
            policy=self.policy,
            now=now,
            batches=batches,
            events=query.event_ids,
        )

    def restore(
        self, plan: RestorePlan, *, requester: Requester, batch: int | None = None
    ) -> RestoreResult:
        """Execute a plan: every batch in order, or only batch `batch` (R-E1..R-E4).

        Each batch runs in one transaction and is recorded as one restore job (D-22); before it
        runs, the plan is checked against the state as it is now (D-21). Any holder of the
        restore role in the plan's institution may run it (D-24).

        Raises:
            NotAuthorizedError: the requester lacks the restore role, or the plan is of another
                institution.
            InvalidInputError: not a plan, or the batch is not a batch number.
            InvalidPlanError: the plan is malformed, or the batch does not exist.
            StalePlanError: the state moved since planning; nothing of that batch changed.

        Every error it raises names the batch that failed (`batch`) and the jobs of the
        batches committed before it (`committed`).
        """
        self.policy.authorize(requester)
        inputs.check_instance(plan, RestorePlan, "plan")
        if batch is not None:
            inputs.check_instance(batch, int, "batch")
        self.policy.authorize(requester, plan.institution)
        # D-20: a plan restoring nothing runs one empty job, to record its exclusions (R-E3).
        numbers = range(1, max(len(plan.batches), 1) + 1) if batch is None else [batch]
        jobs: list[RestoreJob] = []
        failures: list[ListenerFailure] = []
        for number in numbers:
            try:
                job, records = self._execute(plan, number, requester)
            except DeletedRepoError as e:
                e.batch, e.committed = number, tuple(jobs)
                raise
            jobs.append(job)
            if records:
                failures.extend(self._listeners.notify(job, records))
        return RestoreResult(tuple(jobs), tuple(failures))

    def _execute(
        self, plan: RestorePlan, number: int, requester: Requester
    ) -> tuple[RestoreJob, list[Record]]:
        user = requester.user_id
        planned = restoring.batch_of(plan, number, self.policy)
        now = self._now()
        records = [p.record for p in planned]
        with self.store.transaction():
            restoring.check_fresh(plan, planned, self._rules, now)
            job = restoring.batch_job(
                plan, number, planned, self._rules, job_id=self._new_id(), at=now, requested_by=user
            )
            try:
                if records:
                    self.catalog.add(plan.institution, records)
                    self.deleted.remove(plan.institution, [r.id for r in records])
            except (IntegrityError, RecordNotFoundError) as e:
                # A concurrent restore got there first, between our check and our writes.
                ids = [r.id for r in records]
                raise StalePlanError(ids, f"another restore changed these records ({e})") from e
            self.jobs.add(job)
        return job, records

    def restore_jobs(
        self, *, requester: Requester, after: str | None = None, limit: int | None = None
    ) -> Sequence[RestoreJob]:
        """List restore jobs, newest first; `after` is the id of the last job seen (R-E3).

        Raises:
            NotAuthorizedError: the requester lacks the restore role.
            InvalidInputError: a limit that is not from 1 to 10,000.
            RestoreJobNotFoundError: `after` names no recorded job.
        """
        institution = self.policy.authorize(requester)
        if after is not None:
            inputs.check_ids([after], field="after")
            if self.jobs.get(institution, after) is None:
                raise RestoreJobNotFoundError(after)
        if limit is not None:
            inputs.check_limit(limit, most=MAX_PAGE)
        return self.jobs.list(institution, after=after, limit=limit)

    def restore_job(self, job_id: str, *, requester: Requester) -> RestoreJob:
        """Read back one restore job (R-E3).

        Raises:
            RestoreJobNotFoundError: no such job in the requester's institution.
        """
        institution = self.policy.authorize(requester)
        inputs.check_ids([job_id], field="job_id")
        job = self.jobs.get(institution, job_id)
        if job is None:
            raise RestoreJobNotFoundError(job_id)
        return job

    def purge(self, *, requester: Requester, dry_run: bool = False) -> PurgeReport:
        """Remove for good the deleted records past their kind's retention (R-R1).

        Deleted records below a purged one go with it, since they could never be restored
        without it (D-27). Purged ids are gone (R-M4). With `dry_run`, report what would go
        and remove nothing.
        """
        institution = self.policy.authorize(requester)
        report = retention.purge_report(self._state, institution, self.policy, self._now())
        if report.ids and not dry_run:
            with self.store.transaction():
                self.deleted.remove(institution, report.ids)
        return report

    def _now(self) -> datetime:
        return inputs.check_aware(self._clock(), "clock")
