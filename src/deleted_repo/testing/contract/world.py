"""The world the contract writes in: institutions, hierarchy, the host's records, a reset (D-38).

A store over the library's own tables holds any record data; a host's catalog has fixed columns
and its own kinds. `ContractWorld` says which: every check and the state machine build their
records through it and use only the kinds and parent links its hierarchy declares.
"""

from __future__ import annotations

import unittest
from collections.abc import Callable
from typing import Any

import attrs

from deleted_repo.model import ALMA, Hierarchy, Record

from .builders import AWAY, HOME

__all__ = ["DEFAULT_WORLD", "ContractWorld", "Inexpressible", "Kinds", "RecordMaker"]

RecordMaker = Callable[[str, str, str | None, int], Record]
"""``(kind, id, parent_id, n) -> Record``: a record of the host's catalog, for the contract.

The record has the kind, id and parent id given. Its data are the host's (every column the
catalog gives back, so that it reads back equal) and depend only on `kind` and `n`: two calls
with one kind and one `n` make equal data, and calls with different `n` make different data.
For the world's lookup kind, the lookup field holds a text value that is different for each `n`.
"""


class Inexpressible(unittest.SkipTest):
    """A check needs a shape of records that the world's hierarchy cannot express.

    `deleted_repo.testing.contract.run_example_checks` reports the checks skipped for it, by
    name; pytest reports a test that raises it as skipped (it is a `unittest.SkipTest`).
    """


@attrs.frozen(kw_only=True)
class Kinds:
    """The kinds a check writes, picked from the world's hierarchy; Alma's names in brackets.

    Attributes:
        top: a top-level kind ("bib").
        middle: a kind that may stand under `top` ("holding").
        leaf: the lookup kind, which may stand under `middle` ("item").
        beside: a kind that may stand under `top`, another than `middle` if there is one
            ("portfolio").
        other_top: a top-level kind, another than `top` if there is one ("collection").
    """

    top: str
    middle: str
    leaf: str
    beside: str
    other_top: str


def _json_record(lookup: tuple[str, str]) -> RecordMaker:
    """The default world's records: free-form JSON titled by kind and `n`, a lookup value."""
    kind_of_lookup, field = lookup

    def make(kind: str, ident: str, parent_id: str | None, n: int) -> Record:
        data: dict[str, Any] = {"title": f"{kind} {n}"}
        if kind == kind_of_lookup:
            data[field] = f"B{n}"
        return Record(kind, ident, parent_id, data)

    return make


def _pair(value: tuple[str, str]) -> tuple[str, str]:
    first, second = value
    if not first or not second or first == second:
        raise ValueError(f"expected two different, non-empty names, got {value!r}")
    return first, second


@attrs.frozen(kw_only=True)
class ContractWorld:
    """What the contract writes: describe a host's catalog so that the whole contract fits it.

    The defaults are the library's own world: Alma's hierarchy, free-form JSON data with an
    item's barcode to look up, in ``"01HOME"`` and ``"02AWAY"``.

    Attributes:
        institutions: the two institutions written in: most checks write in the first, and
            check that nothing crosses into the second (R-M3).
        hierarchy: the host's kinds and their parent kinds (default: Alma's).
        lookup: the kind and data field that `Catalog.find_by_field` and searches by a field
            are checked with ("item", "barcode"); a kind two levels below a top-level kind, so
            that the checks' trees (a top record, a record below it, two below that) fit.
        make_record: builds every record the contract writes (see `RecordMaker`); default:
            JSON data with a title, and the lookup field on the lookup kind.
        free_form: whether the catalog keeps any JSON data, as the library's stores do. Then
            the checks also write data of every JSON type, numbers where text was, and fields
            other records lack; a catalog with fixed columns sets False.
        reset: called before each store is made, to empty what the factory cannot (the host's
            tables, say); None when every store from the factory is empty already.

    Raises:
        ValueError: the institutions are not two different names, or the hierarchy does not
            declare the lookup kind.
    """

    institutions: tuple[str, str] = attrs.field(default=(HOME, AWAY), converter=_pair)
    hierarchy: Hierarchy = ALMA
    lookup: tuple[str, str] = attrs.field(default=("item", "barcode"), converter=_pair)
    make_record: RecordMaker | None = None
    free_form: bool = True
    reset: Callable[[], None] | None = None

    def __attrs_post_init__(self) -> None:
        if self.lookup[0] not in self.hierarchy.kinds:
            raise ValueError(f"the hierarchy does not declare the lookup kind {self.lookup[0]!r}")

    @property
    def home(self) -> str:
        """The institution most checks write in."""
        return self.institutions[0]

    @property
    def away(self) -> str:
        """The second institution, which nothing written at home may reach (R-M3)."""
        return self.institutions[1]

    @property
    def field(self) -> str:
        """The lookup field."""
        return self.lookup[1]

    @property
    def top(self) -> str:
        """A top-level kind: the lookup kind's top ancestor if it has one, else the first."""
        tops = sorted(k for k, spec in self.hierarchy.kinds.items() if spec.top_level)
        chain = self._chain()
        return chain[0] if chain else tops[0]

    def child_of(self, kind: str) -> str:
        """A kind that may stand under `kind`, on the way to the lookup kind if it is.

        Raises:
            Inexpressible: no kind may stand under `kind`.
        """
        chain = self._chain()
        if kind in chain[:-1]:
            return chain[chain.index(kind) + 1]
        below = sorted(k for k, spec in self.hierarchy.kinds.items() if kind in spec.parents)
        if not below:
            raise Inexpressible(f"the hierarchy declares no kind under {kind!r}")
        return below[0]

    def kinds(self) -> Kinds:
        """The kinds of the checks' trees: a top record, one below it, the lookup kind below.

        Raises:
            Inexpressible: the lookup kind is not two levels below a top-level kind.
        """
        chain = self._chain()
        if len(chain) != 3:
            raise Inexpressible(
                f"the check needs the lookup kind {self.lookup[0]!r} two levels below a "
                "top-level kind, and the hierarchy does not declare it so"
            )
        top, middle, leaf = chain
        specs = self.hierarchy.kinds
        besides = sorted(k for k, s in specs.items() if top in s.parents and k != middle)
        tops = sorted(k for k, s in specs.items() if s.top_level and k != top)
        return Kinds(
            top=top,
            middle=middle,
            leaf=leaf,
            beside=besides[0] if besides else middle,
            other_top=tops[0] if tops else top,
        )

    def _chain(self) -> list[str]:
        """The shortest line of kinds from a top-level kind down to the lookup kind, or []."""
        specs = self.hierarchy.kinds
        paths = [[self.lookup[0]]]
        seen = {self.lookup[0]}
        while paths:
            done = [p for p in paths if specs[p[0]].top_level]
            if done:
                return min(done)
            longer = []
            for path in paths:
                for parent in sorted(specs[path[0]].parents - seen):
                    seen.add(parent)
                    longer.append([parent, *path])
            paths = longer
        return []

    def record(self, kind: str, ident: str, parent_id: str | None = None, n: int = 0) -> Record:
        """The world's record of `kind` with id `ident` under `parent_id`, data variant `n`.

        Raises:
            ValueError: `make_record` returned a record with another kind, id or parent.
        """
        make = self.make_record if self.make_record is not None else _json_record(self.lookup)
        made = make(kind, ident, parent_id, n)
        if (made.kind, made.id, made.parent_id) != (kind, ident, parent_id):
            raise ValueError(
                f"make_record({kind!r}, {ident!r}, {parent_id!r}, {n}) returned {made!r}"
            )
        return made

    def value(self, n: int) -> Any:
        """The lookup field's value in a lookup-kind record of data variant `n`."""
        return self.record(self.lookup[0], "value", "parent", n).data.get(self.field)

    def fresh(self) -> None:
        """Call `reset`, if there is one: before each store is made."""
        if self.reset is not None:
            self.reset()


DEFAULT_WORLD = ContractWorld()
"""The library's own world: Alma's hierarchy, free-form JSON data, ``"01HOME"``/``"02AWAY"``."""
