"""Databases and runners for the command line's tests.

Each test gets a database of its own: a SQLite file, or a fresh PostgreSQL schema of this run
from the `tests.postgres` plugin, which says when PostgreSQL runs, skips or fails. `seed` fills
it through the library with deletions relative to the real clock, since the command line, run
as `ANA` of `INSTITUTION`, reads the real clock.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from deleted_repo import Actor, Record
from deleted_repo.cli import cli
from deleted_repo.stores.sql import SqlStore
from tests.postgres import new_schema
from tests.support import ANA, INSTITUTION, Clock, repository


@dataclass
class CliDatabase:
    """A database the command line runs against.

    Attributes:
        name: "sqlite" or "postgres".
        db: the value of ``--db``.
        schema: the PostgreSQL schema of the tables, or None.
    """

    name: str
    db: str
    schema: str | None
    engines: list[sa.Engine] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        """The environment that points the command line at this database, as `ANA`."""
        env = {
            "DELETED_REPO_DB": self.db,
            "DELETED_REPO_USER": ANA.id,
            "DELETED_REPO_INSTITUTION": INSTITUTION,
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }
        if self.schema is not None:
            env["DELETED_REPO_SCHEMA"] = self.schema
        return env

    def store(self) -> SqlStore:
        """A store on this database, to read back what the command line did."""
        url = self.db if "://" in self.db else f"sqlite:///{self.db}"
        engine = sa.create_engine(url)
        self.engines.append(engine)
        return SqlStore(engine, schema=self.schema)

    def dispose(self) -> None:
        """Close the connections the test opened."""
        for engine in self.engines:
            engine.dispose()


@pytest.fixture
def sqlite_cli_db(tmp_path: Path) -> Iterator[CliDatabase]:
    """A SQLite file of its own, given to ``--db`` as a bare path (its tables not created)."""
    db = CliDatabase("sqlite", str(tmp_path / "repo.sqlite3"), None)
    yield db
    db.dispose()


@pytest.fixture
def postgres_cli_db(postgres_url: sa.URL) -> Iterator[CliDatabase]:
    """A fresh schema of this run in the PostgreSQL database (its tables not created)."""
    db = CliDatabase("postgres", postgres_url.render_as_string(hide_password=False), new_schema())
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cli_db(request: pytest.FixtureRequest) -> CliDatabase:
    """Each database in turn."""
    db: CliDatabase = request.getfixturevalue(f"{request.param}_cli_db")
    return db


def seed(db: CliDatabase) -> datetime:
    """Create the tables and a small history relative to the real clock; return its "now".

    * jdoe withdrew item 232 five days ago, then deleted bib 991 (holding 221, item 231) two
      days ago.
    * Job J-WEED-7 deleted item 233 three days ago, and its emptied holding 222 and bib 992.
    * asmith deleted representation 121 with files 131 and 132 a hundred days ago (files are
      past their 90 days).
    * The System deleted portfolio 531 ten days ago.
    * kpatel withdrew item 238 (barcode B-9) twenty days ago; active item 239 holds B-9 now.
    * hsato deleted bib 996 four hundred days ago.
    """
    store = db.store()
    store.create_schema()
    now = datetime.now(UTC)
    clock = Clock(now)
    repo = repository(store, clock=clock)
    repo.catalog.add(
        INSTITUTION,
        [
            Record("bib", "991", data={"title": "Moby Dick"}),
            Record("holding", "221", parent_id="991"),
            Record("item", "231", parent_id="221", data={"barcode": "B-1"}),
            Record("item", "232", parent_id="221", data={"barcode": "B-2"}),
            Record("bib", "992", data={"title": "Walden"}),
            Record("holding", "222", parent_id="992"),
            Record("item", "233", parent_id="222", data={"barcode": "B-3"}),
            Record("bib", "993", data={"title": "Leaves of Grass"}),
            Record("representation", "121", parent_id="993", data={"label": "Scans"}),
            Record("file", "131", parent_id="121", data={"file_name": "p1.tif"}),
            Record("file", "132", parent_id="121", data={"file_name": "p2.tif"}),
            Record("bib", "994", data={"title": "Ulysses"}),
            Record("portfolio", "531", parent_id="994"),
            Record("bib", "995", data={"title": "Dubliners"}),
            Record("holding", "225", parent_id="995"),
            Record("item", "238", parent_id="225", data={"barcode": "B-9"}),
            Record("bib", "996", data={"title": "Emma"}),
        ],
    )
    for days, ids, actor, emptied in (
        (400, ["996"], Actor.user("hsato"), "retain"),
        (100, ["121"], Actor.user("asmith"), "retain"),
        (20, ["238"], Actor.user("kpatel"), "retain"),
        (10, ["531"], Actor.system("System"), "retain"),
        (5, ["232"], Actor.user("jdoe"), "retain"),
        (3, ["233"], Actor.job("J-WEED-7"), "delete"),
        (2, ["991"], Actor.user("jdoe"), "retain"),
    ):
        clock.now = now - timedelta(days=days)
        repo.delete(INSTITUTION, ids, actor=actor, emptied_parents=emptied)
    repo.catalog.add(INSTITUTION, [Record("item", "239", parent_id="225", data={"barcode": "B-9"})])
    return now


def run_cli(
    db: CliDatabase, *args: str, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed command line in a subprocess against `db`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELETED_REPO_")}
    env.update(db.env())
    return subprocess.run(
        [sys.executable, "-m", "deleted_repo.cli", *args],
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def invoke(db: CliDatabase, *args: str, input: str | None = None) -> Result:
    """Run the command line in this process against `db` (faster; same code and exit codes)."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("DELETED_REPO_")}
    env.update(db.env())
    return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)
