"""Example checks of lineages (R-S7) in `deleted_repo.ports.DeletedStore`.

A deleted record's lineage is the chain of its ancestors' ids at deletion, nearest first. A
store may keep it any way it likes (shared with the parent's, D-35, D-36), but every read
gives back what was written: after other records of the event leave the repository (a partial
restore takes an item with its holding and bib and leaves the sibling items deleted), and
after a later event supersedes the record (R-D6).

Each check takes an empty store; its docstring is the behaviour it checks.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from deleted_repo.lineage import Lineage
from deleted_repo.model import DeletedRecord, DeletionEvent
from deleted_repo.ports import Store
from deleted_repo.search import Query

from .builders import HOME, event, instant, rec
from .expect import accepted, same, superseded_of

__all__ = [
    "lineages_read_back_as_written",
    "lineages_survive_a_partial_remove",
    "lineages_survive_supersession",
]


def _lineages(entries: dict[str, DeletedRecord]) -> dict[str, tuple[str, ...]]:
    return {i: tuple(e.lineage) for i, e in sorted(entries.items())}


def _chain_event() -> DeletionEvent:
    """A chain of 40 nested collections under two outside ancestors, with side branches.

    The members' lineages share their tails, as a delete builds them; one member's lineage is
    given as a tuple instead, and one names ancestors that are not its parent's (a store keeps
    what it is given).
    """
    records = [rec("collection", "c0", "out1")]
    records += [rec("collection", f"c{n}", f"c{n - 1}") for n in range(1, 40)]
    records += [rec("collection", f"side{n}", f"c{n}") for n in range(0, 40, 7)]
    records.append(rec("collection", "odd", "c3"))
    built = event("lin-e1", records, at=instant(1))
    shared: dict[str, Lineage] = {}
    members = []
    for m in built.members:
        parent = m.record.parent_id
        if m.id == "odd":
            lineage: Iterable[str] = ("c3", "elsewhere", "out2")
        elif parent == "out1":
            lineage = Lineage(["out1", "out2"])
        else:
            assert parent is not None
            lineage = shared[parent].prepend(parent)
        members.append(attrs.evolve(m, lineage=lineage))
        shared[m.id] = members[-1].lineage
    return attrs.evolve(built, members=members)


def lineages_read_back_as_written(store: Store) -> None:
    """Every read gives each deleted record the lineage it was written with (R-S7).

    Read through `get`, `children` and `find`: long chains whose members share their tails,
    ancestors outside the event, and a lineage that is not its parent's chain.
    """
    written = _chain_event()
    with accepted("add_events of a chain of 40 collections"):
        store.deleted.add_events([written])
    expected = {m.id: tuple(m.lineage) for m in written.members}
    ids = sorted(expected)
    got = dict(store.deleted.get(HOME, ids))
    same(_lineages(got), dict(sorted(expected.items())), "deleted.get: the lineages")
    for m in written.members:
        same(got[m.id].lineage, m.lineage, f"deleted.get([{m.id!r}]): the lineage, as a Lineage")
    children = store.deleted.children(HOME, ["c3", "c39"])
    same(
        {c.id: tuple(c.lineage) for c in children},
        {i: expected[i] for i in ("c4", "odd")},
        "deleted.children(['c3', 'c39']): the lineages",
    )
    hits = store.deleted.find(Query(institution=HOME, kind="collection", ids=frozenset(ids)))
    same(
        {h.id: tuple(h.lineage) for h in hits},
        expected,
        "deleted.find by id: the lineages",
    )


def lineages_survive_a_partial_remove(store: Store) -> None:
    """Removing some records of an event leaves the others' lineages whole (R-S7).

    A partial restore takes an item with its holding and bib; the sibling items stay deleted
    and still name the holding and bib that left the repository. Removing the rest, then
    recording a new event with the same ids, gives the new event's lineages.
    """
    records = [
        rec("bib", "b1"),
        rec("holding", "h1", "b1"),
        rec("item", "i1", "h1"),
        rec("item", "i2", "h1"),
        rec("item", "i3", "h1"),
    ]
    with accepted("add_events of a bib, a holding and three items"):
        store.deleted.add_events([event("part-e1", records, at=instant(1))])
    with accepted("deleted.remove(['i1', 'h1', 'b1'])"):
        store.deleted.remove(HOME, ["i1", "h1", "b1"])
    left = store.deleted.get(HOME, ["i2", "i3", "h1"])
    same(
        _lineages(dict(left)),
        {"i2": ("h1", "b1"), "i3": ("h1", "b1")},
        "deleted.get after removing i1, h1, b1",
    )
    with accepted("deleted.remove(['i2', 'i3'])"):
        store.deleted.remove(HOME, ["i2", "i3"])
    moved = [rec("bib", "b9"), rec("holding", "h1", "b9"), rec("item", "i2", "h1")]
    with accepted("add_events of the same ids under another bib"):
        store.deleted.add_events([event("part-e2", moved, at=instant(2))])
    same(
        _lineages(dict(store.deleted.get(HOME, ["i2", "h1", "b9"]))),
        {"b9": (), "h1": ("b9",), "i2": ("h1", "b9")},
        "deleted.get of the new event",
    )


def lineages_survive_supersession(store: Store) -> None:
    """A superseded deletion keeps its lineage, after its event's other records leave (R-D6).

    A later event deletes an item again under another holding: the older deletion, kept as
    superseded, names its old holding and bib, even once they are removed.
    """
    records = [rec("bib", "b1"), rec("holding", "h1", "b1"), rec("item", "i1", "h1")]
    with accepted("add_events of a bib, a holding and an item"):
        store.deleted.add_events([event("sup-e1", records, at=instant(1))])
    again = [rec("holding", "h7", "b7"), rec("item", "i1", "h7")]
    newer = event("sup-e2", again, at=instant(2))
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
        store.deleted.remove(HOME, ["h1", "b1"])
    older = superseded_of(store, ["i1"])
    same(
        [(s.entry.event_id, tuple(s.entry.lineage), s.by) for s in older.get("i1", [])],
        [("sup-e1", ("h1", "b1"), "sup-e2")],
        "deleted.superseded(['i1']) after removing h1, b1",
    )
    same(
        _lineages(dict(store.deleted.get(HOME, ["i1"]))),
        {"i1": ("h7", "b7")},
        "deleted.get(['i1']): the newer deletion",
    )
