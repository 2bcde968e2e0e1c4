"""The lineages of the SQL store: each event's chains of ancestors as shared links (D-36).

A `Lineage` shares its tail with its parent's; the store keeps that sharing. Each event's
lineages are written as links, (``node``, ``id``, ``up``), numbered within the event, one per
distinct (id, rest of the chain) pair: a chain of n nested records takes n links, not n squared
ids. A deleted (or superseded) record names the first link of its lineage. Reading rebuilds
the lineages of a batch of records with one query over the first links they reach, and one
recursive query for the rest of the lineages that are longer.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from deleted_repo.errors import StorageError
from deleted_repo.lineage import EMPTY, Lineage
from deleted_repo.stores.sql.database import Database
from deleted_repo.stores.sql.queries import INSTITUTION, bind_ids, member, recursive_step
from deleted_repo.stores.sql.schema import deleted, event, lineage, superseded

__all__ = ["NEAR", "Links", "Start", "forget", "read"]

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
        current = self._event
        if current is None or current[1] != event_id or current[0] != institution:
            self._event = (institution, event_id)
            self._numbers, self._links, self._kept = {}, {}, []
        if not chain:
            return None
        numbers = self._numbers
        known = numbers.get(id(chain))
        if known is not None:  # a chain shared with an earlier record (siblings'): kept already
            return known
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


NEAR = 3
"""How many links of each lineage the first query reads, without recursion."""


def _near(dialect: str) -> sa.Select[*tuple[Any, ...]]:
    """The first `NEAR` links from each bound start, a row per start: joins, no recursion.

    Most lineages are that short, and a plain join is planned and run cheaply; a recursive
    query costs more to plan (PostgreSQL may compile it, JIT) than a short lineage is worth.
    """
    starts = _starts(dialect)
    hops = [lineage.alias(f"l{n}") for n in range(NEAR)]
    first = hops[0]
    joined: sa.FromClause = first
    for below, above in itertools.pairwise(hops):
        joined = joined.outerjoin(
            above,
            sa.and_(
                above.c.institution == INSTITUTION,
                above.c.event_id == below.c.event_id,
                above.c.node == below.c.up,
            ),
        )
    # The starts as an IN list, not a join: SQLite then looks each up through the key,
    # where a join let it scan the whole table.
    return (
        sa.select(first.c.event_id, *(c for hop in hops for c in (hop.c.node, hop.c.id, hop.c.up)))
        .select_from(joined)
        .where(
            first.c.institution == INSTITUTION,
            sa.tuple_(first.c.event_id, first.c.node).in_(
                sa.select(starts.c.event_id, starts.c.node)
            ),
        )
    )


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


def _links(
    db: Database, conn: Connection, institution: str, starts: list[Start]
) -> dict[Start, tuple[str, int | None]]:
    """The links reached from `starts`: one query for the first `NEAR` of each, one for the rest.

    The second, recursive query runs only when a lineage is longer than `NEAR` links.
    """
    dialect = db.dialect
    near = db.cached(("lineage.near", dialect), lambda: _near(dialect))
    links: dict[Start, tuple[str, int | None]] = {}
    rows = db.execute(conn, near, {"institution": institution, **_bind_starts(dialect, starts)})
    for event_id, node0, id0, up0, node1, id1, up1, node2, id2, up2 in rows.all():  # NEAR = 3
        links[(event_id, node0)] = (id0, up0)
        if node1 is not None:
            links[(event_id, node1)] = (id1, up1)
            if node2 is not None:
                links[(event_id, node2)] = (id2, up2)
    ends = [
        (event_id, up)
        for (event_id, _), (_, up) in links.items()
        if up is not None and (event_id, up) not in links
    ]
    if ends:
        far = db.cached(("lineage.read", dialect), lambda: _reach(dialect))
        params = {"institution": institution, **_bind_starts(dialect, list(dict.fromkeys(ends)))}
        links.update(
            ((event_id, node), (ident, up))
            for event_id, node, ident, up in db.execute(conn, far, params).all()
        )
    return links


def read(
    db: Database, conn: Connection, institution: str, starts: Iterable[Start]
) -> dict[Start, Lineage]:
    """The lineage that starts at each of `starts`: one query, two for lineages over `NEAR`.

    None when there is no start.

    Raises:
        StorageError: a link is missing or loops (the tables were changed by hand).
    """
    wanted = list(dict.fromkeys(starts))
    if not wanted:
        return {}
    links = _links(db, conn, institution, wanted)
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
    """Delete the links of the events bound as ``ids`` that have no record left.

    The events are tested once each, through the events table: testing each link would read,
    per link, the index entries of the event's records this transaction just deleted.
    """
    t, e = lineage, event
    emptied = sa.select(e.c.id).where(
        e.c.institution == INSTITUTION,
        member(dialect, e.c.id, "ids"),
        ~sa.exists().where(deleted.c.institution == e.c.institution, deleted.c.event_id == e.c.id),
        ~sa.exists().where(
            superseded.c.institution == e.c.institution, superseded.c.event_id == e.c.id
        ),
    )
    return sa.delete(t).where(t.c.institution == INSTITUTION, t.c.event_id.in_(emptied))


def forget(db: Database, conn: Connection, institution: str, event_ids: Iterable[str]) -> None:
    """Delete the links of those of `event_ids` with no record left deleted or superseded."""
    ids = list(dict.fromkeys(event_ids))
    if ids:
        statement = db.cached(("lineage.forget", db.dialect), lambda: _forget(db.dialect))
        db.execute(conn, statement, {"institution": institution, "ids": bind_ids(db.dialect, ids)})
