"""The default ids of events and jobs: version 7 UUIDs, ordered by when they were made (D-60)."""

from __future__ import annotations

import time
import uuid

import pytest

from deleted_repo import Actor, ById
from deleted_repo.ids import new_id
from tests.support import BIB_1, INSTITUTION, MANAGER, repository


def test_an_id_is_a_version_7_uuid_in_hex() -> None:
    """D-60: 32 lower-case hex digits that parse as an RFC 9562 UUID of version 7."""
    made = new_id()
    parsed = uuid.UUID(made)
    assert len(made) == 32
    assert made == parsed.hex
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_ids_carry_the_millisecond_they_were_made_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """D-60: the first 48 bits are Unix milliseconds, so a later millisecond sorts after."""
    times = iter([1_796_000_000_000_123_456, 1_796_000_000_001_000_000, 1_796_000_000_002_999_999])
    monkeypatch.setattr(time, "time_ns", lambda: next(times))
    made = [new_id() for _ in range(3)]
    assert [int(m[:12], 16) for m in made] == [
        1_796_000_000_000,
        1_796_000_000_001,
        1_796_000_000_002,
    ]
    assert made == sorted(made)


def test_ids_of_one_millisecond_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    """D-60: 74 random bits keep apart the ids made in the same millisecond."""
    monkeypatch.setattr(time, "time_ns", lambda: 1_796_000_000_000_000_000)
    made = {new_id() for _ in range(1000)}
    assert len(made) == 1000
    assert {m[:12] for m in made} == {f"{1_796_000_000_000:012x}"}


def test_the_facade_makes_its_ids_so_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """D-60: events and jobs get time-ordered ids unless the host passes `new_id`."""
    times = iter(range(1_796_000_000_000_000_000, 1_796_000_001_000_000_000, 1_000_000))
    monkeypatch.setattr(time, "time_ns", lambda: next(times))
    repo = repository()
    repo.catalog.add(INSTITUTION, BIB_1)
    first = repo.delete(INSTITUTION, ["itm-1"], actor=Actor.user("jdoe"))
    second = repo.delete(INSTITUTION, ["itm-2"], actor=Actor.user("jdoe"))
    plan = repo.plan(ById(kind="item", id="itm-1"), requester=MANAGER)
    (job,) = repo.restore(plan, requester=MANAGER).jobs
    made = [first.id, second.id, job.id]
    assert all(uuid.UUID(m).version == 7 for m in made)
    assert made == sorted(made)
