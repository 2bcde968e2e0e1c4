"""The plain model of what the ports promise, for the state machine to compare stores with.

It is a reading of the docstrings of `deleted_repo.ports` and `deleted_repo.search.Query`, and
nothing else: it imports no store and shares no helper with one. A store's indexes, keys and
cursor arithmetic are the store's own; if the model borrowed them, a misunderstanding they
share would pass both. So the model is brute force, slow and obviously correct: every read
looks at every record with a predicate written from the docstring, instants are compared as
aware datetimes, and a refused write is tried on a copy that is then thrown away.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import attrs

from deleted_repo.errors import DeletedRepoError, IntegrityError, RecordNotFoundError
from deleted_repo.jobs import JobFilter, RestoreJob
from deleted_repo.model import Actor, DeletedRecord, DeletionEvent, Record, Superseded
from deleted_repo.search import Cursor, Query, Window

__all__ = ["Model", "Shelf"]

Refusal = type[DeletedRepoError] | None
"""The error a write must raise, having changed nothing; None when it must succeed."""


@attrs.frozen
class _Place:
    """A place in search order (R-S8): the newer instant first; at one instant, the lower id."""

    at: datetime
    id: str

    def __lt__(self, other: _Place) -> bool:
        if self.at != other.at:
            return self.at > other.at
        return self.id < other.id


def _within(at: datetime, window: Window) -> bool:
    """Whether `at` falls inside `window`, both bounds included (`Window`: None is unbounded)."""
    after_start = window.start is None or window.start <= at
    before_end = window.end is None or at <= window.end
    return after_start and before_end


def _matches(entry: DeletedRecord, query: Query) -> bool:
    """Whether `entry` passes every filter of `query`, one clause per attribute of `Query`."""
    data = entry.record.data
    if query.field is None:
        holds_field = True
    else:
        name, value = query.field
        holds_field = name in data and data[name] == value
    return (
        entry.institution == query.institution
        and entry.kind == query.kind
        and (query.ids is None or entry.id in query.ids)
        and (query.event_ids is None or entry.event_id in query.event_ids)
        and (query.actor is None or entry.actor == query.actor)
        and (query.actor_kind is None or entry.actor.kind == query.actor_kind)
        and holds_field
        and _within(entry.deleted_at, query.window)
    )


def _take_out(held: dict[str, Any], ids: Collection[str]) -> Refusal:
    """Remove `ids` from `held`; refused, removing none, when one of them is not held."""
    if any(i not in held for i in ids):
        return RecordNotFoundError
    for i in ids:
        del held[i]
    return None


@attrs.define
class Shelf:
    """One institution's state, as the ports promise it.

    Attributes:
        catalog: the active records, by id.
        deleted: the deleted records that remain, by id.
        events: every deletion event recorded, in the order they were added.
        jobs: the restore jobs, by id.
        superseded: every deleted record superseded by a newer deletion of its id (R-D6), in
            the order they were superseded.
    """

    catalog: dict[str, Record] = attrs.field(factory=dict)
    deleted: dict[str, DeletedRecord] = attrs.field(factory=dict)
    events: list[DeletionEvent] = attrs.field(factory=list)
    jobs: dict[str, RestoreJob] = attrs.field(factory=dict)
    superseded: list[Superseded] = attrs.field(factory=list)

    def copy(self) -> Shelf:
        """A copy that later writes to this shelf do not change."""
        return Shelf(
            dict(self.catalog),
            dict(self.deleted),
            list(self.events),
            dict(self.jobs),
            list(self.superseded),
        )

    def has_records(self, event: DeletionEvent) -> bool:
        """Whether a record `event` deleted is still deleted by it.

        Not if it was restored or purged since, nor if it was deleted again, by another event,
        which superseded it.
        """
        return any(
            m.id in self.deleted and self.deleted[m.id].event_id == event.id for m in event.members
        )


@attrs.define
class Model:
    """Every institution's `Shelf`, with a method for each port method.

    Writes return the error the ports say they raise (the model then unchanged), or None
    once applied. Reads return what the ports say a store returns.
    """

    shelves: dict[str, Shelf] = attrs.field(factory=dict)

    def shelf(self, institution: str) -> Shelf:
        """The shelf of `institution`, empty until something is written there."""
        return self.shelves.setdefault(institution, Shelf())

    def copy(self) -> Model:
        """A copy that later writes to this model do not change, to undo a transaction."""
        return Model({name: shelf.copy() for name, shelf in self.shelves.items()})

    # Catalog

    def catalog_add(self, institution: str, records: Sequence[Record]) -> Refusal:
        """`Catalog.add`: refused when an id is already active, or given twice."""
        shelf = self.shelf(institution)
        ids = [r.id for r in records]
        if any(i in shelf.catalog for i in ids) or len(set(ids)) < len(ids):
            return IntegrityError
        for r in records:
            shelf.catalog[r.id] = r
        return None

    def catalog_remove(self, institution: str, ids: Collection[str]) -> Refusal:
        """`Catalog.remove`: refused when an id is not active."""
        return _take_out(self.shelf(institution).catalog, ids)

    def catalog_get(self, institution: str, ids: Collection[str]) -> dict[str, Record]:
        """`Catalog.get`: the active records among `ids`."""
        catalog = self.shelf(institution).catalog
        return {i: catalog[i] for i in ids if i in catalog}

    def catalog_children(self, institution: str, parent_ids: Collection[str]) -> list[Record]:
        """`Catalog.children`: every active record whose parent is among `parent_ids`."""
        return [r for r in self.shelf(institution).catalog.values() if r.parent_id in parent_ids]

    def catalog_holders(
        self, institution: str, kind: str, field: str, values: Collection[Any]
    ) -> dict[Any, set[str]]:
        """For `Catalog.find_by_field`: each value held, with every active record holding it.

        The port returns any one of the holders; values nobody holds are left out.
        """
        holders = {}
        for value in values:
            ids = {
                r.id
                for r in self.shelf(institution).catalog.values()
                if r.kind == kind and field in r.data and r.data[field] == value
            }
            if ids:
                holders[value] = ids
        return holders

    # DeletedStore

    def add_events(self, events: Sequence[DeletionEvent]) -> Refusal:
        """`DeletedStore.add_events`: refused on a recorded event id; supersedes deleted members.

        The events given earlier in the same call count as recorded, and their members as
        deleted: each is applied in turn on a copy, kept only if every one of them succeeds.
        A member whose id is deleted supersedes that deleted record (R-D6).
        """
        trial = self.copy()
        for event in events:
            shelf = trial.shelf(event.institution)
            if any(e.id == event.id for e in shelf.events):
                return IntegrityError
            shelf.events.append(event)
            for m in event.members:
                if m.id in shelf.deleted:
                    shelf.superseded.append(Superseded(entry=shelf.deleted[m.id], by=event.id))
                shelf.deleted[m.id] = m
        self.shelves = trial.shelves
        return None

    def deleted_remove(self, institution: str, ids: Collection[str]) -> Refusal:
        """`DeletedStore.remove`: refused when an id is not deleted; events stay recorded."""
        return _take_out(self.shelf(institution).deleted, ids)

    def deleted_get(self, institution: str, ids: Collection[str]) -> dict[str, DeletedRecord]:
        """`DeletedStore.get`: the deleted records among `ids`."""
        deleted = self.shelf(institution).deleted
        return {i: deleted[i] for i in ids if i in deleted}

    def deleted_children(
        self, institution: str, parent_ids: Collection[str]
    ) -> list[DeletedRecord]:
        """`DeletedStore.children`: every deleted record whose snapshot's parent is given."""
        return [
            e for e in self.shelf(institution).deleted.values() if e.record.parent_id in parent_ids
        ]

    def superseded(self, institution: str, ids: Collection[str]) -> dict[str, list[Superseded]]:
        """`DeletedStore.superseded`: each id's superseded deletions, oldest first, if any.

        Oldest first is the order they were superseded in: events apply in the order given.
        """
        held = self.shelf(institution).superseded
        found = {i: [s for s in held if s.entry.id == i] for i in ids}
        return {i: versions for i, versions in found.items() if versions}

    def find(
        self, query: Query, *, after: Cursor | None = None, limit: int | None = None
    ) -> list[DeletedRecord]:
        """`DeletedStore.find`: every match, newest first then by id, after `after`, `limit`."""
        hits = [e for e in self.shelf(query.institution).deleted.values() if _matches(e, query)]
        hits.sort(key=lambda e: _Place(e.deleted_at, e.id))
        if after is not None:
            cursor = _Place(*after)
            hits = [e for e in hits if cursor < _Place(e.deleted_at, e.id)]
        return hits if limit is None else hits[:limit]

    def latest_event(self, institution: str, actor: Actor, window: Window) -> str | None:
        """`DeletedStore.latest_event`: by time, then the last added, among events with records."""
        shelf = self.shelf(institution)
        latest: DeletionEvent | None = None
        for event in shelf.events:
            counts = event.actor == actor and _within(event.at, window) and shelf.has_records(event)
            if counts and (latest is None or event.at >= latest.at):
                latest = event
        return None if latest is None else latest.id

    def has_actor(self, institution: str, actor: Actor) -> bool:
        """`DeletedStore.has_actor`: whether any event by `actor` was ever recorded."""
        return any(e.actor == actor for e in self.shelf(institution).events)

    # RestoreJobLog

    def job_add(self, job: RestoreJob) -> Refusal:
        """`RestoreJobLog.add`: refused when a job with its id is recorded."""
        jobs = self.shelf(job.institution).jobs
        if job.id in jobs:
            return IntegrityError
        jobs[job.id] = job
        return None

    def job_get(self, institution: str, job_id: str) -> RestoreJob | None:
        """`RestoreJobLog.get`: the job, or None."""
        return self.shelf(institution).jobs.get(job_id)

    def job_list(
        self,
        institution: str,
        *,
        after: str | None = None,
        limit: int | None = None,
        where: JobFilter | None = None,
    ) -> list[RestoreJob]:
        """`RestoreJobLog.list`: newest first then by id, after the recorded job `after`.

        With `where`, only the jobs whose every given field matches, read here field by field
        rather than through `JobFilter.matches`, which the in-memory store uses.
        """
        jobs = self.shelf(institution).jobs
        order = sorted(jobs.values(), key=lambda j: _Place(j.at, j.id))
        if after is not None:
            seen = _Place(jobs[after].at, after)
            order = [j for j in order if seen < _Place(j.at, j.id)]
        if where is not None:
            order = [j for j in order if _kept(where, j)]
        return order if limit is None else order[:limit]


def _kept(where: JobFilter, job: RestoreJob) -> bool:
    """Whether `job` passes each filter `where` gives: instants compare as instants."""
    at = job.at.timestamp()
    return not (
        (where.requested_by is not None and job.requested_by != where.requested_by)
        or (where.since is not None and at < where.since.timestamp())
        or (where.until is not None and at > where.until.timestamp())
        or (where.status is not None and job.status.value != where.status.value)
        or (where.criterion is not None and type(job.criteria).__name__ != where.criterion)
    )
