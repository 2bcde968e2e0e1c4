"""The facade host code calls: delete, search, plan, restore, audit and purge.

`DeletedRepository` ties the pure core to the host's stores and clock. It checks every argument
before it reads anything, checks the restore role and institution (R-P1, R-M3), and runs every
write in one transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from deleted_repo.errors import (
    HierarchyError,
    IntegrityError,
    InvalidInputError,
    InvalidPlanError,
    NotAuthorizedError,
    RecordNotFoundError,
    RestoreJobNotFoundError,
    StalePlanError,
    UnknownActorError,
)
from deleted_repo.jobs import Outcome, RecordOutcome, RestoreJob
from deleted_repo.model import (
    ALMA,
    Actor,
    DeletedRecord,
    DeletionEvent,
    EmptiedParents,
    Hierarchy,
    MemberRole,
    Policy,
    Record,
    Requester,
    count_kinds,
)
from deleted_repo.planner import (
    PlannedRecord,
    ReasonKind,
    RestorePlan,
    StateReader,
    plan_restore,
    unique_clashes,
)
from deleted_repo.ports import Catalog, DeletedStore, RestoreJobLog, Store
from deleted_repo.search import (
    Brief,
    ByField,
    ById,
    ByJob,
    ByRange,
    BySystem,
    ByUser,
    Criteria,
    Query,
    SearchPage,
    Window,
    brief,
    decode_cursor,
    encode_cursor,
    resolve,
)

__all__ = ["DeletedRepository", "Deletion", "ListenerFailure", "PurgeReport", "RestoreResult"]

log = logging.getLogger("deleted_repo")

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware."""

Listener = Callable[[RestoreJob, Sequence[Record]], None]
"""Called after a restore job commits, with the job and the records it reinstated (R-E4)."""

_CRITERIA = (ById, ByRange, ByUser, ByJob, BySystem, ByField)
MAX_PAGE = 10_000


@attrs.frozen
class ListenerFailure:
    """A listener that raised after a restore committed; the restore stands (R-E4).

    Attributes:
        listener: the listener's name.
        job_id: the restore job it was told about.
        error_type: the class name of the exception it raised.
        error: the exception's message.
    """

    listener: str
    job_id: str
    error_type: str
    error: str


@attrs.frozen
class RestoreResult:
    """What a restore did: one job per batch executed, and any listener that failed.

    Attributes:
        jobs: the restore jobs recorded, in order.
        listener_failures: listeners that raised; their restores were not undone.
    """

    jobs: tuple[RestoreJob, ...]
    listener_failures: tuple[ListenerFailure, ...] = ()

    @property
    def restored(self) -> tuple[str, ...]:
        """Every id restored, parents before children."""
        return tuple(i for job in self.jobs for i in job.restored)


@attrs.frozen
class PurgeReport:
    """What a purge removed for good (R-R1).

    Attributes:
        at: when it ran.
        ids: the purged ids, sorted.
        counts: purged records per kind.
    """

    at: datetime
    ids: tuple[str, ...]
    counts: Mapping[str, int]


@attrs.frozen
class Deletion:
    """One deletion the host has already made, for `DeletedRepository.record_deletions`.

    The fields are the arguments of `DeletedRepository.record_deletion`, and are checked as it
    checks them, when the deletion is recorded.

    Attributes:
        records: the deleted records, as they were just before deletion.
        actor: who deleted them.
        origins: the ids the action was asked to delete (default: every record whose parent is
            not among `records`).
        at: when they were deleted (default: the time of the call), timezone-aware.
    """

    records: Sequence[Record]
    actor: Actor = attrs.field(kw_only=True)
    origins: Collection[str] | None = attrs.field(default=None, kw_only=True)
    at: datetime | None = attrs.field(default=None, kw_only=True)


@attrs.frozen
class _Recording:
    """A deletion's checked arguments and its members' roles, before the state is read."""

    by_id: dict[str, Record]
    actor: Actor
    at: datetime
    origins: list[str]
    roles: dict[str, MemberRole]
    origin_of: dict[str, str]


@attrs.frozen
class _RecordingState:
    """What recording deletions checks, read once for a batch.

    Attributes:
        active: the ids of the batch that are active.
        deleted: the ids of the batch that are already deleted.
        below: the active children of the batch's records, by parent.
        known: the active or deleted records among the batch's outside parents and their
            ancestors (deleted ones win).
    """

    active: Collection[str]
    deleted: Collection[str]
    below: Mapping[str, list[str]]
    known: Mapping[str, Record]


def _new_id() -> str:
    return uuid.uuid4().hex


def _check_institution(institution: object) -> str:
    if not isinstance(institution, str) or not institution:
        raise InvalidInputError(
            f"institution must be a non-empty string, got {institution!r}",
            field="institution",
            value=institution,
        )
    return institution


def _check_ids(ids: object, field: str = "ids") -> list[str]:
    if isinstance(ids, str) or not isinstance(ids, Iterable):
        raise InvalidInputError(
            f"{field} must be a collection of ids, got {ids!r}", field=field, value=ids
        )
    listed = list(ids)
    if not listed:
        raise InvalidInputError(f"{field} must not be empty", field=field, value=listed)
    for ident in listed:
        if not isinstance(ident, str) or not ident:
            raise InvalidInputError(f"not an id: {ident!r}", field=field, value=ident)
    if len(set(listed)) != len(listed):
        twice = sorted({i for i in listed if listed.count(i) > 1})
        raise InvalidInputError(f"ids given more than once: {twice}", field=field, value=twice)
    return listed


def _check_actor(actor: object) -> Actor:
    if not isinstance(actor, Actor):
        raise InvalidInputError(
            f"actor must be an Actor, got {actor!r}", field="actor", value=actor
        )
    return actor


class DeletedRepository:
    """A deleted repository: records deletions, finds deleted records, plans and runs restores.

    Args:
        store: the catalog, the deleted repository and the restore-job log, under one
            transaction boundary (`deleted_repo.ports.Store`); the repository tells it which
            data fields its policy indexes.
        clock: returns the current time, timezone-aware; the core never reads the clock itself.
        hierarchy: which kind may be the parent of which (default: Alma's).
        policy: the rules' numbers and switches (default: Alma's values).
        new_id: makes event and job ids (default: random UUIDs).

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
        self.hierarchy = hierarchy
        self.policy = policy if policy is not None else Policy()
        self._clock = clock
        self._new_id = new_id
        self._listeners: list[Listener] = []
        store.index_fields(self.policy.indexed_fields())

    @property
    def catalog(self) -> Catalog:
        """The store's active records."""
        return self.store.catalog

    @property
    def deleted(self) -> DeletedStore:
        """The store's deleted repository."""
        return self.store.deleted

    @property
    def jobs(self) -> RestoreJobLog:
        """The store's restore-job log."""
        return self.store.jobs

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

        return cls(
            MemoryStore(),
            clock=clock,
            hierarchy=hierarchy,
            policy=policy,
            new_id=new_id,
        )

    def add_listener(self, listener: Listener) -> None:
        """Call `listener` with each restore job and its records after the job commits (R-E4)."""
        if not callable(listener):
            raise InvalidInputError(
                f"a listener must be callable, got {listener!r}", field="listener"
            )
        self._listeners.append(listener)

    # Deleting

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
        institution = _check_institution(institution)
        wanted = _check_ids(ids)
        actor = _check_actor(actor)
        try:
            emptied = EmptiedParents(emptied_parents)
        except ValueError:
            raise InvalidInputError(
                f"emptied_parents must be 'retain' or 'delete', got {emptied_parents!r}",
                field="emptied_parents",
                value=emptied_parents,
            ) from None
        now = self._now()
        with self.store.transaction():
            return self._delete(institution, wanted, actor, emptied, now)

    def _delete(
        self,
        institution: str,
        wanted: list[str],
        actor: Actor,
        emptied: EmptiedParents,
        now: datetime,
    ) -> DeletionEvent:
        found = self.catalog.get(institution, wanted)
        missing = [i for i in wanted if i not in found]
        if missing:
            raise self._not_active(institution, missing)
        records: dict[str, Record] = {i: found[i] for i in wanted}
        roles = dict.fromkeys(wanted, MemberRole.ORIGIN)
        origin_of = {i: i for i in wanted}
        frontier = wanted
        while frontier:
            step = []
            for child in sorted(self.catalog.children(institution, frontier), key=lambda r: r.id):
                if child.id not in records:
                    records[child.id] = child
                    roles[child.id] = MemberRole.CASCADE
                    origin_of[child.id] = origin_of[child.parent_id]  # type: ignore[index]
                    step.append(child.id)
            frontier = step
        if emptied is EmptiedParents.DELETE:
            self._take_emptied_parents(institution, records, roles, origin_of)
        event = self._event(
            institution,
            records=records,
            roles=roles,
            origin_of=origin_of,
            actor=actor,
            at=now,
            origins=wanted,
        )
        self.catalog.remove(institution, list(records))
        self.deleted.add_events([event])
        return event

    def _take_emptied_parents(
        self,
        institution: str,
        records: dict[str, Record],
        roles: dict[str, MemberRole],
        origin_of: dict[str, str],
    ) -> None:
        parents = {
            r.parent_id for r in records.values() if r.parent_id and r.parent_id not in records
        }
        while parents:
            kept = {
                c.parent_id
                for c in self.catalog.children(institution, parents)
                if c.id not in records
            }
            emptied = sorted(parents - kept)
            found = self.catalog.get(institution, emptied)
            below: dict[str, list[str]] = defaultdict(list)
            for r in records.values():
                if r.parent_id is not None and r.parent_id in found:
                    below[r.parent_id].append(origin_of[r.id])
            for ident in emptied:
                if ident in found:
                    records[ident] = found[ident]
                    roles[ident] = MemberRole.EMPTIED_PARENT
                    origin_of[ident] = min(below[ident])
            parents = {
                r.parent_id for r in found.values() if r.parent_id and r.parent_id not in records
            }

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
            InvalidInputError: malformed arguments; a record still active or already deleted; a
                record neither an origin nor above or below one; an active record left under a
                deleted one (I1).
            HierarchyError: a record whose parent breaks the hierarchy or is unknown.
        """
        institution = _check_institution(institution)
        recording = self._recording(records, actor, origins, at, self._now)
        with self.store.transaction():
            (event,) = self._record(institution, [recording])
            self.deleted.add_events([event])
        return event

    def record_deletions(
        self, institution: str, deletions: Iterable[Deletion]
    ) -> list[DeletionEvent]:
        """Record many deletions the host has already made, one event each, in one transaction.

        The bulk form of `record_deletion`, for capturing a host's deletions in batches: it
        records what calling `record_deletion` for each deletion in turn would record (a
        deletion sees the records of the earlier ones as deleted), but its checks read the
        stores a fixed number of times whatever the batch's size, and the events are written
        together. All or nothing: when a deletion fails, none is recorded, and the error is the
        one the calls in turn would raise first.

        Args:
            institution: the institution of every deletion.
            deletions: the deletions, in the order they happened.

        Returns:
            The events recorded, one per deletion, in order; none for no deletion.

        Raises:
            InvalidInputError: `deletions` is not a collection of `Deletion`; or as
                `record_deletion`, for the first deletion that fails; nothing is recorded.
            HierarchyError: as `record_deletion`, for the first deletion that fails; nothing is
                recorded.

        Example:
            >>> from datetime import datetime, timezone
            >>> from deleted_repo import Actor, DeletedRepository, Deletion, Record
            >>> now = datetime(2026, 1, 5, tzinfo=timezone.utc)
            >>> repo = DeletedRepository.in_memory(clock=lambda: now)
            >>> events = repo.record_deletions(
            ...     "01UNI",
            ...     [
            ...         Deletion([Record("bib", "991"), Record("holding", "221", "991")],
            ...                  actor=Actor.user("jdoe")),
            ...         Deletion([Record("bib", "992")], actor=Actor.job("WEED-7")),
            ...     ],
            ... )
            >>> [[m.id for m in e.members] for e in events]
            [['991', '221'], ['992']]
        """
        institution = _check_institution(institution)
        if isinstance(deletions, Deletion) or not isinstance(deletions, Iterable):
            raise InvalidInputError(
                f"deletions must be a collection of Deletion, got {deletions!r}",
                field="deletions",
                value=deletions,
            )
        listed = list(deletions)
        for d in listed:
            if not isinstance(d, Deletion):
                raise InvalidInputError(f"not a Deletion: {d!r}", field="deletions", value=d)
        read: list[datetime] = []

        def now() -> datetime:
            if not read:
                read.append(self._now())
            return read[0]

        recordings: list[_Recording] = []
        events: list[DeletionEvent] = []
        refused: InvalidInputError | None = None
        for d in listed:
            try:
                recordings.append(self._recording(d.records, d.actor, d.origins, d.at, now))
            except InvalidInputError as e:
                # The deletions before it may fail first, against the state.
                refused = e
                break
        if recordings:
            with self.store.transaction():
                events = self._record(institution, recordings)
                if refused is None:
                    self.deleted.add_events(events)
        if refused is not None:
            raise refused
        return events

    def _recording(
        self,
        records: object,
        actor: object,
        origins: Collection[str] | None,
        at: object,
        now: Clock,
    ) -> _Recording:
        """Check one deletion's arguments and give its members their roles; read nothing."""
        actor = _check_actor(actor)
        if isinstance(records, Record) or not isinstance(records, Iterable):
            raise InvalidInputError("records must be a sequence of Record", field="records")
        listed = list(records)
        for r in listed:
            if not isinstance(r, Record):
                raise InvalidInputError(f"not a Record: {r!r}", field="records", value=r)
        by_id = {r.id: r for r in listed}
        _check_ids([r.id for r in listed], field="records")
        if at is None:
            at = now()
        elif not isinstance(at, datetime) or at.utcoffset() is None:
            raise InvalidInputError(
                f"at must be a timezone-aware datetime, got {at!r}", field="at", value=at
            )
        chosen = (
            [i for i, r in by_id.items() if r.parent_id not in by_id]
            if origins is None
            else _check_ids(origins, field="origins")
        )
        strangers = [i for i in chosen if i not in by_id]
        if strangers:
            raise InvalidInputError(
                f"origins not among the records: {strangers}", field="origins", value=strangers
            )
        roles, origin_of = self._roles(by_id, chosen)
        return _Recording(by_id, actor, at, chosen, roles, origin_of)

    def _record(self, institution: str, recordings: Sequence[_Recording]) -> list[DeletionEvent]:
        """Check each recording in turn against the state, as the earlier ones leave it: events.

        The state is read once for the whole batch: the records and their outside parents, the
        active children of the records, then the ancestors of the parents, level by level.
        """
        ids = list(dict.fromkeys(i for rec in recordings for i in rec.by_id))
        wanted = set(ids)
        wanted.update(
            parent
            for rec in recordings
            for r in rec.by_id.values()
            if (parent := r.parent_id) is not None and parent not in rec.by_id
        )
        active = self.catalog.get(institution, wanted)
        deleted = self.deleted.get(institution, wanted)
        below: dict[str, list[str]] = defaultdict(list)
        for child in self.catalog.children(institution, ids):
            if child.parent_id is not None:
                below[child.parent_id].append(child.id)
        known: dict[str, Record] = dict(active)
        known.update((i, d.record) for i, d in deleted.items())
        looked = wanted
        frontier = {p for r in known.values() if (p := r.parent_id) is not None} - looked
        while frontier:
            found: dict[str, Record] = dict(self.catalog.get(institution, frontier))
            found.update((i, d.record) for i, d in self.deleted.get(institution, frontier).items())
            known.update(found)
            looked |= frontier
            frontier = {p for r in found.values() if (p := r.parent_id) is not None} - looked
        state = _RecordingState(active.keys(), deleted.keys(), below, known)
        earlier: dict[str, Record] = {}
        events = []
        for rec in recordings:
            lineage = self._check_recordable(rec.by_id, state, earlier)
            events.append(
                self._event(
                    institution,
                    records=rec.by_id,
                    roles=rec.roles,
                    origin_of=rec.origin_of,
                    actor=rec.actor,
                    at=rec.at,
                    origins=rec.origins,
                    lineage=lineage,
                )
            )
            earlier.update(rec.by_id)
        return events

    def _check_recordable(
        self, by_id: Mapping[str, Record], state: _RecordingState, earlier: Mapping[str, Record]
    ) -> dict[str, tuple[str, ...]]:
        """Check one deletion against the state and the `earlier` deletions; its lineages.

        Returns:
            Each record's chain of ancestor ids, nearest first.
        """
        ids = list(by_id)
        declared = self.hierarchy.kinds
        acyclic: set[str] = set()  # records whose chain leaves `by_id` without a loop
        for r in by_id.values():
            if r.kind not in declared:
                self.hierarchy.spec(r.kind)
            seen = {r.id}
            parent = r.parent_id
            while parent is not None and parent in by_id and parent not in acyclic:
                if parent in seen:
                    raise HierarchyError(f"records {sorted(seen)} are each other's ancestors")
                seen.add(parent)
                parent = by_id[parent].parent_id
            acyclic |= seen
        active = [i for i in ids if i in state.active]
        if active:
            raise InvalidInputError(
                f"still active in the catalog: {sorted(active)}; remove them, or call delete()",
                field="records",
                value=sorted(active),
            )
        deleted = [i for i in ids if i in state.deleted or i in earlier]
        if deleted:
            raise InvalidInputError(
                f"already deleted: {sorted(deleted)}", field="records", value=sorted(deleted)
            )
        orphans = [c for i in ids for c in state.below.get(i, ())]
        if orphans:
            raise InvalidInputError(
                f"active records would be left under deleted ones: {sorted(orphans)}",
                field="records",
                value=sorted(orphans),
            )

        known = state.known

        def record_of(ident: str) -> Record | None:
            # Outside this deletion, a record is one of the earlier deletions' or the state's.
            found = by_id.get(ident)
            if found is None:
                found = earlier.get(ident)
            return known.get(ident) if found is None else found

        kinds: dict[str | None, str | None] = {None: None}
        # A chain depends only on the parent, so siblings share one tuple (memory, at scale).
        by_parent: dict[str | None, tuple[str, ...]] = {None: ()}
        chains: dict[str, tuple[str, ...]] = {}
        for ident, r in by_id.items():
            first = r.parent_id
            if first is not None and first not in kinds:
                above = record_of(first)
                kinds[first] = None if above is None else above.kind
            self.hierarchy.check_parent(r, kinds[first])
            shared = by_parent.get(first)
            if shared is None:
                chain: list[str] = []
                parent = first
                while parent is not None and parent not in chain:
                    chain.append(parent)
                    above = record_of(parent)
                    parent = None if above is None else above.parent_id
                shared = by_parent[first] = tuple(chain)
            chains[ident] = shared
        return chains

    @staticmethod
    def _roles(
        by_id: Mapping[str, Record], origins: list[str]
    ) -> tuple[dict[str, MemberRole], dict[str, str]]:
        roles = dict.fromkeys(origins, MemberRole.ORIGIN)
        origin_of = {o: o for o in origins}

        def chain(ident: str) -> list[str]:
            path: list[str] = []
            parent = by_id[ident].parent_id
            while parent is not None and parent in by_id and parent not in path:
                path.append(parent)
                parent = by_id[parent].parent_id
            return path

        # Below an origin: the nearest origin up the chain. A record's answer is its parent's
        # when the parent is no origin, so each walk stops at the first record already answered.
        chosen = frozenset(origins)
        nearest: dict[str, str | None] = {}
        for ident in by_id:
            if ident in chosen:
                continue
            if ident in nearest:
                above = nearest[ident]
            else:
                walked: list[str] = []
                parent = by_id[ident].parent_id
                above = None
                while parent is not None and parent in by_id and parent not in walked:
                    if parent in chosen:
                        above = parent
                        break
                    if parent in nearest:
                        above = nearest[parent]
                        break
                    walked.append(parent)
                    parent = by_id[parent].parent_id
                nearest[ident] = above
                nearest.update(dict.fromkeys(walked, above))
            if above is not None:
                roles[ident], origin_of[ident] = MemberRole.CASCADE, above
        for ident in sorted(origins):
            for parent in chain(ident):
                if parent not in roles:
                    roles[parent], origin_of[parent] = MemberRole.EMPTIED_PARENT, ident
        unrelated = sorted(set(by_id) - roles.keys())
        if unrelated:
            raise InvalidInputError(
                f"records neither an origin nor above or below one: {unrelated}",
                field="origins",
                value=unrelated,
            )
        return roles, origin_of

    def _event(
        self,
        institution: str,
        *,
        records: Mapping[str, Record],
        roles: Mapping[str, MemberRole],
        origin_of: Mapping[str, str],
        actor: Actor,
        at: datetime,
        origins: Sequence[str],
        lineage: Mapping[str, tuple[str, ...]] | None = None,
    ) -> DeletionEvent:
        if lineage is None:
            lineage = self._lineages(institution, records)
        event_id = self._new_id()
        members = [
            DeletedRecord(
                record=records[i],
                role=roles[i],
                origin_id=origin_of[i],
                lineage=lineage[i],
                event_id=event_id,
                institution=institution,
                actor=actor,
                deleted_at=at,
            )
            for i in sorted(records, key=lambda i: (len(lineage[i]), i))
        ]
        return DeletionEvent(
            id=event_id,
            institution=institution,
            actor=actor,
            at=at,
            origins=origins,
            members=members,
        )

    def _lineages(
        self, institution: str, records: Mapping[str, Record]
    ) -> dict[str, tuple[str, ...]]:
        """Each record's chain of ancestor ids, nearest first; outside parents read in batches."""
        parent_of: dict[str, str | None] = {i: r.parent_id for i, r in records.items()}
        outside = {p for p in parent_of.values() if p is not None and p not in parent_of}
        while outside:
            found: dict[str, str | None] = {
                i: r.parent_id for i, r in self.catalog.get(institution, outside).items()
            }
            found.update(
                {i: d.record.parent_id for i, d in self.deleted.get(institution, outside).items()}
            )
            parent_of.update(found)
            parent_of.update({i: None for i in outside if i not in found})
            outside = {p for p in found.values() if p is not None and p not in parent_of}
        # A chain depends only on the parent, so siblings share one tuple (memory, at scale).
        by_parent: dict[str | None, tuple[str, ...]] = {None: ()}
        chains: dict[str, tuple[str, ...]] = {}
        for ident in records:
            first = parent_of[ident]
            shared = by_parent.get(first)
            if shared is None:
                chain = []
                parent = first
                while parent is not None and parent not in chain:
                    chain.append(parent)
                    parent = parent_of.get(parent)
                shared = by_parent[first] = tuple(chain)
            chains[ident] = shared
        return chains

    def _not_active(self, institution: str, missing: list[str]) -> RecordNotFoundError:
        deleted = self.deleted.get(institution, missing)
        detail = (
            "already deleted"
            if len(deleted) == len(missing)
            else ("unknown in this institution" if not deleted else "unknown or already deleted")
        )
        return RecordNotFoundError(missing, state="active", detail=detail)

    # Searching

    def search(
        self,
        criteria: Criteria,
        *,
        requester: Requester,
        cursor: str | None = None,
        limit: int = 25,
    ) -> SearchPage:
        """Find deleted records: one page, newest first (R-S1..R-S10).

        Args:
            criteria: the find type and one criterion.
            requester: who asks; needs the restore role (R-P1).
            cursor: the `next_cursor` of the previous page, to get the next one.
            limit: the most hits on the page.

        Raises:
            NotAuthorizedError: the requester lacks the restore role.
            InvalidInputError: malformed criteria, cursor or limit.
            UnknownActorError: a search by a user or job that never deleted anything here.
        """
        institution = self._authorize(requester)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise InvalidInputError(
                f"limit must be from 1 to {MAX_PAGE}, got {limit!r}", field="limit", value=limit
            )
        after = None if cursor is None else decode_cursor(cursor)
        query = self._query(criteria, institution, self._now())
        found = self.deleted.find(query, after=after, limit=limit + 1)
        page = found[:limit]
        more = len(found) > limit
        return SearchPage(
            hits=tuple(brief(e, self.hierarchy) for e in page),
            next_cursor=encode_cursor((page[-1].deleted_at, page[-1].id)) if more else None,
            window=None if isinstance(criteria, ById | ByField) else query.window,
        )

    def brief(self, record_id: str, *, requester: Requester) -> Brief:
        """The brief view of one deleted record, of any kind (R-S7).

        Raises:
            NotAuthorizedError: the requester lacks the restore role.
            RecordNotFoundError: the id is not deleted in the requester's institution.
        """
        institution = self._authorize(requester)
        _check_ids([record_id], field="record_id")
        found = self.deleted.get(institution, [record_id])
        if record_id not in found:
            raise RecordNotFoundError([record_id], state="deleted")
        return brief(found[record_id], self.hierarchy)

    def _query(self, criteria: Criteria, institution: str, now: datetime) -> Query:
        if not isinstance(criteria, _CRITERIA):
            raise InvalidInputError(
                f"not a search criterion: {criteria!r}", field="criteria", value=criteria
            )
        query = resolve(
            criteria, institution=institution, hierarchy=self.hierarchy, policy=self.policy, now=now
        )
        if query.actor is not None and not self.deleted.has_actor(institution, query.actor):
            raise UnknownActorError(query.actor)
        if isinstance(criteria, ByUser):
            assert query.actor is not None
            event = self.deleted.latest_event(institution, query.actor, query.window)
            query = attrs.evolve(query, event_ids=frozenset([event] if event else []))
        return query

    # Planning and restoring

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
        institution = self._authorize(requester)
        return self._plan(criteria, institution, requester, self._now(), batches=batches)

    def _plan(
        self,
        criteria: Criteria,
        institution: str,
        requester: Requester,
        now: datetime,
        *,
        batches: bool,
    ) -> RestorePlan:
        targets = self.deleted.find(self._query(criteria, institution, now))
        return plan_restore(
            targets,
            state=StateReader(self.catalog, self.deleted),
            criteria=criteria,
            institution=institution,
            requested_by=requester.user_id,
            policy=self.policy,
            now=now,
            batches=batches,
        )

    def restore(
        self, plan: RestorePlan, *, requester: Requester, batch: int | None = None
    ) -> RestoreResult:
        """Execute a plan: every batch in order, or only batch `batch` (R-E1..R-E4).

        Each batch runs in one transaction and is recorded as one restore job; before it runs,
        the plan is checked against the state as it is now.

        Raises:
            NotAuthorizedError: the requester lacks the restore role, or the plan is of another
                institution.
            InvalidInputError: not a plan, or the batch is not a batch number.
            InvalidPlanError: the plan is malformed, or the batch does not exist.
            StalePlanError: the state moved since planning; nothing of that batch changed.
        """
        institution = self._authorize(requester)
        if not isinstance(plan, RestorePlan):
            raise InvalidInputError(f"not a RestorePlan: {plan!r}", field="plan", value=plan)
        if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int)):
            raise InvalidInputError(
                f"batch must be a batch number, got {batch!r}", field="batch", value=batch
            )
        if plan.institution != institution:
            raise NotAuthorizedError(
                requester.user_id,
                institution,
                self.policy.restore_role,
                detail=f"cannot restore a plan of institution {plan.institution!r}",
            )
        # A plan that restores nothing still runs as one (empty) job, so its exclusions are
        # recorded (R-E3).
        numbers = range(1, max(len(plan.batches), 1) + 1) if batch is None else [batch]
        jobs, failures = [], []
        for number in numbers:
            job, records = self._execute(plan, number, requester)
            jobs.append(job)
            if records:
                failures.extend(self._notify(job, records))
        return RestoreResult(tuple(jobs), tuple(failures))

    def _execute(
        self, plan: RestorePlan, number: int, requester: Requester
    ) -> tuple[RestoreJob, list[Record]]:
        planned = plan.batch(number) if plan.batches or number != 1 else ()
        cap = self.policy.max_records_per_job
        if len(planned) > cap:
            raise InvalidPlanError(
                f"batch {number} holds {len(planned)} records, over the cap of {cap}", field="plan"
            )
        now = self._now()
        records = [p.record for p in planned]
        ids = [r.id for r in records]
        restored = [RecordOutcome(id=r.id, kind=r.kind, outcome=Outcome.RESTORED) for r in records]
        excluded = [
            RecordOutcome(id=e.id, kind=e.kind, outcome=Outcome.EXCLUDED, reason=e.detail)
            for e in (plan.excluded if number == 1 else ())
        ]
        job = RestoreJob(
            id=self._new_id(),
            institution=plan.institution,
            requested_by=requester.user_id,
            at=now,
            criteria=plan.criteria,
            batch=number,
            batches=max(len(plan.batches), 1),
            counts=_kind_counts(records),
            outcomes=restored + excluded,
        )
        with self.store.transaction():
            self._check_fresh(plan, planned, now)
            try:
                if records:
                    self.catalog.add(plan.institution, records)
                    self.deleted.remove(plan.institution, ids)
            except (IntegrityError, RecordNotFoundError) as e:
                # A concurrent restore got there first, between our check and our writes.
                raise StalePlanError(ids, f"another restore changed these records ({e})") from e
            self.jobs.add(job)
        return job, records

    def _found_targets(
        self, plan: RestorePlan, planned: Sequence[PlannedRecord], now: datetime
    ) -> tuple[set[str], dict[str, DeletedRecord]]:
        """The batch's targets, and those of them that the plan's search finds now."""
        targets = {p.id for p in planned if any(r.kind is ReasonKind.TARGET for r in p.reasons)}
        if not targets:
            return targets, {}
        try:
            query = self._query(plan.criteria, plan.institution, now)
        except UnknownActorError as e:
            raise StalePlanError(sorted(targets), f"its search fails now ({e})") from e
        wanted = targets if query.ids is None else targets & query.ids
        found = self.deleted.find(attrs.evolve(query, ids=frozenset(wanted)))
        return targets, {e.id: e for e in found}

    def _check_fresh(
        self, plan: RestorePlan, planned: Sequence[PlannedRecord], now: datetime
    ) -> None:
        """Refuse a batch the state no longer supports (R-P2, R-E2).

        The plan's search must still find the batch's targets, so that a plan edited after
        planning cannot restore what its search never found. Every planned record must still
        be deleted, in the same event, with the same snapshot, within its retention, and free
        of conflicts; its parent must be active or in the batch.
        """
        institution = plan.institution
        ids = [p.id for p in planned]
        targets, found = self._found_targets(plan, planned, now)
        # The search has read the targets it finds: read only the other records.
        current = {**self.deleted.get(institution, [i for i in ids if i not in found]), **found}
        moved = [
            p.id
            for p in planned
            if (e := current.get(p.id)) is None or e.record != p.record or e.event_id != p.event_id
        ]
        if moved:
            raise StalePlanError(moved, "these records are no longer deleted as planned")
        lost = sorted(targets - found.keys())
        if lost:
            raise StalePlanError(lost, "the plan's search no longer finds these targets")
        expired = [
            p.id
            for p in planned
            if self.policy.expires(p.record.kind, current[p.id].deleted_at, now)
        ]
        if expired:
            raise StalePlanError(expired, "these records are now past their retention")
        active = sorted(self.catalog.get(institution, ids))
        if active:
            raise StalePlanError(active, "these ids are active again")
        records = [p.record for p in planned]
        clashes = unique_clashes(records, self.catalog, institution, self.policy)
        if clashes:
            raise StalePlanError(
                [c.id for c in clashes], "a unique field of these records is held by another"
            )
        inside = set(ids)
        needed = {
            parent
            for p in planned
            if (parent := p.record.parent_id) is not None and parent not in inside
        }
        waiting = sorted(needed - self.catalog.get(institution, needed).keys())
        if waiting:
            raise StalePlanError(
                waiting, "their parents are not active yet; run the earlier batches first"
            )

    def _notify(self, job: RestoreJob, records: Sequence[Record]) -> list[ListenerFailure]:
        failures = []
        for listener in self._listeners:
            try:
                listener(job, records)
            except Exception as e:
                name = getattr(listener, "__qualname__", repr(listener))
                log.warning("restore listener %s failed for job %s", name, job.id, exc_info=e)
                failures.append(ListenerFailure(name, job.id, type(e).__name__, str(e)))
        return failures

    # Audit and retention

    def restore_jobs(
        self, *, requester: Requester, after: str | None = None, limit: int | None = None
    ) -> Sequence[RestoreJob]:
        """List restore jobs, newest first; `after` is the id of the last job seen (R-E3).

        Raises:
            NotAuthorizedError: the requester lacks the restore role.
            InvalidInputError: a malformed limit.
            RestoreJobNotFoundError: `after` names no recorded job.
        """
        institution = self._authorize(requester)
        if after is not None:
            _check_ids([after], field="after")
            if self.jobs.get(institution, after) is None:
                raise RestoreJobNotFoundError(after)
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            raise InvalidInputError(
                f"limit must be a positive integer, got {limit!r}", field="limit"
            )
        return self.jobs.list(institution, after=after, limit=limit)

    def restore_job(self, job_id: str, *, requester: Requester) -> RestoreJob:
        """Read back one restore job (R-E3).

        Raises:
            RestoreJobNotFoundError: no such job in the requester's institution.
        """
        institution = self._authorize(requester)
        _check_ids([job_id], field="job_id")
        job = self.jobs.get(institution, job_id)
        if job is None:
            raise RestoreJobNotFoundError(job_id)
        return job

    def purge(self, *, requester: Requester) -> PurgeReport:
        """Remove for good the deleted records past their kind's retention (R-R1).

        Deleted records below a purged one go with it, since they could never be restored
        without it (decision). Purged ids are gone (R-M4).
        """
        institution = self._authorize(requester)
        now = self._now()
        doomed: dict[str, str] = {}
        for kind, keep in sorted(self.policy.retention.items()):
            window = Window(start=None, end=now - keep - timedelta(microseconds=1))
            for e in self.deleted.find(Query(institution=institution, kind=kind, window=window)):
                doomed[e.id] = e.kind
        frontier = list(doomed)
        while frontier:
            below = [c for c in self.deleted.children(institution, frontier) if c.id not in doomed]
            doomed.update({c.id: c.kind for c in below})
            frontier = [c.id for c in below]
        ids = sorted(doomed)
        if ids:
            with self.store.transaction():
                self.deleted.remove(institution, ids)
        return PurgeReport(at=now, ids=tuple(ids), counts=count_kinds(doomed.values()))

    # Helpers

    def _authorize(self, requester: Requester) -> str:
        if not isinstance(requester, Requester):
            raise InvalidInputError(
                f"requester must be a Requester, got {requester!r}", field="requester"
            )
        role = self.policy.restore_role
        if role not in requester.roles:
            raise NotAuthorizedError(requester.user_id, requester.institution, role)
        return requester.institution

    def _now(self) -> datetime:
        now = self._clock()
        if not isinstance(now, datetime) or now.utcoffset() is None:
            raise InvalidInputError(
                f"the clock must return an aware datetime, got {now!r}", field="clock"
            )
        return now


def _kind_counts(records: Iterable[Record]) -> dict[str, int]:
    return count_kinds(r.kind for r in records)
