"""`SqlCatalog.descendants`: everything below some records in one query (R-D2, D-37)."""

from __future__ import annotations

from deleted_repo import Record
from deleted_repo.reads import StateReader
from deleted_repo.stores.memory import MemoryStore
from deleted_repo.stores.sql import SqlStore
from tests.support import ANA, INSTITUTION, OTHER, repository

from .conftest import Database, counted


def _library() -> list[Record]:
    return [
        Record("bib", "b1"),
        Record("holding", "h1", "b1"),
        Record("item", "i1", "h1"),
        Record("item", "i2", "h1"),
        Record("portfolio", "p1", "b1"),
        Record("bib", "b2"),
        Record("holding", "h2", "b2"),
        Record("collection", "c0"),
        *(Record("collection", f"c{n}", f"c{n - 1}") for n in range(1, 30)),
    ]


def test_descendants_are_what_children_give_level_by_level(store: SqlStore) -> None:
    """D-37: one query gives every record below the ids, as `children` would level by level.

    Another institution's records under the same ids are left out (R-M3).
    """
    store.catalog.add(INSTITUTION, _library())
    store.catalog.add(OTHER, [Record("bib", "b1"), Record("holding", "hx", "b1")])
    memory = MemoryStore()
    memory.catalog.add(INSTITUTION, _library())
    by_levels = StateReader(memory.catalog, memory.deleted)
    for ids in (["b1"], ["h1", "b2"], ["c0"], ["c17", "i1"], ["nope"], []):
        got = sorted(r.id for r in store.catalog.descendants(INSTITUTION, ids))
        assert got == sorted(r.id for r in by_levels.descendants(INSTITUTION, ids)), ids


def test_descendants_end_in_a_loop(store: SqlStore) -> None:
    """D-4, D-37: a loop in the catalog, which is not policed, ends the query."""
    store.catalog.add(
        INSTITUTION,
        [Record("collection", "a", "b"), Record("collection", "b", "a"), Record("item", "i", "a")],
    )
    got = {r.id for r in store.catalog.descendants(INSTITUTION, ["a"])}
    assert got - {"a"} == {"b", "i"}


def test_a_deep_delete_sends_as_many_statements_as_a_less_deep_one(db: Database) -> None:
    """R-D2, D-37: deleting a chain of 600 collections takes no more statements than one of 6.

    The first levels are read one query a level, then the rest in one recursive query.
    """
    store = db.store()
    store.create_schema()
    try:
        repo = repository(store)

        def statements(prefix: str, depth: int) -> int:
            chain = [Record("collection", f"{prefix}0")] + [
                Record("collection", f"{prefix}{n}", f"{prefix}{n - 1}") for n in range(1, depth)
            ]
            repo.catalog.add(INSTITUTION, chain)
            with counted(db.engine) as sent:
                event = repo.delete(INSTITUTION, [f"{prefix}0"], actor=ANA)
            assert len(event.members) == depth
            return len(sent)

        assert statements("deeper", 600) == statements("deep", 6)
    finally:
        store.drop_schema()
