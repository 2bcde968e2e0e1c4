"""Shared test settings: hypothesis profiles, the everyday fixtures and the PostgreSQL plugin."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from deleted_repo import DeletedRepository, Requester
from tests.support import MANAGER, Clock, counter, repository

pytest_plugins = ["tests.postgres"]

settings.register_profile("ci", max_examples=100, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def clock() -> Clock:
    """A hand-moved clock starting at `START`."""
    return Clock()


@pytest.fixture
def repo(clock: Clock) -> DeletedRepository:
    """A repository over a fresh in-memory store, with Alma's hierarchy and policy."""
    return repository(clock=clock, new_id=counter("id"))


@pytest.fixture
def manager() -> Requester:
    """A Repository Manager of `INSTITUTION`."""
    return MANAGER
