"""Argument checks run in time linear in the arguments' size, and deep hierarchies stay cheap.

A check written with `list.count` or `x in list` inside a loop over the same input took minutes
on 200,001 ids; each check here must refuse such a request in well under a second. The bounds
are generous (2 s) so that a loaded machine cannot make them flake; the issue's target for a
chain of 5,000 nested collections is the same 2 s. Each test prints what it measured.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from deleted_repo import (
    Actor,
    DeletedRepoError,
    DeletedRepository,
    Deletion,
    InvalidInputError,
    Record,
)

from .conftest import Backend
from .world import HOME, POLICIES, repository

MANY = 200_000
BOUND = 2.0
DEPTH = 5_000
ANA = Actor.user("ana")


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds `call` took, and what it returned or raised."""
    start = time.perf_counter()
    try:
        outcome = call()
    except Exception as e:  # the caller checks what was raised
        outcome = e
    return time.perf_counter() - start, outcome


def ids_with_one_twice() -> list[str]:
    """200,001 ids, the last one repeating the first."""
    return [f"x{k}" for k in range(MANY)] + ["x0"]


def empty_repo(backend: Backend) -> DeletedRepository:
    return repository(backend.fresh(), POLICIES["default"])


def test_delete_refuses_a_duplicate_among_200001_ids_in_linear_time(backend: Backend) -> None:
    """R-D5: a duplicate id among 200,001 is refused at once, before anything is read."""
    repo = empty_repo(backend)
    seconds, outcome = timed(lambda: repo.delete(HOME, ids_with_one_twice(), actor=ANA))
    print(f"\n[{backend.name}] delete, 200,001 ids with a duplicate: {seconds:.3f} s")
    assert isinstance(outcome, InvalidInputError), outcome
    assert seconds < BOUND, f"{seconds:.1f} s"


def test_record_deletion_refuses_a_duplicate_record_in_linear_time(backend: Backend) -> None:
    """R-D1: 200,001 records, one id twice, are refused at once."""
    repo = empty_repo(backend)
    records = [Record("bib", i) for i in ids_with_one_twice()]
    seconds, outcome = timed(lambda: repo.record_deletion(HOME, records, actor=ANA))
    print(f"\n[{backend.name}] record_deletion, 200,001 records with a duplicate: {seconds:.3f} s")
    assert isinstance(outcome, InvalidInputError), outcome
    assert seconds < BOUND, f"{seconds:.1f} s"


def test_record_deletion_refuses_duplicate_origins_in_linear_time(backend: Backend) -> None:
    """R-D1: 200,001 origins, one twice, are refused at once."""
    repo = empty_repo(backend)
    records = [Record("bib", f"x{k}") for k in range(MANY)]
    seconds, outcome = timed(
        lambda: repo.record_deletion(HOME, records, actor=ANA, origins=ids_with_one_twice())
    )
    print(f"\n[{backend.name}] record_deletion, 200,001 origins with a duplicate: {seconds:.3f} s")
    assert isinstance(outcome, InvalidInputError), outcome
    assert seconds < BOUND, f"{seconds:.1f} s"


def test_record_deletions_refuses_a_duplicate_across_a_batch_in_linear_time(
    backend: Backend,
) -> None:
    """R-D1: a batch of 200,001 one-record deletions naming one id twice is refused at once."""
    repo = empty_repo(backend)
    batch = [Deletion([Record("bib", i)], actor=ANA) for i in ids_with_one_twice()]
    seconds, outcome = timed(lambda: repo.record_deletions(HOME, batch))
    print(f"\n[{backend.name}] record_deletions, 200,001 deletions, one id twice: {seconds:.3f} s")
    assert isinstance(outcome, DeletedRepoError), outcome
    assert seconds < BOUND, f"{seconds:.1f} s"
