"""The example host: its walk-through runs, and it passes the whole store contract.

The host keeps its catalog in its own tables with fixed columns; the contract is run with the
host's world (D-38), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from examples.host import host_world

from deleted_repo.testing.contract import run_store_contract

from .conftest import Host

ROOT = Path(__file__).resolve().parents[2]


def test_the_walk_through_runs() -> None:
    """`python -m examples.host` deletes a bib in the host's tables, finds it and restores it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-m", "examples.host"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "the host's tables hold 4 rows",
        "a delete the host rolled back: 4 rows, 0 recorded",
        "the host deleted bib 991 in its transaction; captured: bib 991, holding 221, "
        "item 231, item 232",
        "the host's tables hold 0 rows",
        "found item 232 by its barcode: deleted by user 'jdoe' with 991",
        "the plan restores: 991, 221, 231, 232",
        "restored 4 records into the host's tables",
        "bib 991 is back: 'Moby Dick'; the host's tables hold 4 rows",
    ]


def _contract(host: Host) -> None:
    skipped = run_store_contract(
        host.store, world=host_world(host.reset), max_examples=10, step_count=15
    )
    assert skipped == ()


def test_the_host_passes_the_contract_on_sqlite(sqlite_host: Host) -> None:
    """The host's store keeps every promise of the ports on SQLite, in the host's world."""
    _contract(sqlite_host)


@pytest.mark.postgres
def test_the_host_passes_the_contract_on_postgres(postgres_host: Host) -> None:
    """The host's store keeps every promise of the ports on PostgreSQL, in the host's world."""
    _contract(postgres_host)
