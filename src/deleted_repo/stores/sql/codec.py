"""The row codec of the SQL store: rows to and from records, deleted records and restore jobs.

JSON goes through the standard library's public API: one `json.JSONEncoder` made once (a
`json.dumps` with options builds an encoder per call, which costs more than encoding a small
record), used a batch of records at a time (`encode_data`), and one `json.JSONDecoder`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from deleted_repo.errors import StorageError
from deleted_repo.jobs import RestoreJob
from deleted_repo.lineage import EMPTY, Lineage
from deleted_repo.model import Actor, ActorKind, DeletedRecord, MemberRole, Record, Superseded
from deleted_repo.serialization import make_converter
from deleted_repo.stores.keys import field_key, instant
from deleted_repo.stores.sql.schema import catalog, deleted, superseded

__all__ = [
    "CATALOG_COLUMNS",
    "DELETED_COLUMNS",
    "EVENT_AT",
    "NODE_AT",
    "SUPERSEDED_COLUMNS",
    "DeletedRows",
    "FieldIndex",
    "SupersededRows",
    "decode",
    "encode",
    "encode_data",
    "job_body",
    "job_of",
    "raw_json",
    "record_of",
]


def _not_json(value: object) -> object:
    raise TypeError(f"{type(value).__name__} is not JSON")


_encoder = json.JSONEncoder(ensure_ascii=False, check_circular=False, default=_not_json)
_decoder = json.JSONDecoder()


def encode(value: object, ident: str) -> str:
    """`value` as JSON text, to store as part of the record (or event) `ident`.

    Raises:
        StorageError: JSON cannot hold `value` (a set, a nesting too deep, ...).
    """
    try:
        return _encoder.encode(value)
    except (TypeError, ValueError, RecursionError) as e:
        raise StorageError(f"the data of {ident!r} cannot be stored as JSON: {e}") from e


def encode_data(records: Sequence[Record]) -> Iterator[str]:
    """The data of each of `records` as JSON text (see `encode`), in their order.

    The data of all are encoded in one call, then cut apart: one call costs about what
    encoding a small record does. The cut is at each "}, {" (data are dicts, which begin and
    end so); where a value holds that text too, the pieces do not count one per record, and
    each record's data is encoded on its own, as the iterator reaches it.

    Raises:
        StorageError: when the iterator reaches a record whose data JSON cannot hold.
    """
    if len(records) > 1:
        try:
            text = _encoder.encode([r.data for r in records])
        except (TypeError, ValueError, RecursionError):
            pass  # each on its own below, to fail at the record that fails
        else:
            pieces = text[2:-2].split("}, {")
            if len(pieces) == len(records):
                return iter(["{" + piece + "}" for piece in pieces])
    return (encode(r.data, r.id) for r in records)


def decode(value: Any) -> Any:
    """A JSON column's value, as `json.loads` gives it; psycopg gives it decoded already."""
    if not isinstance(value, str):
        return value
    try:
        decoded, end = _decoder.raw_decode(value)
    except json.JSONDecodeError:
        end = -1
    # What we wrote starts with the value itself; anything else takes json.loads' path.
    return decoded if end == len(value) else json.loads(value)


def raw_json(column: sa.Column[Any]) -> sa.ColumnElement[Any]:
    """A JSON column read as the driver gives it: `decode` decodes it, faster than SQLAlchemy."""
    return sa.type_coerce(column, sa.String).label(column.name)


CATALOG_COLUMNS = (catalog.c.kind, catalog.c.id, catalog.c.parent_id, raw_json(catalog.c.data))
"""The columns `record_of` reads, in its order."""


def _deleted_columns(table: sa.Table) -> tuple[sa.ColumnElement[Any], ...]:
    c = table.c
    return (
        c.id,
        c.kind,
        c.parent_id,
        raw_json(c.data),
        c.role,
        c.origin_id,
        c.lineage_node,
        c.event_id,
        c.institution,
        c.actor_kind,
        c.actor_id,
        c.deleted_at,
    )


DELETED_COLUMNS = _deleted_columns(deleted)
"""The columns `DeletedRows` reads, in its order."""

EVENT_AT, NODE_AT = 7, 6
"""Where a row of `DELETED_COLUMNS` (or `SUPERSEDED_COLUMNS`) holds its event id and the
first link of its lineage (`deleted_repo.stores.sql.lineages`)."""

SUPERSEDED_COLUMNS = (*_deleted_columns(superseded), superseded.c.superseded_by)
"""The columns `SupersededRows` reads, in its order: the deleted record's, then the event
that superseded it."""

_ROLES = {role.value: role for role in MemberRole}


def record_of(row: Sequence[Any]) -> Record:
    """The active record of a row of `CATALOG_COLUMNS`."""
    kind, ident, parent, data = row
    return Record.trusted(kind, ident, parent, decode(data))  # written by us, checked then (D-52)


class DeletedRows:
    """Builds `DeletedRecord` values from rows of `DELETED_COLUMNS`.

    One builder serves one result: equal actors and times are built once and shared.

    Args:
        lineages: the lineage of each (event id, first link) the rows name, read beforehand
            (`deleted_repo.stores.sql.lineages.read`).
    """

    def __init__(self, lineages: Mapping[tuple[str, int], Lineage]) -> None:
        self.actors: dict[tuple[str, str], Actor] = {}
        self.instants: dict[int, datetime] = {}
        self.lineages = lineages

    def __call__(self, row: Sequence[Any]) -> DeletedRecord:
        """The deleted record of `row`."""
        (ident, kind, parent, data, role, origin, node, event, inst, a_kind, a_id, at) = row
        actor = self.actors.get((a_kind, a_id))
        if actor is None:
            actor = self.actors[(a_kind, a_id)] = Actor(ActorKind(a_kind), a_id)
        moment = self.instants.get(at)
        if moment is None:
            moment = self.instants[at] = instant(at)
        chain = EMPTY if node is None else self.lineages[(event, node)]
        return DeletedRecord(
            record=Record.trusted(kind, ident, parent, decode(data)),  # checked on write (D-52)
            role=_ROLES[role],
            origin_id=origin,
            lineage=chain,
            event_id=event,
            institution=inst,
            actor=actor,
            deleted_at=moment,
        )


class SupersededRows:
    """Builds `Superseded` values from rows of `SUPERSEDED_COLUMNS`, sharing as `DeletedRows`.

    Args:
        lineages: as for `DeletedRows`.
    """

    def __init__(self, lineages: Mapping[tuple[str, int], Lineage]) -> None:
        self._entries = DeletedRows(lineages)

    def __call__(self, row: Sequence[Any]) -> Superseded:
        """The superseded deletion of `row`."""
        return Superseded(entry=self._entries(row[:-1]), by=row[-1])


_converter = make_converter()


def job_body(job: RestoreJob) -> Any:
    """The JSON body a restore job is stored as."""
    return _converter.unstructure(job)


def job_of(body: Any) -> RestoreJob:
    """The restore job of a stored body (see `job_body`)."""
    return _converter.structure(body, RestoreJob)


class FieldIndex:
    """Which data fields of which kinds are in the field tables, and their rows.

    Args:
        fields: per kind, the names of the indexed data fields.

    Attributes:
        fields: per kind, the indexed data fields, each once, in the order given.
    """

    def __init__(self, fields: Mapping[str, Sequence[str]]) -> None:
        self.fields: dict[str, tuple[str, ...]] = {}
        self.set(fields)

    def set(self, fields: Mapping[str, Sequence[str]]) -> None:
        """Index `fields` (per kind) from now on, instead of the fields indexed so far."""
        self.fields = {kind: tuple(dict.fromkeys(names)) for kind, names in fields.items()}

    def holds(self, kind: str, field: str) -> bool:
        """Whether `field` of `kind` records is in the field index."""
        return field in self.fields.get(kind, ())

    def rows(self, institution: str, record: Record) -> list[tuple[str, str, str, str, str]]:
        """The field-index rows of `record`, in the column order of the field tables."""
        names = self.fields.get(record.kind)
        if not names:
            return []
        rows = []
        data = record.data
        for name in names:
            if name in data:
                key = field_key(data[name])
                if key is not None:
                    rows.append((institution, record.id, name, record.kind, key))
        return rows
