"""Set-based restores of the SQL store: `deleted_repo.ports.SetRestores` (D-53).

A restore's freshness check compares each planned record with its deleted row as stored: one
query reads the rows of the batch's ids as raw columns (no `Record` or `DeletedRecord` is
built), and a row is "as planned" when its event, kind, parent and decoded data equal the plan's,
the same equality as `Record.__eq__`. The restore then moves the rows with one
``INSERT ... SELECT`` into the catalog and deletes them from the deleted tables, in the
caller's transaction. The rules stay in `deleted_repo.restoring`: the store only answers these
two set-based calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deleted_repo.errors import IntegrityError, RecordNotFoundError
from deleted_repo.model import Record
from deleted_repo.stores.keys import instant
from deleted_repo.stores.sql import lineages
from deleted_repo.stores.sql.codec import FieldIndex, decode, raw_json
from deleted_repo.stores.sql.database import Database
from deleted_repo.stores.sql.queries import (
    INSTITUTION,
    bind_ids,
    bind_triples,
    member,
    recursive_step,
    triples,
)
from deleted_repo.stores.sql.schema import catalog, catalog_field, deleted, deleted_field

__all__ = ["SqlRestores"]


def _below(dialect: str) -> sa.Select[tuple[Any, ...]]:
    """The deleted records below the bound `triples` (institution, id, event), in their events.

    Each is in its parent's event: the first level, then a recursion on (id, event). The rows
    are read as the recursion finds them, each once (``UNION``), so that a loop ends; the data
    as text, which PostgreSQL can compare where it cannot compare ``json``.
    """
    d, t = deleted.c, triples(dialect)
    data = sa.cast(d.data, sa.Text) if dialect == "postgresql" else raw_json(deleted.c.data)
    columns = (d.id, d.kind, d.parent_id, data.label("data"), d.event_id, d.deleted_at)
    first = sa.select(*columns).where(
        d.institution == INSTITUTION,
        sa.tuple_(d.parent_id, d.event_id).in_(sa.select(t.c.id, t.c.by)),
    )
    below = first.cte("below", recursive=True)
    found = sa.select(*columns).where(
        d.institution == INSTITUTION, d.parent_id == below.c.id, d.event_id == below.c.event_id
    )
    below = below.union(recursive_step(dialect, below, found))
    return sa.select(*below.c)


def _rows_of() -> sa.Select[tuple[Any, ...]]:
    c = deleted.c
    return sa.select(c.id, c.event_id, c.kind, c.parent_id, raw_json(c.data), c.deleted_at).where(
        c.institution == INSTITUTION
    )


class SqlRestores:
    """The set-based restore calls of a `SqlStore` (`deleted_repo.ports.SetRestores`).

    Args:
        database: the store's database.
        fields: the store's indexed data fields.
    """

    def __init__(self, database: Database, fields: FieldIndex) -> None:
        self._db = database
        self._fields = fields

    def deleted_as_planned(
        self, institution: str, planned: Sequence[tuple[Record, str]]
    ) -> dict[str, datetime]:
        """See `deleted_repo.ports.SetRestores.deleted_as_planned`."""
        if not planned:
            return {}
        db = self._db
        statement = db.cached(
            ("set_restores", "rows"),
            lambda: _rows_of().where(member(db.dialect, deleted.c.id, "ids")),
        )
        params = {
            "institution": institution,
            "ids": bind_ids(db.dialect, dict.fromkeys(r.id for r, _ in planned)),
        }
        with db.session(write=False) as conn:
            rows = {row[0]: row for row in db.execute(conn, statement, params).all()}
        found: dict[str, datetime] = {}
        instants: dict[int, datetime] = {}  # an event's records share their time
        for record, event_id in planned:
            row = rows.get(record.id)
            if (
                row is not None
                and row[1] == event_id
                and row[2] == record.kind
                and row[3] == record.parent_id
                and decode(row[4]) == record.data
            ):
                at = row[5]
                moment = instants.get(at)
                if moment is None:
                    moment = instants[at] = instant(at)
                found[record.id] = moment
        return found

    def deleted_below(
        self, institution: str, roots: Mapping[str, str]
    ) -> list[tuple[Record, str, datetime]]:
        """See `deleted_repo.ports.SetRestores.deleted_below`: one recursive query (D-59)."""
        if not roots:
            return []
        db = self._db
        statement = db.cached(("set_restores", "below", db.dialect), lambda: _below(db.dialect))
        params = {
            "institution": institution,
            **bind_triples(db.dialect, ((institution, i, e) for i, e in roots.items())),
        }
        with db.session(write=False) as conn:
            rows = db.execute(conn, statement, params).all()
        instants: dict[int, datetime] = {}
        found = []
        for ident, kind, parent, data, event_id, at in rows:
            moment = instants.get(at)
            if moment is None:
                moment = instants[at] = instant(at)
            # Read back from our own rows, checked when written (D-52).
            found.append((Record.trusted(kind, ident, parent, decode(data)), event_id, moment))
        return found

    def restore_deleted(self, institution: str, records: Sequence[Record]) -> None:
        """See `deleted_repo.ports.SetRestores.restore_deleted`."""
        if not records:
            return
        ids = list(dict.fromkeys(r.id for r in records))
        if len(ids) != len(records):
            raise IntegrityError("a record is given twice")
        db = self._db
        dialect = db.dialect
        copy = db.cached(
            ("set_restores", "copy"),
            lambda: sa.insert(catalog).from_select(
                ["institution", "id", "kind", "parent_id", "data"],
                sa.select(
                    deleted.c.institution,
                    deleted.c.id,
                    deleted.c.kind,
                    deleted.c.parent_id,
                    deleted.c.data,
                ).where(deleted.c.institution == INSTITUTION, member(dialect, deleted.c.id, "ids")),
            ),
        )
        drop_fields = db.cached(
            ("set_restores", "drop_fields"),
            lambda: sa.delete(deleted_field).where(
                deleted_field.c.institution == INSTITUTION,
                member(dialect, deleted_field.c.record_id, "ids"),
            ),
        )
        drop = db.cached(
            ("set_restores", "drop"),
            lambda: sa.delete(deleted).where(
                deleted.c.institution == INSTITUTION, member(dialect, deleted.c.id, "ids")
            ),
        )
        params = {"institution": institution, "ids": bind_ids(dialect, ids)}
        # The catalog's field rows come from the records, as `SqlCatalog.add` makes them: the
        # deleted rows' index may predate a change of the indexed fields.
        fields = [row for r in records for row in self._fields.rows(institution, r)]
        with db.session(write=True) as conn:
            # Each id's event, not counted per event in SQL: SQLite would read the event index
            # whole to group by it.
            events = db.execute(conn, self._events_of(), params).scalars().all()
            if len(events) != len(ids):
                raise RecordNotFoundError(self._missing(conn, institution, ids), state="deleted")
            db.execute(conn, copy, params)
            db.insert_many(conn, catalog_field, fields)
            db.execute(conn, drop_fields, params)
            db.execute(conn, drop, params)
            # As `SqlDeletedStore.remove`: an event's links go with its last record (D-36).
            lineages.forget(db, conn, institution, events)

    def _ids_in(self, *columns: sa.ColumnElement[Any]) -> sa.Select[Any]:
        """The `columns` of the deleted records of the ids bound as ``ids``."""
        c = deleted.c
        return sa.select(*columns).where(
            c.institution == INSTITUTION, member(self._db.dialect, c.id, "ids")
        )

    def _events_of(self) -> sa.Select[tuple[str]]:
        """The event of each deleted record of the ids bound as ``ids``."""
        return self._db.cached(("set_restores", "events"), lambda: self._ids_in(deleted.c.event_id))

    def _missing(self, conn: Connection, institution: str, ids: list[str]) -> list[str]:
        """Those of `ids` that are not deleted."""
        db = self._db
        params = {"institution": institution, "ids": bind_ids(db.dialect, ids)}
        there = set(db.execute(conn, self._ids_in(deleted.c.id), params).scalars())
        return [i for i in ids if i not in there]
