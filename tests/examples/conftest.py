"""The example host on SQLite and on PostgreSQL: a connection with its tables, and a reset.

PostgreSQL runs in a schema of this run's own from the `tests.postgres` plugin, which says when
it runs, skips or fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa
from examples.host import HostStore, create_tables
from examples.host.tables import host_metadata
from sqlalchemy.engine import Connection

from deleted_repo.stores.sql.schema import catalog, catalog_field, metadata, schema_version
from tests.postgres import new_schema


@attrs.frozen
class Host:
    """The example host's database, as the tests use it.

    Attributes:
        connection: the one connection the host and the library share.
        schema: the schema of every table (PostgreSQL), or None.
    """

    connection: Connection
    schema: str | None

    def store(self) -> HostStore:
        """A store over the host's connection."""
        return HostStore(self.connection, schema=self.schema)

    def reset(self) -> None:
        """Empty every table, the host's and the library's, but the schema version's (D-49)."""
        names = [t.name for t in host_metadata.sorted_tables] + [
            t.name
            for t in metadata.sorted_tables
            if t.name not in (catalog.name, catalog_field.name, schema_version.name)
        ]
        with self.connection.begin():
            if self.schema is not None:
                listed = ", ".join(f'"{self.schema}"."{name}"' for name in names)
                self.connection.exec_driver_sql(f"TRUNCATE {listed} RESTART IDENTITY")
            else:
                for name in names:
                    self.connection.exec_driver_sql(f'DELETE FROM "{name}"')


@pytest.fixture
def sqlite_host(tmp_path: Path) -> Iterator[Host]:
    """The example host in a SQLite file."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'ils.sqlite3'}")
    with engine.connect() as connection:
        create_tables(connection)
        yield Host(connection, None)
    engine.dispose()


@pytest.fixture
def postgres_host(postgres_engine: sa.Engine) -> Iterator[Host]:
    """The example host in a PostgreSQL schema of its own."""
    schema = new_schema()
    with postgres_engine.connect() as connection:
        create_tables(connection, schema=schema)
        yield Host(connection, schema)
