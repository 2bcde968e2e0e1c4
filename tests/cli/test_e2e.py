"""The installed command line, end to end: a subprocess against SQLite, and PostgreSQL.

Each test runs ``python -m deleted_repo.cli`` as an operator would, then reads the database
back through `SqlStore` to check what changed.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from deleted_repo import RestorePlan, from_json
from tests.support import ANA, INSTITUTION

from .conftest import CliDatabase, run_cli, seed


def test_init_creates_the_tables(cli_db: CliDatabase) -> None:
    """Before ``init`` the database is refused (exit 3, one line); ``init`` creates the tables."""
    before = run_cli(cli_db, "search", "--kind", "item", "--id", "231")
    assert before.returncode == 3
    assert before.stderr.startswith("error: ")
    assert "deleted-repo init" in before.stderr
    assert "Traceback" not in before.stderr

    created = run_cli(cli_db, "init")
    assert created.returncode == 0, created.stderr
    assert "tables are ready" in created.stdout
    assert cli_db.store().catalog.get(INSTITUTION, ["991"]) == {}


def test_an_operators_session(cli_db: CliDatabase, tmp_path: Path) -> None:
    """R-S4, R-P3, R-E1..R-E3, R-R1: search, plan, decline, restore, stale, audit, purge."""
    seed(cli_db)
    store = cli_db.store()

    found = run_cli(cli_db, "search", "--kind", "item", "--deleted-by", "jdoe", "--json")
    assert found.returncode == 0, found.stderr
    assert [h["id"] for h in json.loads(found.stdout)["hits"]] == ["231"]

    saved = tmp_path / "plan.json"
    planned = run_cli(cli_db, "plan", "--kind", "bib", "--id", "991", "--save", str(saved))
    assert planned.returncode == 0, planned.stderr
    assert "bib 991 'Moby Dick' - target" in planned.stdout
    plan = from_json(saved.read_text(), RestorePlan)
    assert plan.ids == ("991", "221", "231")

    declined = run_cli(cli_db, "restore", "--plan", str(saved), input="n\n")
    assert declined.returncode == 1
    assert declined.stderr.strip().endswith("nothing was restored")
    assert store.catalog.get(INSTITUTION, ["991"]) == {}
    assert sorted(store.deleted.get(INSTITUTION, plan.ids)) == ["221", "231", "991"]

    restored = run_cli(cli_db, "restore", "--plan", str(saved), "--yes", "--json")
    assert restored.returncode == 0, restored.stderr
    [job] = json.loads(restored.stdout)["jobs"]
    assert sorted(store.catalog.get(INSTITUTION, plan.ids)) == ["221", "231", "991"]
    assert store.deleted.get(INSTITUTION, plan.ids) == {}
    assert "232" in store.deleted.get(INSTITUTION, ["232"])

    stale = run_cli(cli_db, "restore", "--plan", str(saved), "--yes")
    assert stale.returncode == 1
    assert stale.stderr.strip().splitlines()[-1].startswith("error: the plan is stale")
    assert "Traceback" not in stale.stderr

    exported = tmp_path / "jobs.csv"
    audit = run_cli(cli_db, "jobs", "--export", "csv", "--output", str(exported))
    assert audit.returncode == 0, audit.stderr
    rows = list(csv.DictReader(exported.read_text(encoding="utf-8").splitlines()))
    restored_rows, stale_rows = rows[1:], rows[:1]  # newest first: the stale attempt (D-42)
    assert [(r["id"], r["requested_by"], r["restored"]) for r in restored_rows] == [
        (job["id"], ANA.id, "3")
    ]
    assert [(r["status"], r["restored"], r["counts"]) for r in stale_rows] == [("stale", "0", "{}")]
    assert stale_rows[0]["reason"] == "these records are no longer deleted as planned"
    stored = store.jobs.get(INSTITUTION, job["id"])
    assert stored is not None
    assert stored.restored == ("991", "221", "231")

    dry = run_cli(cli_db, "purge", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["ids"] == ["131", "132"]
    assert sorted(store.deleted.get(INSTITUTION, ["131", "132"])) == ["131", "132"]

    purged = run_cli(cli_db, "purge")
    assert purged.returncode == 0, purged.stderr
    assert "purged 2 records" in purged.stdout
    assert store.deleted.get(INSTITUTION, ["131", "132"]) == {}
    assert "121" in store.deleted.get(INSTITUTION, ["121"])
