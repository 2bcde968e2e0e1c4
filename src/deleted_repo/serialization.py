"""JSON for every public value, through a cattrs converter the host owns.

`make_converter` returns a fresh converter; `configure_converter` adds our hooks to one the host
already has. Nothing is registered on cattrs' global converter.

Example:
    >>> from deleted_repo.model import Actor
    >>> conv = make_converter()
    >>> conv.unstructure(Actor.user("jdoe"))
    {'kind': 'user', 'id': 'jdoe'}
    >>> from_json(to_json(Actor.job("J1")), Actor) == Actor.job("J1")
    True
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, TypeVar

import cattrs
from cattrs.strategies import configure_tagged_union

from deleted_repo.errors import DeletedRepoError, InvalidInputError
from deleted_repo.search import Criteria

__all__ = ["configure_converter", "from_json", "make_converter", "to_json"]

T = TypeVar("T")


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach `converter` our values.

    Aware datetimes become ISO 8601 text, timedeltas seconds, sets sorted lists, and search
    criteria carry their class name under the tag ``"by"``.
    """
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(timedelta, timedelta.total_seconds)
    converter.register_structure_hook(timedelta, lambda v, _: timedelta(seconds=v))
    converter.register_unstructure_hook(frozenset, sorted)
    configure_tagged_union(
        Criteria,
        converter,
        tag_name="by",
        tag_generator=lambda cls: cls.__name__,
    )


def _structure_datetime(value: Any, _: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def make_converter() -> cattrs.Converter:
    """A new converter configured for our values (see `configure_converter`)."""
    converter = cattrs.Converter(forbid_extra_keys=True)
    configure_converter(converter)
    return converter


_DEFAULT = make_converter()


def to_json(value: object, converter: cattrs.Converter | None = None) -> str:
    """Serialize a public value to a JSON string (keys sorted, so equal values give equal text)."""
    return json.dumps((converter or _DEFAULT).unstructure(value), sort_keys=True)


def from_json(text: str | bytes, cls: type[T], converter: cattrs.Converter | None = None) -> T:
    """Rebuild a value of type `cls` from `to_json`'s text.

    Raises:
        InvalidInputError: the text is not JSON, or does not describe a valid `cls` (for a plan,
            `InvalidPlanError` when it is well formed but inconsistent).
    """
    try:
        return (converter or _DEFAULT).structure(json.loads(text), cls)
    except DeletedRepoError:
        raise
    except (ValueError, TypeError, KeyError, cattrs.BaseValidationError) as e:
        cause = _first_domain_error(e)
        if cause is not None:
            raise cause from e
        raise InvalidInputError(f"not a valid {cls.__name__}: {e}", field="json") from e


def _first_domain_error(error: BaseException) -> DeletedRepoError | None:
    """Our own error buried in a cattrs validation group, if any."""
    if isinstance(error, DeletedRepoError):
        return error
    for inner in getattr(error, "exceptions", ()):
        found = _first_domain_error(inner)
        if found is not None:
            return found
    return None
