"""Shared test settings: hypothesis profiles and the everyday fixtures."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings

from deleted_repo import DeletedRepository, Requester

settings.register_profile("ci", max_examples=100, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

INSTITUTION = "01UNI"
"""The institution most tests work in."""

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
"""The clock's time when a test starts."""


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by a timedelta's keyword arguments; return the new time."""
        self.now += timedelta(**delta)
        return self.now


def counter(prefix: str) -> Callable[[], str]:
    """Make deterministic ids: prefix-0001, prefix-0002, ..."""
    numbers = itertools.count(1)
    return lambda: f"{prefix}-{next(numbers):04d}"


@pytest.fixture
def clock() -> Clock:
    """A hand-moved clock starting at `START`."""
    return Clock()


@pytest.fixture
def repo(clock: Clock) -> DeletedRepository:
    """A repository over a fresh in-memory store, with Alma's hierarchy and policy."""
    return DeletedRepository.in_memory(clock=clock, new_id=counter("id"))


@pytest.fixture
def manager() -> Requester:
    """A Repository Manager of `INSTITUTION`."""
    return Requester(user_id="manager", institution=INSTITUTION, roles={"Repository Manager"})
