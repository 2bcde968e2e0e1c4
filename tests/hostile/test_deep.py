"""Deep hierarchies: deleting or recording a chain of 5,000 nested collections takes under 2 s.

Code quadratic in the depth fails it (each member storing its whole chain of ancestors took
12 s on PostgreSQL), and so does code cubic in it (28 s at 2,000). The work runs in a child
process (`timing`), so that such code fails the test after a hard limit instead of holding the
suite up; each test prints the seconds the call itself took. The storage of the chain's
lineages is linear in the depth (D-35, D-36): 4,999 links, not 12.5 million ids.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from deleted_repo import Actor, DeletedRepository, Lineage, Record
from deleted_repo.stores.memory import MemoryStore
from deleted_repo.stores.sql.schema import lineage

from .conftest import Backend
from .timing import timed_in_child
from .world import HOME, clock

DEPTH = 5000
BOUND = 2.0


def chain(depth: int) -> list[Record]:
    """Collections nested `depth` deep, the outermost first."""
    return [Record("collection", "k0")] + [
        Record("collection", f"k{n}", f"k{n - 1}") for n in range(1, depth)
    ]


def measure(backend: Backend, operation: str) -> tuple[float, int | None]:
    """Run `operation` on a chain in a child process; its seconds and the members it deleted."""
    store = backend.fresh()

    def prepare() -> Callable[[], Any]:
        repo = DeletedRepository(store, clock=clock)
        records = chain(DEPTH)
        if operation == "delete":
            repo.catalog.add(HOME, records)
            return lambda: repo.delete(HOME, ["k0"], actor=Actor.user("ana"))
        return lambda: repo.record_deletion(HOME, records, actor=Actor.user("ana"))

    seconds, raised, members = timed_in_child(
        prepare, f"[{backend.name}] {operation}, chain of {DEPTH} collections", backend.engine
    )
    assert raised is None, raised
    return seconds, members


def test_deleting_a_chain_of_5000_nested_collections_is_fast(backend: Backend) -> None:
    """R-D2: deleting the top of 5,000 nested collections takes the whole chain, in under 2 s."""
    seconds, members = measure(backend, "delete")
    assert members == DEPTH
    assert seconds < BOUND, f"{seconds:.1f} s"


def test_recording_a_chain_of_5000_nested_collections_is_fast(backend: Backend) -> None:
    """R-D1: recording the deletion of 5,000 nested collections takes under 2 s."""
    seconds, members = measure(backend, "record")
    assert members == DEPTH
    assert seconds < BOUND, f"{seconds:.1f} s"


def _links(lineages: list[Lineage]) -> int:
    """How many distinct links the `lineages` hold between them."""
    seen: set[int] = set()
    for chain in lineages:
        node = chain
        while node and id(node) not in seen:
            seen.add(id(node))
            node = node.rest
    return len(seen)


def test_the_lineages_of_a_deleted_chain_of_5000_share_their_links() -> None:
    """R-S7, D-35: the 5,000 lineages of a deleted chain hold 4,999 links, each parent's shared.

    Copied chains would hold 12.5 million ids; the event's memory grows with the depth.
    """
    repo = DeletedRepository(MemoryStore(), clock=clock)
    repo.catalog.add(HOME, chain(DEPTH))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        event = repo.delete(HOME, ["k0"], actor=Actor.user("ana"))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    deepest = event.members[-1]
    assert deepest.id == f"k{DEPTH - 1}"
    assert deepest.lineage == tuple(f"k{n}" for n in range(DEPTH - 2, -1, -1))
    assert _links([m.lineage for m in event.members]) == DEPTH - 1
    assert held < DEPTH * 1024, f"{held / 2**20:.1f} MiB for {DEPTH} records"


def test_a_deleted_chain_of_5000_is_stored_in_linear_space(sql_backend: Backend) -> None:
    """R-S7, D-36: a SQL store keeps the lineages of 5,000 nested collections in 4,999 rows.

    Each row is one link (an id and the link above it); the records read back with their whole
    chains, and the rows go once the records are removed.
    """
    backend = sql_backend
    assert backend.engine is not None
    store = backend.fresh()
    repo = DeletedRepository(store, clock=clock)
    repo.catalog.add(HOME, chain(DEPTH))
    event = repo.delete(HOME, ["k0"], actor=Actor.user("ana"))
    table = (
        lineage
        if backend.schema is None
        else lineage.to_metadata(sa.MetaData(), schema=backend.schema)
    )
    count = sa.select(sa.func.count()).select_from(table)
    with backend.engine.connect() as conn:
        assert conn.scalar(count) == DEPTH - 1
    deepest = f"k{DEPTH - 1}"
    assert store.deleted.get(HOME, [deepest])[deepest].lineage == event.members[-1].lineage
    store.deleted.remove(HOME, [m.id for m in event.members])
    with backend.engine.connect() as conn:
        assert conn.scalar(count) == 0
