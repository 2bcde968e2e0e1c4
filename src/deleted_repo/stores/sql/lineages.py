"""The lineages of the SQL store: each event's chains of ancestors as shared links (D-36).

A `Lineage` shares its tail with its parent's; the store keeps that sharing. Each event's
lineages are written as links, (``node``, ``id``, ``up``), numbered within the event, one per
distinct (id, rest of the chain) pair: a chain of n nested records takes n links, not n squared
ids. A deleted (or superseded) record names the first link of its lineage. Reading rebuilds
the lineages of a batch of records with one recursive query over the links they reach.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from deleted_repo.errors import StorageError
from deleted_repo.lineage import EMPTY, Lineage
from deleted_repo.stores.sql.database import Database
from deleted_repo.stores.sql.queries import INSTITUTION, bind_ids, member, recursive_step
from deleted_repo.stores.sql.schema import deleted, lineage, superseded

__all__ = ["Links", "Start", "forget", "read"]

Start = tuple[str, int]
"""An event id and the number of a link of its lineages."""


class Links:
    """Numbers the links of the lineages of a batch of events, and keeps their rows.

    Within an event, equal chains get one number, whether the `Lineage` values share their
    links or were built apart (from tuples): the rows are as many as the distinct links.

    Attributes:
        rows: the link rows, (institution, event id, node, id, up), each after its ``up``.
    """

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, int, str, int | None]] = []
        self._event: tuple[str, str] | None = None
        self._numbers: dict[int, int] = {}  # id() of a link of a lineage given: its number
        self._kept: list[Lineage] = []  # the lineages numbered, kept alive for their id()
        self._links: dict[tuple[str, int | None], int] = {}

    def number(self, institution: str, event_id: str, chain: Lineage) -> int | None:
        """The number of `chain`'s first link in the event (None for an empty chain)."""
        if (institution, event_id) != self._event:
            self._event = (institution, event_id)
            self._numbers, self._links, self._kept = {}, {}, []
        if not chain:
            return None
        numbers = self._numbers
        path: list[Lineage] = []
        node = chain
        while node and id(node) not in numbers:
            path.append(node)
            node = node.rest
        up = numbers[id(node)] if node else None
        links, rows = self._links, self.rows
        for link in reversed(path):
            head = link[0]
            found = links.get((head, up))
            if found is None:
                found = links[(head, up)] = len(links) + 1
                rows.append((institution, event_id, found, head, up))
            numbers[id(link)] = found
            up = found
        self._kept.append(chain)
        return up


def _starts(dialect: str) -> sa.FromClause:
    """A table of (``event_id``, ``node``) rows bound as one value (see `_bind_starts`)."""
    if dialect == "sqlite":
        rows = sa.func.json_each(sa.bindparam("starts", type_=sa.String)).table_valued("value")
        return sa.select(
            sa.func.json_extract(rows.c.value, "$[0]").label("event_id"),
            sa.func.json_extract(rows.c.value, "$[1]").label("node"),
        ).subquery("starts")
    events = sa.bindparam("start_events", type_=postgresql.ARRAY(sa.String))
    nodes = sa.bindparam("start_nodes", type_=postgresql.ARRAY(sa.Integer))
    return (
        sa.func.unnest(events, nodes).table_valued("event_id", "node").render_derived(name="starts")
    )


def _bind_starts(dialect: str, starts: Sequence[Start]) -> dict[str, object]:
    if dialect == "sqlite":
        return {"starts": json.dumps(starts)}
    return {"start_events": [e for e, _ in starts], "start_nodes": [n for _, n in starts]}


def _reach(dialect: str) -> sa.Select[tuple[str, int, str, int | None]]:
    """The links reached from the bound starts, each once: one recursive query."""
    t, starts = lineage, _starts(dialect)
    columns = (t.c.event_id, t.c.node, t.c.id, t.c.up)
    first = sa.select(*columns).where(
        t.c.institution == INSTITUTION,
        sa.tuple_(t.c.event_id, t.c.node).in_(sa.select(starts.c.event_id, starts.c.node)),
    )
    reached = first.cte("reached", recursive=True)
    above = sa.select(*columns).where(
        t.c.institution == INSTITUTION,
        t.c.event_id == reached.c.event_id,
        t.c.node == reached.c.up,
    )
    reached = reached.union(recursive_step(dialect, reached, above))
    return sa.select(reached.c.event_id, reached.c.node, reached.c.id, reached.c.up)


def read(
    db: Database, conn: Connection, institution: str, starts: Iterable[Start]
) -> dict[Start, Lineage]:
    """The lineage that starts at each of `starts`: one query, none when there is no start.

    Raises:
        StorageError: a link is missing or loops (the tables were changed by hand).
    """
    wanted = list(dict.fromkeys(starts))
    if not wanted:
        return {}
    statement = db.cached(("lineage.read", db.dialect), lambda: _reach(db.dialect))
    params = {"institution": institution, **_bind_starts(db.dialect, wanted)}
    links: dict[Start, tuple[str, int | None]] = {
        (event_id, node): (ident, up)
        for event_id, node, ident, up in db.execute(conn, statement, params)
    }
    built: dict[Start, Lineage] = {}
    for start in wanted:
        path: list[tuple[Start, str]] = []
        key: Start | None = start
        while key is not None and key not in built:
            link = links.get(key)
            if link is None or len(path) > len(links):
                raise StorageError(f"the lineage link {key!r} is missing or loops")
            ident, up = link
            path.append((key, ident))
            key = None if up is None else (key[0], up)
        chain = EMPTY if key is None else built[key]
        for at, ident in reversed(path):
            chain = built[at] = chain.prepend(ident)
    return built


def _forget(dialect: str) -> sa.Delete:
    t = lineage
    return sa.delete(t).where(
        t.c.institution == INSTITUTION,
        member(dialect, t.c.event_id, "ids"),
        ~sa.exists().where(
            deleted.c.institution == t.c.institution, deleted.c.event_id == t.c.event_id
        ),
        ~sa.exists().where(
            superseded.c.institution == t.c.institution, superseded.c.event_id == t.c.event_id
        ),
    )


def forget(db: Database, conn: Connection, institution: str, event_ids: Iterable[str]) -> None:
    """Delete the links of those of `event_ids` with no record left deleted or superseded."""
    ids = list(dict.fromkeys(event_ids))
    if ids:
        statement = db.cached(("lineage.forget", db.dialect), lambda: _forget(db.dialect))
        db.execute(conn, statement, {"institution": institution, "ids": bind_ids(db.dialect, ids)})
