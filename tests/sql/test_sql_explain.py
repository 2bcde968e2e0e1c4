"""Every query shape the store runs reads through an index, never a whole table.

Each port call below runs for real while its statements are captured; each captured statement is
then explained with the same parameters: ``EXPLAIN QUERY PLAN`` on SQLite (whose planner, without
``ANALYZE``, chooses by the schema and the query alone), ``EXPLAIN`` on PostgreSQL after ``ANALYZE``
and with ``enable_seqscan`` off. A plan that scans one of our tables fails the test, and so does
one that misses the index the shape is meant to use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from deleted_repo import Actor, ActorKind, ById, DeletedRecord, DeletionEvent, MemberRole, Record
from deleted_repo.jobs import RestoreJob
from deleted_repo.search import Query, Window
from deleted_repo.stores.sql import SqlStore, metadata
from tests.support import INSTITUTION, START

from .conftest import Database

WINDOW = Window(start=START - timedelta(days=30), end=START)
EVENTS = 300
PER_EVENT = 20


def _actor(n: int) -> Actor:
    """Mostly users, as in a library: one event in twenty by a job, one by the system."""
    if n % 20 == 0:
        return Actor.system()
    if n % 20 == 1:
        return Actor.job(f"J{n % 3}")
    return Actor.user(f"u{n % 17}")


def _event(n: int) -> DeletionEvent:
    """Event n: a holding and its items, deleted n hours before START."""
    actor, at, holding = _actor(n), START - timedelta(hours=n), f"h{n}"
    records = [Record("holding", holding, f"b{n % 50}", {"title": f"holding {n}"})] + [
        Record("item", f"i{n}-{i}", holding, {"barcode": f"B{n}-{i}"}) for i in range(1, PER_EVENT)
    ]
    members = [
        DeletedRecord(
            record=r,
            role=MemberRole.ORIGIN if r.id == holding else MemberRole.CASCADE,
            origin_id=holding,
            lineage=(f"b{n % 50}",) if r.id == holding else (holding, f"b{n % 50}"),
            event_id=f"e{n}",
            institution=INSTITUTION,
            actor=actor,
            deleted_at=at,
        )
        for r in records
    ]
    return DeletionEvent(
        id=f"e{n}", institution=INSTITUTION, actor=actor, at=at, origins=[holding], members=members
    )


def _fill(store: SqlStore) -> None:
    store.deleted.add_events([_event(n) for n in range(EVENTS)])
    bibs = [Record("bib", f"b{n}", None, {"title": f"bib {n}"}) for n in range(50)]
    holdings = [Record("holding", f"ch{n}", f"b{n % 50}") for n in range(500)]
    items = [Record("item", f"ci{n}", f"ch{n % 500}", {"barcode": f"C{n}"}) for n in range(3000)]
    store.catalog.add(INSTITUTION, [*bibs, *holdings, *items])
    for n in range(30):
        store.jobs.add(
            RestoreJob(
                id=f"job{n}",
                institution=INSTITUTION,
                requested_by="ana",
                at=START + timedelta(minutes=n),
                criteria=ById(kind="item", id=f"i{n}-1"),
                batch=1,
                batches=1,
                counts={},
                outcomes=[],
            )
        )


def _shapes(store: SqlStore) -> dict[str, tuple[Callable[[], object], list[str]]]:
    """Each query shape: the call that runs it, and the indexes its plan must use."""
    d, c = store.deleted, store.catalog
    items = Query(institution=INSTITUTION, kind="item", window=WINDOW)
    return {
        "deleted by id": (
            lambda: d.find(Query(institution=INSTITUTION, kind="item", ids=frozenset(["i3-4"]))),
            ["PK deleted"],
        ),
        "deleted get": (lambda: d.get(INSTITUTION, ["i3-4", "h5"]), ["PK deleted"]),
        "range": (lambda: d.find(items, limit=26), ["ix_deleted_repo_deleted_kind_time"]),
        "range, next page": (
            lambda: d.find(items, after=(START - timedelta(hours=4), "i4-3"), limit=26),
            ["ix_deleted_repo_deleted_kind_time"],
        ),
        "user's latest event": (
            lambda: d.latest_event(INSTITUTION, Actor.user("u5"), WINDOW),
            ["ix_deleted_repo_event_actor", "ix_deleted_repo_deleted_event"],
        ),
        "user": (
            lambda: d.find(
                Query(
                    institution=INSTITUTION,
                    kind="item",
                    actor=Actor.user("u5"),
                    event_ids=frozenset(["e22"]),
                    window=WINDOW,
                ),
                limit=26,
            ),
            ["ix_deleted_repo_deleted_event"],
        ),
        "has actor": (
            lambda: d.has_actor(INSTITUTION, Actor.job("J1")),
            ["ix_deleted_repo_event_actor"],
        ),
        "job": (
            lambda: d.find(
                Query(institution=INSTITUTION, kind="item", actor=Actor.job("J1"), window=WINDOW),
                limit=26,
            ),
            ["ix_deleted_repo_event_actor", "ix_deleted_repo_deleted_event"],
        ),
        "system": (
            lambda: d.find(
                Query(
                    institution=INSTITUTION, kind="item", actor_kind=ActorKind.SYSTEM, window=WINDOW
                ),
                limit=26,
            ),
            ["ix_deleted_repo_event_actor", "ix_deleted_repo_deleted_event"],
        ),
        "field": (
            lambda: d.find(Query(institution=INSTITUTION, kind="item", field=("barcode", "B7-3"))),
            ["ix_deleted_repo_deleted_field_value", "PK deleted"],
        ),
        "event ids": (
            lambda: d.find(
                Query(institution=INSTITUTION, kind="item", event_ids=frozenset(["e3", "e4"]))
            ),
            ["ix_deleted_repo_deleted_event"],
        ),
        "deleted children": (
            lambda: d.children(INSTITUTION, ["h3", "h4"]),
            ["ix_deleted_repo_deleted_parent"],
        ),
        "catalog get": (lambda: c.get(INSTITUTION, ["ci1", "ch2"]), ["PK catalog"]),
        "catalog children": (
            lambda: c.children(INSTITUTION, ["ch1", "ch2"]),
            ["ix_deleted_repo_catalog_parent"],
        ),
        "catalog find_by_field": (
            lambda: c.find_by_field(INSTITUTION, "item", "barcode", ["C1", "C2", "nobody"]),
            ["ix_deleted_repo_catalog_field_value"],
        ),
        "job get": (lambda: store.jobs.get(INSTITUTION, "job3"), ["PK restore_job"]),
        "job list": (
            lambda: store.jobs.list(INSTITUTION, after="job20", limit=5),
            ["PK restore_job", "ix_deleted_repo_restore_job_time"],
        ),
        "deleted remove": (
            lambda: d.remove(INSTITUTION, ["i9-1", "i9-2"]),
            ["PK deleted", "PK deleted_field"],
        ),
        "catalog remove": (
            lambda: c.remove(INSTITUTION, ["ci5", "ci6"]),
            ["PK catalog", "PK catalog_field"],
        ),
    }


def _primary_key(dialect: str, table: str) -> str:
    """How a plan names the primary key of ``deleted_repo_<table>``."""
    name = f"deleted_repo_{table}"
    if dialect == "postgresql":
        return f"pk_{name}"
    rowid = metadata.tables[name].dialect_options["sqlite"]["with_rowid"]
    return f"sqlite_autoindex_{name}_1" if rowid else f"{name} USING PRIMARY KEY"


@contextmanager
def _captured(engine: sa.Engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def capture(
        _conn: object, _cursor: object, statement: str, parameters: Any, *_: object
    ) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "DELETE", "UPDATE")):
            statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)


def _plan(conn: sa.Connection, statement: str, parameters: Any) -> list[str]:
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        return [str(row[-1]) for row in rows]
    return [str(row[0]) for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters)]


def _scans(lines: list[str]) -> list[str]:
    """The plan lines that read one of our tables whole."""
    ours = tuple(metadata.tables)
    return [
        line
        for line in lines
        if ("Seq Scan" in line and any(f" on {t}" in line for t in ours))
        or (line.startswith("SCAN ") and line.split()[1] in ours)
    ]


def test_every_query_shape_reads_through_an_index(db: Database, store: SqlStore) -> None:
    """No search, read or removal scans a table: each uses the index meant for it."""
    _fill(store)
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        with db.engine.begin() as conn:
            for table in metadata.tables:
                conn.exec_driver_sql(f'ANALYZE "{db.schema}".{table}')
    problems = []
    for shape, (call, wanted) in _shapes(store).items():
        with _captured(db.engine) as statements:
            call()
        lines = []
        with db.engine.connect() as conn:
            if dialect == "postgresql":
                conn.exec_driver_sql("SET enable_seqscan = off")
            for statement, parameters in statements:
                lines += _plan(conn, statement, parameters)
            conn.rollback()
        text = "\n".join(lines)
        expected = [
            _primary_key(dialect, name[3:]) if name.startswith("PK ") else name for name in wanted
        ]
        scans = _scans(lines)
        missing = [name for name in expected if name not in text]
        if scans or missing or not statements:
            problems.append(f"{shape}: scans {scans}, misses {missing}, plan:\n{text}")
    assert not problems, "\n\n".join(problems)
