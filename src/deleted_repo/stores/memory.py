"""The in-memory reference store: every port, indexed for every search, with real transactions.

`MemoryStore` holds a catalog, a deleted repository and a restore-job log that share one
transaction boundary. Every search goes through an index (by id, event, actor, job, institution
and kind by deletion time, secondary field), so its cost grows with the hits, not the store;
the indexes by time, actor and event are kept in search order, so a page of hits costs what it
returns, wherever its cursor is. Transactions keep an undo journal: if the block raises, every
write in it is reversed. docs/performance.md gives the figures at a million records.

It is not thread-safe: use it from one thread at a time.
"""

from __future__ import annotations

import bisect
import functools
import heapq
from array import array
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from deleted_repo.errors import IntegrityError, RecordNotFoundError
from deleted_repo.jobs import RestoreJob
from deleted_repo.model import Actor, ActorKind, DeletedRecord, DeletionEvent, Record
from deleted_repo.policy import Policy
from deleted_repo.search import Cursor, Query, Window

__all__ = ["MemoryCatalog", "MemoryDeletedStore", "MemoryJobLog", "MemoryStore"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

Key = tuple[int, str]


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // _MICROSECOND


class _Journal:
    """The undo log of the open transaction, shared by the three parts of a store."""

    def __init__(self) -> None:
        self.depth = 0
        self.undo: list[Callable[[], None]] = []

    def record(self, undo: Callable[[], None]) -> None:
        if self.depth:
            self.undo.append(undo)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.depth += 1
        mark = len(self.undo)
        try:
            yield
        except BaseException:
            while len(self.undo) > mark:
                self.undo.pop()()
            raise
        finally:
            self.depth -= 1
            if not self.depth:
                self.undo.clear()


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


class _IdsBy:
    """Ids by key, in any order. Most keys hold a few ids, so they are kept lean.

    A key holds a bare id, then a list of up to `_FEW` ids, then a set: a set costs 216 bytes
    even for one id, the bare id nothing more than its dict slot, a list of four 88 bytes.
    Lists, not tuples, because they change in place: a new tuple put in the dict would make
    the garbage collector track the whole dict as young again and walk it, store-sized.
    """

    __slots__ = ("_held",)

    _FEW = 8

    def __init__(self) -> None:
        self._held: dict[Any, str | list[str] | set[str]] = {}

    def get(self, key: Any) -> Collection[str]:
        held = self._held.get(key)
        if held is None:
            return ()
        return (held,) if isinstance(held, str) else held

    def add(self, key: Any, ident: str) -> None:
        held = self._held.get(key)
        if held is None:
            self._held[key] = ident
        elif isinstance(held, str):
            if held != ident:
                self._held[key] = [held, ident]
        elif isinstance(held, list):
            if ident not in held:
                if len(held) < self._FEW:
                    held.append(ident)
                else:
                    self._held[key] = {*held, ident}
        else:
            held.add(ident)

    def discard(self, key: Any, ident: str) -> None:
        held = self._held.get(key)
        if held is None:
            return
        if isinstance(held, str):
            if held == ident:
                del self._held[key]
        elif isinstance(held, list):
            if ident in held:
                held.remove(ident)
                if len(held) == 1:
                    self._held[key] = held[0]
        else:
            held.discard(ident)
            if len(held) <= self._FEW:
                self._held[key] = list(held)


class _FieldIndex:
    """Ids by (kind, field, value), built on first use of a (kind, field) and kept up to date."""

    def __init__(
        self, records: Callable[[], Iterator[Record]], indexed: Mapping[str, Sequence[str]]
    ) -> None:
        self._records = records
        self._by_field: dict[tuple[str, str], _IdsBy] = {}
        for kind, fields in indexed.items():
            for field in fields:
                self.ensure(kind, field)

    def ensure(self, kind: str, field: str) -> _IdsBy:
        index = self._by_field.get((kind, field))
        if index is None:
            index = _IdsBy()
            for record in self._records():
                if record.kind == kind and field in record.data:
                    value = record.data[field]
                    if _hashable(value):
                        index.add(value, record.id)
            self._by_field[(kind, field)] = index
        return index

    def add(self, record: Record) -> None:
        for (kind, field), index in self._by_field.items():
            if record.kind == kind and field in record.data:
                value = record.data[field]
                if _hashable(value):
                    index.add(value, record.id)

    def discard(self, record: Record) -> None:
        for (kind, field), index in self._by_field.items():
            if record.kind == kind and field in record.data:
                value = record.data[field]
                if _hashable(value):
                    index.discard(value, record.id)


class _CatalogShelf:
    def __init__(self, indexed: Mapping[str, Sequence[str]]) -> None:
        self.records: dict[str, Record] = {}
        self.children = _IdsBy()
        self.fields = _FieldIndex(lambda: iter(self.records.values()), indexed)


class MemoryCatalog:
    """An in-memory `deleted_repo.ports.Catalog`, for tests, examples and hosts with none.

    Args:
        journal: the undo journal shared with the other parts of a `MemoryStore`.
    """

    def __init__(self, journal: _Journal | None = None) -> None:
        self._journal = journal or _Journal()
        self._indexed: Mapping[str, Sequence[str]] = Policy().indexed_fields()
        self._shelves: dict[str, _CatalogShelf] = defaultdict(lambda: _CatalogShelf(self._indexed))

    def index_fields(self, fields: Mapping[str, Sequence[str]]) -> None:
        """Index `fields` (per kind) from now on; see `deleted_repo.ports.Store.index_fields`."""
        self._indexed = {kind: tuple(names) for kind, names in fields.items()}
        for shelf in self._shelves.values():
            for kind, names in self._indexed.items():
                for name in names:
                    shelf.fields.ensure(kind, name)

    def get(self, institution: str, ids: Collection[str]) -> dict[str, Record]:
        """See `deleted_repo.ports.Catalog.get`."""
        records = self._shelves[institution].records
        return {i: records[i] for i in ids if i in records}

    def children(self, institution: str, parent_ids: Collection[str]) -> list[Record]:
        """See `deleted_repo.ports.Catalog.children`."""
        shelf = self._shelves[institution]
        return [shelf.records[c] for p in parent_ids for c in shelf.children.get(p)]

    def find_by_field(
        self, institution: str, kind: str, field: str, values: Collection[Any]
    ) -> dict[Any, str]:
        """See `deleted_repo.ports.Catalog.find_by_field`."""
        index = self._shelves[institution].fields.ensure(kind, field)
        found = {}
        for value in values:
            ids = index.get(value) if _hashable(value) else ()
            if ids:
                found[value] = min(ids)
        return found

    def add(self, institution: str, records: Sequence[Record]) -> None:
        """See `deleted_repo.ports.Catalog.add`."""
        shelf = self._shelves[institution]
        ids = [r.id for r in records]
        clashes = [i for i in ids if i in shelf.records]
        if clashes or len(set(ids)) != len(ids):
            raise IntegrityError(f"already active or given twice: {clashes or ids}")
        self._insert(shelf, records)
        self._journal.record(lambda: self._drop(shelf, ids))

    def remove(self, institution: str, ids: Collection[str]) -> None:
        """See `deleted_repo.ports.Catalog.remove`."""
        shelf = self._shelves[institution]
        missing = [i for i in ids if i not in shelf.records]
        if missing:
            raise RecordNotFoundError(missing, state="active")
        removed = self._delete(shelf, ids)
        self._journal.record(lambda: self._insert(shelf, removed))

    @staticmethod
    def _insert(shelf: _CatalogShelf, records: Sequence[Record]) -> None:
        for r in records:
            shelf.records[r.id] = r
            if r.parent_id is not None:
                shelf.children.add(r.parent_id, r.id)
            shelf.fields.add(r)

    @classmethod
    def _drop(cls, shelf: _CatalogShelf, ids: Collection[str]) -> None:
        cls._delete(shelf, ids)

    @staticmethod
    def _delete(shelf: _CatalogShelf, ids: Collection[str]) -> list[Record]:
        removed = [shelf.records.pop(i) for i in ids]
        for r in removed:
            if r.parent_id is not None:
                shelf.children.discard(r.parent_id, r.id)
            shelf.fields.discard(r)
        return removed


class _Timeline:
    """Keys (time in microseconds, id) in ascending order; removal is lazy, then compacted.

    The keys are kept as two parallel arrays, times and ids, rather than a list of tuples:
    8 + 8 bytes a key instead of 8 + 56 + 32.
    """

    __slots__ = ("dead", "ids", "times")

    def __init__(self) -> None:
        self.times = array("q")
        self.ids: list[str] = []
        self.dead: set[Key] = set()

    def add(self, at: int, ident: str) -> None:
        if self.dead and (at, ident) in self.dead:
            self.dead.discard((at, ident))
            return
        times, ids = self.times, self.ids
        if not times or at > times[-1] or (at == times[-1] and ident > ids[-1]):
            times.append(at)
            ids.append(ident)
        else:
            start = bisect.bisect_left(times, at)
            end = bisect.bisect_right(times, at, start)
            position = bisect.bisect_left(ids, ident, start, end)
            times.insert(position, at)
            ids.insert(position, ident)

    def discard(self, at: int, ident: str) -> None:
        dead = self.dead
        dead.add((at, ident))
        if len(dead) > 64 and len(dead) * 2 > len(self.ids):
            times, ids = self.times, self.ids
            kept = [k for k in range(len(ids)) if (times[k], ids[k]) not in dead]
            self.times = array("q", [times[k] for k in kept])
            self.ids = [ids[k] for k in kept]
            dead.clear()

    def newest_first(self, lo: int | None, hi: int | None, after: Key | None) -> Iterator[str]:
        """Ids with lo <= time <= hi, newest first and by id within one time, after `after`."""
        times, ids, dead = self.times, self.ids, self.dead
        start = 0 if lo is None else bisect.bisect_left(times, lo)
        end = len(times) if hi is None else bisect.bisect_right(times, hi)
        if after is not None:
            at, ident = after
            if hi is None or at <= hi:
                group_end = bisect.bisect_right(times, at, start, end)
                group_start = bisect.bisect_left(times, at, start, group_end)
                first = bisect.bisect_right(ids, ident, group_start, group_end)
                for k in range(first, group_end):
                    if not dead or (at, ids[k]) not in dead:
                        yield ids[k]
                end = group_start
        while end > start:
            at = times[end - 1]
            group_start = bisect.bisect_left(times, at, start, end)
            for k in range(group_start, end):
                if not dead or (at, ids[k]) not in dead:
                    yield ids[k]
            end = group_start


@attrs.define
class _EventState:
    """An event's header, and the ids of its records that remain, per kind, each list sorted."""

    actor: Actor
    at: int
    seq: int
    remaining: dict[str, list[str]]
    count: int


class _DeletedShelf:
    def __init__(self, indexed: Mapping[str, Sequence[str]]) -> None:
        self.entries: dict[str, DeletedRecord] = {}
        self.children = _IdsBy()
        self.timelines: dict[str, _Timeline] = defaultdict(_Timeline)
        self.events: dict[str, _EventState] = {}
        self.by_actor: dict[Actor, list[tuple[int, int, str]]] = defaultdict(list)
        self.by_actor_kind: dict[ActorKind, list[tuple[int, int, str]]] = defaultdict(list)
        self.fields = _FieldIndex(lambda: (e.record for e in self.entries.values()), indexed)


def _bounds(window: Window) -> tuple[int | None, int | None]:
    lo = None if window.start is None else _micros(window.start)
    hi = None if window.end is None else _micros(window.end)
    return lo, hi


class MemoryDeletedStore:
    """An in-memory `deleted_repo.ports.DeletedStore`, indexed for every search.

    Args:
        journal: the undo journal shared with the other parts of a `MemoryStore`.
    """

    def __init__(self, journal: _Journal | None = None) -> None:
        self._journal = journal or _Journal()
        self._indexed: Mapping[str, Sequence[str]] = Policy().indexed_fields()
        self._shelves: dict[str, _DeletedShelf] = defaultdict(lambda: _DeletedShelf(self._indexed))
        self._seq = 0

    def index_fields(self, fields: Mapping[str, Sequence[str]]) -> None:
        """Index `fields` (per kind) from now on; see `deleted_repo.ports.Store.index_fields`."""
        self._indexed = {kind: tuple(names) for kind, names in fields.items()}
        for shelf in self._shelves.values():
            for kind, names in self._indexed.items():
                for name in names:
                    shelf.fields.ensure(kind, name)

    def add_events(self, events: Sequence[DeletionEvent]) -> None:
        """See `deleted_repo.ports.DeletedStore.add_events`."""
        seen_events: set[tuple[str, str]] = set()
        seen_ids: dict[str, set[str]] = defaultdict(set)
        for event in events:
            shelf = self._shelves[event.institution]
            key = (event.institution, event.id)
            if event.id in shelf.events or key in seen_events:
                raise IntegrityError(f"deletion event {event.id!r} is already recorded")
            seen_events.add(key)
            entries, earlier = shelf.entries, seen_ids[event.institution]
            ids = [m.id for m in event.members]  # distinct: a DeletionEvent checks that
            taken = next((i for i in ids if i in entries or i in earlier), None)
            if taken is not None:
                raise IntegrityError(f"record {taken!r} is already deleted")
            earlier.update(ids)
        for event in events:
            self._seq += 1
            shelf = self._shelves[event.institution]
            at = _micros(event.at)
            shelf.events[event.id] = _EventState(event.actor, at, self._seq, {}, 0)
            stamp = (at, self._seq, event.id)
            insort_tail(shelf.by_actor[event.actor], stamp)
            insort_tail(shelf.by_actor_kind[event.actor.kind], stamp)
            self._insert(shelf, event.members)
            self._journal.record(functools.partial(self._forget, shelf, event, stamp))

    def get(self, institution: str, ids: Collection[str]) -> dict[str, DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.get`."""
        entries = self._shelves[institution].entries
        return {i: entries[i] for i in ids if i in entries}

    def children(self, institution: str, parent_ids: Collection[str]) -> list[DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.children`."""
        shelf = self._shelves[institution]
        return [shelf.entries[c] for p in parent_ids for c in shelf.children.get(p)]

    def find(
        self, query: Query, *, after: Cursor | None = None, limit: int | None = None
    ) -> list[DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.find`.

        Searches by id or field sort their few candidates; every other search walks an index
        already in search order from the cursor on, so a page costs what it returns.
        """
        shelf = self._shelves[query.institution]
        after_key = None if after is None else (_micros(after[0]), after[1])
        lo, hi = _bounds(query.window)
        candidates = self._candidates(shelf, query)
        if candidates is None:
            stamps = self._stamps(shelf, query)
            ids: Iterator[str] = (
                shelf.timelines[query.kind].newest_first(lo, hi, after_key)
                if stamps is None
                else _event_hits(shelf.events, stamps, query, lo=lo, hi=hi, after=after_key)
            )
            return _take((shelf.entries[i] for i in ids), limit)
        events = shelf.events
        keyed = sorted(
            ((-at, e.id), e)
            for e in candidates
            if _matches(e, query, at := events[e.event_id].at, lo, hi)
        )
        if after_key is not None:
            start = bisect.bisect_right(keyed, (-after_key[0], after_key[1]), key=lambda t: t[0])
            keyed = keyed[start:]
        return _take((e for _, e in keyed), limit)

    def latest_event(self, institution: str, actor: Actor, window: Window) -> str | None:
        """See `deleted_repo.ports.DeletedStore.latest_event`."""
        shelf = self._shelves[institution]
        stamps = shelf.by_actor.get(actor, [])
        lo, hi = _bounds(window)
        start = 0 if lo is None else bisect.bisect_left(stamps, (lo,))
        end = len(stamps) if hi is None else bisect.bisect_left(stamps, (hi + 1,))
        for k in range(end - 1, start - 1, -1):
            event_id = stamps[k][2]
            if shelf.events[event_id].count:
                return event_id
        return None

    def has_actor(self, institution: str, actor: Actor) -> bool:
        """See `deleted_repo.ports.DeletedStore.has_actor`."""
        return bool(self._shelves[institution].by_actor.get(actor))

    def remove(self, institution: str, ids: Collection[str]) -> None:
        """See `deleted_repo.ports.DeletedStore.remove`."""
        shelf = self._shelves[institution]
        missing = [i for i in ids if i not in shelf.entries]
        if missing:
            raise RecordNotFoundError(missing, state="deleted")
        removed = self._delete(shelf, ids)
        self._journal.record(lambda: self._insert(shelf, removed))

    @staticmethod
    def _candidates(shelf: _DeletedShelf, query: Query) -> Collection[DeletedRecord] | None:
        """The few records that may match a search by id or field; None for other searches."""
        entries = shelf.entries
        if query.ids is not None:
            return [entries[i] for i in query.ids if i in entries]
        if query.field is not None:
            name, value = query.field
            index = shelf.fields.ensure(query.kind, name)
            return [entries[i] for i in index.get(value)] if _hashable(value) else []
        return None

    @staticmethod
    def _stamps(shelf: _DeletedShelf, query: Query) -> Sequence[tuple[int, int, str]] | None:
        """The events a search by event or actor looks in, oldest first; None for the others."""
        if query.event_ids is not None:
            events = shelf.events
            return sorted((events[e].at, events[e].seq, e) for e in query.event_ids if e in events)
        if query.actor is not None:
            return shelf.by_actor.get(query.actor, [])
        if query.actor_kind is not None:
            return shelf.by_actor_kind.get(query.actor_kind, [])
        return None

    @staticmethod
    def _insert(shelf: _DeletedShelf, members: Sequence[DeletedRecord]) -> None:
        entries, children, timelines, events = (
            shelf.entries,
            shelf.children,
            shelf.timelines,
            shelf.events,
        )
        touched: dict[str, _EventState] = {}
        for m in members:
            record = m.record
            ident, kind = record.id, record.kind
            entries[ident] = m
            if record.parent_id is not None:
                children.add(record.parent_id, ident)
            event = touched[m.event_id] = events[m.event_id]
            timelines[kind].add(event.at, ident)
            ids = event.remaining.get(kind)
            if ids is None:
                event.remaining[kind] = [ident]
            else:
                ids.append(ident)
            event.count += 1
            shelf.fields.add(record)
        for event in touched.values():
            for ids in event.remaining.values():
                ids.sort()

    @staticmethod
    def _delete(shelf: _DeletedShelf, ids: Collection[str]) -> list[DeletedRecord]:
        removed = [shelf.entries.pop(i) for i in ids]
        events = shelf.events
        gone: dict[tuple[str, str], set[str]] = defaultdict(set)
        for m in removed:
            record = m.record
            if record.parent_id is not None:
                shelf.children.discard(record.parent_id, record.id)
            event = events[m.event_id]
            shelf.timelines[record.kind].discard(event.at, record.id)
            gone[(m.event_id, record.kind)].add(record.id)
            event.count -= 1
            shelf.fields.discard(record)
        for (event_id, kind), leaving in gone.items():
            remaining = events[event_id].remaining
            left = remaining[kind]
            if len(leaving) == len(left):
                del remaining[kind]
            elif len(leaving) < 16:
                for ident in leaving:
                    del left[bisect.bisect_left(left, ident)]
            else:
                remaining[kind] = [i for i in left if i not in leaving]
        return removed

    def _forget(
        self, shelf: _DeletedShelf, event: DeletionEvent, stamp: tuple[int, int, str]
    ) -> None:
        self._delete(shelf, [m.id for m in event.members])
        del shelf.events[event.id]
        shelf.by_actor[event.actor].remove(stamp)
        shelf.by_actor_kind[event.actor.kind].remove(stamp)


def insort_tail(items: list[Any], item: Any) -> None:
    """Insert `item` into the sorted list `items`, cheaply when it belongs at the end."""
    if not items or item >= items[-1]:
        items.append(item)
    else:
        bisect.insort(items, item)


def _tail(items: list[str], start: int) -> Iterator[str]:
    return map(items.__getitem__, range(start, len(items)))


def _event_hits(
    events: Mapping[str, _EventState],
    stamps: Sequence[tuple[int, int, str]],
    query: Query,
    *,
    lo: int | None,
    hi: int | None,
    after: Key | None,
) -> Iterator[str]:
    """The remaining ids of `query.kind` in the events of `stamps` that match, in search order.

    `stamps` are (time, sequence, event id), oldest first. Events are walked newest first from
    the cursor on, one time at a time; the events of one time are merged by id.
    """
    top = hi if after is None or (hi is not None and hi < after[0]) else after[0]
    start = 0 if lo is None else bisect.bisect_left(stamps, (lo,))
    end = len(stamps) if top is None else bisect.bisect_left(stamps, (top + 1,))
    while end > start:
        at = stamps[end - 1][0]
        group_start = bisect.bisect_left(stamps, (at,), start, end)
        lists = []
        for _at, _seq, event_id in stamps[group_start:end]:
            event = events[event_id]
            if (
                (query.event_ids is not None and event_id not in query.event_ids)
                or (query.actor is not None and event.actor != query.actor)
                or (query.actor_kind is not None and event.actor.kind is not query.actor_kind)
            ):
                continue
            ids = event.remaining.get(query.kind)
            if ids:
                first = 0
                if after is not None and at == after[0]:
                    first = bisect.bisect_right(ids, after[1])
                lists.append(_tail(ids, first))
        if len(lists) == 1:
            yield from lists[0]
        elif lists:
            yield from heapq.merge(*lists)
        end = group_start


def _matches(entry: DeletedRecord, query: Query, at: int, lo: int | None, hi: int | None) -> bool:
    """Whether `entry`, deleted at `at` (microseconds), matches every filter of `query`."""
    data = entry.record.data
    return (
        entry.kind == query.kind
        and (query.ids is None or entry.id in query.ids)
        and (query.event_ids is None or entry.event_id in query.event_ids)
        and (query.actor is None or entry.actor == query.actor)
        and (query.actor_kind is None or entry.actor.kind is query.actor_kind)
        and (query.field is None or data.get(query.field[0], _ABSENT) == query.field[1])
        and (lo is None or at >= lo)
        and (hi is None or at <= hi)
    )


_ABSENT = object()


def _take(items: Iterator[DeletedRecord], limit: int | None) -> list[DeletedRecord]:
    if limit is None:
        return list(items)
    out: list[DeletedRecord] = []
    for item in items:
        if len(out) >= limit:
            break
        out.append(item)
    return out


class MemoryJobLog:
    """An in-memory `deleted_repo.ports.RestoreJobLog`."""

    def __init__(self, journal: _Journal | None = None) -> None:
        self._journal = journal or _Journal()
        self._jobs: dict[str, dict[str, RestoreJob]] = defaultdict(dict)
        self._order: dict[str, list[tuple[int, str]]] = defaultdict(list)

    def add(self, job: RestoreJob) -> None:
        """See `deleted_repo.ports.RestoreJobLog.add`."""
        jobs = self._jobs[job.institution]
        if job.id in jobs:
            raise IntegrityError(f"restore job {job.id!r} is already recorded")
        jobs[job.id] = job
        stamp = (-_micros(job.at), job.id)
        order = self._order[job.institution]
        bisect.insort(order, stamp)

        def undo() -> None:
            del jobs[job.id]
            order.remove(stamp)

        self._journal.record(undo)

    def get(self, institution: str, job_id: str) -> RestoreJob | None:
        """See `deleted_repo.ports.RestoreJobLog.get`."""
        return self._jobs[institution].get(job_id)

    def list(
        self, institution: str, *, after: str | None = None, limit: int | None = None
    ) -> list[RestoreJob]:
        """See `deleted_repo.ports.RestoreJobLog.list`."""
        jobs = self._jobs[institution]
        order = self._order[institution]
        start = 0
        if after is not None and after in jobs:
            start = bisect.bisect_right(order, (-_micros(jobs[after].at), after))
        stamps = order[start:] if limit is None else order[start : start + limit]
        return [jobs[i] for _, i in stamps]


class MemoryStore:
    """A catalog, a deleted repository and a job log in memory, under one transaction boundary.

    Data fields are indexed from the start for the default policy's unique and searchable
    fields (an item's barcode), and for those a repository names through `index_fields`;
    others are indexed on first use.

    Attributes:
        catalog: the active records (`deleted_repo.ports.Catalog`).
        deleted: the deleted repository (`deleted_repo.ports.DeletedStore`).
        jobs: the restore-job log (`deleted_repo.ports.RestoreJobLog`).
    """

    def __init__(self) -> None:
        self._journal = _Journal()
        self.catalog = MemoryCatalog(self._journal)
        self.deleted = MemoryDeletedStore(self._journal)
        self.jobs = MemoryJobLog(self._journal)

    def transaction(self) -> AbstractContextManager[None]:
        """See `deleted_repo.ports.Store.transaction`."""
        return self._journal.transaction()

    def index_fields(self, fields: Mapping[str, Sequence[str]]) -> None:
        """See `deleted_repo.ports.Store.index_fields`."""
        self.catalog.index_fields(fields)
        self.deleted.index_fields(fields)
