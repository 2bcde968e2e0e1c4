"""The Alembic recipe of the how-to: our metadata matches the tables create_schema makes.

After `SqlStore.create_schema`, Alembic's autogenerate, compared against `metadata_for` with the
same schema and catalog choice, finds nothing to do: on SQLite, and on PostgreSQL in the
connection's default schema and in a schema of their own (D-51). The host's own env, with the
recipe's `include_name`, leaves our tables alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations

from deleted_repo.stores.sql import SqlStore, metadata, metadata_for
from tests.postgres import new_schema

from .conftest import Database

Filter = Callable[[str | None, str, dict[str, str | None]], bool]


def _diff(
    conn: sa.Connection,
    target: sa.MetaData,
    *,
    schema: str | None = None,
    include_name: Filter | None = None,
) -> list[Any]:
    """What autogenerate would change for `target`, strict about types and defaults."""
    opts: dict[str, Any] = {"compare_type": True, "compare_server_default": True}
    if schema is not None:
        opts["include_schemas"] = True
        opts["include_name"] = lambda name, type_, parents: type_ != "schema" or name == schema
    if include_name is not None:
        opts["include_name"] = include_name
    return list(compare_metadata(MigrationContext.configure(conn, opts=opts), target))


@pytest.fixture
def default_schema(postgres_url: sa.URL) -> Iterator[sa.Engine]:
    """A PostgreSQL engine whose default schema (search_path) is a fresh one of this run."""
    schema = new_schema()
    maker = sa.create_engine(postgres_url)
    with maker.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
    maker.dispose()
    engine = sa.create_engine(postgres_url, connect_args={"options": f"-csearch_path={schema}"})
    yield engine
    engine.dispose()


@pytest.mark.parametrize("catalog", [True, False])
def test_sqlite_has_no_diff(tmp_path: Any, catalog: bool) -> None:
    """D-51: on SQLite, with and without the catalog's tables, autogenerate finds nothing."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'ils.sqlite3'}")
    SqlStore(engine).create_schema(catalog=catalog)
    with engine.connect() as conn:
        assert _diff(conn, metadata_for(catalog=catalog)) == []
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("catalog", [True, False])
def test_postgres_default_schema_has_no_diff(default_schema: sa.Engine, catalog: bool) -> None:
    """D-51: on PostgreSQL without ``schema=``, autogenerate finds nothing."""
    SqlStore(default_schema).create_schema(catalog=catalog)
    with default_schema.connect() as conn:
        assert _diff(conn, metadata_for(catalog=catalog)) == []


@pytest.mark.postgres
@pytest.mark.parametrize("catalog", [True, False])
def test_postgres_own_schema_has_no_diff(postgres_db: Database, catalog: bool) -> None:
    """D-51: on PostgreSQL with ``schema=``, autogenerate over that schema finds nothing."""
    postgres_db.store().create_schema(catalog=catalog)
    with postgres_db.engine.connect() as conn:
        target = metadata_for(postgres_db.schema, catalog=catalog)
        assert _diff(conn, target, schema=postgres_db.schema) == []


def test_the_diff_sees_what_is_missing(db: Database) -> None:
    """The comparison can fail: without the catalog's tables, the full metadata adds them."""
    db.store().create_schema(catalog=False)
    with db.engine.connect() as conn:
        diff = _diff(conn, metadata_for(db.schema), schema=db.schema)
    added = sorted(d[1].name for d in diff if d[0] == "add_table")
    assert added == ["deleted_repo_catalog", "deleted_repo_catalog_field"]
    db.store().drop_schema()


def test_upgraded_tables_have_no_diff(db: Database) -> None:
    """D-50: tables of version 0, upgraded, are exactly the tables create_schema makes."""
    store = db.store()
    store.create_schema()
    prefix = "" if db.schema is None else f'"{db.schema}".'
    with db.engine.begin() as conn:
        for name in ("deleted_repo_superseded", "deleted_repo_schema_version"):
            conn.exec_driver_sql(f"DROP TABLE {prefix}{name}")
        for column in ("requested_by", "status", "criterion"):  # added by version 2 (D-42)
            conn.exec_driver_sql(f"ALTER TABLE {prefix}deleted_repo_restore_job DROP {column}")
    assert db.store().upgrade() == 0
    with db.engine.connect() as conn:
        assert _diff(conn, metadata_for(db.schema), schema=db.schema) == []
    store.drop_schema()


def ignore_ours(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    """The how-to's filter: deleted_repo's tables are deleted_repo's to create and upgrade."""
    return type_ != "table" or name not in metadata.tables


def test_the_recipe_filter_leaves_our_tables_alone(tmp_path: Any) -> None:
    """D-51: a host's autogenerate with `ignore_ours` neither drops nor alters our tables."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'ils.sqlite3'}")
    host = sa.MetaData()
    sa.Table("ils_item", host, sa.Column("id", sa.Integer, primary_key=True))
    with engine.begin() as conn:
        host.create_all(conn)
        SqlStore(Operations(MigrationContext.configure(conn)).get_bind()).create_schema(
            catalog=False
        )
    with engine.connect() as conn:
        unfiltered = _diff(conn, host)
        assert {d[1].name for d in unfiltered if d[0] == "remove_table"} == set(
            metadata_for(catalog=False).tables
        )
        assert _diff(conn, host, include_name=ignore_ours) == []
        both = sa.MetaData()
        for table in [*host.sorted_tables, *metadata_for(catalog=False).sorted_tables]:
            table.to_metadata(both)
        assert _diff(conn, both) == []
    engine.dispose()
