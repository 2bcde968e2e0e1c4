"""The three stores the hostile tests attack: in memory, SQLite in a file, and PostgreSQL.

Each backend hands out empty stores on demand (`Backend.fresh`), so that a hypothesis test can
start every example from the same state without a function-scoped fixture. PostgreSQL runs when
``DELETED_REPO_POSTGRES_URL`` is set, in a schema made for this test session and dropped after
it; it is skipped otherwise, and ``DELETED_REPO_REQUIRE_POSTGRES=1`` makes a missing server a
failure.

The number of examples follows the hypothesis profile (``HYPOTHESIS_PROFILE``);
``DELETED_REPO_HOSTILE_EXAMPLES=N`` runs every hostile property with N examples instead, for
long runs.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import settings

from deleted_repo.ports import Store
from deleted_repo.stores.memory import MemoryStore
from deleted_repo.stores.sql import SqlStore, metadata

POSTGRES_URL = os.environ.get("DELETED_REPO_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("DELETED_REPO_REQUIRE_POSTGRES") == "1"
LONG_RUN = int(os.environ.get("DELETED_REPO_HOSTILE_EXAMPLES", "0") or 0)


def examples(share: int) -> int:
    """How many examples one hostile property runs: a `share` of the profile, or the long run's."""
    if LONG_RUN:
        return LONG_RUN
    return max(4, settings().max_examples // share)


Dump = Callable[[], dict[str, list[tuple[Any, ...]]]]


@dataclass
class Backend:
    """One kind of store under attack.

    Attributes:
        name: "memory", "sqlite" or "postgres".
        fresh: returns an empty store.
        dump: every row of every table, for SQL stores; None for the in-memory store.
        engine: the SQL engine, None for the in-memory store.
        schema: the PostgreSQL schema, or None.
    """

    name: str
    fresh: Callable[[], Store]
    dump: Dump | None = None
    engine: sa.Engine | None = None
    schema: str | None = None

    @property
    def sql(self) -> bool:
        """Whether the store keeps its state in a database."""
        return self.engine is not None


def _located(schema: str | None) -> list[sa.Table]:
    """The tables holding data (all but the schema version's, D-49), in `schema`."""
    data = [t for t in metadata.sorted_tables if t.name != "deleted_repo_schema_version"]
    if schema is None:
        return data
    copy = sa.MetaData()
    return [t.to_metadata(copy, schema=schema) for t in data]


def _sql_backend(name: str, engine: sa.Engine, schema: str | None) -> Backend:
    SqlStore(engine, schema=schema).create_schema()
    tables = _located(schema)

    def fresh() -> Store:
        with engine.begin() as conn:
            for table in reversed(tables):
                conn.execute(table.delete())
        return SqlStore(engine, schema=schema)

    def dump() -> dict[str, list[tuple[Any, ...]]]:
        with engine.connect() as conn:
            return {
                t.name: sorted((tuple(row) for row in conn.execute(sa.select(t))), key=repr)
                for t in tables
            }

    return Backend(name, fresh, dump, engine, schema)


@pytest.fixture(scope="session")
def memory_backend() -> Backend:
    """Fresh in-memory stores."""
    return Backend("memory", MemoryStore)


@pytest.fixture(scope="session")
def sqlite_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """Fresh stores in one SQLite file."""
    path: Path = tmp_path_factory.mktemp("hostile") / "store.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    yield _sql_backend("sqlite", engine, None)
    engine.dispose()


def _unavailable(reason: str) -> None:
    if REQUIRE_POSTGRES:
        pytest.fail(f"DELETED_REPO_REQUIRE_POSTGRES=1, but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL skipped: {reason}")


@pytest.fixture(scope="session")
def postgres_backend() -> Iterator[Backend]:
    """Fresh stores in a PostgreSQL schema of this session, dropped at its end."""
    if not POSTGRES_URL:
        _unavailable("DELETED_REPO_POSTGRES_URL is not set")
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as e:
        engine.dispose()
        _unavailable(f"the server cannot be reached ({e.__class__.__name__})")
    schema = f"hostile_{uuid.uuid4().hex[:10]}"
    try:
        yield _sql_backend("postgres", engine, schema)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


@pytest.fixture(
    scope="session",
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each store in turn."""
    chosen: Backend = request.getfixturevalue(f"{request.param}_backend")
    return chosen


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_backend(request: pytest.FixtureRequest) -> Backend:
    """Each SQL store in turn."""
    chosen: Backend = request.getfixturevalue(f"{request.param}_backend")
    return chosen
