"""Argument checks run in time linear in the arguments' size.

A check written with `list.count` or `x in list` inside a loop over the same input took minutes
on 200,001 ids; each request here must be refused in well under a second. The bound is generous
(2 s) so that a loaded machine cannot make it flake. Each call runs in a child process that is
stopped after 30 s (`timing`), and each test prints what it measured.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deleted_repo import Actor, DeletedRepoError, Deletion, InvalidInputError, Record

from .conftest import Backend
from .timing import timed_in_child
from .world import HOME, POLICIES, repository

MANY = 200_000
BOUND = 2.0
ANA = Actor.user("ana")


def ids_with_one_twice() -> list[str]:
    """200,001 ids, the last one repeating the first."""
    return [f"x{k}" for k in range(MANY)] + ["x0"]


def measure(
    backend: Backend, what: str, call: Callable[[Any], Any]
) -> tuple[float, type[BaseException] | None]:
    """Time `call(repo)` over an empty store of `backend`, in a child process."""
    store = backend.fresh()

    def prepare() -> Callable[[], Any]:
        repo = repository(store, POLICIES["default"])
        return lambda: call(repo)

    seconds, raised, _ = timed_in_child(prepare, f"[{backend.name}] {what}", backend.engine)
    return seconds, raised


def test_delete_refuses_a_duplicate_among_200001_ids_in_linear_time(backend: Backend) -> None:
    """R-D5: a duplicate id among 200,001 is refused at once, before anything is read."""
    seconds, raised = measure(
        backend,
        "delete, 200,001 ids with a duplicate",
        lambda repo: repo.delete(HOME, ids_with_one_twice(), actor=ANA),
    )
    assert raised is not None, "the request was accepted"
    assert issubclass(raised, InvalidInputError), raised
    assert seconds < BOUND, f"{seconds:.1f} s"


def test_record_deletion_refuses_a_duplicate_record_in_linear_time(backend: Backend) -> None:
    """R-D1: 200,001 records, one id twice, are refused at once."""
    records = [Record("bib", i) for i in ids_with_one_twice()]
    seconds, raised = measure(
        backend,
        "record_deletion, 200,001 records with a duplicate",
        lambda repo: repo.record_deletion(HOME, records, actor=ANA),
    )
    assert raised is not None, "the request was accepted"
    assert issubclass(raised, InvalidInputError), raised
    assert seconds < BOUND, f"{seconds:.1f} s"


def test_record_deletion_refuses_duplicate_origins_in_linear_time(backend: Backend) -> None:
    """R-D1: 200,001 origins, one twice, are refused at once."""
    records = [Record("bib", f"x{k}") for k in range(MANY)]
    seconds, raised = measure(
        backend,
        "record_deletion, 200,001 origins with a duplicate",
        lambda repo: repo.record_deletion(HOME, records, actor=ANA, origins=ids_with_one_twice()),
    )
    assert raised is not None, "the request was accepted"
    assert issubclass(raised, InvalidInputError), raised
    assert seconds < BOUND, f"{seconds:.1f} s"


def test_record_deletions_refuses_a_duplicate_in_a_deletion_in_linear_time(
    backend: Backend,
) -> None:
    """R-D1: a deletion of 200,001 records naming one id twice is refused fast.

    Across deletions, one id named twice is no error: the later deletes it again (R-D6).
    """
    batch = [Deletion([Record("bib", i) for i in ids_with_one_twice()], actor=ANA)]
    seconds, raised = measure(
        backend,
        "record_deletions, one deletion of 200,001 records naming one id twice",
        lambda repo: repo.record_deletions(HOME, batch),
    )
    assert raised is not None, "the request was accepted"
    assert issubclass(raised, DeletedRepoError), raised
    assert seconds < BOUND, f"{seconds:.1f} s"
