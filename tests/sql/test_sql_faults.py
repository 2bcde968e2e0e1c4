"""Failures of the database: translated into our errors, and never leaving a restore half done.

A fault is injected at each statement of a restore in turn, through SQLAlchemy's
``before_cursor_execute`` event: either the driver's ``OperationalError`` or a lost connection
(on SQLite the DBAPI connection is closed under the store; on PostgreSQL the server terminates the
backend). Every time, the restore raises `StorageError` and the database is exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from deleted_repo import (
    Actor,
    ActorKind,
    ById,
    DeletedRecord,
    DeletionEvent,
    IntegrityError,
    InvalidInputError,
    MemberRole,
    Record,
    RestoreJob,
    RestoreResult,
    SchemaVersionError,
    StorageError,
)
from deleted_repo.search import Query, Window
from deleted_repo.stores.sql import SCHEMA_VERSION, SqlStore, metadata, metadata_for
from tests.support import INSTITUTION, MANAGER, START, repository

from .conftest import Database


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order, read on a connection of its own."""
    engine = db.new_engine()
    tables = {}
    with engine.connect() as conn:
        for name, table in metadata.tables.items():
            located = table if db.schema is None else table.to_metadata(sa.MetaData(), db.schema)
            rows = conn.execute(sa.select(located)).all()
            tables[name] = sorted((tuple(row) for row in rows), key=repr)
    engine.dispose()
    return tables


class Saboteur:
    """Breaks the `at`-th statement sent through an engine while armed."""

    def __init__(self, db: Database, fault: str) -> None:
        self.db = db
        self.fault = fault
        self.at = 0
        self.seen = 0
        self.fired = False

    def __call__(self, conn: sa.Connection, *_: object) -> None:
        self.seen += 1
        if self.seen != self.at:
            return
        self.fired = True
        dbapi: Any = conn.connection.dbapi_connection
        if self.fault == "error":
            raise conn.dialect.loaded_dbapi.OperationalError("injected fault")
        if conn.dialect.name == "sqlite":
            dbapi.close()
        else:
            with self.db.new_engine().connect() as admin:
                admin.execute(
                    sa.text("SELECT pg_terminate_backend(:pid)"),
                    {"pid": dbapi.info.backend_pid},
                )

    @contextmanager
    def armed(self, at: int) -> Iterator[None]:
        self.at, self.seen, self.fired = at, 0, False
        sa.event.listen(self.db.engine, "before_cursor_execute", self)
        try:
            yield
        finally:
            sa.event.remove(self.db.engine, "before_cursor_execute", self)


@pytest.mark.parametrize("fault", ["error", "lost connection"])
def test_a_fault_anywhere_in_a_restore_changes_nothing(
    db: Database, store: SqlStore, fault: str
) -> None:
    """Whichever statement of a restore fails, it raises StorageError and nothing changed (R-E1)."""
    repo = repository(store)
    store.catalog.add(
        INSTITUTION,
        [Record("bib", "b"), Record("holding", "h", "b")]
        + [Record("item", f"i{n}", "h", {"barcode": f"B{n}"}) for n in range(20)],
    )
    repo.delete(INSTITUTION, ["h"], actor=Actor.user("jdoe"))
    plan = repo.plan(ById(kind="holding", id="h"), requester=MANAGER)
    before = snapshot(db)
    saboteur = Saboteur(db, fault)

    def attempt() -> RestoreResult | StorageError:
        try:
            return repo.restore(plan, requester=MANAGER)
        except StorageError as e:
            return e

    at = 1
    while True:
        with saboteur.armed(at):
            outcome = attempt()
        if isinstance(outcome, RestoreResult):
            assert not saboteur.fired
            break
        assert saboteur.fired, outcome
        assert not isinstance(outcome, IntegrityError)
        assert isinstance(outcome.__cause__, sa.exc.SQLAlchemyError)
        assert snapshot(db) == before, f"statement {at} left a trace"
        at += 1
    assert at > 5, at
    assert len(outcome.restored) == 21
    assert len(store.catalog.get(INSTITUTION, [f"i{n}" for n in range(20)])) == 20


def _member(ident: str) -> DeletedRecord:
    return DeletedRecord(
        record=Record("bib", ident),
        role=MemberRole.ORIGIN,
        origin_id=ident,
        lineage=(),
        event_id="e1",
        institution=INSTITUTION,
        actor=Actor.user("jdoe"),
        deleted_at=START,
    )


def _calls(store: SqlStore) -> dict[str, Callable[[], object]]:
    """A call of every public method of the store's parts."""
    c, d, j = store.catalog, store.deleted, store.jobs
    event = DeletionEvent(
        id="e1",
        institution=INSTITUTION,
        actor=Actor.user("jdoe"),
        at=START,
        origins=["b1"],
        members=[_member("b1")],
    )
    job = RestoreJob(
        id="j1",
        institution=INSTITUTION,
        requested_by="ana",
        at=START,
        criteria=ById(kind="bib", id="b1"),
        batch=1,
        batches=1,
        counts={},
        outcomes=[],
    )
    window = Window(start=START - timedelta(days=1), end=START)
    return {
        "catalog.get": lambda: c.get(INSTITUTION, ["b1"]),
        "catalog.children": lambda: c.children(INSTITUTION, ["b1"]),
        "catalog.find_by_field": lambda: c.find_by_field(INSTITUTION, "item", "barcode", ["x"]),
        "catalog.find_by_field unindexed": lambda: c.find_by_field(
            INSTITUTION, "bib", "title", ["x"]
        ),
        "catalog.add": lambda: c.add(INSTITUTION, [Record("bib", "b1")]),
        "catalog.remove": lambda: c.remove(INSTITUTION, ["b1"]),
        "deleted.add_events": lambda: d.add_events([event]),
        "deleted.get": lambda: d.get(INSTITUTION, ["b1"]),
        "deleted.children": lambda: d.children(INSTITUTION, ["b1"]),
        "deleted.find range": lambda: d.find(
            Query(institution=INSTITUTION, kind="bib", window=window)
        ),
        "deleted.find job": lambda: d.find(
            Query(institution=INSTITUTION, kind="bib", actor=Actor.job("J"), window=window)
        ),
        "deleted.find system": lambda: d.find(
            Query(institution=INSTITUTION, kind="bib", actor_kind=ActorKind.SYSTEM)
        ),
        "deleted.find field": lambda: d.find(
            Query(institution=INSTITUTION, kind="item", field=("barcode", "x"))
        ),
        "deleted.find unindexed field": lambda: d.find(
            Query(institution=INSTITUTION, kind="bib", field=("title", "x")), limit=3
        ),
        "deleted.latest_event": lambda: d.latest_event(INSTITUTION, Actor.user("jdoe"), window),
        "deleted.has_actor": lambda: d.has_actor(INSTITUTION, Actor.user("jdoe")),
        "deleted.remove": lambda: d.remove(INSTITUTION, ["b1"]),
        "jobs.add": lambda: j.add(job),
        "jobs.get": lambda: j.get(INSTITUTION, "j1"),
        "jobs.list": lambda: j.list(INSTITUTION, after="j0", limit=2),
        "reindex": store.reindex,
    }


CALLS = list(_calls(SqlStore(sa.create_engine("sqlite://"))))


@pytest.mark.parametrize("call", CALLS)
def test_driver_errors_become_storage_errors(db: Database, call: str) -> None:
    """With the tables dropped behind its back, every method raises the driver's StorageError.

    The store checked the version when it made them (D-49), so the driver meets no table.
    """
    store = db.store()
    store.create_schema()
    metadata_for(db.schema).drop_all(db.engine)
    with pytest.raises(StorageError) as raised:
        _calls(store)[call]()
    assert isinstance(raised.value.__cause__, sa.exc.DBAPIError)


@pytest.mark.parametrize("call", CALLS)
def test_no_tables_is_a_schema_version_error(db: Database, call: str) -> None:
    """D-49: with no tables, every method's first call refuses, naming how to create them."""
    store = db.store()
    with pytest.raises(SchemaVersionError, match="no deleted_repo tables") as raised:
        _calls(store)[call]()
    assert (raised.value.found, raised.value.expected) == (None, SCHEMA_VERSION)


def test_an_unreachable_server_is_a_storage_error() -> None:
    """A server that cannot be reached raises StorageError from calls and transactions."""
    store = SqlStore(sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    with pytest.raises(StorageError):
        store.catalog.get(INSTITUTION, ["b1"])
    with pytest.raises(StorageError):
        store.transaction().__enter__()
    with pytest.raises(StorageError):
        store.create_schema()


def test_an_unopenable_sqlite_file_is_a_storage_error(tmp_path: Any) -> None:
    """A SQLite file that cannot be opened raises StorageError."""
    store = SqlStore(sa.create_engine(f"sqlite:///{tmp_path}/missing/dir/store.db"))
    with pytest.raises(StorageError):
        store.deleted.has_actor(INSTITUTION, Actor.user("jdoe"))


def test_duplicates_are_integrity_errors_chained_to_the_driver(store: SqlStore) -> None:
    """A duplicate id is an IntegrityError naming it, with the driver's error as its cause."""
    store.catalog.add(INSTITUTION, [Record("bib", "b1")])
    with pytest.raises(IntegrityError, match="b1") as raised:
        store.catalog.add(INSTITUTION, [Record("bib", "b2"), Record("bib", "b1")])
    causes = []
    error: BaseException | None = raised.value
    while error is not None:
        causes.append(error)
        error = error.__cause__
    assert any(isinstance(e, sa.exc.IntegrityError) for e in causes)
    assert list(store.catalog.get(INSTITUTION, ["b1", "b2"])) == ["b1"]


def test_data_that_is_not_json_is_refused(store: SqlStore) -> None:
    """I5: data that cannot be stored as JSON is refused when the record is built."""
    with pytest.raises(InvalidInputError, match="data"):
        store.catalog.add(
            INSTITUTION, [Record("bib", "b1"), Record("bib", "b2", None, {"x": {1, 2}})]
        )
    assert store.catalog.get(INSTITUTION, ["b1", "b2"]) == {}
