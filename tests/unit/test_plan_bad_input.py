"""Bad input to plan and restore: refused with our errors; nothing changes (R-P1, R-M3, R-E2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from deleted_repo import (
    ById,
    DeletedRepoError,
    DeletedRepository,
    Exclusion,
    ExclusionCause,
    InvalidInputError,
    InvalidPlanError,
    NotAuthorizedError,
    Record,
    Requester,
    RestorePlan,
    StalePlanError,
    from_json,
    to_json,
)
from tests.support import ANA, CLERK, INSTITUTION, OTHER, SHELVES, manager_of, only_audited, state

FOREIGN_MANAGER = manager_of(OTHER)

IDS = [r.id for r in SHELVES] + ["ghost"]


@pytest.fixture
def plan(repo: DeletedRepository, manager: Requester) -> RestorePlan:
    """Delete bib-1 and plan its restore; delete itm-4 and bib-2 on their own too."""
    repo.catalog.add(INSTITUTION, SHELVES)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    repo.delete(INSTITUTION, ["itm-4"], actor=ANA)
    repo.delete(INSTITUTION, ["bib-2"], actor=ANA)
    return repo.plan(ById(kind="bib", id="bib-1"), requester=manager)


def refused(repo: DeletedRepository, attempt: Callable[[], object]) -> DeletedRepoError:
    """Run `attempt`; check it raises one of our errors and changes nothing; return the error.

    Nothing but, for a restore refused as invalid or stale, its one audit entry (D-42).
    """
    before = state(repo, IDS)
    with pytest.raises(DeletedRepoError) as caught:
        attempt()
    only_audited(repo, IDS, before, caught.value)
    return caught.value


# R-P1 Who may restore


def test_plan_without_the_role_is_refused(repo: DeletedRepository, plan: RestorePlan) -> None:
    """R-P1: planning needs the restore role; the error names the user, the role and where."""
    error = refused(repo, lambda: repo.plan(ById(kind="bib", id="bib-1"), requester=CLERK))
    assert isinstance(error, NotAuthorizedError)
    assert (error.user_id, error.institution, error.role) == (
        "clerk",
        INSTITUTION,
        "Repository Manager",
    )


def test_restore_without_the_role_is_refused(repo: DeletedRepository, plan: RestorePlan) -> None:
    """R-P1: executing a plan needs the restore role; nothing is restored."""
    error = refused(repo, lambda: repo.restore(plan, requester=CLERK))
    assert isinstance(error, NotAuthorizedError)


def test_search_without_the_role_is_refused(repo: DeletedRepository, plan: RestorePlan) -> None:
    """R-P1: searching needs the restore role."""
    error = refused(repo, lambda: repo.search(ById(kind="bib", id="bib-1"), requester=CLERK))
    assert isinstance(error, NotAuthorizedError)


def test_manager_of_another_institution_cannot_restore_this_plan(
    repo: DeletedRepository, plan: RestorePlan
) -> None:
    """R-P1, R-M3: a Repository Manager of another institution cannot execute this one's plan."""
    error = refused(repo, lambda: repo.restore(plan, requester=FOREIGN_MANAGER))
    assert isinstance(error, NotAuthorizedError)
    assert error.user_id == FOREIGN_MANAGER.user_id


def test_manager_of_another_institution_plans_nothing_here(
    repo: DeletedRepository, plan: RestorePlan
) -> None:
    """R-M3: planned from another institution, this institution's deleted records are unseen."""
    foreign = repo.plan(ById(kind="bib", id="bib-1"), requester=FOREIGN_MANAGER)
    assert (foreign.institution, foreign.ids, foreign.excluded) == (OTHER, (), ())


@pytest.mark.parametrize("requester", [None, "manager", {"user_id": "manager"}])
def test_requester_must_be_a_requester(
    repo: DeletedRepository, plan: RestorePlan, requester: Any
) -> None:
    """R-P1: anything but a Requester is refused with InvalidInputError."""
    for attempt in (
        lambda: repo.plan(ById(kind="bib", id="bib-1"), requester=requester),
        lambda: repo.restore(plan, requester=requester),
    ):
        assert isinstance(refused(repo, attempt), InvalidInputError)


# Tampered plans are refused when they are built


def _drop(plan: RestorePlan, ident: str) -> RestorePlan:
    records = [p for p in plan.records if p.id != ident]
    return attrs.evolve(
        plan,
        records=records,
        batches=[[p.id for p in records]],
        counts={
            k: sum(p.record.kind == k for p in records) for k in {p.record.kind for p in records}
        },
    )


TAMPERINGS: dict[str, Callable[[RestorePlan], object]] = {
    "a record listed twice": lambda p: attrs.evolve(
        p, records=(*p.records, p.records[-1]), batches=[[*p.ids, p.ids[-1]]]
    ),
    "children before parents": lambda p: attrs.evolve(
        p, records=p.records[::-1], batches=[p.ids[::-1]]
    ),
    "a batch missing a record": lambda p: attrs.evolve(p, batches=[p.ids[:-1]]),
    "batches out of order": lambda p: attrs.evolve(p, batches=[p.ids[::-1]]),
    "a batch naming a stranger": lambda p: attrs.evolve(p, batches=[[*p.ids, "ghost"]]),
    "an empty batch": lambda p: attrs.evolve(p, batches=[p.ids, ()]),
    "edited counts": lambda p: attrs.evolve(p, counts={**p.counts, "item": 99}),
    "counts of a kind not planned": lambda p: attrs.evolve(p, counts={**p.counts, "file": 1}),
    "a record both restored and excluded": lambda p: attrs.evolve(
        p,
        excluded=[
            Exclusion(id="itm-1", kind="item", cause=ExclusionCause.EXPIRED, detail="edited")
        ],
    ),
    "a record with no reason": lambda p: attrs.evolve(
        p, records=[attrs.evolve(r, reasons=()) if r.id == "itm-1" else r for r in p.records]
    ),
    "deleted with a record the plan does not restore": lambda p: _drop(p, "hol-1"),
}


@pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_tampered_plan_is_refused_on_construction(
    plan: RestorePlan, tamper: Callable[[RestorePlan], object]
) -> None:
    """R-P9: a plan edited into inconsistency cannot be built: InvalidPlanError."""
    with pytest.raises(InvalidPlanError):
        tamper(plan)


def test_ancestor_of_nothing_is_refused_on_construction(
    repo: DeletedRepository, plan: RestorePlan, manager: Requester
) -> None:
    """R-P9: a plan listing an ancestor without the record below it that needs it is refused."""
    item_plan = repo.plan(ById(kind="item", id="itm-2"), requester=manager)
    assert item_plan.ids == ("bib-1", "hol-1", "itm-2")
    with pytest.raises(InvalidPlanError):
        _drop(item_plan, "itm-2")


# Tampered JSON is refused when it is read or when it is executed


def edited(plan: RestorePlan, edit: Callable[[dict[str, Any]], None]) -> str:
    """The plan's JSON after `edit` changed its parsed form in place."""
    data = json.loads(to_json(plan))
    edit(data)
    return json.dumps(data)


def planned_json(record: Record, event_id: str, at: str, kind: str, of: str | None) -> Any:
    """A planned record as the JSON of a plan holds it."""
    return {
        "deleted_at": at,
        "event_id": event_id,
        "notes": [],
        "reasons": [{"kind": kind, "of": of}],
        "record": {
            "data": dict(record.data),
            "id": record.id,
            "kind": record.kind,
            "parent_id": record.parent_id,
        },
    }


def add_record(data: dict[str, Any], planned: Any) -> None:
    """Append a planned record to a plan's JSON, with its batch and counts kept consistent."""
    data["records"].append(planned)
    data["batches"][-1].append(planned["record"]["id"])
    kind = planned["record"]["kind"]
    data["counts"][kind] = data["counts"].get(kind, 0) + 1


def execute(repo: DeletedRepository, text: str, manager: Requester) -> object:
    """Read a plan's JSON back and execute it."""
    return repo.restore(from_json(text, RestorePlan), requester=manager)


@pytest.mark.parametrize("ident", ["bib-2", "hol-2", "itm-4"])
def test_plan_json_with_an_unrelated_deleted_target_added_is_refused(
    repo: DeletedRepository, plan: RestorePlan, manager: Requester, ident: str
) -> None:
    """R-E2: a deleted record added to a plan's JSON as a target, unmatched by its search, fails."""
    entry = repo.deleted.get(INSTITUTION, [ident])[ident]
    stranger = planned_json(
        entry.record, entry.event_id, entry.deleted_at.isoformat(), "target", None
    )
    text = edited(plan, lambda d: add_record(d, stranger))
    error = refused(repo, lambda: execute(repo, text, manager))
    assert isinstance(error, InvalidPlanError | StalePlanError)


def test_plan_json_with_a_deleted_record_added_as_deleted_with_is_refused(
    repo: DeletedRepository, plan: RestorePlan, manager: Requester
) -> None:
    """R-P9: a record claimed 'deleted with' the target but under no planned record is refused."""
    entry = repo.deleted.get(INSTITUTION, ["bib-2"])["bib-2"]
    stranger = planned_json(
        entry.record,
        plan.records[0].event_id,
        entry.deleted_at.isoformat(),
        "deleted_with",
        "bib-1",
    )
    text = edited(plan, lambda d: add_record(d, stranger))
    error = refused(repo, lambda: execute(repo, text, manager))
    assert isinstance(error, InvalidPlanError | StalePlanError)


def test_plan_json_with_an_unknown_id_added_is_stale(
    repo: DeletedRepository, plan: RestorePlan, manager: Requester
) -> None:
    """R-E2: a plan naming an id that is not deleted cannot restore it; nothing changes."""
    ghost = Record("bib", "ghost", None, {"title": "Nobody"})
    first = plan.records[0]
    stranger = planned_json(ghost, first.event_id, first.deleted_at.isoformat(), "target", None)
    text = edited(plan, lambda d: add_record(d, stranger))
    error = refused(repo, lambda: execute(repo, text, manager))
    assert isinstance(error, InvalidPlanError | StalePlanError)
    assert repo.catalog.get(INSTITUTION, ["ghost"]) == {}


def test_plan_json_with_edited_data_is_stale(
    repo: DeletedRepository, plan: RestorePlan, manager: Requester
) -> None:
    """R-E2, R-E1: a plan whose snapshot was edited would not restore the original data: refused."""

    def edit(data: dict[str, Any]) -> None:
        data["records"][0]["record"]["data"]["title"] = "Edited"

    error = refused(repo, lambda: execute(repo, edited(plan, edit), manager))
    assert isinstance(error, StalePlanError)


def test_plan_json_with_an_edited_event_is_stale(
    repo: DeletedRepository, plan: RestorePlan, manager: Requester
) -> None:
    """R-E2: a plan whose records claim another deletion event is refused."""

    def edit(data: dict[str, Any]) -> None:
        for record in data["records"]:
            record["event_id"] = "another-event"

    error = refused(repo, lambda: execute(repo, edited(plan, edit), manager))
    assert isinstance(error, StalePlanError)


def test_plan_json_retargeted_to_another_record_is_refused(
    repo: DeletedRepository, plan: RestorePlan, manager: Requester
) -> None:
    """R-E2: a plan whose criteria were edited no longer matches its targets; nothing changes."""

    def edit(data: dict[str, Any]) -> None:
        data["criteria"]["id"] = "bib-2"

    error = refused(repo, lambda: execute(repo, edited(plan, edit), manager))
    assert isinstance(error, InvalidPlanError | StalePlanError)


def test_plan_json_moved_to_another_institution_is_not_authorized(
    repo: DeletedRepository, plan: RestorePlan, manager: Requester
) -> None:
    """R-M3: a plan edited to name another institution is not this manager's to execute."""

    def edit(data: dict[str, Any]) -> None:
        data["institution"] = OTHER

    error = refused(repo, lambda: execute(repo, edited(plan, edit), manager))
    assert isinstance(error, NotAuthorizedError)


def test_plan_json_with_edited_counts_is_refused_when_read(plan: RestorePlan) -> None:
    """R-P9: a plan's JSON whose counts disagree with its records is refused when read."""

    def edit(data: dict[str, Any]) -> None:
        data["counts"]["item"] += 1

    with pytest.raises(InvalidPlanError):
        from_json(edited(plan, edit), RestorePlan)


@pytest.mark.parametrize("text", ["", "{", "[]", '{"records": []}', '"plan"'])
def test_malformed_plan_json_is_refused_when_read(text: str) -> None:
    """R-P9: text that is not a plan's JSON is refused with InvalidInputError."""
    with pytest.raises(InvalidInputError):
        from_json(text, RestorePlan)


# Not a plan, not a batch


@pytest.mark.parametrize(
    "thing", [None, "plan", {"records": []}, ById(kind="bib", id="bib-1"), 1], ids=repr
)
def test_restore_of_something_not_a_plan_is_refused(
    repo: DeletedRepository, plan: RestorePlan, manager: Requester, thing: Any
) -> None:
    """R-E1: restore takes a RestorePlan; anything else is refused with InvalidInputError."""
    error = refused(repo, lambda: repo.restore(thing, requester=manager))
    assert isinstance(error, InvalidInputError)


def test_restore_of_plan_json_text_is_refused(
    repo: DeletedRepository, plan: RestorePlan, manager: Requester
) -> None:
    """R-E1: a plan's JSON must be read back with from_json before it can be executed."""
    error = refused(repo, lambda: repo.restore(to_json(plan), requester=manager))  # type: ignore[arg-type]
    assert isinstance(error, InvalidInputError)


@pytest.mark.parametrize("batch", [0, -1, 2, 10**9])
def test_batch_number_out_of_range_is_refused(
    repo: DeletedRepository, plan: RestorePlan, manager: Requester, batch: int
) -> None:
    """R-P8: a one-batch plan has batch 1 only; other numbers are refused and change nothing."""
    error = refused(repo, lambda: repo.restore(plan, requester=manager, batch=batch))
    assert isinstance(error, InvalidInputError)


@pytest.mark.parametrize("batch", [True, "1", 1.0, [1]], ids=repr)
def test_batch_number_that_is_not_an_integer_is_refused(
    repo: DeletedRepository, plan: RestorePlan, manager: Requester, batch: Any
) -> None:
    """R-P8: a batch number must be an integer; anything else is refused and changes nothing."""
    error = refused(repo, lambda: repo.restore(plan, requester=manager, batch=batch))
    assert isinstance(error, InvalidInputError)
