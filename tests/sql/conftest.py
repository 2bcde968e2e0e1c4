"""Databases for the SQL store's tests: a SQLite file each, and PostgreSQL in schemas of our own.

PostgreSQL runs when ``DELETED_REPO_POSTGRES_URL`` is set (for example
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) and is skipped otherwise; with
``DELETED_REPO_REQUIRE_POSTGRES=1`` a missing or unreachable server fails the tests instead.
Every test gets a fresh schema, named after this run, and the run drops its schemas at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from deleted_repo.stores.sql import SqlStore

POSTGRES_URL = os.environ.get("DELETED_REPO_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("DELETED_REPO_REQUIRE_POSTGRES") == "1"
RUN = f"drt_{uuid.uuid4().hex[:10]}"
"""This run's prefix for PostgreSQL schema names."""


@dataclass
class Database:
    """One database under test: its engine, and the schema the store's tables live in."""

    name: str
    url: sa.URL
    engine: sa.Engine
    schema: str | None
    engines: list[sa.Engine] = field(default_factory=list)

    def store(
        self,
        bind: sa.Engine | sa.Connection | None = None,
        *,
        indexed_fields: dict[str, list[str]] | None = None,
    ) -> SqlStore:
        """A store on this database (its tables are not created)."""
        store = SqlStore(self.engine if bind is None else bind, schema=self.schema)
        if indexed_fields is not None:
            store.index_fields(indexed_fields)
        return store

    def new_engine(self) -> sa.Engine:
        """Another engine on the same database, disposed of after the test."""
        engine = sa.create_engine(self.url)
        self.engines.append(engine)
        return engine

    def dispose(self) -> None:
        """Close every connection the test opened."""
        for engine in self.engines:
            engine.dispose()
        self.engine.dispose()


def _unavailable(reason: str) -> None:
    if REQUIRE_POSTGRES:
        pytest.fail(f"DELETED_REPO_REQUIRE_POSTGRES=1, but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[sa.URL]:
    """The PostgreSQL server's URL, checked once; drops this run's schemas at the end."""
    if not POSTGRES_URL:
        _unavailable("DELETED_REPO_POSTGRES_URL is not set")
    url = sa.make_url(POSTGRES_URL)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as e:
        engine.dispose()
        _unavailable(
            f"PostgreSQL at {url.render_as_string()} is unreachable ({e.__class__.__name__})"
        )
    yield url
    with engine.begin() as conn:
        left = conn.exec_driver_sql(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %(run)s", {"run": RUN + "%"}
        ).scalars()
        for name in list(left):
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    engine.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A SQLite file of its own."""
    url = sa.make_url(f"sqlite:///{tmp_path / 'store.db'}")
    db = Database("sqlite", url, sa.create_engine(url), None)
    yield db
    db.dispose()


@pytest.fixture
def postgres_db(postgres_url: sa.URL) -> Iterator[Database]:
    """The PostgreSQL database, in a fresh schema of this run."""
    db = Database(
        "postgres", postgres_url, sa.create_engine(postgres_url), f"{RUN}_{uuid.uuid4().hex[:8]}"
    )
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """Each database in turn."""
    database: Database = request.getfixturevalue(f"{request.param}_db")
    return database


@pytest.fixture
def store(db: Database) -> Iterator[SqlStore]:
    """A store with its tables created, dropped after the test."""
    created = db.store()
    created.create_schema()
    yield created
    created.drop_schema()
