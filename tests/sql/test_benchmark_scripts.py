"""The benchmark scripts run to the end at a small size, so they stay usable.

These tests time nothing and judge no figure: a benchmark's targets are for a full-size run on
the reader's machine (docs/performance.md). They check that each script finishes, prints every
measure it promises, and exits with 0 (every target met) or 1 (a target missed), not a crash.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"
SMALL = ["--records", "12000", "--rounds", "1"]
"""Just over the two 5,000-record segments every size holds."""


def run(script: str, *args: str, postgres_url: str | None = None) -> str:
    """Run a benchmark script; its output, after checking it ended as a benchmark should."""
    env = {k: v for k, v in os.environ.items() if k != "DELETED_REPO_POSTGRES_URL"}
    if postgres_url is not None:
        env["DELETED_REPO_POSTGRES_URL"] = postgres_url
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def test_the_memory_benchmark_prints_every_measure() -> None:
    """bench_memory.py builds, searches, plans and restores, and reports each."""
    out = run("bench_memory.py", *SMALL)
    for measure in ("build through the facade", "search by id", "search by user", "plan", "RSS"):
        assert measure in out, out
    assert "target(s) missed" in out


def test_the_sqlite_benchmark_prints_both_floors() -> None:
    """bench_sql.py on SQLite: capture, searches, restore, and the hand-written floors."""
    out = run("bench_sql.py", *SMALL, "--no-postgres")
    for measure in (
        "capture: record_deletions",
        "capture floor: hand-written sqlite3 inserts",
        "search by id",
        "plan + execute, median",
        "floor: hand-written sqlite3 restore",
        "ours / floor: plan + execute",
    ):
        assert measure in out, out
    assert "PostgreSQL" not in out


@pytest.mark.postgres
def test_the_postgres_benchmark_runs_and_drops_its_schema(postgres_url: sa.URL) -> None:
    """bench_sql.py on PostgreSQL too, in a schema of its own that it drops at the end."""
    engine = sa.create_engine(postgres_url)

    def bench_schemas() -> set[str]:
        with engine.connect() as conn:
            return set(
                conn.execute(
                    sa.text("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, 'bench_')")
                ).scalars()
            )

    try:
        out = run("bench_sql.py", *SMALL, postgres_url=postgres_url.render_as_string(False))
        assert "PostgreSQL" in out
        assert out.count("plan + execute, median") == 2, out
        # Only this run's schema: other runs on the same server may hold theirs meanwhile.
        schema = re.search(r"schema (bench_\w+)", out)
        assert schema is not None, out
        assert schema.group(1) not in bench_schemas()
    finally:
        engine.dispose()


def test_the_job_restore_benchmark_prints_every_measure() -> None:
    """bench_restore_job.py: a job's restore on memory and SQLite, floors, capture, memory peak."""
    out = run("bench_restore_job.py", "--sizes", "5000", "--rounds", "1", "--no-postgres")
    for measure in (
        "memory, 5,000",
        "SQLite, 5,000",
        "plan + execute, median",
        "floor: the same restore by hand, median",
        "ours / floor",
        "capture floor: hand-written sqlite3 inserts",
        "peak memory over a plan and restore",
    ):
        assert measure in out, out
    assert "target(s) missed" in out


@pytest.mark.postgres
def test_the_job_restore_benchmark_runs_on_postgres(postgres_url: sa.URL) -> None:
    """bench_restore_job.py on PostgreSQL: ours against the psycopg floor."""
    url = postgres_url.render_as_string(False)
    out = run("bench_restore_job.py", "--sizes", "5000", "--rounds", "1", postgres_url=url)
    assert "PostgreSQL, 5,000" in out, out
    assert out.count("ours / floor") == 2, out
