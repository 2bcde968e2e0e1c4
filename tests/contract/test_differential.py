"""The SQL store and the in-memory store agree: the same operations give the same answers.

A state machine drives one `DeletedRepository` per store with the same operations (deletes,
recorded deletions, searches with every criterion and paging, plans with and without batches,
restores of fresh and stale plans, purges, conflicts, and clock advances) and checks that every
answer, serialized, and every error type is the same, and that the stores hold the same records
after each step. Event and job ids come from a counter per repository, so equal histories give
equal ids. Answers are compared as the public agreement runner compares them
(`deleted_repo.testing.agreement.compare`); the runner drives random deletion histories, this
machine adds what histories leave out (ids catalogued again, recorded deletions, purges).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from deleted_repo import (
    Actor,
    ActorKind,
    ByField,
    ById,
    ByJob,
    ByRange,
    BySystem,
    ByUser,
    Criteria,
    DeletedRepoError,
    DeletedRepository,
    EmptiedParents,
    Policy,
    Record,
    RestorePlan,
    SearchPage,
)
from deleted_repo.ports import Store
from deleted_repo.stores.memory import MemoryStore
from deleted_repo.testing.agreement import compare
from deleted_repo.testing.strategies import actors, catalogs
from tests.support import INSTITUTION, OTHER, Clock, counter, manager_of, repository

from .conftest import StoreFactory, scaled

T = TypeVar("T")

INSTITUTIONS = (INSTITUTION, OTHER)
# A cap of three records per job makes batches and refused plans common (R-P8).
POLICY = Policy(max_records_per_job=3)
KINDS = ["bib", "bib", "holding", "item", "item", "portfolio", "representation", "file"]
USERS = ["ana", "bo", "cy", "zed"]
JOBS = ["J1", "J2", "J9"]
MAX_PAGES = 30


class Agreement(RuleBasedStateMachine):
    """One repository per store; every rule runs on all of them and compares the answers."""

    factories: ClassVar[Sequence[tuple[str, Callable[[], Store]]]]

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.repos: dict[str, DeletedRepository] = {}
        for name, make in type(self).factories:
            store = make()
            self.repos[name] = repository(
                store,
                clock=self.clock,
                policy=POLICY,
                new_id=counter("id"),
            )
        self.reference = next(iter(self.repos.values()))
        self.ids: dict[str, set[str]] = {i: set() for i in INSTITUTIONS}
        self.plans: list[dict[str, RestorePlan]] = []
        self.prefixes = itertools.count()

    def _each(self, what: str, call: Callable[[str, DeletedRepository], T]) -> T | None:
        """Run `call` on every repository; check they agree; return the reference's result."""
        results: dict[str, T | DeletedRepoError] = {}
        for name, repo in self.repos.items():
            try:
                results[name] = call(name, repo)
            except DeletedRepoError as e:
                results[name] = e
        compare(what, results)
        first = next(iter(results.values()))
        return None if isinstance(first, DeletedRepoError) else first

    def _active(self, institution: str) -> list[str]:
        return sorted(self.reference.catalog.get(institution, self.ids[institution]))

    def _deleted(self, institution: str) -> list[str]:
        return sorted(self.reference.deleted.get(institution, self.ids[institution]))

    def _fresh(self, data: st.DataObject, institution: str, max_size: int = 8) -> list[Record]:
        prefix = f"r{next(self.prefixes)}-"
        records = data.draw(catalogs(min_size=1, max_size=max_size, id_prefix=prefix))
        self.ids[institution].update(r.id for r in records)
        return records

    def _criteria(self, data: st.DataObject, institution: str) -> Criteria:
        """Any criterion; most are aimed at a deleted record, so that they find something."""
        deleted = self._deleted(institution)
        seed = None
        if deleted and data.draw(st.sampled_from([True, True, True, False])):
            ident = data.draw(st.sampled_from(deleted))
            seed = self.reference.deleted.get(institution, [ident]).get(ident)
        kind = data.draw(st.sampled_from(KINDS))
        around = self.clock.now
        spread = st.integers(0, 400)
        ident = data.draw(st.sampled_from(sorted(self.ids[institution]) or ["none"]))
        user, job = data.draw(st.sampled_from(USERS)), data.draw(st.sampled_from(JOBS))
        barcode = f"barcode-{data.draw(st.integers(0, 7))}"
        if seed is not None:
            kind, ident, around, spread = seed.kind, seed.id, seed.deleted_at, st.integers(0, 2)
            barcode = str(seed.record.data.get("barcode", barcode))
            user = seed.actor.id if seed.actor.kind is ActorKind.USER else user
            job = seed.actor.id if seed.actor.kind is ActorKind.JOB else job
        start = around - timedelta(days=data.draw(spread))
        end = max(start, around + timedelta(days=data.draw(spread)) - timedelta(days=1))
        ranged = data.draw(st.booleans())
        way = data.draw(st.sampled_from(["id", "range", "user", "job", "system", "field"]))
        if way == "id":
            return ById(kind=kind, id=ident)
        if way == "range":
            return ByRange(kind=kind, start=start, end=end)
        if way == "user":
            return ByUser(
                kind=kind,
                user_id=user,
                start=start if ranged else None,
                end=end if ranged else None,
            )
        if way == "job":
            return ByJob(kind=kind, job_id=job)
        if way == "system":
            return BySystem(kind=kind, start=start if ranged else None, end=end if ranged else None)
        field = data.draw(st.sampled_from(["barcode", "barcode", "title"]))
        return ByField(kind=kind, field=field, value=barcode)

    # Changing the state

    @rule(data=st.data(), institution=st.sampled_from(INSTITUTIONS))
    def add_records(self, data: st.DataObject, institution: str) -> None:
        """The host adds new records to its catalog."""
        records = self._fresh(data, institution)
        self._each("catalog.add", lambda _, repo: repo.catalog.add(institution, records))

    @precondition(lambda self: any(self._deleted(i) for i in INSTITUTIONS))
    @rule(data=st.data(), institution=st.sampled_from(INSTITUTIONS))
    def reuse_a_deleted_identity(self, data: st.DataObject, institution: str) -> None:
        """The host brings a deleted id, or a deleted item's barcode, back into use (R-P7)."""
        deleted = self._deleted(institution) or ["none"]
        ident = data.draw(st.sampled_from(deleted))
        entry = self.reference.deleted.get(institution, [ident]).get(ident)
        if entry is None:
            return
        record = entry.record
        if data.draw(st.booleans()):
            record = Record(record.kind, f"{record.id}-twin", record.parent_id, record.data)
            self.ids[institution].add(record.id)
        self._each("catalog.add", lambda _, repo: repo.catalog.add(institution, [record]))

    @precondition(lambda self: any(self._active(i) for i in INSTITUTIONS))
    @rule(
        data=st.data(),
        institution=st.sampled_from(INSTITUTIONS),
        actor=actors(),
        emptied=st.sampled_from(EmptiedParents),
    )
    def delete(
        self, data: st.DataObject, institution: str, actor: Actor, emptied: EmptiedParents
    ) -> None:
        """Delete a few records, now and then one that is not active (R-D1..R-D5)."""
        active = self._active(institution) or ["none"]
        ids = data.draw(st.lists(st.sampled_from(active), min_size=1, max_size=3, unique=True))
        if data.draw(st.integers(0, 5)) == 0:
            ids.append(data.draw(st.sampled_from([*self._deleted(institution), "unknown"])))
        self._each(
            f"delete({institution!r}, {ids}, {actor}, {emptied})",
            lambda _, repo: repo.delete(institution, ids, actor=actor, emptied_parents=emptied),
        )

    @rule(
        data=st.data(),
        institution=st.sampled_from(INSTITUTIONS),
        actor=actors(),
        days_ago=st.none() | st.integers(0, 500),
    )
    def record_deletion(
        self, data: st.DataObject, institution: str, actor: Actor, days_ago: int | None
    ) -> None:
        """Record records the host removed itself, now or in the past (R-D1)."""
        records = self._fresh(data, institution, max_size=5)
        gone = sorted(set(self._deleted(institution)) - set(self._active(institution)))
        again: bool = data.draw(st.booleans())
        if gone and again:
            # R-D6: the host catalogued a deleted id again, and has now removed it again.
            entry = self.reference.deleted.get(institution, [data.draw(st.sampled_from(gone))])
            records = [
                Record(e.record.kind, e.id, e.record.parent_id, {"title": "again"})
                for e in entry.values()
            ]
        at = None if days_ago is None else self.clock.now - timedelta(days=days_ago)
        self._each(
            f"record_deletion({institution!r}, {[r.id for r in records]}, {actor}, at={at})",
            lambda _, repo: repo.record_deletion(institution, records, actor=actor, at=at),
        )

    @rule(days=st.integers(0, 120), minutes=st.integers(0, 59), seconds=st.sampled_from([0, 0.5]))
    def advance_clock(self, days: int, minutes: int, seconds: float) -> None:
        """Time passes: windows move and files expire (R-S2, R-P6)."""
        self.clock.now += timedelta(days=days, minutes=minutes, seconds=seconds)

    @rule(institution=st.sampled_from(INSTITUTIONS))
    def purge(self, institution: str) -> None:
        """Purge what is past its retention (R-R1)."""
        self._each("purge", lambda _, repo: repo.purge(requester=manager_of(institution)))

    # Reading and restoring

    @rule(data=st.data(), institution=st.sampled_from(INSTITUTIONS), limit=st.integers(1, 4))
    def search(self, data: st.DataObject, institution: str, limit: int) -> None:
        """Search with any criterion and read every page (R-S1..R-S10)."""
        criteria = self._criteria(data, institution)
        requester = manager_of(institution)
        cursors: list[str | None] = [None]

        def search(_: str, repo: DeletedRepository) -> SearchPage:
            return repo.search(criteria, requester=requester, cursor=cursors[-1], limit=limit)

        for number in range(1, MAX_PAGES + 1):
            page = self._each(f"search({criteria!r}, page {number} of {limit})", search)
            if page is None or page.next_cursor is None:
                return
            cursors.append(page.next_cursor)

    @rule(data=st.data(), institution=st.sampled_from(INSTITUTIONS), batches=st.booleans())
    def plan(self, data: st.DataObject, institution: str, batches: bool) -> None:
        """Plan a restore; keep the plan to execute later, maybe after the state moved."""
        criteria = self._criteria(data, institution)
        plans: dict[str, RestorePlan] = {}

        def plan(name: str, repo: DeletedRepository) -> RestorePlan:
            plans[name] = repo.plan(criteria, requester=manager_of(institution), batches=batches)
            return plans[name]

        made = self._each(f"plan({criteria!r}, batches={batches})", plan)
        if made is not None and made.records:
            self.plans.append(plans)

    @precondition(lambda self: bool(self.plans))
    @rule(data=st.data())
    def restore(self, data: st.DataObject) -> None:
        """Execute a kept plan, whole or one batch; stale plans are refused alike (R-E1, R-E2)."""
        plans = data.draw(st.sampled_from(self.plans))
        some = next(iter(plans.values()))
        batch = data.draw(st.none() | st.integers(1, max(1, len(some.batches))))
        requester = manager_of(some.institution)

        def restore(name: str, repo: DeletedRepository) -> object:
            return repo.restore(plans[name], requester=requester, batch=batch).jobs

        self._each(f"restore({some.criteria!r}, batch={batch})", restore)

    @rule(institution=st.sampled_from(INSTITUTIONS), limit=st.none() | st.integers(1, 3))
    def list_restore_jobs(self, institution: str, limit: int | None) -> None:
        """The audit of restore jobs reads the same (R-E3)."""
        self._each(
            "restore_jobs",
            lambda _, repo: list(repo.restore_jobs(requester=manager_of(institution), limit=limit)),
        )

    @invariant()
    def same_records(self) -> None:
        """Every id is active or deleted alike in every store (I5)."""
        for institution in INSTITUTIONS:
            self._each(f"the records of {institution!r}", self._records_of(institution))

    def _records_of(self, institution: str) -> Callable[[str, DeletedRepository], object]:
        known = self.ids[institution]

        def read(_: str, repo: DeletedRepository) -> object:
            active = repo.catalog.get(institution, known)
            deleted = repo.deleted.get(institution, known)
            superseded = repo.deleted.superseded(institution, known)
            return tuple(dict(sorted(m.items())) for m in (active, deleted, superseded))

        return read


def _agree(*adapters: tuple[str, Callable[[], Store]]) -> None:
    class StoresAgree(Agreement):
        factories = (("memory", MemoryStore), *adapters)

    run_state_machine_as_test(
        StoresAgree,
        settings=settings(
            max_examples=scaled(4),
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_sqlite_agrees_with_memory(sqlite_file_stores: StoreFactory) -> None:
    """A repository over SQLite answers exactly as one over the in-memory store."""
    _agree(("sqlite", sqlite_file_stores))


@pytest.mark.postgres
def test_postgres_and_sqlite_agree_with_memory(
    sqlite_file_stores: StoreFactory, postgres_stores: StoreFactory
) -> None:
    """Repositories over memory, SQLite and PostgreSQL, driven alike, answer alike."""
    _agree(("sqlite", sqlite_file_stores), ("postgres", postgres_stores))
