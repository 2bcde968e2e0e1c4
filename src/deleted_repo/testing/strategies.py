"""Hypothesis strategies for host applications' property-based tests.

Every strategy takes keyword-only options, checks them eagerly (raising hypothesis'
`InvalidArgument`), and states what it guarantees. They are registered for `st.from_type` through
hypothesis' entry point, so ``st.from_type(Actor)`` works once `deleted_repo` is installed.

Example:
    >>> from hypothesis import given
    >>> from deleted_repo.testing.strategies import catalogs
    >>> @given(catalogs(max_size=5))
    ... def test_parents_come_first(records):
    ...     seen = set()
    ...     for r in records:
    ...         assert r.parent_id is None or r.parent_id in seen
    ...         seen.add(r.id)
    >>> test_parents_come_first()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from deleted_repo.model import ALMA, ALMA_SYSTEM_LABELS, Actor, EmptiedParents, Hierarchy, Record
from deleted_repo.policy import Policy

__all__ = ["actors", "catalogs", "emptied_parents", "hierarchies"]

_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6)


def _check_size(min_size: int, max_size: int) -> None:
    if not isinstance(min_size, int) or min_size < 0:
        raise InvalidArgument(f"min_size={min_size!r} must be a non-negative integer")
    if not isinstance(max_size, int) or max_size < min_size:
        raise InvalidArgument(f"max_size={max_size!r} must be an integer >= min_size={min_size}")


def actors(
    *,
    users: st.SearchStrategy[str] | None = None,
    jobs: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Actor]:
    """Actors of every kind: users, jobs, and the system process under both of Alma's labels.

    Args:
        users: user ids to draw from (default: a few short names, so actors repeat).
        jobs: job ids to draw from (default: a few short names).
    """
    for name, value in (("users", users), ("jobs", jobs)):
        if value is not None and not isinstance(value, st.SearchStrategy):
            raise InvalidArgument(f"{name}={value!r} must be a strategy")
    return st.one_of(
        (users if users is not None else st.sampled_from(["ana", "bo", "cy"])).map(Actor.user),
        (jobs if jobs is not None else st.sampled_from(["J1", "J2"])).map(Actor.job),
        st.sampled_from(ALMA_SYSTEM_LABELS).map(Actor.system),
    )


def emptied_parents() -> st.SearchStrategy[EmptiedParents]:
    """Both choices a delete offers for parents left with no active children (R-D3)."""
    return st.sampled_from(EmptiedParents)


def hierarchies(*, max_kinds: int = 5) -> st.SearchStrategy[Hierarchy]:
    """Valid hierarchies: at least one top-level kind; kinds may nest under themselves.

    Args:
        max_kinds: the most kinds a hierarchy declares (at least 1).
    """
    if not isinstance(max_kinds, int) or max_kinds < 1:
        raise InvalidArgument(f"max_kinds={max_kinds!r} must be a positive integer")
    return _hierarchies(max_kinds)


@st.composite
def _hierarchies(draw: st.DrawFn, max_kinds: int) -> Hierarchy:
    names = draw(st.lists(_NAMES, min_size=1, max_size=max_kinds, unique=True))
    parents: dict[str, list[str] | None] = {names[0]: None}
    for i, name in enumerate(names[1:], start=1):
        allowed = draw(
            st.lists(st.sampled_from(names[: i + 1]), min_size=0, max_size=2, unique=True)
        )
        parents[name] = [p for p in allowed if p != name or len(allowed) > 1] or None
    return Hierarchy.declare(parents)


def catalogs(
    *,
    hierarchy: Hierarchy = ALMA,
    min_size: int = 0,
    max_size: int = 30,
    unique_fields: Mapping[str, Sequence[str]] | None = None,
    id_prefix: str = "r",
) -> st.SearchStrategy[list[Record]]:
    """Catalogs that obey `hierarchy`: lists of records, parents before children.

    Guarantees: ids are unique (``id_prefix`` followed by a number); every record's parent is an
    earlier record of a kind the hierarchy allows, or it has none and its kind is top-level;
    every record has a ``title``; the values of each unique field are distinct, so the catalog is
    valid input to `Catalog.add` and to any delete.

    Args:
        hierarchy: the kinds and their parents (default: Alma's).
        min_size: the fewest records.
        max_size: the most records.
        unique_fields: per kind, fields given distinct values (default: the policy's, an item's
            barcode).
        id_prefix: what every id starts with.
    """
    _check_size(min_size, max_size)
    if not isinstance(hierarchy, Hierarchy):
        raise InvalidArgument(f"hierarchy={hierarchy!r} must be a Hierarchy")
    fields = Policy().unique_fields if unique_fields is None else unique_fields
    tops = sorted(name for name, spec in hierarchy.kinds.items() if spec.top_level)
    if not tops:
        raise InvalidArgument("the hierarchy has no top-level kind, so no catalog can start")
    below = {
        name: sorted(k for k, spec in hierarchy.kinds.items() if name in spec.parents)
        for name in hierarchy.kinds
    }
    return _catalogs(
        min_size=min_size,
        max_size=max_size,
        fields=fields,
        tops=tops,
        below=below,
        id_prefix=id_prefix,
    )


@st.composite
def _catalogs(
    draw: st.DrawFn,
    *,
    min_size: int,
    max_size: int,
    fields: Mapping[str, Sequence[str]],
    tops: list[str],
    below: Mapping[str, list[str]],
    id_prefix: str,
) -> list[Record]:
    size = draw(st.integers(min_size, max_size))
    records: list[Record] = []
    for n in range(size):
        at = draw(st.integers(-1, len(records) - 1)) if records else -1
        parent = records[at] if at >= 0 and below[records[at].kind] else None
        kind = draw(st.sampled_from(below[parent.kind] if parent else tops))
        data: dict[str, object] = {"title": f"{kind} {n}"}
        for field in fields.get(kind, ()):
            data[field] = f"{field}-{n}"
        records.append(Record(kind, f"{id_prefix}{n}", parent.id if parent else None, data))
    return records
