"""Store factories for the contract and differential tests: SQLite and PostgreSQL.

Each factory returns an empty store on every call, as `run_store_contract` requires. PostgreSQL
runs in a schema of the session's own from the `tests.postgres` plugin, which says when it runs,
skips or fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from deleted_repo.stores.sql import SqlStore, metadata

StoreFactory = Callable[[], SqlStore]

_DATA = [t for t in metadata.sorted_tables if t.name != "deleted_repo_schema_version"]
"""The tables to empty between examples: all but the schema version's (D-49)."""


def scaled(divisor: int) -> int:
    """A share of the profile's ``max_examples``: state machines cost many calls per example."""
    return max(2, settings().max_examples // divisor)


def _reset(engine: Engine, schema: str | None) -> None:
    """Empty every table, faster than dropping and creating them for each example."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{schema}"."{t.name}"' for t in _DATA)
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY")
        else:
            for table in reversed(_DATA):
                conn.execute(table.delete())


def _factory(engine: Engine, schema: str | None = None) -> StoreFactory:
    SqlStore(engine, schema=schema).create_schema()

    def make() -> SqlStore:
        store = SqlStore(engine, schema=schema)
        _reset(engine, schema)
        return store

    return make


@pytest.fixture
def sqlite_file_stores(tmp_path: Path) -> Iterator[StoreFactory]:
    """Empty stores in one SQLite database file."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield _factory(engine)
    engine.dispose()


@pytest.fixture
def sqlite_memory_stores() -> Iterator[StoreFactory]:
    """Empty stores in one in-memory SQLite database, shared through a static pool."""
    engine = sa.create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    yield _factory(engine)
    engine.dispose()


@pytest.fixture
def postgres_stores(postgres_engine: Engine, postgres_schema: str) -> StoreFactory:
    """Empty stores in this session's PostgreSQL schema."""
    return _factory(postgres_engine, postgres_schema)
