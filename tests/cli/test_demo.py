"""``deleted-repo demo``: the sample institution and the walkthrough of the rules."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from deleted_repo.cli import cli
from deleted_repo.cli.sample import INSTITUTION
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


def test_demo_walks_through_every_rule_and_keeps_its_database(tmp_path: Path) -> None:
    """The demo runs each step on a database it builds, and leaves it for the other commands."""
    path = tmp_path / "demo.sqlite3"
    result = CliRunner().invoke(
        cli, ["demo", "--titles", "400", "--db", str(path)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    positions = [out.index(heading) for heading in HEADINGS]
    assert positions == sorted(positions)
    assert "Electronic Inventory Creator" in out
    assert "System" in out
    assert "partial: expired records are left out" in out
    assert "unique_conflict" in out
    assert "error: the restore would bring back" in out
    assert "error: the plan is stale" in out
    assert f"DELETED_REPO_INSTITUTION={INSTITUTION}" in out

    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        jobs = SqlStore(engine).jobs.list(INSTITUTION)
    finally:
        engine.dispose()
    assert len(jobs) == 9
    assert {job.requested_by for job in jobs} == {"ana", "tmeyer"}


def test_demo_removes_its_temporary_database(tmp_path: Path) -> None:
    """Without ``--keep`` or ``--db`` the demo's database is gone when it ends."""
    result = CliRunner().invoke(cli, ["demo", "--titles", "50"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
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
