"""The store contract holds for the SQL store on SQLite, in a file and in memory."""

from __future__ import annotations

import pytest

from deleted_repo.testing.contract import EXAMPLE_CHECKS, run_state_machine

from .conftest import StoreFactory, scaled


@pytest.mark.parametrize("check", list(EXAMPLE_CHECKS))
def test_example_check_on_a_file(check: str, sqlite_file_stores: StoreFactory) -> None:
    """Each example check of the contract passes on a SQLite file."""
    EXAMPLE_CHECKS[check](sqlite_file_stores())


@pytest.mark.parametrize("check", list(EXAMPLE_CHECKS))
def test_example_check_in_memory(check: str, sqlite_memory_stores: StoreFactory) -> None:
    """Each example check of the contract passes on an in-memory SQLite database."""
    EXAMPLE_CHECKS[check](sqlite_memory_stores())


def test_state_machine_on_a_file(sqlite_file_stores: StoreFactory) -> None:
    """Random port calls on a SQLite file read back as the model says."""
    run_state_machine(sqlite_file_stores, max_examples=scaled(10), step_count=25)


def test_state_machine_in_memory(sqlite_memory_stores: StoreFactory) -> None:
    """Random port calls on an in-memory SQLite database read back as the model says."""
    run_state_machine(sqlite_memory_stores, max_examples=scaled(10), step_count=25)
