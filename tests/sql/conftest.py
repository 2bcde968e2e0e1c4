"""Databases for the SQL store's tests: a SQLite file each, and PostgreSQL in schemas of our own.

PostgreSQL comes from the `tests.postgres` plugin, which says when it runs, skips or fails.
Every test gets a fresh schema of its own, dropped with the run's others at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from deleted_repo.stores.sql import SqlStore
from tests.postgres import new_schema


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
    db = Database("postgres", postgres_url, sa.create_engine(postgres_url), new_schema())
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


@contextmanager
def counted(engine: sa.Engine) -> Iterator[list[str]]:
    """Collect every statement sent through `engine` inside the block."""
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
