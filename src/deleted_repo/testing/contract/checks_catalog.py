"""Example checks of `deleted_repo.ports.Catalog`: the host's active records.

Each check takes an empty store; its docstring is the behaviour it checks.
"""

from __future__ import annotations

from deleted_repo.errors import IntegrityError, RecordNotFoundError
from deleted_repo.model import Record
from deleted_repo.ports import Store

from .builders import HOME, RICH_DATA, rec, tree
from .expect import by_id, fail, refused, same

__all__ = [
    "catalog_add_refuses_an_active_id",
    "catalog_children_are_the_active_records_below",
    "catalog_find_by_field_matches_exact_values",
    "catalog_get_leaves_out_missing_ids",
    "catalog_keeps_records_exactly",
    "catalog_remove_refuses_an_inactive_id",
]


def catalog_get_leaves_out_missing_ids(store: Store) -> None:
    """Catalog.get returns the active records asked for, by id, and leaves out the others."""
    records = tree()
    store.catalog.add(HOME, records)
    got = dict(store.catalog.get(HOME, ["b1", "i1", "nope"]))
    same(got, {"b1": records[0], "i1": records[2]}, "catalog.get(['b1', 'i1', 'nope'])")
    same(dict(store.catalog.get(HOME, [])), {}, "catalog.get([])")
    same(dict(store.catalog.get(HOME, ["nope"])), {}, "catalog.get(['nope'])")


def catalog_keeps_records_exactly(store: Store) -> None:
    """Catalog records come back exactly as added: kind, id, parent and every JSON value."""
    records = [
        Record("bib", "rich", None, RICH_DATA),
        Record("holding", "h-rich", "rich", {}),
        Record("collection", "ünï code id ☃", None, {"title": ""}),
    ]
    store.catalog.add(HOME, records)
    got = store.catalog.get(HOME, [r.id for r in records])
    for r in records:
        same(got.get(r.id), r, f"catalog.get([{r.id!r}])")


def catalog_add_refuses_an_active_id(store: Store) -> None:
    """Catalog.add refuses an id already active, or given twice, and then adds nothing."""
    store.catalog.add(HOME, [rec("bib", "b1")])
    with refused(IntegrityError, "catalog.add of a new id and the active 'b1'"):
        store.catalog.add(HOME, [rec("bib", "new"), rec("bib", "b1", title="again")])
    same(dict(store.catalog.get(HOME, ["new"])), {}, "catalog.get(['new']) after the refusal")
    same(store.catalog.get(HOME, ["b1"])["b1"], rec("bib", "b1"), "the active 'b1'")
    with refused(IntegrityError, "catalog.add of 'twice' given twice"):
        store.catalog.add(HOME, [rec("bib", "twice"), rec("bib", "twice")])
    same(dict(store.catalog.get(HOME, ["twice"])), {}, "catalog.get(['twice']) after the refusal")


def catalog_remove_refuses_an_inactive_id(store: Store) -> None:
    """Catalog.remove refuses an id that is not active, and then removes nothing."""
    records = tree()
    store.catalog.add(HOME, records)
    with refused(RecordNotFoundError, "catalog.remove(['i1', 'nope'])"):
        store.catalog.remove(HOME, ["i1", "nope"])
    same(sorted(store.catalog.get(HOME, ["i1"])), ["i1"], "'i1' after the refused remove")
    store.catalog.remove(HOME, ["i1", "i2"])
    same(dict(store.catalog.get(HOME, ["i1", "i2"])), {}, "'i1', 'i2' after their remove")
    same(by_id(store.catalog.children(HOME, ["h1"])), [], "catalog.children(['h1']) after it")
    with refused(RecordNotFoundError, "catalog.remove(['i1']) a second time"):
        store.catalog.remove(HOME, ["i1"])
    store.catalog.add(HOME, [records[2]])
    same(store.catalog.get(HOME, ["i1"]).get("i1"), records[2], "'i1' added back after removal")


def catalog_children_are_the_active_records_below(store: Store) -> None:
    """Catalog.children returns every active record whose parent is among the ids given."""
    records = tree()
    store.catalog.add(HOME, records)
    same(
        by_id(store.catalog.children(HOME, ["b1", "b2"])),
        [records[1], records[5]],
        "children(b1, b2)",
    )
    same(by_id(store.catalog.children(HOME, ["h1"])), [records[2], records[3]], "children(['h1'])")
    same(list(store.catalog.children(HOME, ["i1", "nope"])), [], "children(['i1', 'nope'])")
    same(list(store.catalog.children(HOME, [])), [], "children([])")


def catalog_find_by_field_matches_exact_values(store: Store) -> None:
    """Catalog.find_by_field finds active holders of exact values, within the kind asked."""
    records = tree()
    numeric = rec("item", "i5", "h1", barcode=5)
    twins = [rec("item", "t1", "h1", barcode="TWIN"), rec("item", "t2", "h1", barcode="TWIN")]
    store.catalog.add(HOME, [*records, numeric, *twins])
    got = dict(store.catalog.find_by_field(HOME, "item", "barcode", ["B1", "B2", "zz"]))
    same(got, {"B1": "i1", "B2": "i2"}, "find_by_field(item, barcode, [B1, B2, zz])")
    same(
        dict(store.catalog.find_by_field(HOME, "holding", "barcode", ["B1"])),
        {},
        "find_by_field(holding, barcode, [B1]): other kinds do not count",
    )
    same(
        dict(store.catalog.find_by_field(HOME, "item", "barcode", ["5"])),
        {},
        "find_by_field(item, barcode, ['5']): the text '5' is not the number 5",
    )
    same(
        dict(store.catalog.find_by_field(HOME, "item", "barcode", [5])),
        {5: "i5"},
        "find_by_field(item, barcode, [5])",
    )
    twin = store.catalog.find_by_field(HOME, "item", "barcode", ["TWIN"]).get("TWIN")
    if twin not in ("t1", "t2"):
        fail(f"find_by_field(item, barcode, ['TWIN']) gave {twin!r}; expected 't1' or 't2'")
    store.catalog.remove(HOME, ["i1"])
    same(
        dict(store.catalog.find_by_field(HOME, "item", "barcode", ["B1"])),
        {},
        "find_by_field(item, barcode, [B1]) after 'i1' was removed",
    )
    same(dict(store.catalog.find_by_field(HOME, "item", "barcode", [])), {}, "values=[]")
