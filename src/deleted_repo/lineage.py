"""`Lineage`: a deleted record's chain of ancestor ids, nearest first (R-S7), in linear space.

A lineage is a persistent chain: the lineage of a record is its parent's id in front of its
parent's lineage, which it shares rather than copies (D-35). A chain of n nested records
then holds n links in all, where tuples would hold n * (n - 1) / 2 ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, overload

from deleted_repo.validators import as_tuple

__all__ = ["EMPTY", "Lineage", "as_lineage", "chains"]


class Lineage(Sequence[str]):
    """A chain of ancestor ids, nearest first, sharing its tail with its parent's lineage.

    It reads as a tuple of strings: ``len`` is constant-time, indexing walks from the nearest
    ancestor, and it equals any `Lineage` or tuple with the same ids in the same order, and
    hashes as that tuple (D-35). `Lineage(ids)` builds one from any collection of ids;
    `prepend` builds a child's lineage from its parent's in constant time and space.

    Example:
        >>> bib = Lineage()
        >>> holding = bib.prepend("bib-1")
        >>> item = holding.prepend("hol-1")
        >>> item == ("hol-1", "bib-1"), item.rest is holding, len(item)
        (True, True, 2)
        >>> Lineage(["hol-1", "bib-1"]) == item
        True

    Raises:
        InvalidInputError: `ids` is a string or not a collection.
    """

    __slots__ = ("_hash", "_head", "_len", "_tail")

    _head: str
    _tail: Lineage | None
    _len: int
    _hash: int | None

    def __init__(self, ids: Iterable[str] = ()) -> None:
        listed = as_tuple(ids)
        if not listed:
            self._set("", None)
            return
        chain = EMPTY
        for ident in reversed(listed[1:]):
            chain = _link(ident, chain)
        self._set(listed[0], chain)

    def _set(self, head: str, tail: Lineage | None) -> None:
        object.__setattr__(self, "_head", head)
        object.__setattr__(self, "_tail", tail)
        object.__setattr__(self, "_len", 0 if tail is None else tail._len + 1)
        object.__setattr__(self, "_hash", None)

    def prepend(self, parent_id: str) -> Lineage:
        """The lineage of a child of `parent_id`, whose own lineage this is: shared, not copied."""
        return _link(parent_id, self)

    @property
    def rest(self) -> Lineage:
        """This chain without its nearest id: the lineage of the nearest ancestor.

        The empty lineage's rest is the empty lineage.
        """
        return self._tail if self._tail is not None else self

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[str]:
        node = self
        while node._tail is not None:
            yield node._head
            node = node._tail

    def __reversed__(self) -> Iterator[str]:
        return reversed(tuple(self))

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...

    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        position = index + self._len if index < 0 else index
        if not 0 <= position < self._len:
            raise IndexError("lineage index out of range")
        node = self
        for _ in range(position):
            node = node._tail  # type: ignore[assignment]
        return node._head

    def __contains__(self, value: object) -> bool:
        return any(ident == value for ident in self)

    def index(self, value: Any, start: int = 0, stop: int | None = None) -> int:
        """The position of the first `value` at or after `start` and before `stop`."""
        return tuple(self).index(value, start, self._len if stop is None else stop)

    def count(self, value: Any) -> int:
        """How many times `value` is in the chain."""
        return sum(1 for ident in self if ident == value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Lineage):
            a, b = self, other
            if a._len != b._len:
                return False
            while a is not b:  # a shared tail is equal by construction
                if a._tail is None:
                    return True
                if a._head != b._head:
                    return False
                a, b = a._tail, b._tail  # type: ignore[assignment]
            return True
        if isinstance(other, tuple):
            return self._len == len(other) and all(x == y for x, y in zip(self, other, strict=True))
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(self, "_hash", hash(tuple(self)))
        return self._hash  # type: ignore[return-value]

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Lineage is immutable; cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a Lineage is immutable; cannot delete {name}")

    def __reduce__(self) -> tuple[Any, ...]:
        # As a tuple: pickling the links one inside the other would recurse once per id.
        return (Lineage, (tuple(self),))

    def __repr__(self) -> str:
        return f"Lineage({list(self)!r})"


def _link(head: str, tail: Lineage) -> Lineage:
    node = Lineage.__new__(Lineage)
    node._set(head, tail)
    return node


EMPTY: Lineage = Lineage()
"""The lineage of a top-level record."""


def as_lineage(ids: Iterable[str]) -> Lineage:
    """`ids` itself if it is a `Lineage`, else the lineage of its ids (an attrs converter).

    Raises:
        InvalidInputError: `ids` is a string or not a collection.
    """
    if type(ids) is Lineage:  # the common case, without the ABC's isinstance
        return ids
    return ids if isinstance(ids, Lineage) else Lineage(ids)


def chains(starts: Iterable[str], parent_of: Callable[[str], str | None]) -> dict[str, Lineage]:
    """The chain of ids from each of `starts` up, the start itself first, sharing tails.

    `parent_of` gives the parent of an id (None at the top or when unknown). A chain that
    loops stops before repeating an id. Chains are shared from the first id they have in
    common, so the work and the space are linear in the number of distinct ids reached; a
    chain that starts inside a loop is built on its own (its rotation of the loop is its own).

    Returns:
        Per start, its chain.
    """
    built: dict[str, Lineage] = {}
    looping: set[str] = set()  # ids inside a loop other than where the walk entered it
    for start in starts:
        if start in built:
            continue
        path: list[str] = []
        at: dict[str, int] = {}
        ident: str | None = start
        while ident is not None and ident not in built and ident not in at:
            if ident in looping:
                break
            at[ident] = len(path)
            path.append(ident)
            ident = parent_of(ident)
        if ident is not None and ident in looping:
            built[start] = _apart(start, parent_of)
            continue
        if ident is not None and ident in at:
            entry = at[ident]
            loop = path[entry:]
            looping.update(loop[1:])
            chain = built[ident] = Lineage(loop)
            path = path[:entry]
        else:
            chain = EMPTY if ident is None else built[ident]
        for ident in reversed(path):
            chain = built[ident] = chain.prepend(ident)
    return built


def _apart(start: str, parent_of: Callable[[str], str | None]) -> Lineage:
    """The chain from `start`, whose walk reached an id inside a loop: built whole."""
    walked: list[str] = []
    seen: set[str] = set()
    ident: str | None = start
    while ident is not None and ident not in seen:
        walked.append(ident)
        seen.add(ident)
        ident = parent_of(ident)
    return Lineage(walked)
