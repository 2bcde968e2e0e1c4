"""The facade host code calls: delete, search, plan, restore, audit and purge.

`DeletedRepository` ties the pure core to the host's store and clock. It decides nothing a rule
says: it checks who asks (R-P1, R-M3), reads the clock, opens the transactions, calls the core
(`deleting`, `search`, `planner`, `executing`, `retention`), writes what the core returns, and
hands the events of what changed to `events` (D-41, D-43).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime

from deleted_repo import audit, deleting, ids, inputs, restoring, retention
from deleted_repo.deleting import Deletion
from deleted_repo.errors import RecordNotFoundError, RestoreJobNotFoundError
from deleted_repo.events import Deleted, Dispatcher, Event, Listener, Purged, Subscriber
from deleted_repo.executing import Executor, ProgressCallback
from deleted_repo.jobs import JobStatus, RestoreJob
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
from deleted_repo.ports import Catalog, DeletedStore, RestoreJobLog, SetRestores, Store
from deleted_repo.reads import StateReader
from deleted_repo.results import ListenerFailure, PurgeReport, RestoreResult
from deleted_repo.search import (
    Brief,
    Criteria,
    PageCursor,
    SearchPage,
    history,
    page_of,
    query_for,
)

__all__ = ["DeletedRepository"]

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware."""

MAX_PAGE = 10_000
"""The most hits (or jobs) one page of a search (or of the job list) may hold."""


class DeletedRepository:
    """A deleted repository: records deletions, finds deleted records, plans and runs restores.

    Args:
        store: the catalog, the deleted repository and the restore-job log under one
            transaction (`deleted_repo.ports.Store`), told the fields its policy indexes.
        clock: returns the current time, timezone-aware; the core never reads the clock itself.
        hierarchy: which kind may be the parent of which (default: Alma's).
        policy: the rules' numbers and switches, naming only declared kinds (default: Alma's).
        new_id: makes event and job ids (default: time-ordered UUIDs, `deleted_repo.ids`, D-60).

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
        new_id: Callable[[], str] = ids.new_id,
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
        self._events = Dispatcher(store)
        set_based = store if isinstance(store, SetRestores) else None  # D-53, D-59
        self._state = StateReader(store.catalog, store.deleted, set_based=set_based)
        rules = restoring.Rules(self._state, hierarchy, self.policy)
        self._executor = Executor(store, rules, self._events, self._now, new_id)
        store.index_fields(self.policy.indexed_fields())

    @classmethod
    def in_memory(
        cls,
        *,
        clock: Clock,
        hierarchy: Hierarchy = ALMA,
        policy: Policy | None = None,
        new_id: Callable[[], str] = ids.new_id,
    ) -> DeletedRepository:
        """A repository over a fresh `deleted_repo.stores.memory.MemoryStore`."""
        from deleted_repo.stores.memory import MemoryStore  # noqa: PLC0415 (the core does not need it)

        return cls(MemoryStore(), clock=clock, hierarchy=hierarchy, policy=policy, new_id=new_id)

    def add_listener(self, listener: Listener) -> None:
        """Call `listener` with each restore job and its records after the job commits (R-E4)."""
        self._events.add_listener(listener)

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call `subscriber` with every event (`deleted_repo.events`) once it is committed.

        Deletions, restore jobs, purges and refused or stale restore attempts are told after
        the repository's transaction commits; inside a transaction the repository did not
        open, they wait for `dispatch` (D-41, D-43).
        """
        self._events.subscribe(subscriber)

    def pending(self) -> tuple[Event, ...]:
        """The events this thread made inside a host's transaction, held for `dispatch`."""
        return self._events.pending()

    def dispatch(self) -> list[ListenerFailure]:
        """Tell the listeners the events `pending` holds; call it after your commit (D-41)."""
        return self._events.dispatch()

    def discard(self) -> tuple[Event, ...]:
        """Forget, untold, the events `pending` holds; call it after your rollback (D-41)."""
        return self._events.discard()

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
        deferred = self._events.held_back()
        with self.store.transaction():
            event = deleting.delete_event(
                self._state, institution, origins, actor, now, emptied, self._new_id()
            )
            self.catalog.remove(institution, [m.id for m in event.members])
            self.deleted.add_events([event])
        self._events.emit([Deleted(event)], deferred=deferred)
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
            RecordNotFoundError: a record still active (D-30); one already deleted is deleted
                again, superseding its older deletion (R-D6).
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
            InvalidInputError: `deletions` is not a collection of `Deletion`.
            DeletedRepoError: as `record_deletion`, for the first deletion that fails.
        """
        institution = inputs.check_institution(institution)
        recordings, refused = deleting.prepare_recordings(deletions, self._now)
        events: list[DeletionEvent] = []
        deferred = self._events.held_back()
        if recordings:
            with self.store.transaction():
                events = deleting.record_events(
                    self._state, institution, recordings, self.hierarchy, self._new_id
                )
                if refused is None:
                    self.deleted.add_events(events)
        if refused is not None:
            raise refused
        self._events.emit([Deleted(e) for e in events], deferred=deferred)
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
        earlier = self.deleted.superseded(institution, [e.id for e in found[:limit]])
        return page_of(found, limit, criteria, query, self.hierarchy, earlier)

    def brief(self, record_id: str, *, requester: Requester) -> Brief:
        """The brief view of one deleted record, of any kind (R-S7).

        Raises:
            NotAuthorizedError: the requester lacks the restore role.
            RecordNotFoundError: the id is not deleted in the requester's institution.
        """
        view = self.history(record_id, requester=requester)[0]
        if view.superseded_by is not None:
            raise RecordNotFoundError([record_id], state="deleted")
        return view

    def history(self, record_id: str, *, requester: Requester) -> tuple[Brief, ...]:
        """Every deletion of one id that is kept, the one held now first (R-S7, R-D6).

        Raises:
            RecordNotFoundError: the id has no deletion kept in the requester's institution.
        """
        institution = self.policy.authorize(requester)
        inputs.check_ids([record_id], field="record_id")
        views = history(self.deleted, institution, record_id, self.hierarchy)
        if not views:
            raise RecordNotFoundError([record_id], state="deleted")
        return views

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
        self,
        plan: RestorePlan,
        *,
        requester: Requester,
        batch: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> RestoreResult:
        """Execute a plan: every batch in order, or only batch `batch` (R-E1..R-E4).

        Each batch runs in one transaction and is recorded as one restore job (D-22); before it
        runs, the plan is checked against the state as it is now (D-21). Any holder of the
        restore role in the plan's institution may run it (D-24). A batch refused as invalid or
        stale is recorded too, as an audit entry with its reason (D-42). `progress` is called
        with a `deleted_repo.executing.Progress` after each batch commits (D-45).

        Raises:
            NotAuthorizedError: the requester lacks the restore role, or the plan is of another
                institution.
            InvalidInputError: not a plan, or the batch is not a batch number.
            InvalidPlanError: the plan is malformed, or the batch does not exist.
            StalePlanError: the state moved since planning; nothing of that batch changed.

        Each error names the failed `batch` and the jobs `committed` before it.
        """
        return self._executor.restore(plan, requester, batch, progress)

    def restore_jobs(
        self,
        *,
        requester: Requester,
        after: str | None = None,
        limit: int | None = None,
        requested_by: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        status: JobStatus | str | None = None,
        criterion: str | None = None,
    ) -> Sequence[RestoreJob]:
        """List restore jobs and refused attempts, newest first (R-E3, D-42).

        `after` is the id of the last job seen. The filters keep the jobs of one user, run
        from `since` to `until` (inclusive), with one status, or whose criteria are of one
        type (``"ByUser"``); see `deleted_repo.jobs.JobFilter`.

        Raises:
            NotAuthorizedError: the requester lacks the restore role.
            InvalidInputError: a limit that is not from 1 to 10,000, or a malformed filter.
            RestoreJobNotFoundError: `after` names no recorded job.
        """
        institution = self.policy.authorize(requester)
        where = audit.job_filter(
            requested_by=requested_by, since=since, until=until, status=status, criterion=criterion
        )
        return audit.listing(self.jobs, institution, after=after, limit=limit, where=where)

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
            deferred = self._events.held_back()
            with self.store.transaction():
                self.deleted.remove(institution, report.ids)
            self._events.emit([Purged(institution, requester.user_id, report)], deferred=deferred)
        return report

    def _now(self) -> datetime:
        return inputs.check_aware(self._clock(), "clock")
