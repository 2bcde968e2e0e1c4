"""Deep hierarchies: deleting or recording a chain of 5,000 nested collections takes under 2 s.

The work runs in a child process, so that code still cubic in the depth (which took minutes)
fails the test after a hard limit instead of holding the suite up; the child reports the
seconds the call itself took, which each test prints.
"""

from __future__ import annotations

import multiprocessing
import time
from multiprocessing.connection import Connection

import sqlalchemy as sa

from deleted_repo import Actor, DeletedRepository, Record
from deleted_repo.ports import Store
from deleted_repo.stores.memory import MemoryStore
from deleted_repo.stores.sql import SqlStore

from .conftest import Backend
from .world import HOME, clock

DEPTH = 5_000
BOUND = 2.0
HARD_LIMIT = 30.0


def chain(depth: int) -> list[Record]:
    """Collections nested `depth` deep, the outermost first."""
    return [Record("collection", "k0")] + [
        Record("collection", f"k{n}", f"k{n - 1}") for n in range(1, depth)
    ]


def _child(url: str | None, schema: str | None, operation: str, pipe: Connection) -> None:
    store: Store = MemoryStore() if url is None else SqlStore(sa.create_engine(url), schema=schema)
    repo = DeletedRepository(store, clock=clock)
    records = chain(DEPTH)
    if operation == "delete":
        repo.catalog.add(HOME, records)
    start = time.perf_counter()
    if operation == "delete":
        event = repo.delete(HOME, ["k0"], actor=Actor.user("ana"))
    else:
        event = repo.record_deletion(HOME, records, actor=Actor.user("ana"))
    pipe.send((time.perf_counter() - start, len(event.members)))


def measure(backend: Backend, operation: str) -> tuple[float, int]:
    """Run `operation` on a chain in a child process; its seconds and the members it deleted."""
    store = backend.fresh()
    del store
    url = None if backend.engine is None else backend.engine.url.render_as_string(False)
    receiving, sending = multiprocessing.get_context("fork").Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(
        target=_child, args=(url, backend.schema, operation, sending)
    )
    child.start()
    try:
        if not receiving.poll(HARD_LIMIT):
            raise AssertionError(
                f"[{backend.name}] {operation} of {DEPTH} nested collections did not finish "
                f"in {HARD_LIMIT:.0f} s"
            )
        seconds, members = receiving.recv()
    finally:
        child.kill()
        child.join()
    print(f"\n[{backend.name}] {operation}, chain of {DEPTH} collections: {seconds:.3f} s")
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
