"""Checks of the arguments the public API takes, made before anything is read.

Each check raises `InvalidInputError` naming the argument, and runs in time linear in the
argument's size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar

from deleted_repo.errors import InvalidInputError, quote, show_ids
from deleted_repo.model import Actor
from deleted_repo.validators import check_choice, check_instant, check_text

__all__ = [
    "check_actor",
    "check_aware",
    "check_choice",
    "check_ids",
    "check_instance",
    "check_institution",
    "check_limit",
]

T = TypeVar("T")


def check_institution(institution: object) -> str:
    """Return `institution` if it is a non-empty string a store can hold."""
    return check_text(institution, "institution")


def check_ids(ids: object, field: str = "ids") -> list[str]:
    """Return `ids` as a list if it is a non-empty collection of distinct, storable ids."""
    if isinstance(ids, str) or not isinstance(ids, Iterable):
        raise InvalidInputError(
            f"{field} must be a collection of ids, got {quote(ids)}", field=field, value=ids
        )
    listed = list(ids)
    if not listed:
        raise InvalidInputError(f"{field} must not be empty", field=field, value=listed)
    for ident in listed:
        check_text(ident, field)
    if len(set(listed)) != len(listed):
        twice = sorted(i for i, n in Counter(listed).items() if n > 1)
        raise InvalidInputError(
            f"ids given more than once: {show_ids(twice)}", field=field, value=twice[:5]
        )
    return listed


def check_actor(actor: object) -> Actor:
    """Return `actor` if it is an `Actor`."""
    if not isinstance(actor, Actor):
        raise InvalidInputError(
            f"actor must be an Actor, got {quote(actor)}", field="actor", value=actor
        )
    return actor


def check_aware(value: object, field: str) -> datetime:
    """Return `value` if it is a timezone-aware datetime that exists in UTC."""
    return check_instant(value, field)


def check_limit(limit: object, *, most: int | None = None) -> int:
    """Return `limit` if it is a positive integer (at most `most`, when given)."""
    if (
        isinstance(limit, bool)
        or not isinstance(limit, int)
        or limit < 1
        or (most is not None and limit > most)
    ):
        wanted = "a positive integer" if most is None else f"from 1 to {most}"
        raise InvalidInputError(
            f"limit must be {wanted}, got {quote(limit)}", field="limit", value=limit
        )
    return limit


def check_instance(value: object, cls: type[T], field: str) -> T:
    """Return `value` if it is an instance of `cls` (a bool is no int)."""
    if not isinstance(value, cls) or (cls is int and isinstance(value, bool)):
        raise InvalidInputError(
            f"{field} must be of type {cls.__name__}, got {quote(value)}", field=field, value=value
        )
    return value
