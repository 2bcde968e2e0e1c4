"""The in-memory deleted repository, indexed for every search."""

from __future__ import annotations

import bisect
import functools
import heapq
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence

import attrs

from deleted_repo.errors import IntegrityError, RecordNotFoundError
from deleted_repo.model import Actor, ActorKind, DeletedRecord, DeletionEvent, Superseded
from deleted_repo.policy import Policy
from deleted_repo.search import Cursor, Query, Window
from deleted_repo.stores.keys import bounds, hashable, micros
from deleted_repo.stores.memory.indexes import (
    FieldIndex,
    IdsBy,
    Journal,
    Key,
    Timeline,
    insort_tail,
)

__all__ = ["MemoryDeletedStore"]


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
        self.children = IdsBy()
        self.timelines: dict[str, Timeline] = defaultdict(Timeline)
        self.events: dict[str, _EventState] = {}
        self.by_actor: dict[Actor, list[tuple[int, int, str]]] = defaultdict(list)
        self.by_actor_kind: dict[ActorKind, list[tuple[int, int, str]]] = defaultdict(list)
        self.superseded: dict[str, list[Superseded]] = {}
        self.fields = FieldIndex(lambda: (e.record for e in self.entries.values()), indexed)


class MemoryDeletedStore:
    """An in-memory `deleted_repo.ports.DeletedStore`, indexed for every search.

    Args:
        journal: the undo journal shared with the other parts of a `MemoryStore`.
    """

    def __init__(self, journal: Journal | None = None) -> None:
        self._journal = journal or Journal()
        self._indexed: Mapping[str, Sequence[str]] = Policy().indexed_fields()
        self._shelves: dict[str, _DeletedShelf] = defaultdict(lambda: _DeletedShelf(self._indexed))
        self._seq = 0

    def index_fields(self, fields: Mapping[str, Sequence[str]]) -> None:
        """Index `fields` (per kind) from now on; see `deleted_repo.ports.Store.index_fields`."""
        self._indexed = {kind: tuple(names) for kind, names in fields.items()}
        for shelf in self._shelves.values():
            shelf.fields.ensure_all(self._indexed)

    def add_events(self, events: Sequence[DeletionEvent]) -> None:
        """See `deleted_repo.ports.DeletedStore.add_events`."""
        seen_events: set[tuple[str, str]] = set()
        for event in events:
            key = (event.institution, event.id)
            if event.id in self._shelves[event.institution].events or key in seen_events:
                raise IntegrityError(f"deletion event {event.id!r} is already recorded")
            seen_events.add(key)
        for event in events:
            self._seq += 1
            shelf = self._shelves[event.institution]
            at = micros(event.at)
            shelf.events[event.id] = _EventState(event.actor, at, self._seq, {}, 0)
            stamp = (at, self._seq, event.id)
            insort_tail(shelf.by_actor[event.actor], stamp)
            insort_tail(shelf.by_actor_kind[event.actor.kind], stamp)
            older = self._supersede(shelf, event)
            self._insert(shelf, event.members)
            self._journal.record(functools.partial(self._forget, shelf, event, stamp, older))

    def get(self, institution: str, ids: Collection[str]) -> dict[str, DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.get`."""
        shelf = self._shelves.get(institution)  # a read never makes a shelf
        if shelf is None:
            return {}
        return {i: shelf.entries[i] for i in ids if i in shelf.entries}

    def children(self, institution: str, parent_ids: Collection[str]) -> list[DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.children`."""
        shelf = self._shelves.get(institution)
        if shelf is None:
            return []
        return [shelf.entries[c] for p in parent_ids for c in shelf.children.get(p)]

    def superseded(self, institution: str, ids: Collection[str]) -> dict[str, list[Superseded]]:
        """See `deleted_repo.ports.DeletedStore.superseded`."""
        shelf = self._shelves.get(institution)
        if shelf is None:
            return {}
        return {i: list(shelf.superseded[i]) for i in ids if i in shelf.superseded}

    def find(
        self, query: Query, *, after: Cursor | None = None, limit: int | None = None
    ) -> list[DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.find`.

        Searches by id or field sort their few candidates; every other search walks an index
        already in search order from the cursor on, so a page costs what it returns.
        """
        shelf = self._shelves.get(query.institution)
        if shelf is None:
            return []
        after_key = None if after is None else (micros(after[0]), after[1])
        lo, hi = bounds(query.window)
        candidates = self._candidates(shelf, query)
        if candidates is None:
            stamps = self._stamps(shelf, query)
            timeline = shelf.timelines.get(query.kind)
            if stamps is None and timeline is None:
                return []
            ids: Iterator[str] = (
                _event_hits(shelf.events, stamps, query, lo=lo, hi=hi, after=after_key)
                if stamps is not None
                else timeline.newest_first(lo, hi, after_key)  # type: ignore[union-attr]
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
        shelf = self._shelves.get(institution)
        if shelf is None:
            return None
        stamps = shelf.by_actor.get(actor, [])
        lo, hi = bounds(window)
        start = 0 if lo is None else bisect.bisect_left(stamps, (lo,))
        end = len(stamps) if hi is None else bisect.bisect_left(stamps, (hi + 1,))
        for k in range(end - 1, start - 1, -1):
            event_id = stamps[k][2]
            if shelf.events[event_id].count:
                return event_id
        return None

    def has_actor(self, institution: str, actor: Actor) -> bool:
        """See `deleted_repo.ports.DeletedStore.has_actor`."""
        shelf = self._shelves.get(institution)
        return shelf is not None and bool(shelf.by_actor.get(actor))

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
            return [entries[i] for i in index.get(value)] if hashable(value) else []
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
        events, children, timelines, fields = (
            shelf.events,
            shelf.children,
            shelf.timelines,
            shelf.fields,
        )
        gone: dict[tuple[str, str], set[str]] = defaultdict(set)
        for m in removed:
            record = m.record
            ident, kind = record.id, record.kind
            if record.parent_id is not None:
                children.discard(record.parent_id, ident)
            event = events[m.event_id]
            timelines[kind].discard(event.at, ident)
            gone[(m.event_id, kind)].add(ident)
            event.count -= 1
            fields.discard(record)
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

    @classmethod
    def _supersede(cls, shelf: _DeletedShelf, event: DeletionEvent) -> list[DeletedRecord]:
        """Take out the deleted records `event` deletes again, kept as superseded (R-D6)."""
        entries = shelf.entries
        taken = [m.id for m in event.members if m.id in entries]
        if not taken:
            return []
        older = cls._delete(shelf, taken)
        held = shelf.superseded
        for entry in older:
            held.setdefault(entry.id, []).append(Superseded(entry=entry, by=event.id))
        return older

    def _forget(
        self,
        shelf: _DeletedShelf,
        event: DeletionEvent,
        stamp: tuple[int, int, str],
        older: Sequence[DeletedRecord],
    ) -> None:
        self._delete(shelf, [m.id for m in event.members])
        del shelf.events[event.id]
        shelf.by_actor[event.actor].remove(stamp)
        shelf.by_actor_kind[event.actor.kind].remove(stamp)
        held = shelf.superseded
        for entry in older:
            # Undo runs newest first, so the record this event superseded is the last held.
            versions = held[entry.id]
            versions.pop()
            if not versions:
                del held[entry.id]
        self._insert(shelf, older)


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
