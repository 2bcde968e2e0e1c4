"""The store inside a host's own SQLite engine and transaction (R-E1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from deleted_repo import ById, Record
from deleted_repo.stores.sql import SqlStore
from tests.support import ANA, INSTITUTION, MANAGER, repository


@pytest.fixture
def host_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    """A SQLite engine the host configured with SQLAlchemy's pysqlite recipe."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'ils.sqlite3'}")

    @event.listens_for(engine, "connect")
    def no_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def host_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    yield engine
    engine.dispose()


def test_the_store_works_on_an_engine_with_the_host_s_own_begin(host_engine: sa.Engine) -> None:
    """The store adds no second BEGIN to an engine that already emits one."""
    store = SqlStore(host_engine)
    assert store.host_begins
    assert len(host_engine.dispatch.begin) == 1
    store.create_schema()
    repo = repository(store)
    repo.catalog.add(INSTITUTION, [Record("bib", "b1"), Record("holding", "h1", "b1")])
    repo.delete(INSTITUTION, ["b1"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="b1"), requester=MANAGER)
    assert repo.restore(plan, requester=MANAGER).restored == ("b1", "h1")


def test_the_store_joins_a_transaction_the_host_began(host_engine: sa.Engine) -> None:
    """Given the host's connection, the store commits or rolls back with the host's transaction.

    It adds nothing to the engine.
    """
    SqlStore(host_engine).create_schema()
    with host_engine.connect() as connection:
        with connection.begin():
            repo = repository(SqlStore(connection))
            repo.catalog.add(INSTITUTION, [Record("bib", "b1")])
        with connection.begin() as rolled_back:
            repo.delete(INSTITUTION, ["b1"], actor=ANA)
            rolled_back.rollback()
    assert list(SqlStore(host_engine).catalog.get(INSTITUTION, ["b1"])) == ["b1"]
    assert len(host_engine.dispatch.begin) == 1


def test_a_plain_engine_gets_the_store_s_begin(tmp_path: Path) -> None:
    """On an engine with no begin listener, the store adds its own, once."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'plain.sqlite3'}")
    first, second = SqlStore(engine), SqlStore(engine)
    assert not first.host_begins
    assert not second.host_begins
    assert len(engine.dispatch.begin) == 1
    engine.dispose()
