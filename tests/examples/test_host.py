"""The example host: its walk-through runs, and it passes the whole store contract.

The host keeps its catalog in its own tables with fixed columns; the contract is run with the
host's world (D-38), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Collection
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from examples.host import HOST_TABLES, HostCatalog, host_world

from deleted_repo import RecordNotFoundError
from deleted_repo.testing.contract import EXAMPLE_CHECKS, run_store_contract

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


class _AnyKind(HostCatalog):
    def find_by_field(
        self, institution: str, kind: str, field: str, values: Collection[Any]
    ) -> dict[Any, str]:
        return super().find_by_field(institution, "item", field, values)


class _EveryInstitution(HostCatalog):
    def remove(self, institution: str, ids: Collection[str]) -> None:
        for other in host_world(lambda: None).institutions:
            with suppress(RecordNotFoundError):
                super().remove(other, ids)


@pytest.mark.parametrize(
    ("catalog", "check"),
    [
        (_AnyKind, "catalog_find_by_field_matches_exact_values"),
        (_EveryInstitution, "institutions_are_isolated"),
    ],
    ids=["find_by_field ignores the kind", "remove ignores the institution"],
)
def test_the_host_world_catches_a_broken_host_catalog(
    sqlite_host: Host, catalog: type[HostCatalog], check: str
) -> None:
    """In the host's world, a host catalog that breaks a promise fails the check about it."""
    store = sqlite_host.store()
    store.catalog = catalog(sqlite_host.connection, HOST_TABLES)
    world = host_world(sqlite_host.reset)
    world.fresh()
    with pytest.raises(AssertionError):
        EXAMPLE_CHECKS[check](store, world)
