"""The in-memory store's indexes: the undo journal, ids by key, field indexes, timelines."""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from deleted_repo.model import Record
from deleted_repo.stores.keys import hashable

__all__ = ["FieldIndex", "IdsBy", "Journal", "Key", "Timeline", "insort_tail"]

Key = tuple[int, str]
"""A position in a timeline: (time in microseconds, id)."""


class Journal:
    """The undo log of the open transaction, shared by the three parts of a store."""

    def __init__(self) -> None:
        self.depth = 0
        self.undo: list[Callable[[], None]] = []

    def record(self, undo: Callable[[], None]) -> None:
        """Keep `undo` to run if the open transaction fails; nothing outside a transaction."""
        if self.depth:
            self.undo.append(undo)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A block whose writes are undone, newest first, if it raises; nested blocks nest."""
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


class IdsBy:
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
        """The ids held under `key`; empty for a key never seen."""
        held = self._held.get(key)
        if held is None:
            return ()
        return (held,) if isinstance(held, str) else held

    def add(self, key: Any, ident: str) -> None:
        """Hold `ident` under `key` (once)."""
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
        """Stop holding `ident` under `key`; nothing if it is not held."""
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


class FieldIndex:
    """Ids by (kind, field, value), built on first use of a (kind, field) and kept up to date."""

    def __init__(
        self, records: Callable[[], Iterator[Record]], indexed: Mapping[str, Sequence[str]]
    ) -> None:
        self._records = records
        self._by_field: dict[tuple[str, str], IdsBy] = {}
        self._by_kind: dict[str, list[tuple[str, IdsBy]]] = {}  # the same indexes, per kind
        self.ensure_all(indexed)

    def ensure(self, kind: str, field: str) -> IdsBy:
        """The index of `field` of `kind` records, built from the records the first time."""
        index = self._by_field.get((kind, field))
        if index is None:
            index = IdsBy()
            for record in self._records():
                if record.kind == kind and field in record.data:
                    value = record.data[field]
                    if hashable(value):
                        index.add(value, record.id)
            self._by_field[(kind, field)] = index
            self._by_kind.setdefault(kind, []).append((field, index))
        return index

    def ensure_all(self, fields: Mapping[str, Sequence[str]]) -> None:
        """`ensure` each of `fields` (per kind)."""
        for kind, names in fields.items():
            for name in names:
                self.ensure(kind, name)

    def add(self, record: Record) -> None:
        """Index `record` in every index of its kind."""
        self._change(record, IdsBy.add)

    def discard(self, record: Record) -> None:
        """Take `record` out of every index of its kind."""
        self._change(record, IdsBy.discard)

    def _change(self, record: Record, change: Callable[[IdsBy, Any, str], None]) -> None:
        indexes = self._by_kind.get(record.kind)
        if not indexes:
            return
        data = record.data
        for field, index in indexes:
            if field in data:
                value = data[field]
                if hashable(value):
                    change(index, value, record.id)


class Timeline:
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
        """Put the key (`at`, `ident`) in its place, or bring it back if it was discarded."""
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
        """Take the key (`at`, `ident`) out; the arrays are compacted once many are out."""
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


def insort_tail(items: list[Any], item: Any) -> None:
    """Insert `item` into the sorted list `items`, cheaply when it belongs at the end."""
    if not items or item >= items[-1]:
        items.append(item)
    else:
        bisect.insort(items, item)
