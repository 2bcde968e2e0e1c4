"""``deleted-repo upgrade`` and ``init --no-catalog``: the schema commands (D-49, D-50)."""

from __future__ import annotations

import sqlalchemy as sa

from deleted_repo.stores.sql import SCHEMA_VERSION, metadata
from deleted_repo.stores.sql.schema import CATALOG_TABLES
from tests.support import INSTITUTION

from .conftest import CliDatabase, invoke, seed


def _engine(db: CliDatabase) -> sa.Engine:
    engine = sa.create_engine(db.db if "://" in db.db else f"sqlite:///{db.db}")
    db.engines.append(engine)
    return engine


def _drop(db: CliDatabase, *names: str) -> None:
    prefix = "" if db.schema is None else f'"{db.schema}".'
    with _engine(db).begin() as conn:
        for name in names:
            conn.exec_driver_sql(f"DROP TABLE {prefix}{name}")


def test_upgrade_brings_version_0_up_to_date(cli_db: CliDatabase) -> None:
    """D-49, D-50: older tables are refused (3, naming upgrade); upgrade fixes them (0)."""
    seed(cli_db)
    _drop(cli_db, "deleted_repo_superseded", "deleted_repo_schema_version")
    refused = invoke(cli_db, "search", "--kind", "item", "--id", "231")
    assert refused.exit_code == 3
    assert "schema version 0" in refused.stderr
    assert "'deleted-repo upgrade'" in refused.stderr

    upgraded = invoke(cli_db, "upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert f"from schema version 0 to {SCHEMA_VERSION}" in upgraded.stdout
    assert cli_db.store().schema_version() == SCHEMA_VERSION
    assert invoke(cli_db, "search", "--kind", "item", "--id", "231").exit_code == 0

    again = invoke(cli_db, "upgrade")
    assert again.exit_code == 0, again.stderr
    assert f"at schema version {SCHEMA_VERSION} already" in again.stdout


def test_upgrade_refuses_a_database_without_tables(sqlite_cli_db: CliDatabase) -> None:
    """D-50: upgrade creates nothing: no file, or no tables, exit 3 naming init."""
    missing = invoke(sqlite_cli_db, "upgrade")
    assert missing.exit_code == 3
    assert "deleted-repo init" in missing.stderr
    assert invoke(sqlite_cli_db, "init", "--no-catalog").exit_code == 0
    _drop(sqlite_cli_db, *metadata_names_without_catalog())
    empty = invoke(sqlite_cli_db, "upgrade")
    assert empty.exit_code == 3
    assert "has no deleted_repo tables; create them with 'deleted-repo init'" in empty.stderr


def metadata_names_without_catalog() -> list[str]:
    """Our tables but the catalog's, dependents first."""
    return [t.name for t in reversed(metadata.sorted_tables) if t.name not in CATALOG_TABLES]


def test_upgrade_refuses_newer_tables(sqlite_cli_db: CliDatabase) -> None:
    """D-49: tables of a newer release are refused by upgrade and the rest alike (3)."""
    assert invoke(sqlite_cli_db, "init").exit_code == 0
    with _engine(sqlite_cli_db).begin() as conn:
        newer = SCHEMA_VERSION + 1
        conn.exec_driver_sql(f"UPDATE deleted_repo_schema_version SET version = {newer}")
    for args in (["upgrade"], ["jobs"], ["init"]):
        result = invoke(sqlite_cli_db, *args)
        assert result.exit_code == 3, args
        assert "newer than this code" in result.stderr


def test_init_without_the_catalog(sqlite_cli_db: CliDatabase) -> None:
    """``init --no-catalog`` leaves out the catalog's tables; the commands then say so (3)."""
    created = invoke(sqlite_cli_db, "init", "--no-catalog")
    assert created.exit_code == 0, created.stderr
    tables = set(sa.inspect(_engine(sqlite_cli_db)).get_table_names())
    assert tables == set(metadata.tables) - CATALOG_TABLES
    refused = invoke(sqlite_cli_db, "jobs")
    assert refused.exit_code == 3
    assert "no deleted_repo catalog tables" in refused.stderr
    assert invoke(sqlite_cli_db, "upgrade").exit_code == 0
    assert invoke(sqlite_cli_db, "init").exit_code == 0
    assert invoke(sqlite_cli_db, "jobs").exit_code == 0
    assert sqlite_cli_db.store().catalog.get(INSTITUTION, ["991"]) == {}
