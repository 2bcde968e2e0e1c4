"""How the contract states a broken promise: explicit raises, so it holds under ``python -O``.

Every failure is an `AssertionError` naming the method, its arguments, what was expected and
what came back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

from deleted_repo.jobs import RestoreJob
from deleted_repo.model import DeletedRecord
from deleted_repo.ports import Store
from deleted_repo.search import Cursor, Query

from .builders import HOME

__all__ = [
    "Abort",
    "by_id",
    "fail",
    "found",
    "ids_of",
    "paged",
    "refused",
    "same",
    "same_in_order",
]


class Abort(Exception):
    """Raised inside a transaction to make it roll back."""


def fail(message: str) -> NoReturn:
    """Report a broken promise.

    Raises:
        AssertionError: always, with `message`.
    """
    raise AssertionError(message)


def same(actual: object, expected: object, what: str) -> None:
    """Check that `actual` equals `expected`; `what` names the call that gave it.

    Raises:
        AssertionError: they differ.
    """
    if actual != expected:
        fail(f"{what}:\n  expected {expected!r}\n  got      {actual!r}")


def ids_of(entries: Sequence[DeletedRecord] | Sequence[RestoreJob]) -> list[str]:
    """The ids of `entries`, in their order."""
    return [e.id for e in entries]


def by_id(entries: Sequence[Any]) -> list[Any]:
    """`entries` sorted by id, for results the ports return in any order."""
    return sorted(entries, key=lambda e: e.id)


def same_in_order(
    actual: Sequence[DeletedRecord] | Sequence[RestoreJob],
    expected: Sequence[DeletedRecord] | Sequence[RestoreJob],
    what: str,
) -> None:
    """Check two lists of deleted records, or of jobs: ids and order first, for a readable message.

    Raises:
        AssertionError: they differ, or one came back with a naive time.
    """
    same(ids_of(actual), ids_of(expected), f"{what} (ids, in order)")
    same(list(actual), list(expected), f"{what} (in full)")
    for entry in actual:
        at = entry.deleted_at if isinstance(entry, DeletedRecord) else entry.at
        if at.utcoffset() is None:
            fail(f"{what}: {entry.id!r} came back with a naive time")


def paged(store: Store, query: Query, limit: int, *, most: int) -> list[DeletedRecord]:
    """The hits of `query`, `limit` a page, each page after the last hit of the one before.

    It stops at a short page, or once more than `most` hits were read (a cursor that is not
    followed would page for ever).

    Raises:
        AssertionError: a page held more than `limit` hits.
    """
    hits: list[DeletedRecord] = []
    after: Cursor | None = None
    for _ in range(most + 1):
        page = list(store.deleted.find(query, after=after, limit=limit))
        if len(page) > limit:
            fail(f"deleted.find({query!r}, limit={limit}) returned {len(page)} records")
        hits.extend(page)
        if len(page) < limit:
            break
        after = (page[-1].deleted_at, page[-1].id)
    return hits


@contextmanager
def refused(error: type[Exception], what: str) -> Iterator[None]:
    """Check that the block raises `error`; `what` names the call made in it.

    Raises:
        AssertionError: the block succeeded, or raised another exception.
    """
    try:
        yield
    except error:
        return
    except Exception as e:
        raise AssertionError(
            f"{what}: expected {error.__name__}, got {type(e).__name__}: {e}"
        ) from e
    fail(f"{what}: expected {error.__name__}, but it succeeded")


def found(
    store: Store,
    kind: str,
    *,
    institution: str = HOME,
    after: Cursor | None = None,
    limit: int | None = None,
    **filters: Any,
) -> list[DeletedRecord]:
    """The deleted records of `kind` that `store` finds with `filters` (see `Query`)."""
    query = Query(institution=institution, kind=kind, **filters)
    return list(store.deleted.find(query, after=after, limit=limit))
