"""``deleted-repo demo``: the sample institution and the walkthrough of the rules."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from deleted_repo import ALMA
from deleted_repo.cli import cli
from deleted_repo.cli.sample import INSTITUTION
from deleted_repo.jobs import JobStatus
from deleted_repo.stores.sql import SqlStore

HEADINGS = (
    "1. A sample institution",
    "2. Restoring a bib restores what was deleted with it",
    "3. Restoring an item restores its holding and bib, not its siblings",
    "4. A user's last action",
    "5. A job",
    "6. System deletions, under either label",
    "7. The one-year window, and search by id",
    "8. Digital files expire after 90 days: a partial plan",
    "9. A conflict: the barcode is now held by an active item",
    "10. At most",
    "11. A stale plan is refused",
    "12. Every restore is recorded",
)


def test_the_demo_walks_through_every_rule_and_keeps_its_database(tmp_path: Path) -> None:
    """The installed demo, at its full size: every step, then a database the commands can use."""
    path = tmp_path / "demo.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELETED_REPO_")}
    result = subprocess.run(
        [sys.executable, "-m", "deleted_repo.cli", "demo", "--db", str(path)],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    positions = [out.index(heading) for heading in HEADINGS]
    assert positions == sorted(positions)
    assert "Electronic Inventory Creator" in out
    assert "partial: expired records are left out" in out
    assert "unique_conflict" in out
    assert "error: the restore would bring back" in out
    assert "over the limit of 5000 per restore job" in out
    assert "error: the plan is stale" in out
    assert f"DELETED_REPO_INSTITUTION={INSTITUTION}" in out

    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        jobs = SqlStore(engine).jobs.list(INSTITUTION)
        with engine.connect() as conn:
            kinds = Counter(
                kind
                for table in ("deleted_repo_catalog", "deleted_repo_deleted")
                for kind in conn.execute(sa.text(f"SELECT kind FROM {table}")).scalars()
            )
    finally:
        engine.dispose()
    assert len(jobs) == 10
    assert [j.status for j in jobs].count(JobStatus.STALE) == 1  # the stale plan's attempt (D-42)
    assert {job.requested_by for job in jobs} == {"ana", "tmeyer"}
    assert set(kinds) == set(ALMA.kinds)
    assert min(kinds.values()) >= 10_000


def test_a_small_demo_removes_its_temporary_database() -> None:
    """Every step runs on a small sample too; without ``--keep`` or ``--db`` it leaves nothing."""
    result = CliRunner().invoke(cli, ["demo", "--titles", "50"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    positions = [result.stdout.index(heading) for heading in HEADINGS]
    assert positions == sorted(positions)
    assert "This smaller sample's policy caps a job at" in result.stdout
    [line] = [x for x in result.stdout.splitlines() if "building the sample institution" in x]
    assert not Path(line.rsplit(" in ", 1)[1]).exists()
    assert "The database is kept" not in result.stdout


def test_demo_refuses_an_existing_database(tmp_path: Path) -> None:
    """The demo needs a new database: an existing file is bad input (exit 2), left untouched."""
    path = tmp_path / "mine.sqlite3"
    path.write_bytes(b"precious")
    result = CliRunner().invoke(cli, ["demo", "--db", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {path} already exists; the demo needs a new database\n"
    assert path.read_bytes() == b"precious"
