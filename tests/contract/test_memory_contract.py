"""The store contract holds for the in-memory store, and catches stores that break it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from typing import Any

import pytest
from hypothesis import Phase, settings

from deleted_repo.errors import IntegrityError
from deleted_repo.jobs import RestoreJob
from deleted_repo.model import Actor, DeletedRecord, DeletionEvent, Record
from deleted_repo.ports import Catalog, DeletedStore, RestoreJobLog
from deleted_repo.search import Cursor, Query, Window
from deleted_repo.stores.memory import MemoryStore
from deleted_repo.testing.contract import (
    EXAMPLE_CHECKS,
    HOME,
    StoreLike,
    run_example_checks,
    run_state_machine,
    run_store_contract,
)

from .conftest import scaled


@pytest.mark.parametrize("check", list(EXAMPLE_CHECKS))
def test_example_check(check: str) -> None:
    """Each example check of the contract passes on the in-memory store."""
    EXAMPLE_CHECKS[check](MemoryStore())


def test_state_machine() -> None:
    """Random port calls on the in-memory store read back as the model says."""
    run_state_machine(MemoryStore, max_examples=scaled(4), step_count=30)


def test_run_store_contract_accepts_the_reference_store() -> None:
    """One call runs the whole contract, and the reference store passes it."""
    run_store_contract(MemoryStore, max_examples=2, step_count=5)


def test_every_check_is_documented() -> None:
    """Every example check states the behaviour it checks."""
    undocumented = [name for name, check in EXAMPLE_CHECKS.items() if not check.__doc__]
    assert undocumented == []


# Stores that break one promise each, to show that the contract notices. Each wraps the
# in-memory store and changes one method.


class _Catalog:
    def __init__(self, inner: Catalog) -> None:
        self.inner = inner

    def get(self, institution: str, ids: Collection[str]) -> dict[str, Record]:
        return dict(self.inner.get(institution, ids))

    def children(self, institution: str, parent_ids: Collection[str]) -> list[Record]:
        return list(self.inner.children(institution, parent_ids))

    def find_by_field(
        self, institution: str, kind: str, field: str, values: Collection[Any]
    ) -> dict[Any, str]:
        return dict(self.inner.find_by_field(institution, kind, field, values))

    def add(self, institution: str, records: Sequence[Record]) -> None:
        self.inner.add(institution, records)

    def remove(self, institution: str, ids: Collection[str]) -> None:
        self.inner.remove(institution, ids)


class _Deleted:
    def __init__(self, inner: DeletedStore) -> None:
        self.inner = inner

    def add_events(self, events: Sequence[DeletionEvent]) -> None:
        self.inner.add_events(events)

    def get(self, institution: str, ids: Collection[str]) -> dict[str, DeletedRecord]:
        return dict(self.inner.get(institution, ids))

    def children(self, institution: str, parent_ids: Collection[str]) -> list[DeletedRecord]:
        return list(self.inner.children(institution, parent_ids))

    def find(
        self, query: Query, *, after: Cursor | None = None, limit: int | None = None
    ) -> list[DeletedRecord]:
        return list(self.inner.find(query, after=after, limit=limit))

    def latest_event(self, institution: str, actor: Actor, window: Window) -> str | None:
        return self.inner.latest_event(institution, actor, window)

    def has_actor(self, institution: str, actor: Actor) -> bool:
        return self.inner.has_actor(institution, actor)

    def remove(self, institution: str, ids: Collection[str]) -> None:
        self.inner.remove(institution, ids)


class _Jobs:
    def __init__(self, inner: RestoreJobLog) -> None:
        self.inner = inner

    def add(self, job: RestoreJob) -> None:
        self.inner.add(job)

    def get(self, institution: str, job_id: str) -> RestoreJob | None:
        return self.inner.get(institution, job_id)

    def list(
        self, institution: str, *, after: str | None = None, limit: int | None = None
    ) -> list[RestoreJob]:
        return list(self.inner.list(institution, after=after, limit=limit))


class _Store:
    def __init__(
        self,
        *,
        catalog: Callable[[Catalog], _Catalog] = _Catalog,
        deleted: Callable[[DeletedStore], _Deleted] = _Deleted,
        jobs: Callable[[RestoreJobLog], _Jobs] = _Jobs,
        transactions: bool = True,
    ) -> None:
        self._inner = MemoryStore()
        self._transactions = transactions
        self.catalog = catalog(self._inner.catalog)
        self.deleted = deleted(self._inner.deleted)
        self.jobs = jobs(self._inner.jobs)

    def transaction(self) -> AbstractContextManager[None]:
        return self._inner.transaction() if self._transactions else nullcontext()


class _PartialAdd(_Catalog):
    def add(self, institution: str, records: Sequence[Record]) -> None:
        for r in records:
            self.inner.add(institution, [r])


class _TextMatchesNumbers(_Catalog):
    def find_by_field(
        self, institution: str, kind: str, field: str, values: Collection[Any]
    ) -> dict[Any, str]:
        found = dict(self.inner.find_by_field(institution, kind, field, values))
        for value in values:
            if isinstance(value, str) and value.isdigit():
                as_number = self.inner.find_by_field(institution, kind, field, [int(value)])
                for ident in as_number.values():
                    found[value] = ident
        return found


class _OneInstitution(_Catalog):
    def get(self, institution: str, ids: Collection[str]) -> dict[str, Record]:
        return dict(self.inner.get(HOME, ids))


class _OldestFirst(_Deleted):
    def find(
        self, query: Query, *, after: Cursor | None = None, limit: int | None = None
    ) -> list[DeletedRecord]:
        return list(reversed(self.inner.find(query, after=after, limit=limit)))


class _CursorSkipsTies(_Deleted):
    def find(
        self, query: Query, *, after: Cursor | None = None, limit: int | None = None
    ) -> list[DeletedRecord]:
        found = list(self.inner.find(query))
        if after is not None:
            found = [e for e in found if e.deleted_at < after[0]]
        return found[:limit]


class _WindowEndExclusive(_Deleted):
    def find(
        self, query: Query, *, after: Cursor | None = None, limit: int | None = None
    ) -> list[DeletedRecord]:
        end = query.window.end
        found = self.inner.find(query, after=after)
        return [e for e in found if end is None or e.deleted_at < end][:limit]


class _LatestIgnoresWindow(_Deleted):
    def latest_event(self, institution: str, actor: Actor, window: Window) -> str | None:
        return self.inner.latest_event(institution, actor, Window(start=None, end=None))


class _ForgetsActors(_Deleted):
    def has_actor(self, institution: str, actor: Actor) -> bool:
        everything = Window(start=None, end=None)
        return self.inner.latest_event(institution, actor, everything) is not None


class _PartialRemove(_Deleted):
    def remove(self, institution: str, ids: Collection[str]) -> None:
        for ident in ids:
            self.inner.remove(institution, [ident])


class _NaiveTimes(_Deleted):
    def get(self, institution: str, ids: Collection[str]) -> dict[str, DeletedRecord]:
        found = self.inner.get(institution, ids)
        return {
            i: DeletedRecord(
                record=e.record,
                role=e.role,
                origin_id=e.origin_id,
                lineage=e.lineage,
                event_id=e.event_id,
                institution=e.institution,
                actor=e.actor,
                deleted_at=e.deleted_at.replace(tzinfo=None),
            )
            for i, e in found.items()
        }


class _OldestJobsFirst(_Jobs):
    def list(
        self, institution: str, *, after: str | None = None, limit: int | None = None
    ) -> list[RestoreJob]:
        return list(reversed(self.inner.list(institution, after=after, limit=limit)))


class _JobsTwice(_Jobs):
    def add(self, job: RestoreJob) -> None:
        with suppress(IntegrityError):
            self.inner.add(job)


MUTANTS: list[tuple[str, Callable[[], StoreLike], str]] = [
    ("catalog.add writes before refusing", functools.partial(_Store, catalog=_PartialAdd),
     "catalog_add_refuses_an_active_id"),
    ("find_by_field matches '5' to 5", functools.partial(_Store, catalog=_TextMatchesNumbers),
     "catalog_find_by_field_matches_exact_values"),
    ("catalog.get ignores the institution", functools.partial(_Store, catalog=_OneInstitution),
     "institutions_are_isolated"),
    ("find returns oldest first", functools.partial(_Store, deleted=_OldestFirst),
     "find_orders_newest_first_then_by_id"),
    ("find's cursor skips equal times", functools.partial(_Store, deleted=_CursorSkipsTies),
     "find_pages_never_skip_or_repeat"),
    ("find's window end is exclusive", functools.partial(_Store, deleted=_WindowEndExclusive),
     "find_window_bounds_are_inclusive"),
    ("latest_event ignores the window", functools.partial(_Store, deleted=_LatestIgnoresWindow),
     "latest_event_skips_fully_removed_events"),
    ("has_actor forgets emptied events", functools.partial(_Store, deleted=_ForgetsActors),
     "has_actor_outlives_the_records"),
    ("deleted.remove removes before refusing", functools.partial(_Store, deleted=_PartialRemove),
     "deleted_remove_refuses_a_missing_id"),
    ("deleted.get returns naive times", functools.partial(_Store, deleted=_NaiveTimes),
     "deleted_get_returns_members_as_recorded"),
    ("jobs.list returns oldest first", functools.partial(_Store, jobs=_OldestJobsFirst),
     "jobs_list_newest_first_and_pages"),
    ("jobs.add accepts a repeated id", functools.partial(_Store, jobs=_JobsTwice),
     "jobs_are_recorded_once"),
    ("transaction() does not roll back", functools.partial(_Store, transactions=False),
     "transaction_rolls_back_every_port"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make_store", "check"), [m[1:] for m in MUTANTS], ids=[m[0] for m in MUTANTS]
)
def test_the_check_catches_a_broken_store(make_store: Callable[[], StoreLike], check: str) -> None:
    """A store that breaks the promise a check is about fails that check."""
    with pytest.raises(AssertionError):
        EXAMPLE_CHECKS[check](make_store())


def test_run_example_checks_names_the_failed_check() -> None:
    """The whole set of checks fails on a broken store, naming the check that failed."""
    with pytest.raises(AssertionError, match=r"store contract check '\w+' failed"):
        run_example_checks(functools.partial(_Store, transactions=False))


@pytest.mark.parametrize(
    "make_store",
    [
        functools.partial(_Store, transactions=False),
        functools.partial(_Store, deleted=_PartialRemove),
        functools.partial(_Store, deleted=_OldestFirst),
    ],
    ids=["no rollback", "partial remove", "oldest first"],
)
def test_state_machine_catches_a_broken_store(make_store: Callable[[], StoreLike]) -> None:
    """The state machine alone finds a store that breaks a promise."""
    with pytest.raises(AssertionError):
        run_state_machine(
            make_store,
            max_examples=200,
            step_count=30,
            # Finding the failure is the point here; shrinking it would only take time.
            settings=settings(database=None, derandomize=True, phases=[Phase.generate]),
        )
