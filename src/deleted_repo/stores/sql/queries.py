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
from deleted_repo.stores.sql.codec import DELETED_COLUMNS, FieldIndex
from deleted_repo.stores.sql.schema import Micros, deleted, deleted_field, event

__all__ = [
    "INSTITUTION",
    "Search",
    "bind_ids",
    "find",
    "has_actor",
    "latest_event",
    "latest_event_statement",
    "member",
    "search",
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


def bind_ids(dialect: str, values: Iterable[str]) -> object:
    """The value to bind for a `member` parameter."""
    listed = list(values)
    return json.dumps(listed) if dialect == "sqlite" else listed


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
