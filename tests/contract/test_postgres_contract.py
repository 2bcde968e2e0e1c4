"""The store contract holds for the SQL store on PostgreSQL."""

from __future__ import annotations

import pytest

from deleted_repo.testing.contract import EXAMPLE_CHECKS, run_state_machine

from .conftest import StoreFactory, scaled

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("check", list(EXAMPLE_CHECKS))
def test_example_check(check: str, postgres_stores: StoreFactory) -> None:
    """Each example check of the contract passes on PostgreSQL."""
    EXAMPLE_CHECKS[check](postgres_stores())


def test_state_machine(postgres_stores: StoreFactory) -> None:
    """Random port calls on PostgreSQL read back as the model says."""
    run_state_machine(postgres_stores, max_examples=scaled(10), step_count=25)
