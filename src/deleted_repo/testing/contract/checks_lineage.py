"""Example checks of lineages (R-S7) in `deleted_repo.ports.DeletedStore`.

A deleted record's lineage is the chain of its ancestors' ids at deletion, nearest first. A
store may keep it any way it likes (shared with the parent's, D-35, D-36), but every read
gives back what was written: after other records of the event leave the repository (a partial
restore takes an item with its holding and bib and leaves the sibling items deleted), and
after a later event supersedes the record (R-D6).

Each check takes an empty store and the world it writes in (`ContractWorld`); its docstring
is the behaviour it checks.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from deleted_repo.lineage import Lineage
from deleted_repo.model import DeletedRecord, DeletionEvent, Record
from deleted_repo.ports import Store
from deleted_repo.search import Query

from .builders import event, instant
from .expect import accepted, same, superseded_of
from .world import DEFAULT_WORLD, ContractWorld

__all__ = [
    "lineages_read_back_as_written",
    "lineages_survive_a_partial_remove",
    "lineages_survive_supersession",
]


def _lineages(entries: dict[str, DeletedRecord]) -> dict[str, tuple[str, ...]]:
    return {i: tuple(e.lineage) for i, e in sorted(entries.items())}


def _chain_records(world: ContractWorld) -> tuple[list[Record], tuple[str, ...]]:
    """The records of the chain event, and the ancestors above its first record.

    With a kind that may stand under its own kind: 40 of them nested under two outside
    ancestors, with side branches and one record ("odd") whose lineage is not its parent's.
    Otherwise the world's top, middle and lookup kinds, the top one written with six
    ancestors (a store keeps the lineage it is given), so chains are longer than three links.
    """
    specs = world.hierarchy.kinds
    nesting = sorted(k for k, spec in specs.items() if k in spec.parents)
    if nesting:
        nest = nesting[0]
        records = [world.record(nest, "c0", "out1")]
        records += [world.record(nest, f"c{n}", f"c{n - 1}", n) for n in range(1, 40)]
        records += [world.record(nest, f"side{n}", f"c{n}", n) for n in range(0, 40, 7)]
        records.append(world.record(nest, "odd", "c3"))
        return records, ("out1", "out2")
    k = world.kinds()
    records = [world.record(k.top, "c0")]
    records += [world.record(k.middle, f"c{n}", "c0", n) for n in (1, 2)]
    records += [world.record(k.leaf, f"side{n}", f"c{n}", n) for n in (1, 2, 3)]
    return records, tuple(f"out{n}" for n in range(1, 7))


def _chain_event(world: ContractWorld) -> DeletionEvent:
    """The chain event of `_chain_records`, with lineages as a delete shares them.

    The members' lineages share their tails; the first record's is the outside ancestors;
    "odd"'s is given as a tuple naming ancestors that are not its parent's.
    """
    records, outside = _chain_records(world)
    built = event("lin-e1", records, at=instant(1), world=world)
    shared: dict[str, Lineage] = {}
    members = []
    for m in built.members:
        parent = m.record.parent_id
        if m.id == "odd":
            lineage: Iterable[str] = ("c3", "elsewhere", "out2")
        elif parent is None or parent not in shared:
            lineage = Lineage(outside)
        else:
            lineage = shared[parent].prepend(parent)
        members.append(attrs.evolve(m, lineage=lineage))
        shared[m.id] = members[-1].lineage
    return attrs.evolve(built, members=members)


def lineages_read_back_as_written(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """Every read gives each deleted record the lineage it was written with (R-S7).

    Read through `get`, `children` and `find`: long chains whose members share their tails,
    ancestors outside the event, and a lineage that is not its parent's chain.
    """
    home = world.home
    written = _chain_event(world)
    with accepted("add_events of a chain of records"):
        store.deleted.add_events([written])
    expected = {m.id: tuple(m.lineage) for m in written.members}
    ids = sorted(expected)
    got = dict(store.deleted.get(home, ids))
    same(_lineages(got), dict(sorted(expected.items())), "deleted.get: the lineages")
    for m in written.members:
        same(got[m.id].lineage, m.lineage, f"deleted.get([{m.id!r}]): the lineage, as a Lineage")
    asked = [written.members[3].id, written.members[-1].id]
    children = store.deleted.children(home, asked)
    same(
        {c.id: tuple(c.lineage) for c in children},
        {m.id: expected[m.id] for m in written.members if m.record.parent_id in asked},
        f"deleted.children({asked}): the lineages",
    )
    hits = [
        h
        for kind in sorted({m.kind for m in written.members})
        for h in store.deleted.find(Query(institution=home, kind=kind, ids=frozenset(ids)))
    ]
    same(
        {h.id: tuple(h.lineage) for h in hits},
        expected,
        "deleted.find by id: the lineages",
    )


def lineages_survive_a_partial_remove(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """Removing some records of an event leaves the others' lineages whole (R-S7).

    A partial restore takes an item with its holding and bib; the sibling items stay deleted
    and still name the holding and bib that left the repository. Removing the rest, then
    recording a new event with the same ids, gives the new event's lineages.
    """
    home, k, record = world.home, world.kinds(), world.record
    records = [
        record(k.top, "b1"),
        record(k.middle, "h1", "b1"),
        *(record(k.leaf, f"i{n}", "h1", n) for n in (1, 2, 3)),
    ]
    with accepted("add_events of a bib, a holding and three items"):
        store.deleted.add_events([event("part-e1", records, at=instant(1), world=world)])
    with accepted("deleted.remove(['i1', 'h1', 'b1'])"):
        store.deleted.remove(home, ["i1", "h1", "b1"])
    left = store.deleted.get(home, ["i2", "i3", "h1"])
    same(
        _lineages(dict(left)),
        {"i2": ("h1", "b1"), "i3": ("h1", "b1")},
        "deleted.get after removing i1, h1, b1",
    )
    with accepted("deleted.remove(['i2', 'i3'])"):
        store.deleted.remove(home, ["i2", "i3"])
    moved = [record(k.top, "b9"), record(k.middle, "h1", "b9"), record(k.leaf, "i2", "h1", 2)]
    with accepted("add_events of the same ids under another bib"):
        store.deleted.add_events([event("part-e2", moved, at=instant(2), world=world)])
    same(
        _lineages(dict(store.deleted.get(home, ["i2", "h1", "b9"]))),
        {"b9": (), "h1": ("b9",), "i2": ("h1", "b9")},
        "deleted.get of the new event",
    )


def lineages_survive_supersession(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """A superseded deletion keeps its lineage, after its event's other records leave (R-D6).

    A later event deletes an item again under another holding: the older deletion, kept as
    superseded, names its old holding and bib, even once they are removed.
    """
    home, k, record = world.home, world.kinds(), world.record
    records = [record(k.top, "b1"), record(k.middle, "h1", "b1"), record(k.leaf, "i1", "h1")]
    with accepted("add_events of a bib, a holding and an item"):
        store.deleted.add_events([event("sup-e1", records, at=instant(1), world=world)])
    again = [record(k.middle, "h7", "b7", 1), record(k.leaf, "i1", "h7", 1)]
    newer = event("sup-e2", again, at=instant(2), world=world)
    newer = attrs.evolve(
        newer,
        members=[
            attrs.evolve(m, lineage=("b7",) if m.id == "h7" else ("h7", "b7"))
            for m in newer.members
        ],
    )
    with accepted("add_events deleting 'i1' again"):
        store.deleted.add_events([newer])
    with accepted("deleted.remove(['h1', 'b1'])"):
        store.deleted.remove(home, ["h1", "b1"])
    older = superseded_of(store, ["i1"], institution=home)
    same(
        [(s.entry.event_id, tuple(s.entry.lineage), s.by) for s in older.get("i1", [])],
        [("sup-e1", ("h1", "b1"), "sup-e2")],
        "deleted.superseded(['i1']) after removing h1, b1",
    )
    same(
        _lineages(dict(store.deleted.get(home, ["i1"]))),
        {"i1": ("h7", "b7")},
        "deleted.get(['i1']): the newer deletion",
    )
