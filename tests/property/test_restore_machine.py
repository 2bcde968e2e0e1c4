"""A state machine over delete, search, plan, restore, time and purge, checked against a model.

Random catalogs go through random sequences of deletes (by several actors, with either choice for
emptied parents), host edits that reuse a deleted barcode, searches and plans by every criterion,
restores of fresh and of old plans, clock moves past 90 and 365 days, and purges. The model in
`brute_force` computes every expected answer from RULES.md by brute force; the plan's records and
exclusions must equal its answer exactly (R-P5), and the invariants I1..I5 hold after every step.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from deleted_repo import (
    ALMA,
    Actor,
    AncestorPolicy,
    ByField,
    ById,
    ByJob,
    ByRange,
    BySystem,
    ByUser,
    CapExceededError,
    ConflictPolicy,
    Criteria,
    EmptiedParents,
    MemberRole,
    Policy,
    ReasonKind,
    Record,
    RecordNotFoundError,
    RestorePlan,
    StalePlanError,
    UnknownActorError,
    from_json,
    to_json,
)
from deleted_repo.testing.strategies import actors, catalogs, emptied_parents
from tests.support import (
    INSTITUTION,
    MANAGER,
    START,
    Clock,
    counter,
    only_audited,
    repository,
    state,
)

from .brute_force import Expected, Model

USERS = ["ana", "bo", "cy"]
JOBS = ["J1", "J2"]
KINDS = sorted(ALMA.kinds)
STEPS = [
    timedelta(microseconds=1),
    timedelta(minutes=1),
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=1),
    timedelta(days=30),
    timedelta(days=89),
    timedelta(days=90),
    timedelta(days=91),
    timedelta(days=200),
    timedelta(days=366),
]
"""Clock moves: ties, small steps, and the edges of the 90-day retention and 365-day window."""

BELOW = {
    kind: sorted(k for k, spec in ALMA.kinds.items() if kind in spec.parents) for kind in ALMA.kinds
}
"""The kinds that may stand below each kind."""

policies = st.builds(
    Policy,
    max_records_per_job=st.sampled_from([4, 5000]),
    ancestors_from_other_events=st.sampled_from(AncestorPolicy),
    on_conflict=st.sampled_from(ConflictPolicy),
)


class RestoreMachine(RuleBasedStateMachine):
    """Drives one repository and the brute-force model side by side."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.repo = repository(clock=self.clock)
        self.model = Model(Policy(), [], START)
        self.known: list[str] = []
        self.barcodes: list[str] = []
        self.plans: list[RestorePlan] = []
        self.fresh = itertools.count(1)

    @initialize(catalog=catalogs(min_size=4, max_size=20), policy=policies, data=st.data())
    def start(self, catalog: list[Record], policy: Policy, data: st.DataObject) -> None:
        self.repo = repository(clock=self.clock, policy=policy, new_id=counter("id"))
        self.repo.catalog.add(INSTITUTION, catalog)
        self.model = Model(policy, catalog, START)
        self.known = [r.id for r in catalog]
        self.barcodes = [str(r.data["barcode"]) for r in catalog if "barcode" in r.data]
        for _ in range(data.draw(st.integers(0, 2), label="inventory first")):
            self.add_inventory(data)
        for _ in range(data.draw(st.integers(0, 4), label="deletes first")):
            if self.model.active:
                self.delete(data, data.draw(actors()), data.draw(emptied_parents()))
            self.advance(data.draw(st.sampled_from(STEPS)))

    # Helpers

    def state(self) -> tuple[Any, ...]:
        """The catalog, the deleted repository and the job log, for this machine's ids."""
        return state(self.repo, self.known)

    def criteria(self, data: st.DataObject) -> Criteria:
        """Draw a search criterion of any kind, mostly aimed at a deleted record, some at random."""
        model = self.model
        which = data.draw(st.sampled_from(["id", "field", "range", "user", "job", "system"]))
        wanted = {"user": "user", "job": "job", "system": "system"}.get(which)
        pool = sorted(
            i
            for i, d in model.deleted.items()
            if (wanted is None or d.actor.kind.value == wanted)
            and (which != "field" or "barcode" in d.record.data)
        )
        aimed = bool(pool) and data.draw(st.integers(0, 4), label="aim") > 0
        entry = model.deleted[data.draw(st.sampled_from(pool), label="focus")] if aimed else None
        kind = entry.record.kind if entry else data.draw(st.sampled_from(KINDS), label="kind")
        times = sorted(
            {START, model.now, model.now - timedelta(days=365), model.now + timedelta(days=1)}
            | {e.at for e in model.events.values()}
            | {e.at - timedelta(microseconds=1) for e in model.events.values()}
        )
        optional = st.none() | st.sampled_from(times)
        start, end = data.draw(optional, label="start"), data.draw(optional, label="end")
        if start is not None and end is not None and start > end:
            start, end = end, start
        if entry and data.draw(st.booleans(), label="around the focus"):
            start, end = entry.at - timedelta(days=1), entry.at
        if which == "id":
            return ById(
                kind=kind, id=entry.record.id if entry else data.draw(st.sampled_from(self.known))
            )
        if which == "field":
            barcode = entry.record.data["barcode"] if entry else None
            if barcode is None:
                barcode = data.draw(st.sampled_from(self.barcodes or ["none"]))
            return ByField(kind="item", field="barcode", value=str(barcode))
        if which == "range":
            low, high = sorted([start or times[0], end or model.now])
            return ByRange(kind=kind, start=low, end=high)
        if which == "user":
            user = entry.actor.id if entry else data.draw(st.sampled_from(USERS))
            return ByUser(kind=kind, user_id=user, start=start, end=end)
        if which == "job":
            job = entry.actor.id if entry else data.draw(st.sampled_from(JOBS))
            return ByJob(kind=kind, job_id=job)
        return BySystem(kind=kind, start=start, end=end)

    def check_plan(self, plan: RestorePlan, expected: Expected) -> None:
        """The plan is exactly the model's closure, ordered parents first, and a stable value."""
        assert set(plan.ids) == expected.ids, (sorted(plan.ids), sorted(expected.ids))
        assert {e.id: e.cause for e in plan.excluded} == dict(expected.excluded)
        assert {p.id: p.reasons[0].kind for p in plan.records} == dict(expected.reasons)
        assert plan.partial == expected.partial
        position = {i: n for n, i in enumerate(plan.ids)}
        for p in plan.records:
            parent = p.record.parent_id
            assert parent not in position or position[parent] < position[p.id]
            assert p.record == self.model.deleted[p.id].record
        cap = self.model.policy.max_records_per_job
        assert all(1 <= len(b) <= cap for b in plan.batches)
        assert from_json(to_json(plan), RestorePlan) == plan

    def legal(self, plan: RestorePlan, number: int) -> bool:
        """Whether the model says batch `number` of `plan` may run now (R-E2)."""
        model = self.model
        batch = plan.batch(number)
        inside = {p.id for p in batch}
        hits = set(model.hits(plan.criteria, plan.events) or ())
        claimed = {k for r in model.active.values() for k in model.unique_values(r)}
        for p in batch:
            now = model.deleted.get(p.id)
            parent = p.record.parent_id
            if (
                now is None
                or (now.record, now.event) != (p.record, p.event_id)
                or model.policy.expires(p.record.kind, now.at, model.now)
                or claimed & set(model.unique_values(p.record))
                or (parent is not None and parent not in inside and parent not in model.active)
                or (p.reasons[0].kind is ReasonKind.TARGET and p.id not in hits)
            ):
                return False
        return True

    def run_batch(self, plan: RestorePlan, number: int) -> bool:
        """Run one batch, expecting what the model expects; return whether it ran."""
        before = self.state()
        if self.legal(plan, number):
            result = self.repo.restore(plan, requester=MANAGER, batch=number)
            (job,) = result.jobs
            assert job.restored == tuple(p.id for p in plan.batch(number))
            self.apply_restore(before, job.restored)
            event("old batch ran")
            return True
        event("old batch refused as stale")
        try:
            self.repo.restore(plan, requester=MANAGER, batch=number)
        except StalePlanError as e:
            # D-42: nothing changed but one stale entry in the audit, holding no record.
            only_audited(self.repo, self.known, before, e)
            return False
        raise AssertionError(f"batch {number} of a stale plan ran")

    def apply_restore(self, before: tuple[Any, ...], ids: Sequence[str]) -> None:
        """I3: the restore changed exactly `ids`; then the model follows."""
        catalog, deleted, _ = before
        catalog_now, deleted_now, _ = self.state()
        assert set(catalog_now) - set(catalog) == set(ids)
        assert {i: r for i, r in catalog_now.items() if i not in ids} == catalog
        assert set(deleted) - set(deleted_now) == set(ids)
        assert {i: d for i, d in deleted.items() if i not in ids} == deleted_now
        self.model.restore(ids)

    # Rules

    @precondition(lambda self: self.model.active)
    @rule(data=st.data(), actor=actors(), emptied=emptied_parents())
    def delete(self, data: st.DataObject, actor: Actor, emptied: EmptiedParents) -> None:
        """R-D1..R-D3: a delete takes what the model says, as one event."""
        ids = data.draw(
            st.lists(
                st.sampled_from(sorted(self.model.active)), min_size=1, max_size=3, unique=True
            )
        )
        self.delete_ids(ids, actor, emptied)

    def delete_ids(self, ids: list[str], actor: Actor, emptied: EmptiedParents) -> set[str]:
        """Delete `ids`, checking the event against the model (R-D1..R-D3); return its records."""
        members = self.model.delete_set(ids, emptied)
        event = self.repo.delete(INSTITUTION, ids, actor=actor, emptied_parents=emptied)
        assert {m.id for m in event.members} == members
        assert {m.id for m in event.members if m.role is MemberRole.ORIGIN} == set(ids)
        assert (event.actor, event.at) == (actor, self.model.now)
        self.model.delete(members, actor, event.id)
        return members

    @precondition(lambda self: len(self.known) > len(self.model.active))
    @rule(data=st.data())
    def delete_what_is_not_active(self, data: st.DataObject) -> None:
        """R-D5: deleting an id that is not active fails and changes nothing."""
        ident = data.draw(st.sampled_from(sorted(set(self.known) - set(self.model.active))))
        before = self.state()
        with pytest.raises(RecordNotFoundError) as caught:
            self.repo.delete(INSTITUTION, [ident], actor=Actor.user("ana"))
        assert ident in caught.value.ids
        assert self.state() == before

    @rule(data=st.data())
    def add_inventory(self, data: st.DataObject) -> None:
        """The host adds a new bib, or records below an active one, a few levels deep."""
        model = self.model
        parents = {
            kind: sorted(i for i, r in model.active.items() if r.kind == kind)
            for kind in ("bib", "holding", "representation", "collection")
        }
        choices = [None, *(k for k, ids in parents.items() if ids)]
        kind = data.draw(st.sampled_from(choices), label="below")
        top = None if kind is None else data.draw(st.sampled_from(parents[kind]), label="parent")
        added: list[Record] = []
        deleted_barcodes = [
            str(b)
            for d in model.deleted.values()
            if (b := d.record.data.get("barcode")) is not None
        ]

        def add(kind: str, parent: str | None) -> str:
            ident = f"new-{next(self.fresh)}"
            fields: dict[str, object] = {"title": ident}
            if kind == "item":
                taken = {r.data.get("barcode") for r in [*model.active.values(), *added]}
                free = sorted({b for b in deleted_barcodes if b not in taken})
                reuse = st.sampled_from(free) if free else st.nothing()
                fields["barcode"] = data.draw(st.just(f"barcode-{ident}") | reuse, label="barcode")
            added.append(Record(kind, ident, parent, fields))
            return ident

        def fill(kind: str, ident: str, depth: int) -> None:
            if BELOW[kind] and depth:
                for child in data.draw(st.lists(st.sampled_from(BELOW[kind]), max_size=3)):
                    fill(child, add(child, ident), depth - 1)

        if top is None:
            fill("bib", add("bib", None), 2)
        else:
            fill(model.active[top].kind, top, 2)
        self.repo.catalog.add(INSTITUTION, added)
        model.active.update((r.id, r) for r in added)
        self.known += [r.id for r in added]
        self.barcodes += [str(r.data["barcode"]) for r in added if "barcode" in r.data]

    @precondition(lambda self: any(r.kind == "item" for r in self.model.active.values()))
    @rule(data=st.data(), actor=actors())
    def replace_an_item(self, data: st.DataObject, actor: Actor) -> None:
        """An item is deleted and a new item takes its barcode: the conflict of R-P7."""
        model = self.model
        old = model.active[
            data.draw(
                st.sampled_from(sorted(i for i, r in model.active.items() if r.kind == "item"))
            )
        ]
        self.delete_ids([old.id], actor, EmptiedParents.RETAIN)
        holdings = sorted(i for i, r in model.active.items() if r.kind == "holding")
        holding = data.draw(st.sampled_from(holdings), label="holding")
        ident = f"new-{next(self.fresh)}"
        record = Record("item", ident, holding, {**old.data, "title": ident})
        self.repo.catalog.add(INSTITUTION, [record])
        model.active[ident] = record
        self.known.append(ident)

    @rule(step=st.sampled_from(STEPS))
    def advance(self, step: timedelta) -> None:
        """Time passes."""
        self.clock.now += step
        self.model.now = self.clock.now

    @precondition(lambda self: self.model.events)
    @rule(data=st.data(), limit=st.integers(1, 4))
    def search(self, data: st.DataObject, limit: int) -> None:
        """R-S1..R-S10: every page together holds exactly the model's hits, in order."""
        criteria = self.criteria(data)
        expected = self.model.hits(criteria)
        found: list[str] = []
        cursor = None
        try:
            while True:
                page = self.repo.search(criteria, requester=MANAGER, cursor=cursor, limit=limit)
                found += [h.id for h in page.hits]
                cursor = page.next_cursor
                if cursor is None:
                    break
        except UnknownActorError:
            assert expected is None
            return
        assert found == expected

    @precondition(lambda self: self.model.events)
    @rule(data=st.data(), batches=st.booleans(), execute=st.booleans())
    def plan(self, data: st.DataObject, batches: bool, execute: bool) -> None:
        """R-P2..R-P9, R-E1: the plan is the model's closure; run at once, all of it comes back."""
        criteria = self.criteria(data)
        expected = self.model.plan(criteria, batches=batches)
        before = self.state()
        if expected.error is not None:
            event(f"plan refused: {expected.error.__name__}")
            with pytest.raises(expected.error) as caught:
                self.repo.plan(criteria, requester=MANAGER, batches=batches)
            if isinstance(caught.value, CapExceededError):
                cap = self.model.policy.max_records_per_job
                assert (caught.value.count, caught.value.cap) == (expected.count, cap)
            assert self.state() == before
            return
        plan = self.repo.plan(criteria, requester=MANAGER, batches=batches)
        assert self.state() == before
        self.check_plan(plan, expected)
        event(f"plan of {min(plan.total, 5)}+ records in {len(plan.batches)} batches")
        for cause in {e.cause for e in plan.excluded}:
            event(f"plan excludes: {cause.value}")
        assert self.repo.plan(criteria, requester=MANAGER, batches=batches) == plan
        if execute:
            result = self.repo.restore(plan, requester=MANAGER)
            assert result.restored == plan.ids
            self.apply_restore(before, plan.ids)
        elif plan.ids:
            self.plans.append(plan)

    @precondition(lambda self: self.plans)
    @rule(data=st.data())
    def execute_an_old_plan(self, data: st.DataObject) -> None:
        """R-E2: an old plan runs batch by batch while the state allows, and stops unchanged."""
        plan = self.plans.pop(data.draw(st.integers(0, len(self.plans) - 1)))
        for number in range(1, len(plan.batches) + 1):
            if not self.run_batch(plan, number):
                break

    @precondition(lambda self: self.model.active)
    @rule(data=st.data(), emptied=emptied_parents())
    def delete_then_restore_by_id(self, data: st.DataObject, emptied: EmptiedParents) -> None:
        """I2: deleting a record and restoring it by id leaves the catalog as it was."""
        ident = data.draw(st.sampled_from(sorted(self.model.active)))
        kind = self.model.active[ident].kind
        catalog = self.repo.catalog.get(INSTITUTION, self.known)
        deleted = self.repo.deleted.get(INSTITUTION, self.known)
        members = self.delete_ids([ident], Actor.user("cy"), emptied)
        plan = self.repo.plan(ById(kind=kind, id=ident), requester=MANAGER, batches=True)
        restored = self.repo.restore(plan, requester=MANAGER).restored
        assert set(restored) == members
        assert self.repo.catalog.get(INSTITUTION, self.known) == catalog
        assert self.repo.deleted.get(INSTITUTION, self.known) == deleted
        self.model.restore(restored)

    @rule()
    def purge(self) -> None:
        """R-R1: a purge removes exactly what the model says is past its retention."""
        report = self.repo.purge(requester=MANAGER)
        assert set(report.ids) == self.model.purge()

    # Invariants

    @invariant()
    def every_id_in_one_state(self) -> None:
        """I5, R-M4: active, deleted or gone, as the model says.

        An id catalogued again while its older snapshot is still deleted is both (R-D6, D-34).
        """
        catalog, deleted, _ = self.state()
        assert catalog == self.model.active
        assert {i: d.record for i, d in deleted.items()} == {
            i: d.record for i, d in self.model.deleted.items()
        }
        assert {i: d.event_id for i, d in deleted.items()} == {
            i: d.event for i, d in self.model.deleted.items()
        }
        gone = set(self.known) - catalog.keys() - deleted.keys()
        assert gone == self.model.gone

    @invariant()
    def no_orphans(self) -> None:
        """I1: every active record's parent is active."""
        catalog = self.repo.catalog.get(INSTITUTION, self.known)
        assert all(r.parent_id is None or r.parent_id in catalog for r in catalog.values())

    @invariant()
    def no_job_over_the_cap(self) -> None:
        """I4: no restore job holds more records than the cap."""
        cap = self.model.policy.max_records_per_job
        assert all(len(j.restored) <= cap for j in self.repo.jobs.list(INSTITUTION))


RestoreMachine.TestCase.settings = settings(
    max_examples=2 * settings().max_examples,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRestoreMachine = RestoreMachine.TestCase
