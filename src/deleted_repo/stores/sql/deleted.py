"""The deleted repository of the SQL store: deletion events, their records, and the searches."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deleted_repo.errors import IntegrityError
from deleted_repo.model import (
    Actor,
    DeletedRecord,
    DeletionEvent,
    MemberRole,
    Record,
    Superseded,
)
from deleted_repo.search import Cursor, Query, Window
from deleted_repo.stores.keys import field_key, micros
from deleted_repo.stores.sql import lineages, queries
from deleted_repo.stores.sql.codec import (
    DELETED_COLUMNS,
    EVENT_AT,
    NODE_AT,
    DeletedRows,
    FieldIndex,
    SupersededRows,
    decode,
    encode,
    encode_data,
)
from deleted_repo.stores.sql.database import Database
from deleted_repo.stores.sql.queries import INSTITUTION, member
from deleted_repo.stores.sql.records import RecordTable
from deleted_repo.stores.sql.schema import deleted, deleted_field, event, lineage, superseded

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
            database, deleted, deleted_field, DELETED_COLUMNS, self._build, state="deleted"
        )

    def _build(
        self, conn: Connection, institution: str, rows: Sequence[Sequence[Any]]
    ) -> list[DeletedRecord]:
        """The deleted records of `rows`, their lineages read in one query on `conn` (D-36)."""
        chains = lineages.read(self._db, conn, institution, _starts(rows))
        return list(map(DeletedRows(chains), rows))

    def add_events(self, events: Sequence[DeletionEvent]) -> None:
        """See `deleted_repo.ports.DeletedStore.add_events`.

        A fixed number of statements, whatever the number of events and records: one
        multi-row insert per table (the lineages' links too, D-36), one query for the members
        already deleted and, when there
        are any, one statement to move them to the superseded table and two to delete them
        and their field rows (R-D6).
        """
        if not events:
            return
        rows = _Rows(self._fields.fields, events)
        db = self._db
        try:
            with db.session(write=True) as conn:
                db.insert_many(conn, event, rows.events)
                db.insert_many(conn, lineage, rows.links.rows)
                self._supersede(conn, rows.first_by)
                db.insert_many(conn, superseded, rows.replaced)
                db.insert_many(conn, deleted, list(rows.members.values()))
                db.insert_many(conn, deleted_field, [f for fs in rows.fields.values() for f in fs])
        except IntegrityError as e:
            raise self._clash(events) from e

    def _supersede(self, conn: Connection, by: dict[tuple[str, str], str]) -> None:
        """Move the deleted records among `by`'s keys to the superseded table (R-D6).

        Each is superseded by its event in `by`; keys not deleted are left alone.
        """
        db = self._db
        dialect = db.dialect
        institutions = {i for i, _ in by}
        find: sa.Executable
        if len(institutions) == 1:  # as the facade records: a plain list of ids, read faster
            (institution,) = institutions
            find = db.cached(
                ("superseded.find_ids", dialect),
                lambda: sa.select(deleted.c.institution, deleted.c.id).where(
                    deleted.c.institution == INSTITUTION, member(dialect, deleted.c.id, "ids")
                ),
            )
            ids = queries.bind_ids(dialect, (r for _, r in by))
            params = {"institution": institution, "ids": ids}
        else:
            find = db.cached("superseded.find", lambda: queries.deleted_of_triples(dialect))
            params = queries.bind_triples(dialect, ((i, r, b) for (i, r), b in by.items()))
        found = db.execute(conn, find, params).all()
        if not found:
            return
        params = queries.bind_triples(dialect, ((i, r, by[(i, r)]) for i, r in found))
        move = db.cached("superseded.move", lambda: queries.move_to_superseded(dialect))
        fields = db.cached("superseded.fields", lambda: queries.delete_fields_of_triples(dialect))
        records = db.cached(
            "superseded.records", lambda: queries.delete_deleted_of_triples(dialect)
        )
        for statement in (move, fields, records):
            db.execute(conn, statement, params)

    def _clash(self, events: Sequence[DeletionEvent]) -> IntegrityError:
        """Say which event made `add_events` fail."""
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
        return IntegrityError("a deletion event or record is already recorded")

    def get(self, institution: str, ids: Collection[str]) -> dict[str, DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.get`."""
        return self._records.get(institution, ids)

    def children(self, institution: str, parent_ids: Collection[str]) -> list[DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.children`."""
        return self._records.children(institution, parent_ids)

    def superseded(self, institution: str, ids: Collection[str]) -> dict[str, list[Superseded]]:
        """See `deleted_repo.ports.DeletedStore.superseded`.

        One query, through the superseded table's index by id.
        """
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        db = self._db
        statement = db.cached("superseded.get", lambda: queries.superseded_of(db.dialect))
        params = {"institution": institution, "ids": queries.bind_ids(db.dialect, wanted)}
        found: dict[str, list[Superseded]] = {}
        with db.session(write=False) as conn:
            rows = db.execute(conn, statement, params).all()
            build = SupersededRows(lineages.read(db, conn, institution, _starts(rows)))
            for row in rows:
                value = build(row)
                found.setdefault(value.entry.id, []).append(value)
        return {i: found[i] for i in wanted if i in found}

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
        institution = query.institution
        with db.session(write=False) as conn:
            if unindexed is None:
                return self._build(conn, institution, db.execute(conn, statement, params).all())
            name, value = unindexed
            hits: list[Any] = []
            for row in db.execute(conn, statement, params):
                if limit is not None and len(hits) >= limit:
                    break
                if decode(row.data).get(name, _ABSENT) == value:
                    hits.append(row)
            return self._build(conn, institution, hits)

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
        """See `deleted_repo.ports.DeletedStore.remove`.

        The lineages' links of an event go with its last record deleted or superseded (D-36).
        """
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return
        db = self._db
        statement = db.cached(
            ("deleted.events_of", db.dialect),
            lambda: (
                sa.select(deleted.c.event_id)
                .where(
                    deleted.c.institution == INSTITUTION, member(db.dialect, deleted.c.id, "ids")
                )
                .distinct()
            ),
        )
        params = {"institution": institution, "ids": queries.bind_ids(db.dialect, wanted)}
        with db.session(write=True) as conn:
            events = list(db.execute(conn, statement, params).scalars())
            self._records.remove_on(conn, institution, wanted)
            lineages.forget(db, conn, institution, events)


class _Rows:
    """The rows a batch of deletion events writes, events applied in their order (R-D6).

    Args:
        indexed: per kind, the indexed data fields.
        events: the batch.

    Attributes:
        events: the event rows.
        links: the links of the events' lineages (D-36).
        members: per (institution, id), the row of its latest deletion in the batch.
        fields: per (institution, id), the field rows of that deletion.
        first_by: per (institution, id), the first event of the batch deleting it: the one
            that supersedes a deletion already stored.
        replaced: the superseded table's rows of members a later event of the batch deleted
            again, in the order superseded.
    """

    def __init__(
        self, indexed: Mapping[str, tuple[str, ...]], events: Sequence[DeletionEvent]
    ) -> None:
        self._indexed = indexed
        self._seen: set[tuple[str, str]] = set()
        self.links = lineages.Links()
        self.events: list[tuple[Any, ...]] = []
        self.members: dict[tuple[str, str], tuple[Any, ...]] = {}
        self.fields: dict[tuple[str, str], list[tuple[str, str, str, str, str]]] = {}
        self.first_by: dict[tuple[str, str], str] = {}
        self.replaced: list[tuple[Any, ...]] = []
        datas = encode_data([m.record for e in events for m in e.members])
        for e in events:
            self._add(e, datas)

    def _add(self, e: DeletionEvent, datas: Iterator[str]) -> None:
        """Add the rows of `e`, superseding the batch's earlier deletions of its members.

        Raises:
            IntegrityError: the batch gives the event's id twice.
            StorageError: JSON cannot hold a member's data or the event's origins.
        """
        institution, event_id = e.institution, e.id
        if (institution, event_id) in self._seen:
            raise IntegrityError(f"deletion event {event_id!r} is already recorded")
        self._seen.add((institution, event_id))
        at = micros(e.at)
        kind, actor_id = e.actor.kind.value, e.actor.id
        self.events.append((institution, event_id, kind, actor_id, at, encode(e.origins, event_id)))
        number, members, first_by = self.links.number, self.members, self.first_by
        fields, replaced, field_rows = self.fields, self.replaced, self._field_rows
        for m in e.members:
            r = m.record
            ident = r.id
            key = (institution, ident)
            earlier = members.get(key)
            if earlier is None:
                first_by[key] = event_id
            else:
                replaced.append((*earlier, event_id))
            members[key] = (
                institution,
                ident,
                r.kind,
                r.parent_id,
                next(datas),
                _ROLE[m.role],
                m.origin_id,
                event_id,
                kind,
                actor_id,
                at,
                number(institution, event_id, m.lineage),
            )
            fields[key] = field_rows(institution, r)

    def _field_rows(self, institution: str, r: Record) -> list[tuple[str, str, str, str, str]]:
        names = self._indexed.get(r.kind)
        if not names:
            return []
        data = r.data
        return [
            (institution, r.id, name, r.kind, key)
            for name in names
            if name in data and (key := field_key(data[name])) is not None
        ]


_ROLE = {role: role.value for role in MemberRole}
"""The stored text of each role, without the enum's descriptor on every row."""


def _starts(rows: Sequence[Sequence[Any]]) -> list[lineages.Start]:
    """The (event id, first link) of the lineage of each row that has one.

    The rows are of `DELETED_COLUMNS` or `SUPERSEDED_COLUMNS`.
    """
    return [(row[EVENT_AT], row[NODE_AT]) for row in rows if row[NODE_AT] is not None]
