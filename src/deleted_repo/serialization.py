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
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar, get_args, get_origin, overload

import cattrs
from cattrs.strategies import configure_tagged_union

from deleted_repo.errors import DeletedRepoError, InvalidInputError, quote
from deleted_repo.lineage import Lineage
from deleted_repo.search import Criteria

__all__ = ["configure_converter", "from_json", "make_converter", "to_json"]

T = TypeVar("T")


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach `converter` our values.

    Aware datetimes become ISO 8601 text, timedeltas seconds, sets and lineages lists (sets
    sorted), and search criteria carry their class name under the tag ``"by"``. Reading back
    is strict: a string is not read as a number, a flag or a list of characters.
    """
    for scalar in (str, int, bool):
        converter.register_structure_hook(scalar, _strict_scalar)
    converter.register_structure_hook_func(
        _is_collection, lambda value, cls: _structure_collection(converter, value, cls)
    )
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(timedelta, timedelta.total_seconds)
    converter.register_structure_hook(timedelta, lambda v, _: timedelta(seconds=v))
    converter.register_unstructure_hook_func(_is_frozenset, sorted)
    converter.register_unstructure_hook(Lineage, list)
    converter.register_structure_hook(
        Lineage, lambda value, _: Lineage(_structure_collection(converter, value, tuple[str, ...]))
    )
    configure_tagged_union(
        Criteria,
        converter,
        tag_name="by",
        tag_generator=lambda cls: cls.__name__,
    )
    for member in get_args(Criteria):
        _tag_member(converter, member)


def _is_frozenset(cls: Any) -> bool:
    return cls is frozenset or get_origin(cls) is frozenset


def _strict_scalar(value: Any, cls: type) -> Any:
    if not isinstance(value, cls) or (cls is int and isinstance(value, bool)):
        raise InvalidInputError(f"expected a {cls.__name__}, got {quote(value)}", value=value)
    return value


def _is_collection(cls: Any) -> bool:
    args = get_args(cls)
    return get_origin(cls) is frozenset or (
        get_origin(cls) is tuple and len(args) == 2 and args[1] is Ellipsis
    )


def _structure_collection(converter: cattrs.Converter, value: Any, cls: Any) -> Any:
    if not isinstance(value, list | tuple | set | frozenset):
        raise InvalidInputError(f"expected a list, got {quote(value)}", value=value)
    item = get_args(cls)[0]
    return get_origin(cls)(converter.structure(v, item) for v in value)


def _tag_member(converter: cattrs.Converter, cls: type) -> None:
    """Make a criterion carry its tag on its own too, so its JSON reads back as `Criteria`."""
    unstructure = converter.get_unstructure_hook(cls)
    structure = converter.get_structure_hook(cls)
    tag = cls.__name__

    def unstructure_tagged(value: Any) -> Any:
        return {**unstructure(value), "by": tag}

    def structure_tagged(value: Any, target: Any) -> Any:
        if isinstance(value, Mapping) and "by" in value:
            value = dict(value)
            if value.pop("by") != tag:
                raise InvalidInputError(f"not a {tag}: {quote(value)}", field="by", value=value)
        return structure(value, target)

    converter.register_unstructure_hook(cls, unstructure_tagged)
    converter.register_structure_hook(cls, structure_tagged)


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
_TAGS = [member.__name__ for member in get_args(Criteria)]


def to_json(value: object, converter: cattrs.Converter | None = None) -> str:
    """Serialize a public value to a JSON string (keys sorted, so equal values give equal text)."""
    return json.dumps((converter or _DEFAULT).unstructure(value), sort_keys=True)


@overload
def from_json(text: str | bytes, cls: type[T], converter: cattrs.Converter | None = None) -> T: ...


@overload
def from_json(text: str | bytes, cls: object, converter: cattrs.Converter | None = None) -> Any: ...


def from_json(text: str | bytes, cls: Any, converter: cattrs.Converter | None = None) -> Any:
    """Rebuild a value of type `cls` from `to_json`'s text.

    `cls` may also be a union such as `Criteria` (the result is then typed `Any`).

    Raises:
        InvalidInputError: the text is not JSON, or does not describe a valid `cls`, naming
            the fields at fault (for a plan, `InvalidPlanError` when it is well formed but
            inconsistent).
    """
    try:
        return (converter or _DEFAULT).structure(json.loads(text), cls)
    except DeletedRepoError:
        raise
    except RecursionError as e:
        raise InvalidInputError("the JSON is nested too deeply to read", field="json") from e
    except (ValueError, TypeError, KeyError, AttributeError, cattrs.BaseValidationError) as e:
        cause = _first_domain_error(e)
        if cause is not None:
            raise cause from e
        name = "criterion" if cls == Criteria else getattr(cls, "__name__", "value")
        faults = _faults(e)
        if isinstance(e, KeyError) and cls == Criteria:
            faults = [f'unknown criterion {e} under "by"; known: {", ".join(_TAGS)}']
        detail = "; ".join(faults) if faults else str(e)
        detail = detail if len(detail) <= 300 else f"{detail[:300]}..."
        raise InvalidInputError(f"not a valid {name}: {detail}", field="json") from e


def _faults(error: BaseException) -> list[str]:
    """What cattrs found wrong, each with the path of the field at fault ("@ $.id")."""
    if not isinstance(error, cattrs.BaseValidationError):
        return []
    try:
        return list(cattrs.transform_error(error))
    except Exception:  # a message is all that is lost
        return []


def _first_domain_error(error: BaseException) -> DeletedRepoError | None:
    """Our own error buried in a cattrs validation group, if any."""
    if isinstance(error, DeletedRepoError):
        return error
    for inner in getattr(error, "exceptions", ()):
        found = _first_domain_error(inner)
        if found is not None:
            return found
    return None
