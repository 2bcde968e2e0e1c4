"""Example checks of `deleted_repo.ports.Catalog`: the host's active records.

Each check takes an empty store and the world it writes in (`ContractWorld`); its docstring is
the behaviour it checks.
"""

from __future__ import annotations

from deleted_repo.errors import IntegrityError, RecordNotFoundError
from deleted_repo.model import Record
from deleted_repo.ports import Store

from .builders import RICH_DATA, tree
from .expect import by_id, fail, refused, same
from .world import DEFAULT_WORLD, ContractWorld

__all__ = [
    "catalog_add_refuses_an_active_id",
    "catalog_children_are_the_active_records_below",
    "catalog_find_by_field_matches_exact_values",
    "catalog_get_leaves_out_missing_ids",
    "catalog_keeps_records_exactly",
    "catalog_remove_refuses_an_inactive_id",
]


def catalog_get_leaves_out_missing_ids(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """Catalog.get returns the active records asked for, by id, and leaves out the others."""
    home, records = world.home, tree(world)
    store.catalog.add(home, records)
    got = dict(store.catalog.get(home, ["b1", "i1", "nope"]))
    same(got, {"b1": records[0], "i1": records[2]}, "catalog.get(['b1', 'i1', 'nope'])")
    same(dict(store.catalog.get(home, [])), {}, "catalog.get([])")
    same(dict(store.catalog.get(home, ["nope"])), {}, "catalog.get(['nope'])")


def catalog_keeps_records_exactly(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """Catalog records come back exactly as added: kind, id, parent and every data value.

    In a free-form world, that is every JSON value, and records with no data at all.
    """
    k, r = world.kinds(), world.record
    records = [
        r(k.top, "rich", None, 7),
        r(k.middle, "h-rich", "rich", 8),
        r(k.leaf, "i-rich", "h-rich", 9),
        r(k.other_top, "ünï code id ☃", None, 10),
    ]
    if world.free_form:
        records += [
            Record(k.top, "json", None, RICH_DATA),
            Record(k.middle, "h-json", "json", {}),
            Record(k.other_top, "empty title", None, {"title": ""}),
        ]
    store.catalog.add(world.home, records)
    got = store.catalog.get(world.home, [x.id for x in records])
    for x in records:
        same(got.get(x.id), x, f"catalog.get([{x.id!r}])")


def catalog_add_refuses_an_active_id(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """Catalog.add refuses an id already active, or given twice, and then adds nothing."""
    home, top, r = world.home, world.top, world.record
    store.catalog.add(home, [r(top, "b1")])
    with refused(IntegrityError, "catalog.add of a new id and the active 'b1'"):
        store.catalog.add(home, [r(top, "new"), r(top, "b1", None, 1)])
    same(dict(store.catalog.get(home, ["new"])), {}, "catalog.get(['new']) after the refusal")
    same(store.catalog.get(home, ["b1"])["b1"], r(top, "b1"), "the active 'b1'")
    with refused(IntegrityError, "catalog.add of 'twice' given twice"):
        store.catalog.add(home, [r(top, "twice"), r(top, "twice", None, 1)])
    same(dict(store.catalog.get(home, ["twice"])), {}, "catalog.get(['twice']) after the refusal")


def catalog_remove_refuses_an_inactive_id(
    store: Store, world: ContractWorld = DEFAULT_WORLD
) -> None:
    """Catalog.remove refuses an id that is not active, and then removes nothing."""
    home, records = world.home, tree(world)
    store.catalog.add(home, records)
    with refused(RecordNotFoundError, "catalog.remove(['i1', 'nope'])"):
        store.catalog.remove(home, ["i1", "nope"])
    same(sorted(store.catalog.get(home, ["i1"])), ["i1"], "'i1' after the refused remove")
    store.catalog.remove(home, ["i1", "i2"])
    same(dict(store.catalog.get(home, ["i1", "i2"])), {}, "'i1', 'i2' after their remove")
    same(by_id(store.catalog.children(home, ["h1"])), [], "catalog.children(['h1']) after it")
    with refused(RecordNotFoundError, "catalog.remove(['i1']) a second time"):
        store.catalog.remove(home, ["i1"])
    store.catalog.add(home, [records[2]])
    same(store.catalog.get(home, ["i1"]).get("i1"), records[2], "'i1' added back after removal")


def catalog_children_are_the_active_records_below(
    store: Store, world: ContractWorld = DEFAULT_WORLD
) -> None:
    """Catalog.children returns every active record whose parent is among the ids given."""
    home, records = world.home, tree(world)
    store.catalog.add(home, records)
    same(
        by_id(store.catalog.children(home, ["b1", "b2"])),
        [records[1], records[5]],
        "children(b1, b2)",
    )
    same(by_id(store.catalog.children(home, ["h1"])), [records[2], records[3]], "children(['h1'])")
    same(list(store.catalog.children(home, ["i1", "nope"])), [], "children(['i1', 'nope'])")
    same(list(store.catalog.children(home, [])), [], "children([])")


def catalog_find_by_field_matches_exact_values(
    store: Store, world: ContractWorld = DEFAULT_WORLD
) -> None:
    """Catalog.find_by_field finds active holders of exact values, within the kind asked.

    In a free-form world, the text "5" does not find the number 5.
    """
    home, k, r, field = world.home, world.kinds(), world.record, world.field
    records = tree(world)
    b1, b2, twin = world.value(1), world.value(2), world.value(4)
    twins = [r(k.leaf, "t1", "h1", 4), r(k.leaf, "t2", "h1", 4)]
    extra = [Record(k.leaf, "i5", "h1", {field: 5})] if world.free_form else []
    store.catalog.add(home, [*records, *twins, *extra])
    what = f"find_by_field({k.leaf}, {field}"
    got = dict(store.catalog.find_by_field(home, k.leaf, field, [b1, b2, "zz"]))
    same(got, {b1: "i1", b2: "i2"}, f"{what}, [{b1!r}, {b2!r}, 'zz'])")
    same(
        dict(store.catalog.find_by_field(home, k.middle, field, [b1])),
        {},
        f"find_by_field({k.middle}, {field}, [{b1!r}]): other kinds do not count",
    )
    if world.free_form:
        same(
            dict(store.catalog.find_by_field(home, k.leaf, field, ["5"])),
            {},
            f"{what}, ['5']): the text '5' is not the number 5",
        )
        same(
            dict(store.catalog.find_by_field(home, k.leaf, field, [5])),
            {5: "i5"},
            f"{what}, [5])",
        )
    held = store.catalog.find_by_field(home, k.leaf, field, [twin]).get(twin)
    if held not in ("t1", "t2"):
        fail(f"{what}, [{twin!r}]) gave {held!r}; expected 't1' or 't2'")
    store.catalog.remove(home, ["i1"])
    same(
        dict(store.catalog.find_by_field(home, k.leaf, field, [b1])),
        {},
        f"{what}, [{b1!r}]) after 'i1' was removed",
    )
    same(dict(store.catalog.find_by_field(home, k.leaf, field, [])), {}, f"{what}, [])")
