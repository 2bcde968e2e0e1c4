"""What every value must be before the library takes it: what a store can hold and give back.

Text holds no NUL character and no lone surrogate (neither PostgreSQL nor UTF-8 can store
them); instants are timezone-aware and representable in UTC; record data are JSON (strings,
finite numbers, booleans, null, lists and string-keyed mappings) no deeper than `MAX_DEPTH`;
durations are positive and shorter than the calendar. Every check is linear in the size of
its value and raises `InvalidInputError` naming the field (STYLE 20: what is stored reads back).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import attrs

from deleted_repo.errors import InvalidInputError, quote

E = TypeVar("E", bound=enum.Enum)

__all__ = [
    "LONGEST",
    "MAX_DEPTH",
    "as_collection",
    "as_dict",
    "as_tuple",
    "check_choice",
    "check_data",
    "check_duration",
    "check_instant",
    "check_text",
    "instant_field",
    "optional_instant_field",
    "optional_text_field",
    "text_field",
    "text_problem",
]

MAX_DEPTH = 64
"""The deepest nesting of lists and mappings record data may have."""

LONGEST = timedelta(days=3_652_059)
"""The longest duration a policy may name: from the first day of year 1 to the last of 9999."""


def text_problem(value: str) -> str | None:
    """Why a store could not hold the text `value`, or None when it can."""
    if "\x00" in value:
        return "contains a NUL character"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate"
    return None


def check_text(value: object, field: str) -> str:
    """Return `value` if it is a non-empty string a store can hold.

    Raises:
        InvalidInputError: it is not a string, is empty, or holds a NUL or a lone surrogate.
    """
    if not isinstance(value, str) or not value:
        raise InvalidInputError(
            f"{field} must be a non-empty string, got {quote(value)}", field=field, value=value
        )
    problem = text_problem(value)
    if problem is not None:
        raise InvalidInputError(f"{field} {problem}: {quote(value)}", field=field, value=value)
    return value


def check_instant(value: object, field: str) -> datetime:
    """Return `value` if it is a timezone-aware datetime that exists in UTC.

    Raises:
        InvalidInputError: it is naive, not a datetime, or before year 1 or after year 9999 in
            UTC (``datetime(1, 1, 1)`` at a positive offset, say).
    """
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidInputError(
            f"{field} must be a timezone-aware datetime, got {quote(value)}",
            field=field,
            value=value,
        )
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise InvalidInputError(
            f"{field} is outside the years 1 to 9999 in UTC: {quote(value)}",
            field=field,
            value=value,
        ) from None
    return value


def check_duration(value: object, field: str) -> timedelta:
    """Return `value` if it is a positive timedelta no longer than `LONGEST`."""
    if not isinstance(value, timedelta) or not timedelta(0) < value <= LONGEST:
        raise InvalidInputError(
            f"{field} must be a positive timedelta of at most {LONGEST.days} days, "
            f"got {quote(value)}",
            field=field,
            value=value,
        )
    return value


def check_data(value: object, field: str = "data") -> dict[str, Any]:
    """Return a copy of the mapping `value` if it is JSON a store can hold and give back.

    Keys are strings; values are None, booleans, integers, finite floats, strings, lists (or
    tuples, which come back as lists) and such mappings, nested at most `MAX_DEPTH` deep; no
    text holds a NUL or a lone surrogate.

    Raises:
        InvalidInputError: the first part that is not, named by its path.
    """
    if not isinstance(value, Mapping):
        raise InvalidInputError(
            f"{field} must be a mapping, got {quote(value)}", field=field, value=value
        )
    # A path is built only for an error: it is (the parent's path, key), None at the top.
    stack: list[tuple[Mapping[Any, object] | list[object] | tuple[object, ...], _Path, int]] = [
        (value, None, 1)
    ]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _data_error(field, path, f"is nested deeper than {MAX_DEPTH} levels")
        for key, inner in _entries(item, field, path):
            if isinstance(inner, Mapping | list | tuple):
                stack.append((inner, (path, key), depth + 1))
                continue
            problem = _scalar_problem(inner)
            if problem is not None:
                raise _data_error(field, (path, key), problem)
    return dict(value)


def _entries(
    item: Mapping[Any, object] | list[object] | tuple[object, ...], field: str, path: _Path
) -> Iterable[tuple[object, object]]:
    """The (key, value) pairs of a mapping or (index, value) pairs of a list in record data."""
    if not isinstance(item, Mapping):
        return enumerate(item)
    for key in item:
        if not isinstance(key, str) or text_problem(key) is not None:
            raise _data_error(field, path, f"has a key that is not storable text: {quote(key)}")
    return item.items()


def _scalar_problem(item: object) -> str | None:
    """Why the scalar `item` cannot be stored as JSON, or None when it can."""
    if isinstance(item, str):
        return text_problem(item)
    if item is None or isinstance(item, bool | int):
        return None
    if isinstance(item, float):
        return None if math.isfinite(item) else "is not a finite number"
    return f"is not a JSON value: {quote(item)}"


_Path = tuple["_Path", object] | None


def _data_error(field: str, path: _Path, problem: str) -> InvalidInputError:
    """The error for the part of record data at `path`, named by its path."""
    keys = []
    while path is not None:
        path, key = path
        keys.append(f"[{quote(key, 40)}]" if isinstance(key, str) else f"[{key}]")
    named = field + "".join(reversed(keys))
    return InvalidInputError(f"{named} {problem}", field=field, value=named)


def check_choice(cls: type[E], value: object, field: str) -> E:
    """Return the member of the enum `cls` that `value` is or names."""
    try:
        return cls(value)
    except (ValueError, TypeError, RecursionError):  # the enum's own message may fail too
        choices = ", ".join(repr(m.value) for m in cls)
        raise InvalidInputError(
            f"{field} must be one of {choices}, got {quote(value)}", field=field, value=value
        ) from None


# Validators and converters for attrs fields, built on the checks above.


def text_field(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An attrs validator: the field holds storable, non-empty text (`check_text`)."""
    check_text(value, attribute.name)


def optional_text_field(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An attrs validator: the field holds None or storable, non-empty text."""
    if value is not None:
        text_field(instance, attribute, value)


def instant_field(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An attrs validator: the field holds an aware instant that exists in UTC."""
    check_instant(value, attribute.name)


def optional_instant_field(
    instance: object, attribute: attrs.Attribute[Any], value: object
) -> None:
    """An attrs validator: the field holds None or an aware instant that exists in UTC."""
    if value is not None:
        instant_field(instance, attribute, value)


def as_collection(value: object, field: str | None = None) -> Iterable[Any]:
    """`value`, if it is a collection other than a string.

    Raises:
        InvalidInputError: it is a string, bytes, or not iterable.
    """
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidInputError(
            f"{field or 'value'} must be a collection, got {quote(value)}", field=field, value=value
        )
    return value


def as_tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    """An attrs converter: the tuple of a collection."""
    if type(value) is tuple or type(value) is list:  # the common case, without an ABC check
        return tuple(value)
    return tuple(as_collection(value))


def as_dict(value: Mapping[Any, Any]) -> dict[Any, Any]:
    """An attrs converter: the dict of a mapping.

    Raises:
        InvalidInputError: `value` is not a mapping.
    """
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"expected a mapping, got {quote(value)}", value=value)
    return dict(value)
