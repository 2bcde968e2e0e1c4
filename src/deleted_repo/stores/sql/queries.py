"""The statements of the SQL store's searches, each built once per shape, values as parameters.

A statement depends only on the dialect and on which criteria are given (its shape); the
criteria's values are bound as parameters, so that `Database.cached` can keep one statement
per shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from deleted_repo.model import Actor
from deleted_repo.search import Cursor, Query, Window
from deleted_repo.stores.keys import bounds, field_key, micros
from deleted_repo.stores.sql.codec import DELETED_COLUMNS, SUPERSEDED_COLUMNS, FieldIndex
from deleted_repo.stores.sql.schema import Micros, deleted, deleted_field, event, superseded

__all__ = [
    "INSTITUTION",
    "Search",
    "bind_ids",
    "bind_triples",
    "delete_deleted_of_triples",
    "delete_fields_of_triples",
    "deleted_of_triples",
    "find",
    "has_actor",
    "latest_event",
    "latest_event_statement",
    "member",
    "move_to_superseded",
    "recursive_step",
    "search",
    "superseded_of",
    "triples",
]

INSTITUTION: sa.BindParameter[str] = sa.bindparam("institution")
"""The institution, bound as ``institution``: every statement names it."""

Search = tuple[tuple[Any, ...], dict[str, Any], tuple[str, object] | None]
"""A search's shape, its parameters, and the (field, value) left to filter in Python."""


def member(dialect: str, column: sa.ColumnElement[str], name: str) -> sa.ColumnElement[bool]:
    """`column` is one of the ids bound as `name` (see `bind_ids`): one parameter, any count."""
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(sa.String)))
    if dialect == "sqlite":
        values = sa.func.json_each(sa.bindparam(name, type_=sa.String)).table_valued("value")
        return column.in_(sa.select(values.c.value))
    return column.in_(sa.bindparam(name, expanding=True))


def recursive_step(
    dialect: str, walked: sa.CTE, found: sa.Select[*tuple[Any, ...]]
) -> sa.Select[*tuple[Any, ...]]:
    """The step of a recursive query: `found`, whose conditions name the rows `walked`.

    On PostgreSQL `found` becomes a lateral subquery the planner cannot flatten (``OFFSET 0``),
    so that each row walked is looked up through an index whatever the statistics say: with a
    table not yet analyzed, it would scan the whole table once per row walked.
    """
    if dialect != "postgresql":
        return found
    step = found.offset(sa.literal_column("0")).lateral("step")
    return sa.select(*step.c).select_from(walked).join(step, sa.true())


def bind_ids(dialect: str, values: Iterable[str]) -> object:
    """The value to bind for a `member` parameter."""
    listed = list(values)
    return json.dumps(listed) if dialect == "sqlite" else listed


def triples(dialect: str) -> sa.FromClause:
    """A table of (``institution``, ``id``, ``by``) rows bound as one value (see `bind_triples`).

    On SQLite the rows are a JSON array of arrays, on PostgreSQL three arrays side by side:
    a fixed number of parameters for any number of rows, so one statement serves every batch.
    """
    names = ("institution", "id", "by")
    if dialect == "sqlite":
        rows = sa.func.json_each(sa.bindparam("triples", type_=sa.String)).table_valued("value")
        return sa.select(
            *(sa.func.json_extract(rows.c.value, f"$[{n}]").label(c) for n, c in enumerate(names))
        ).subquery("triples")
    arrays = (sa.bindparam(f"triples_{n}", type_=postgresql.ARRAY(sa.String)) for n in range(3))
    return sa.func.unnest(*arrays).table_valued(*names).render_derived(name="triples")


def bind_triples(dialect: str, rows: Iterable[tuple[str, str, str]]) -> dict[str, object]:
    """The parameters to bind for a `triples` table of `rows`."""
    listed = list(rows)
    if dialect == "sqlite":
        return {"triples": json.dumps(listed)}
    return {f"triples_{n}": [row[n] for row in listed] for n in range(3)}


def _of_triples(
    table: sa.Table, id_column: sa.ColumnElement[str], dialect: str
) -> sa.ColumnElement[bool]:
    """The rows of `table` whose (institution, `id_column`) is in the bound `triples`."""
    t = triples(dialect)
    return sa.tuple_(table.c.institution, id_column).in_(sa.select(t.c.institution, t.c.id))


def deleted_of_triples(dialect: str) -> sa.Select[tuple[str, str]]:
    """The (institution, id) of the deleted records among the bound `triples`."""
    d = deleted
    return sa.select(d.c.institution, d.c.id).where(_of_triples(d, d.c.id, dialect))


def move_to_superseded(dialect: str) -> sa.Insert:
    """Copy the deleted records of the bound `triples` to the superseded table (R-D6).

    Each row is superseded by its triple's ``by``.
    """
    d, t = deleted, triples(dialect)
    names = [c.name for c in d.columns]
    rows = sa.select(*(d.c[n] for n in names), t.c.by).join_from(
        t, d, sa.and_(d.c.institution == t.c.institution, d.c.id == t.c.id)
    )
    return sa.insert(superseded).from_select([*names, "superseded_by"], rows)


def delete_fields_of_triples(dialect: str) -> sa.Delete:
    """Delete the deleted records' field rows of the bound `triples`."""
    f = deleted_field
    return sa.delete(f).where(_of_triples(f, f.c.record_id, dialect))


def delete_deleted_of_triples(dialect: str) -> sa.Delete:
    """Delete the deleted records of the bound `triples`."""
    return sa.delete(deleted).where(_of_triples(deleted, deleted.c.id, dialect))


def superseded_of(dialect: str) -> sa.Select[*tuple[Any, ...]]:
    """The superseded deletions of the ids bound as ``ids``, oldest first per id."""
    s = superseded
    return (
        sa.select(*SUPERSEDED_COLUMNS)
        .where(s.c.institution == INSTITUTION, member(dialect, s.c.id, "ids"))
        .order_by(s.c.id, s.c.seq)
    )


def search(
    query: Query, after: Cursor | None, limit: int | None, dialect: str, fields: FieldIndex
) -> Search | None:
    """The shape (for `find`) and parameters of `query`; None when nothing can match."""
    lo, hi = bounds(query.window)
    actor_kind = query.actor.kind if query.actor is not None else query.actor_kind
    params: dict[str, Any] = {
        "institution": query.institution,
        "kind": query.kind,
        "lo": lo,
        "hi": hi,
        "actor_kind": None if actor_kind is None else actor_kind.value,
        "actor_id": None if query.actor is None else query.actor.id,
    }
    for name, wanted in (("ids", query.ids), ("event_ids", query.event_ids)):
        if wanted is not None:
            if not wanted:
                return None
            params[name] = bind_ids(dialect, sorted(wanted))
    unindexed: tuple[str, object] | None = None
    indexed = False
    if query.field is not None:
        name, value = query.field
        key = field_key(value)
        if key is None:
            return None
        if fields.holds(query.kind, name):
            indexed = True
            params["field"], params["value"] = name, key
        else:
            unindexed = (name, value)
    if after is not None:
        params["after_at"], params["after_id"] = micros(after[0]), after[1]
    if limit is not None and unindexed is None:
        params["limit"] = limit
    shape = (
        "deleted.find",
        *(name in params for name in ("ids", "event_ids", "after_at", "limit")),
        actor_kind is not None,
        query.actor is not None,
        indexed,
        lo is not None,
        hi is not None,
    )
    return shape, {k: v for k, v in params.items() if v is not None}, unindexed


def find(shape: tuple[Any, ...], dialect: str) -> sa.Select[*tuple[Any, ...]]:
    """The search statement of `shape` (see `search`), with its values as parameters."""
    _, ids, event_ids, after, limit, by_kind, by_actor, field, lo, hi = shape
    d = deleted
    narrow: list[sa.ColumnElement[bool]] = [d.c.institution == INSTITUTION]
    if ids:
        narrow.append(member(dialect, d.c.id, "ids"))
    if event_ids:
        narrow.append(member(dialect, d.c.event_id, "event_ids"))
    if by_kind:
        narrow.append(d.c.actor_kind == sa.bindparam("actor_kind"))
        if by_actor:
            narrow.append(d.c.actor_id == sa.bindparam("actor_id"))
        if not ids and not event_ids:
            # Through the events' actor index: the records of those events are few.
            narrow.append(d.c.event_id.in_(_events_of(by_actor=by_actor, lo=lo, hi=hi)))
    if field:
        f = deleted_field
        holders = sa.select(f.c.record_id).where(
            f.c.institution == INSTITUTION,
            f.c.kind == sa.bindparam("kind"),
            f.c.field == sa.bindparam("field"),
            f.c.value == sa.bindparam("value"),
        )
        narrow.append(d.c.id.in_(holders))
    kind: sa.ColumnElement[str] = d.c.kind
    at: sa.ColumnElement[int] = d.c.deleted_at
    if len(narrow) > 1:
        # The conditions above find few rows through their own index: keep SQLite's planner
        # from walking the kind's timeline instead, with its documented no-op expressions.
        kind = kind.concat(sa.literal_column("''"))
        at = at + sa.literal_column("0")
    conditions = [*narrow, kind == sa.bindparam("kind")]
    if lo:
        conditions.append(at >= sa.bindparam("lo", type_=Micros))
    if hi:
        conditions.append(at <= sa.bindparam("hi", type_=Micros))
    if after:
        last = sa.bindparam("after_at", type_=Micros)
        conditions.append(at <= last)
        conditions.append(sa.or_(at < last, d.c.id > sa.bindparam("after_id")))
    statement = sa.select(*DELETED_COLUMNS).where(*conditions).order_by(at.desc(), d.c.id)
    if limit:
        statement = statement.limit(sa.bindparam("limit", type_=sa.Integer))
    return statement


def _at_within(
    column: sa.ColumnElement[int], *, lo: bool, hi: bool
) -> list[sa.ColumnElement[bool]]:
    """`column` inside the window bound as ``lo`` and ``hi`` (each only where given)."""
    conditions = []
    if lo:
        conditions.append(column >= sa.bindparam("lo", type_=Micros))
    if hi:
        conditions.append(column <= sa.bindparam("hi", type_=Micros))
    return conditions


def _of_actor(*, by_actor: bool) -> list[sa.ColumnElement[bool]]:
    """Events of the institution and the actor kind (and the actor itself, if `by_actor`)."""
    e = event
    conditions = [e.c.institution == INSTITUTION, e.c.actor_kind == sa.bindparam("actor_kind")]
    if by_actor:
        conditions.append(e.c.actor_id == sa.bindparam("actor_id"))
    return conditions


def _events_of(*, by_actor: bool, lo: bool, hi: bool) -> sa.Select[tuple[str]]:
    """The ids of the events of the query's actor (or actor kind) inside its window."""
    conditions = [*_of_actor(by_actor=by_actor), *_at_within(event.c.at, lo=lo, hi=hi)]
    return sa.select(event.c.id).where(*conditions)


def latest_event(
    institution: str, actor: Actor, window: Window
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The shape and parameters of the search for `actor`'s latest event with records left."""
    lo, hi = bounds(window)
    params: dict[str, Any] = {
        "institution": institution,
        "actor_kind": actor.kind.value,
        "actor_id": actor.id,
    }
    params.update({k: v for k, v in (("lo", lo), ("hi", hi)) if v is not None})
    return ("latest_event", lo is not None, hi is not None), params


def latest_event_statement(shape: tuple[Any, ...]) -> sa.Select[tuple[str]]:
    """The statement of a `latest_event` shape."""
    _, lo, hi = shape
    e, d = event, deleted
    conditions = [
        *_of_actor(by_actor=True),
        sa.exists().where(d.c.institution == e.c.institution, d.c.event_id == e.c.id),
        *_at_within(e.c.at, lo=lo, hi=hi),
    ]
    return sa.select(e.c.id).where(*conditions).order_by(e.c.at.desc(), e.c.seq.desc()).limit(1)


def has_actor() -> sa.Select[int]:
    """Whether the institution has an event of the actor bound as ``actor_kind``, ``actor_id``."""
    return sa.select(sa.literal(1)).where(*_of_actor(by_actor=True)).limit(1)
