"""The deleted repository of the SQL store: deletion events, their records, and the searches."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa

from deleted_repo.errors import IntegrityError
from deleted_repo.model import Actor, DeletedRecord, DeletionEvent
from deleted_repo.search import Cursor, Query, Window
from deleted_repo.stores.keys import field_key, micros
from deleted_repo.stores.sql import queries
from deleted_repo.stores.sql.codec import (
    DELETED_COLUMNS,
    DeletedRows,
    FieldIndex,
    decode,
    encode,
    encode_data,
)
from deleted_repo.stores.sql.database import Database
from deleted_repo.stores.sql.records import RecordTable
from deleted_repo.stores.sql.schema import deleted, deleted_field, event

__all__ = ["SqlDeletedStore"]

_ABSENT = object()


class SqlDeletedStore:
    """The deleted repository of a `SqlStore` (`deleted_repo.ports.DeletedStore`).

    Every search reads through an index: by id, by event, by parent, by kind and deletion time,
    by actor (through the events), and by indexed data field.

    Args:
        database: the store's database.
        fields: the store's indexed data fields.
    """

    def __init__(self, database: Database, fields: FieldIndex) -> None:
        self._db = database
        self._fields = fields
        self._records = RecordTable(
            database, deleted, deleted_field, DELETED_COLUMNS, DeletedRows, state="deleted"
        )

    def add_events(self, events: Sequence[DeletionEvent]) -> None:
        """See `deleted_repo.ports.DeletedStore.add_events`.

        One multi-row insert per table, whatever the number of events and records.
        """
        if not events:
            return
        indexed = self._fields.fields
        seen_events: set[tuple[str, str]] = set()
        seen_ids: dict[str, set[str]] = {}
        event_rows = []
        member_rows: list[tuple[Any, ...]] = []
        field_rows: list[tuple[str, str, str, str, str]] = []
        add_member, add_field = member_rows.append, field_rows.append
        # Siblings share their lineage tuple (see `DeletedRepository`): encode each once.
        lineages: dict[tuple[str, ...], str] = {(): "[]"}
        datas = encode_data([m.record for e in events for m in e.members])
        for e in events:
            institution, event_id = e.institution, e.id
            if (institution, event_id) in seen_events:
                raise IntegrityError(f"deletion event {event_id!r} is already recorded")
            seen_events.add((institution, event_id))
            seen = seen_ids.setdefault(institution, set())
            at = micros(e.at)
            kind, actor_id = e.actor.kind.value, e.actor.id
            event_rows.append(
                (institution, event_id, kind, actor_id, at, encode(e.origins, event_id))
            )
            for m in e.members:
                r = m.record
                ident = r.id
                if ident in seen:
                    raise IntegrityError(f"record {ident!r} is already deleted")
                seen.add(ident)
                lineage = m.lineage
                encoded = lineages.get(lineage)
                if encoded is None:
                    encoded = lineages[lineage] = encode(list(lineage), ident)
                add_member(
                    (
                        institution,
                        ident,
                        r.kind,
                        r.parent_id,
                        next(datas),
                        m.role.value,
                        m.origin_id,
                        encoded,
                        event_id,
                        kind,
                        actor_id,
                        at,
                    )
                )
                names = indexed.get(r.kind)
                if names:
                    data = r.data
                    for name in names:
                        if name in data and (key := field_key(data[name])) is not None:
                            add_field((institution, ident, name, r.kind, key))
        db = self._db
        try:
            with db.session(write=True) as conn:
                db.insert_many(conn, event, event_rows)
                db.insert_many(conn, deleted, member_rows)
                db.insert_many(conn, deleted_field, field_rows)
        except IntegrityError as e:
            raise self._clash(events) from e

    def _clash(self, events: Sequence[DeletionEvent]) -> IntegrityError:
        """Say which event or record made `add_events` fail."""
        db = self._db
        by_institution: dict[str, list[DeletionEvent]] = {}
        for e in events:
            by_institution.setdefault(e.institution, []).append(e)
        for institution, group in by_institution.items():
            with db.session(write=False) as conn:
                known = set(
                    db.execute(
                        conn,
                        sa.select(event.c.id).where(
                            event.c.institution == institution,
                            queries.member(db.dialect, event.c.id, "ids"),
                        ),
                        {"ids": queries.bind_ids(db.dialect, (e.id for e in group))},
                    ).scalars()
                )
            for e in group:
                if e.id in known:
                    return IntegrityError(f"deletion event {e.id!r} is already recorded")
            deleted_now = self.get(institution, [m.id for e in group for m in e.members])
            if deleted_now:
                return IntegrityError(f"record {next(iter(deleted_now))!r} is already deleted")
        return IntegrityError("a deletion event or record is already recorded")

    def get(self, institution: str, ids: Collection[str]) -> dict[str, DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.get`."""
        return self._records.get(institution, ids)

    def children(self, institution: str, parent_ids: Collection[str]) -> list[DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.children`."""
        return self._records.children(institution, parent_ids)

    def find(
        self, query: Query, *, after: Cursor | None = None, limit: int | None = None
    ) -> list[DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.find`.

        A search by a data field outside the store's `indexed_fields` reads every record of
        the kind; every other search reads only through indexes.
        """
        db = self._db
        found = queries.search(query, after, limit, db.dialect, self._fields)
        if found is None:
            return []
        shape, params, unindexed = found
        statement = db.cached(shape, lambda: queries.find(shape, db.dialect))
        build = DeletedRows()
        with db.session(write=False) as conn:
            if unindexed is None:
                return list(map(build, db.execute(conn, statement, params).all()))
            name, value = unindexed
            hits: list[DeletedRecord] = []
            for row in db.execute(conn, statement, params):
                if limit is not None and len(hits) >= limit:
                    break
                if decode(row.data).get(name, _ABSENT) == value:
                    hits.append(build(row))
            return hits

    def latest_event(self, institution: str, actor: Actor, window: Window) -> str | None:
        """See `deleted_repo.ports.DeletedStore.latest_event`."""
        db = self._db
        shape, params = queries.latest_event(institution, actor, window)
        statement = db.cached(shape, lambda: queries.latest_event_statement(shape))
        with db.session(write=False) as conn:
            found: str | None = db.execute(conn, statement, params).scalar()
        return found

    def has_actor(self, institution: str, actor: Actor) -> bool:
        """See `deleted_repo.ports.DeletedStore.has_actor`."""
        db = self._db
        statement = db.cached("has_actor", queries.has_actor)
        params = {"institution": institution, "actor_kind": actor.kind.value, "actor_id": actor.id}
        with db.session(write=False) as conn:
            return db.execute(conn, statement, params).first() is not None

    def remove(self, institution: str, ids: Collection[str]) -> None:
        """See `deleted_repo.ports.DeletedStore.remove`."""
        self._records.remove(institution, ids)
