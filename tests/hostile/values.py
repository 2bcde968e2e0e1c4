"""Hostile values: the strategies that feed the attack on the public API.

Every strategy mixes values the API should accept (so that calls get past their first check)
with values it must refuse: wrong types, nested junk, huge sizes, lone surrogates, NUL
characters, instants at the edges of `datetime`, huge integers and bools where ints are due.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from deleted_repo import Actor, ActorKind, DeletedRepoError

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
"""The clock of every hostile world."""


def _nested_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def _nested_dict(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


DEEP_LIST = _nested_list(5_000)
"""Deeper than the interpreter's recursion limit: `repr` or `json.dumps` of it recurse too far."""

DEEP_DICT = _nested_dict(5_000)

HUGE_INT = 10**5_000
"""An int whose `repr` exceeds the interpreter's digit limit for str conversion."""

NASTY_TEXT = [
    "",
    "\ud800",
    "\udfff",
    "a\ud800b",
    "\x00",
    "bib\x00",
    " ",
    "\n",
    "\U0010ffff",
    "'; DROP TABLE deleted_repo_catalog; --",
    "%s",
    "%(institution)s",
    ":id",
    "\\",
    "x" * 70_000,
]
"""Text that stores mishandle: empty, lone surrogates, NUL, SQL and format metacharacters, long."""


def pick(values: list[Any]) -> st.SearchStrategy[Any]:
    """One of `values`, by index: hypothesis never has to show the values themselves."""

    def nth(index: int) -> Any:
        return values[index]

    return st.integers(0, len(values) - 1).map(nth)


def texts() -> st.SearchStrategy[str]:
    """Any text, lone surrogates and NUL included, with the nastiest ones often."""
    return st.one_of(
        pick(NASTY_TEXT),
        st.text(st.characters(exclude_categories=()), max_size=12),
    )


EDGE_INSTANTS = [
    datetime.min.replace(tzinfo=timezone(timedelta(hours=1))),
    datetime.min.replace(tzinfo=timezone(timedelta(hours=23, minutes=59))),
    datetime.min.replace(tzinfo=timezone(-timedelta(hours=23, minutes=59))),
    datetime.min.replace(tzinfo=UTC),
    datetime.max.replace(tzinfo=timezone(-timedelta(hours=1))),
    datetime.max.replace(tzinfo=timezone(-timedelta(hours=23, minutes=59))),
    datetime.max.replace(tzinfo=timezone(timedelta(hours=23, minutes=59))),
    datetime.max.replace(tzinfo=UTC),
    datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(1900, 1, 1, tzinfo=UTC),
    NOW - timedelta(days=365),
    NOW + timedelta(days=3_650),
    NOW.astimezone(timezone(timedelta(hours=-23, minutes=-59))),
    datetime.min,
    datetime.max,
    NOW.replace(tzinfo=None),
]
"""Instants at the edges: year 1 and year 9999 at extreme offsets, the epoch, naive ones."""


def instants() -> st.SearchStrategy[datetime]:
    """Instants at the edges, and ordinary aware ones near now."""
    offsets = st.timedeltas(
        min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)
    ).map(timezone)
    return st.one_of(
        st.sampled_from(EDGE_INSTANTS),
        st.datetimes(
            min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1), timezones=offsets
        ),
    )


class Opaque:
    """An object of no type the API knows, with a stable repr."""

    def __repr__(self) -> str:
        return "Opaque()"


JUNK: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63,
    -(2**63) - 1,
    2**64,
    HUGE_INT,
    1.5,
    float("nan"),
    float("inf"),
    b"bytes",
    bytearray(b"x"),
    Opaque(),
    [],
    {},
    set(),
    (),
    [[]],
    [["x"]],
    {"x": ["y"]},
    {None: "x"},
    DEEP_LIST,
    DEEP_DICT,
    datetime.min,
    timedelta.max,
    timedelta.min,
    ActorKind.USER,
    Ellipsis,
    object,
]
"""Values of every wrong type: numbers at the edges, bytes, containers, deep nesting, classes."""


def junk() -> st.SearchStrategy[Any]:
    """Values of the wrong type, the nasty ones often, and small generated trees of junk."""
    leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), texts(), pick(JUNK))
    trees = st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.tuples(inner, inner),
            st.dictionaries(st.one_of(texts(), st.integers()), inner, max_size=3),
        ),
        max_leaves=6,
    )
    return st.one_of(pick(JUNK), trees)


def either(good: st.SearchStrategy[Any], *bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Good values half of the time, hostile ones otherwise."""
    return st.one_of(good, st.one_of(*bad, junk()))


def built(make: Callable[..., Any], **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`make(**fields)`, or the fields themselves when the constructor refuses them.

    A constructor raising anything outside our tree is the constructors' test's to report; here
    its fields stand in for the value, as more junk.
    """

    def build(drawn: dict[str, Any]) -> Any:
        try:
            return make(**drawn)
        except DeletedRepoError:
            return drawn
        except Exception:  # the constructors' own test reports these
            return drawn

    return st.fixed_dictionaries(fields).map(build)


def actors() -> st.SearchStrategy[Any]:
    """Actors of every kind, with hostile ids, and things that are not actors."""
    good = st.sampled_from([Actor.user("ana"), Actor.job("J1"), Actor.system()])
    hostile = built(Actor, kind=st.sampled_from(ActorKind), id=texts())
    return either(good, hostile)


def limits() -> st.SearchStrategy[Any]:
    """Page sizes: small good ones, and zero, negatives, huge ints, bools, floats, text."""
    return either(
        st.integers(1, 30),
        st.sampled_from([0, -1, 10_000, 10_001, 2**31, 2**63, -(2**63), True, False, 2.0, "5"]),
    )
