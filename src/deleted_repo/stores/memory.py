"""The in-memory reference store: every port, indexed for every search, with real transactions.

`MemoryStore` holds a catalog, a deleted repository and a restore-job log that share one
transaction boundary. Every search goes through an index (by id, event, actor, job, institution
and kind by deletion time, secondary field), so its cost grows with the hits, not the store.
Transactions keep an undo journal: if the block raises, every write in it is reversed.

It is not thread-safe: use it from one thread at a time.
"""

from __future__ import annotations

import bisect
import functools
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from deleted_repo.errors import IntegrityError, RecordNotFoundError
from deleted_repo.jobs import RestoreJob
from deleted_repo.model import Actor, ActorKind, DeletedRecord, DeletionEvent, Record
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


class _FieldIndex:
    """Ids by (kind, field, value), built on first use of a (kind, field) and kept up to date."""

    def __init__(self, records: Callable[[], Iterator[Record]]) -> None:
        self._records = records
        self._by_field: dict[tuple[str, str], dict[Any, set[str]]] = {}

    def ensure(self, kind: str, field: str) -> dict[Any, set[str]]:
        index = self._by_field.get((kind, field))
        if index is None:
            index = defaultdict(set)
            for record in self._records():
                if record.kind == kind and field in record.data:
                    value = record.data[field]
                    if _hashable(value):
                        index[value].add(record.id)
            self._by_field[(kind, field)] = index
        return index

    def add(self, record: Record) -> None:
        for (kind, field), index in self._by_field.items():
            if record.kind == kind and field in record.data:
                value = record.data[field]
                if _hashable(value):
                    index[value].add(record.id)

    def discard(self, record: Record) -> None:
        for (kind, field), index in self._by_field.items():
            if record.kind == kind and field in record.data:
                value = record.data[field]
                if _hashable(value) and value in index:
                    ids = index[value]
                    ids.discard(record.id)
                    if not ids:
                        del index[value]


class _CatalogShelf:
    def __init__(self) -> None:
        self.records: dict[str, Record] = {}
        self.children: dict[str, set[str]] = defaultdict(set)
        self.fields = _FieldIndex(lambda: iter(self.records.values()))


class MemoryCatalog:
    """An in-memory `deleted_repo.ports.Catalog`, for tests, examples and hosts with none."""

    def __init__(self, journal: _Journal | None = None) -> None:
        self._journal = journal or _Journal()
        self._shelves: dict[str, _CatalogShelf] = defaultdict(_CatalogShelf)

    def get(self, institution: str, ids: Collection[str]) -> dict[str, Record]:
        """See `deleted_repo.ports.Catalog.get`."""
        records = self._shelves[institution].records
        return {i: records[i] for i in ids if i in records}

    def children(self, institution: str, parent_ids: Collection[str]) -> list[Record]:
        """See `deleted_repo.ports.Catalog.children`."""
        shelf = self._shelves[institution]
        return [shelf.records[c] for p in parent_ids for c in shelf.children.get(p, ())]

    def find_by_field(
        self, institution: str, kind: str, field: str, values: Collection[Any]
    ) -> dict[Any, str]:
        """See `deleted_repo.ports.Catalog.find_by_field`."""
        index = self._shelves[institution].fields.ensure(kind, field)
        found = {}
        for value in values:
            ids = index.get(value) if _hashable(value) else None
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
                shelf.children[r.parent_id].add(r.id)
            shelf.fields.add(r)

    @classmethod
    def _drop(cls, shelf: _CatalogShelf, ids: Collection[str]) -> None:
        cls._delete(shelf, ids)

    @staticmethod
    def _delete(shelf: _CatalogShelf, ids: Collection[str]) -> list[Record]:
        removed = [shelf.records.pop(i) for i in ids]
        for r in removed:
            if r.parent_id is not None:
                siblings = shelf.children[r.parent_id]
                siblings.discard(r.id)
                if not siblings:
                    del shelf.children[r.parent_id]
            shelf.fields.discard(r)
        return removed


class _Timeline:
    """Keys (time in microseconds, id) in ascending order; removal is lazy, then compacted."""

    __slots__ = ("dead", "keys")

    def __init__(self) -> None:
        self.keys: list[Key] = []
        self.dead: set[Key] = set()

    def add(self, key: Key) -> None:
        if key in self.dead:
            self.dead.discard(key)
        elif not self.keys or key > self.keys[-1]:
            self.keys.append(key)
        else:
            bisect.insort(self.keys, key)

    def discard(self, key: Key) -> None:
        self.dead.add(key)
        if len(self.dead) > 64 and len(self.dead) * 2 > len(self.keys):
            self.keys = [k for k in self.keys if k not in self.dead]
            self.dead.clear()

    def newest_first(self, lo: int | None, hi: int | None, after: Key | None) -> Iterator[str]:
        """Ids with lo <= time <= hi, newest first and by id within one time, after `after`."""
        keys = self.keys
        start = 0 if lo is None else bisect.bisect_left(keys, (lo,))
        end = len(keys) if hi is None else bisect.bisect_left(keys, (hi + 1,))
        if after is not None:
            at, ident = after
            if hi is None or at <= hi:
                group_end = bisect.bisect_left(keys, (at + 1,), start, end)
                first = bisect.bisect_right(keys, (at, ident), start, group_end)
                for key in keys[first:group_end]:
                    if key not in self.dead:
                        yield key[1]
                end = bisect.bisect_left(keys, (at,), start, end)
        while end > start:
            group_start = bisect.bisect_left(keys, (keys[end - 1][0],), start, end)
            for key in keys[group_start:end]:
                if key not in self.dead:
                    yield key[1]
            end = group_start


@attrs.define
class _EventState:
    actor: Actor
    at: int
    seq: int
    remaining: dict[str, set[str]]
    count: int


class _DeletedShelf:
    def __init__(self) -> None:
        self.entries: dict[str, DeletedRecord] = {}
        self.children: dict[str, set[str]] = defaultdict(set)
        self.timelines: dict[str, _Timeline] = defaultdict(_Timeline)
        self.events: dict[str, _EventState] = {}
        self.by_actor: dict[Actor, list[tuple[int, int, str]]] = defaultdict(list)
        self.by_actor_kind: dict[ActorKind, list[tuple[int, int, str]]] = defaultdict(list)
        self.fields = _FieldIndex(lambda: (e.record for e in self.entries.values()))


def _bounds(window: Window) -> tuple[int | None, int | None]:
    lo = None if window.start is None else _micros(window.start)
    hi = None if window.end is None else _micros(window.end)
    return lo, hi


class MemoryDeletedStore:
    """An in-memory `deleted_repo.ports.DeletedStore`, indexed for every search."""

    def __init__(self, journal: _Journal | None = None) -> None:
        self._journal = journal or _Journal()
        self._shelves: dict[str, _DeletedShelf] = defaultdict(_DeletedShelf)
        self._seq = 0

    def add_events(self, events: Sequence[DeletionEvent]) -> None:
        """See `deleted_repo.ports.DeletedStore.add_events`."""
        seen_events: set[tuple[str, str]] = set()
        seen_ids: set[tuple[str, str]] = set()
        for event in events:
            shelf = self._shelves[event.institution]
            key = (event.institution, event.id)
            if event.id in shelf.events or key in seen_events:
                raise IntegrityError(f"deletion event {event.id!r} is already recorded")
            seen_events.add(key)
            for m in event.members:
                if m.id in shelf.entries or (event.institution, m.id) in seen_ids:
                    raise IntegrityError(f"record {m.id!r} is already deleted")
                seen_ids.add((event.institution, m.id))
        for event in events:
            self._seq += 1
            shelf = self._shelves[event.institution]
            at = _micros(event.at)
            shelf.events[event.id] = _EventState(event.actor, at, self._seq, defaultdict(set), 0)
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
        return [shelf.entries[c] for p in parent_ids for c in shelf.children.get(p, ())]

    def find(
        self, query: Query, *, after: Cursor | None = None, limit: int | None = None
    ) -> list[DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.find`."""
        shelf = self._shelves[query.institution]
        after_key = None if after is None else (_micros(after[0]), after[1])
        lo, hi = _bounds(query.window)
        candidates = self._candidates(shelf, query, lo, hi)
        if candidates is None:
            ids: Iterator[str] = shelf.timelines[query.kind].newest_first(lo, hi, after_key)
            return _take((shelf.entries[i] for i in ids), limit)
        hits = [e for e in candidates if _matches(e, query, lo, hi)]
        keyed = sorted(((-_micros(e.deleted_at), e.id), e) for e in hits)
        if after_key is not None:
            start = bisect.bisect_right(keyed, (-after_key[0], after_key[1]), key=lambda t: t[0])
            keyed = keyed[start:]
        return _take((e for _, e in keyed), limit)

    def latest_event(self, institution: str, actor: Actor, window: Window) -> str | None:
        """See `deleted_repo.ports.DeletedStore.latest_event`."""
        shelf = self._shelves[institution]
        stamps = shelf.by_actor.get(actor, [])
        lo, hi = _bounds(window)
        end = len(stamps) if hi is None else bisect.bisect_left(stamps, (hi + 1,))
        for at, _seq, event_id in reversed(stamps[:end]):
            if lo is not None and at < lo:
                break
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

    def _candidates(
        self, shelf: _DeletedShelf, query: Query, lo: int | None, hi: int | None
    ) -> Collection[DeletedRecord] | None:
        """The smallest indexed set that holds every hit, or None to walk the kind's timeline."""
        entries = shelf.entries
        if query.ids is not None:
            return [entries[i] for i in query.ids if i in entries]
        if query.event_ids is not None:
            events = [shelf.events[e] for e in query.event_ids if e in shelf.events]
            return [entries[i] for ev in events for i in ev.remaining.get(query.kind, ())]
        if query.field is not None:
            name, value = query.field
            index = shelf.fields.ensure(query.kind, name)
            return [entries[i] for i in index.get(value, ())] if _hashable(value) else []
        stamps = None
        if query.actor is not None:
            stamps = shelf.by_actor.get(query.actor, [])
        elif query.actor_kind is not None:
            stamps = shelf.by_actor_kind.get(query.actor_kind, [])
        if stamps is None:
            return None
        start = 0 if lo is None else bisect.bisect_left(stamps, (lo,))
        end = len(stamps) if hi is None else bisect.bisect_left(stamps, (hi + 1,))
        return [
            entries[i]
            for _at, _seq, event_id in stamps[start:end]
            for i in shelf.events[event_id].remaining.get(query.kind, ())
        ]

    @staticmethod
    def _insert(shelf: _DeletedShelf, members: Sequence[DeletedRecord]) -> None:
        for m in members:
            record = m.record
            shelf.entries[record.id] = m
            if record.parent_id is not None:
                shelf.children[record.parent_id].add(record.id)
            shelf.timelines[record.kind].add((_micros(m.deleted_at), record.id))
            event = shelf.events[m.event_id]
            event.remaining[record.kind].add(record.id)
            event.count += 1
            shelf.fields.add(record)

    @staticmethod
    def _delete(shelf: _DeletedShelf, ids: Collection[str]) -> list[DeletedRecord]:
        removed = [shelf.entries.pop(i) for i in ids]
        for m in removed:
            record = m.record
            if record.parent_id is not None:
                siblings = shelf.children[record.parent_id]
                siblings.discard(record.id)
                if not siblings:
                    del shelf.children[record.parent_id]
            shelf.timelines[record.kind].discard((_micros(m.deleted_at), record.id))
            event = shelf.events[m.event_id]
            event.remaining[record.kind].discard(record.id)
            event.count -= 1
            shelf.fields.discard(record)
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


def _matches(entry: DeletedRecord, query: Query, lo: int | None, hi: int | None) -> bool:
    data = entry.record.data
    at = _micros(entry.deleted_at) if lo is not None or hi is not None else 0
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
        """See `deleted_repo.ports.Transactions.transaction`."""
        return self._journal.transaction()
