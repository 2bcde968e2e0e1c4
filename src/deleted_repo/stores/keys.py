"""What both stores share: instants as integers, window bounds, and the keys of data values.

The in-memory and the SQL store keep deletion times as integer microseconds since the epoch
(UTC), so that order and equality are exact, and index data fields by value. This module is
their common ground; it is not part of the public API.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from deleted_repo.search import Window

__all__ = ["EPOCH", "LONGEST_KEY", "bounds", "field_key", "hashable", "instant", "micros"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""The instant `micros` counts from."""

LONGEST_KEY = 200
"""The longest `field_key` kept as it is; longer ones are replaced by their SHA-256."""

_MICROSECOND = timedelta(microseconds=1)


def micros(at: datetime) -> int:
    """Microseconds from `EPOCH` to `at` (a timezone-aware instant), rounded down."""
    return (at - EPOCH) // _MICROSECOND


def instant(count: int) -> datetime:
    """The instant `count` microseconds after `EPOCH`, in UTC: the inverse of `micros`."""
    return EPOCH + timedelta(microseconds=count)


def bounds(window: Window) -> tuple[int | None, int | None]:
    """The first and last microsecond of `window` (see `micros`); None where it is open."""
    lo = None if window.start is None else micros(window.start)
    hi = None if window.end is None else micros(window.end)
    return lo, hi


def hashable(value: object) -> bool:
    """Whether `value` can be a dictionary key (the in-memory field index's test)."""
    try:
        hash(value)
    except TypeError:
        return False
    return True


def field_key(value: object) -> str | None:
    """The text a data value is indexed under in SQL: equal values (1, 1.0, True) share one key.

    Strings, numbers, booleans and None have a key; other values (lists, mappings) and NaN,
    which equals nothing, have none (None) and are not indexed. This is narrower than
    `hashable`: a tuple is hashable, but it is stored as a JSON list and read back as one.
    """
    if isinstance(value, str):
        key = "s" + value
    elif isinstance(value, bool | int):
        key = f"n{int(value)}"
    elif isinstance(value, float):
        if math.isnan(value):
            return None
        key = f"n{int(value)}" if value.is_integer() else f"n{value!r}"
    elif value is None:
        key = "z"
    else:
        return None
    if len(key) > LONGEST_KEY:
        import hashlib  # noqa: PLC0415 (OpenSSL costs the memory store 3 MiB; it never needs it)

        key = "h" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return key
