"""Deep hierarchies: deleting or recording a chain of 700 nested collections takes under 2 s.

The target is 5,000 (docs/guarantees.md lists it as not yet met: each member still stores its
whole chain of ancestors, so time and storage grow with the square of the depth); 700 is the
depth held on every store today, and code cubic in the depth (which took 28 s at 2,000) fails
it. The work runs in a child process (`timing`), so that code still cubic in the depth (which took
minutes) fails the test after a hard limit instead of holding the suite up; each test prints the
seconds the call itself took.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deleted_repo import Actor, DeletedRepository, Record

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


def test_deleting_a_chain_of_700_nested_collections_is_fast(backend: Backend) -> None:
    """R-D2: deleting the top of 700 nested collections takes the whole chain, in under 2 s."""
    seconds, members = measure(backend, "delete")
    assert members == DEPTH
    assert seconds < BOUND, f"{seconds:.1f} s"


def test_recording_a_chain_of_700_nested_collections_is_fast(backend: Backend) -> None:
    """R-D1: recording the deletion of 700 nested collections takes under 2 s."""
    seconds, members = measure(backend, "record")
    assert members == DEPTH
    assert seconds < BOUND, f"{seconds:.1f} s"
