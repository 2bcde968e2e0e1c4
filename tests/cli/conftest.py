"""Databases and runners for the command line's tests.

Each test gets a database of its own: a SQLite file, or, when ``DELETED_REPO_POSTGRES_URL`` is
set, a fresh PostgreSQL schema that is dropped afterwards (``DELETED_REPO_REQUIRE_POSTGRES=1``
turns a missing server into a failure instead of a skip). `seed` fills it through the library
with deletions relative to the real clock, since the command line reads the real clock.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from deleted_repo import Actor, DeletedRepository, Record
from deleted_repo.cli import cli
from deleted_repo.stores.sql import SqlStore

POSTGRES_URL = os.environ.get("DELETED_REPO_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("DELETED_REPO_REQUIRE_POSTGRES") == "1"
INSTITUTION = "01UNI"
USER = "ana"


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
        """The environment that points the command line at this database, as ana of 01UNI."""
        env = {
            "DELETED_REPO_DB": self.db,
            "DELETED_REPO_USER": USER,
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


def _unavailable(reason: str) -> None:
    if REQUIRE_POSTGRES:
        pytest.fail(f"DELETED_REPO_REQUIRE_POSTGRES=1, but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture
def sqlite_cli_db(tmp_path: Path) -> Iterator[CliDatabase]:
    """A SQLite file of its own, given to ``--db`` as a bare path (its tables not created)."""
    db = CliDatabase("sqlite", str(tmp_path / "repo.sqlite3"), None)
    yield db
    db.dispose()


@pytest.fixture
def postgres_cli_db() -> Iterator[CliDatabase]:
    """A fresh schema in the PostgreSQL database (its tables not created), dropped afterwards."""
    if not POSTGRES_URL:
        _unavailable("DELETED_REPO_POSTGRES_URL is not set")
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as e:
        engine.dispose()
        _unavailable(f"PostgreSQL is unreachable ({e.__class__.__name__})")
    schema = f"cli_{uuid.uuid4().hex[:12]}"
    db = CliDatabase("postgres", POSTGRES_URL, schema)
    yield db
    db.dispose()
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cli_db(request: pytest.FixtureRequest) -> CliDatabase:
    """Each database in turn."""
    db: CliDatabase = request.getfixturevalue(f"{request.param}_cli_db")
    return db


class SetClock:
    """A clock set by hand, for seeding deletions in the past."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


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
    clock = SetClock(now)
    repo = DeletedRepository(store, clock=clock)
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
