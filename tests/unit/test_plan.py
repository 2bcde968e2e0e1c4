"""Planning a restore: targets, closure, expiry, conflicts, the cap, the plan (R-P2..R-P9)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from deleted_repo import (
    AncestorPolicy,
    ById,
    ByRange,
    ByUser,
    CapExceededError,
    ConflictError,
    ConflictPolicy,
    DeletedRepository,
    EmptiedParents,
    ExclusionCause,
    InvalidPlanError,
    PlannedRecord,
    Policy,
    ReasonKind,
    Record,
    Requester,
    RestorePlan,
    from_json,
    to_json,
)
from tests import support
from tests.support import ANA, BIB_1, BO, INSTITUTION, Clock, counter, repository

COL_3 = Record("collection", "col-3", "col-2", {"title": "Logbooks"})
"""A third collection, nested in col-2, so that a restore walks up two collections (R-P4)."""

CATALOG = [*support.CATALOG, COL_3]
"""The sample catalog with col-3: three collections, each nested in the one before."""

BIB_1_IDS = {r.id for r in BIB_1}


def seeded(repo: DeletedRepository) -> DeletedRepository:
    """Add the test catalog, col-3 included, to `repo` and return it."""
    return support.seeded(repo, records=CATALOG)


def reasons(plan: RestorePlan) -> dict[str, list[str]]:
    """Each planned id with its reasons in words."""
    return {p.id: [str(r) for r in p.reasons] for p in plan.records}


def causes(plan: RestorePlan) -> dict[str, ExclusionCause]:
    """Each excluded id with its cause."""
    return {e.id: e.cause for e in plan.excluded}


def custom_repo(clock: Clock, **policy: Any) -> DeletedRepository:
    """A seeded in-memory repository with a non-default policy."""
    return seeded(repository(clock=clock, policy=Policy(**policy)))


# R-P2 Targets


def test_targets_are_every_hit_of_every_page(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P2: the targets are all the search's hits, not its first page only."""
    items = [Record("item", f"more-{n:02d}", "hol-3", {"barcode": f"M-{n}"}) for n in range(40)]
    seeded(repo).catalog.add(INSTITUTION, items)
    start = clock()
    for item in items:
        repo.delete(INSTITUTION, [item.id], actor=ANA)
        clock.advance(minutes=1)
    criteria = ByRange(kind="item", start=start, end=clock())
    assert repo.search(criteria, requester=manager).next_cursor is not None
    plan = repo.plan(criteria, requester=manager)
    assert set(plan.ids) == {i.id for i in items}
    assert all(p.reasons[0].kind is ReasonKind.TARGET for p in plan.records)


def test_search_by_user_targets_only_the_last_action(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P2: a plan by user targets the hits of the user's last action only (R-S4)."""
    seeded(repo).delete(INSTITUTION, ["itm-1"], actor=ANA)
    clock.advance(hours=1)
    repo.delete(INSTITUTION, ["itm-2"], actor=ANA)
    plan = repo.plan(ByUser(kind="item", user_id="ana"), requester=manager)
    assert plan.ids == ("itm-2",)


# R-P3 Deleted together comes back together


def test_bib_restore_brings_its_same_event_inventory(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-P3: restoring a bib plans every record deleted with it, of every kind."""
    seeded(repo).delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=manager)
    assert set(plan.ids) == BIB_1_IDS
    assert reasons(plan)["bib-1"] == ["target"]
    assert all(reasons(plan)[i] == ["deleted with bib-1"] for i in BIB_1_IDS - {"bib-1"})


def test_bib_restore_leaves_a_holding_deleted_on_its_own_earlier(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P3: a holding deleted on its own before its bib stays deleted when the bib comes back."""
    seeded(repo).delete(INSTITUTION, ["hol-2"], actor=ANA)
    clock.advance(days=7)
    repo.delete(INSTITUTION, ["bib-1"], actor=BO)
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=manager)
    assert set(plan.ids) == BIB_1_IDS - {"hol-2", "itm-3"}
    assert plan.excluded == ()
    repo.restore(plan, requester=manager)
    assert set(repo.deleted.get(INSTITUTION, ["hol-2", "itm-3"])) == {"hol-2", "itm-3"}


def test_descendant_deleted_earlier_by_the_same_user_stays_deleted(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P3: same actor is not same event; only the target's own event comes back with it."""
    seeded(repo).delete(INSTITUTION, ["itm-1"], actor=ANA)
    clock.advance(minutes=5)
    repo.delete(INSTITUTION, ["hol-1"], actor=ANA)
    plan = repo.plan(ById(kind="holding", id="hol-1"), requester=manager)
    assert set(plan.ids) == {"hol-1", "itm-2"}


# R-P4 Ancestors come back, siblings do not


def test_item_restore_brings_holding_and_bib_but_no_sibling(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-P4: restoring an item brings back its holding and bib, never its siblings."""
    seeded(repo).delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="item", id="itm-1"), requester=manager)
    assert plan.ids == ("bib-1", "hol-1", "itm-1")
    assert reasons(plan) == {
        "bib-1": ["ancestor of hol-1"],
        "hol-1": ["ancestor of itm-1"],
        "itm-1": ["target"],
    }
    assert plan.excluded == ()


def test_file_restore_brings_its_representation(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-P4: restoring a file brings back its representation (and the bib above it), no sibling."""
    seeded(repo).delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="file", id="fil-2"), requester=manager)
    assert plan.ids == ("bib-1", "rep-1", "fil-2")


def test_file_restore_under_an_active_bib_brings_only_the_representation(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-P4: the walk up stops at the first active ancestor."""
    seeded(repo).delete(INSTITUTION, ["rep-1"], actor=ANA)
    plan = repo.plan(ById(kind="file", id="fil-1"), requester=manager)
    assert plan.ids == ("rep-1", "fil-1")


def test_nested_collection_restore_brings_every_collection_above(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-P4: a collection under a collection under a collection brings both back."""
    seeded(repo).delete(INSTITUTION, ["col-1"], actor=ANA)
    plan = repo.plan(ById(kind="collection", id="col-3"), requester=manager)
    assert plan.ids == ("col-1", "col-2", "col-3")
    assert reasons(plan)["col-1"] == ["ancestor of col-2"]


def test_top_collection_restore_brings_nested_collections(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-P3: restoring the top collection brings the collections nested in it (same event)."""
    seeded(repo).delete(INSTITUTION, ["col-1"], actor=ANA)
    plan = repo.plan(ById(kind="collection", id="col-1"), requester=manager)
    assert plan.ids == ("col-1", "col-2", "col-3")
    assert reasons(plan)["col-3"] == ["deleted with col-1"]


def test_ancestor_of_another_event_is_included_with_a_note(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P4: holding and bib deleted later, in another event, come back with a note by default."""
    seeded(repo).delete(INSTITUTION, ["itm-1"], actor=ANA)
    clock.advance(days=3)
    later = repo.delete(INSTITUTION, ["bib-1"], actor=BO)
    plan = repo.plan(ById(kind="item", id="itm-1"), requester=manager)
    assert plan.ids == ("bib-1", "hol-1", "itm-1")
    notes = {p.id: p.notes for p in plan.records}
    assert notes["itm-1"] == ()
    assert all(later.id in note for i in ("bib-1", "hol-1") for note in notes[i])
    assert notes["hol-1"]
    assert notes["bib-1"]


def test_ancestor_of_the_same_event_has_no_note(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-P4: emptied parents deleted in the item's own event come back without a note."""
    seeded(repo).delete(INSTITUTION, ["itm-4"], actor=ANA, emptied_parents=EmptiedParents.DELETE)
    plan = repo.plan(ById(kind="item", id="itm-4"), requester=manager)
    assert plan.ids == ("bib-2", "hol-3", "itm-4")
    assert all(p.notes == () for p in plan.records)


def test_block_policy_excludes_the_target_naming_the_ancestor(
    clock: Clock, manager: Requester
) -> None:
    """R-P4: with `block`, an item whose holding went in a later event is excluded, naming it."""
    repo = custom_repo(clock, ancestors_from_other_events=AncestorPolicy.BLOCK)
    repo.delete(INSTITUTION, ["itm-1"], actor=ANA)
    clock.advance(days=3)
    repo.delete(INSTITUTION, ["bib-1"], actor=BO)
    plan = repo.plan(ById(kind="item", id="itm-1"), requester=manager)
    assert plan.ids == ()
    blocked = next(e for e in plan.excluded if e.id == "itm-1")
    assert blocked.cause is ExclusionCause.BLOCKED_BY_ANCESTOR
    assert blocked.related == "hol-1"
    assert "hol-1" in blocked.detail
    assert causes(plan)["hol-1"] is ExclusionCause.NOT_NEEDED


def test_block_policy_lets_same_event_ancestors_through(clock: Clock, manager: Requester) -> None:
    """R-P4: `block` only concerns ancestors of another event; emptied parents still come."""
    repo = custom_repo(clock, ancestors_from_other_events=AncestorPolicy.BLOCK)
    repo.delete(INSTITUTION, ["itm-4"], actor=ANA, emptied_parents=EmptiedParents.DELETE)
    plan = repo.plan(ById(kind="item", id="itm-4"), requester=manager)
    assert plan.ids == ("bib-2", "hol-3", "itm-4")


# R-P5 Exactly the closure


def test_plan_is_exactly_target_same_event_descendants_and_deleted_ancestors(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P5: a holding brings its items of its event and its bib, and nothing else of the bib."""
    seeded(repo).delete(INSTITUTION, ["hol-1"], actor=ANA)
    clock.advance(days=1)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="holding", id="hol-1"), requester=manager)
    assert set(plan.ids) == {"bib-1", "hol-1", "itm-1", "itm-2"}
    assert plan.excluded == ()
    assert reasons(plan)["itm-2"] == ["deleted with hol-1"]
    assert reasons(plan)["bib-1"] == ["ancestor of hol-1"]


def test_two_targets_share_their_ancestors_once(
    repo: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-P5: the plan is a union: ancestors common to several targets appear once."""
    start = clock()
    seeded(repo).delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ByRange(kind="item", start=start, end=clock()), requester=manager)
    assert sorted(plan.ids) == ["bib-1", "hol-1", "hol-2", "itm-1", "itm-2", "itm-3"]


# R-P6 Digital files expire


def test_file_of_91_days_is_expired_and_excluded(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P6: a file deleted 91 days ago cannot be restored; it is reported as expired."""
    seeded(repo).delete(INSTITUTION, ["fil-1"], actor=ANA)
    clock.advance(days=91)
    plan = repo.plan(ById(kind="file", id="fil-1"), requester=manager)
    assert plan.ids == ()
    assert causes(plan) == {"fil-1": ExclusionCause.EXPIRED}
    assert plan.partial


def test_representation_comes_back_without_its_expired_files(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P6: after 91 days a representation comes back without its files; the plan is partial."""
    seeded(repo).delete(INSTITUTION, ["rep-1"], actor=ANA)
    clock.advance(days=91)
    plan = repo.plan(ById(kind="representation", id="rep-1"), requester=manager)
    assert plan.ids == ("rep-1",)
    assert causes(plan) == {"fil-1": ExclusionCause.EXPIRED, "fil-2": ExclusionCause.EXPIRED}
    assert plan.partial


def test_file_of_89_days_is_restorable(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P6: a file deleted 89 days ago is restorable and the plan is not partial."""
    seeded(repo).delete(INSTITUTION, ["rep-1"], actor=ANA)
    clock.advance(days=89)
    plan = repo.plan(ById(kind="representation", id="rep-1"), requester=manager)
    assert plan.ids == ("rep-1", "fil-1", "fil-2")
    assert not plan.partial


def test_file_of_exactly_90_days_is_still_kept(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P6: a file is kept 90 days; it expires only once more than 90 days have passed."""
    seeded(repo).delete(INSTITUTION, ["fil-1"], actor=ANA)
    clock.advance(days=90)
    assert repo.plan(ById(kind="file", id="fil-1"), requester=manager).ids == ("fil-1",)
    clock.advance(microseconds=1)
    assert repo.plan(ById(kind="file", id="fil-1"), requester=manager).ids == ()


def test_retention_is_a_policy_value(clock: Clock, manager: Requester) -> None:
    """R-P6: the 90 days are the policy's; a host may keep files 10 days only."""
    repo = custom_repo(clock, retention={"file": timedelta(days=10)})
    repo.delete(INSTITUTION, ["fil-1"], actor=ANA)
    clock.advance(days=11)
    plan = repo.plan(ById(kind="file", id="fil-1"), requester=manager)
    assert causes(plan) == {"fil-1": ExclusionCause.EXPIRED}


# R-P7 Conflicts


def reuse_barcode_of_itm_1(repo: DeletedRepository, clock: Clock) -> None:
    """Delete itm-1, then its bib in another event, then give B-1 to a new active item."""
    repo.delete(INSTITUTION, ["itm-1"], actor=ANA)
    clock.advance(days=1)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    repo.catalog.add(INSTITUTION, [Record("item", "itm-9", "hol-3", {"barcode": "B-1"})])


def test_reused_barcode_excludes_the_item_and_the_ancestors_kept_for_it(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P7: an item whose barcode an active item now holds is excluded, with its ancestors."""
    reuse_barcode_of_itm_1(seeded(repo), clock)
    plan = repo.plan(ById(kind="item", id="itm-1"), requester=manager)
    assert plan.ids == ()
    conflict = next(e for e in plan.excluded if e.id == "itm-1")
    assert conflict.cause is ExclusionCause.UNIQUE_CONFLICT
    assert conflict.related == "itm-9"
    assert "B-1" in conflict.detail
    assert causes(plan) == {
        "itm-1": ExclusionCause.UNIQUE_CONFLICT,
        "hol-1": ExclusionCause.NOT_NEEDED,
        "bib-1": ExclusionCause.NOT_NEEDED,
    }


def test_ancestors_needed_by_another_target_stay(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P7: only ancestors kept solely for an excluded record are dropped."""
    seeded(repo).delete(INSTITUTION, ["itm-1"], actor=ANA)
    repo.delete(INSTITUTION, ["itm-2"], actor=ANA)
    clock.advance(days=1)
    repo.delete(INSTITUTION, ["bib-1"], actor=BO)
    repo.catalog.add(INSTITUTION, [Record("item", "itm-9", "hol-3", {"barcode": "B-1"})])
    start = clock() - timedelta(days=2)
    plan = repo.plan(ByRange(kind="item", start=start, end=clock()), requester=manager)
    assert set(plan.ids) == {"bib-1", "hol-1", "itm-2", "hol-2", "itm-3"}
    assert causes(plan) == {"itm-1": ExclusionCause.UNIQUE_CONFLICT}


def test_excluded_record_takes_its_planned_descendants_with_it(
    clock: Clock, manager: Requester
) -> None:
    """R-P7: a representation whose unique handle is taken is excluded with its files."""
    repo = custom_repo(clock, unique_fields={"item": ["barcode"], "representation": ["handle"]})
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    repo.catalog.add(INSTITUTION, [Record("representation", "rep-9", "bib-2", {"handle": "hdl-1"})])
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=manager)
    assert set(plan.ids) == BIB_1_IDS - {"rep-1", "fil-1", "fil-2"}
    assert causes(plan) == {
        "rep-1": ExclusionCause.UNIQUE_CONFLICT,
        "fil-1": ExclusionCause.ANCESTOR_EXCLUDED,
        "fil-2": ExclusionCause.ANCESTOR_EXCLUDED,
    }
    assert {e.related for e in plan.excluded if e.id.startswith("fil")} == {"rep-1"}


def test_conflict_under_fail_policy_refuses_the_plan(clock: Clock, manager: Requester) -> None:
    """R-P7: with `fail`, a conflict fails the whole plan with ConflictError naming the record."""
    repo = custom_repo(clock, on_conflict=ConflictPolicy.FAIL)
    reuse_barcode_of_itm_1(repo, clock)
    with pytest.raises(ConflictError) as caught:
        repo.plan(ById(kind="item", id="itm-1"), requester=manager)
    assert [getattr(e, "id", None) for e in caught.value.exclusions] == ["itm-1"]


def test_id_active_again_is_excluded(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P7: a deleted record whose id the host made active again is excluded with its reason."""
    seeded(repo).delete(INSTITUTION, ["itm-2"], actor=ANA)
    repo.catalog.add(INSTITUTION, [Record("item", "itm-2", "hol-1", {"barcode": "B-22"})])
    plan = repo.plan(ById(kind="item", id="itm-2"), requester=manager)
    assert plan.ids == ()
    assert causes(plan) == {"itm-2": ExclusionCause.ACTIVE_AGAIN}


def test_id_active_again_fails_under_fail_policy(clock: Clock, manager: Requester) -> None:
    """R-P7: with `fail`, an id active again fails the plan."""
    repo = custom_repo(clock, on_conflict=ConflictPolicy.FAIL)
    repo.delete(INSTITUTION, ["itm-2"], actor=ANA)
    repo.catalog.add(INSTITUTION, [Record("item", "itm-2", "hol-1", {"barcode": "B-22"})])
    with pytest.raises(ConflictError):
        repo.plan(ById(kind="item", id="itm-2"), requester=manager)


def two_deleted_items_with_one_barcode(repo: DeletedRepository, clock: Clock) -> None:
    """Delete itm-1 (B-1), then give B-1 to a new item itm-0 and delete it too."""
    repo.delete(INSTITUTION, ["itm-1"], actor=ANA)
    repo.catalog.add(INSTITUTION, [Record("item", "itm-0", "hol-3", {"barcode": "B-1"})])
    clock.advance(hours=1)
    repo.delete(INSTITUTION, ["itm-0"], actor=ANA)


def test_two_planned_records_never_bring_back_one_unique_value_twice(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P7: of two deleted items with one barcode, one comes back, the other is excluded."""
    two_deleted_items_with_one_barcode(seeded(repo), clock)
    criteria = ByRange(kind="item", start=clock() - timedelta(days=1), end=clock())
    plan = repo.plan(criteria, requester=manager)
    assert [p.id for p in plan.records if p.record.kind == "item"] == ["itm-0"]
    conflict = next(e for e in plan.excluded if e.id == "itm-1")
    assert conflict.cause is ExclusionCause.UNIQUE_CONFLICT
    assert conflict.related == "itm-0"


def test_a_record_not_restored_claims_no_unique_value(clock: Clock, manager: Requester) -> None:
    """R-P7: a barcode is only taken by a record the plan restores; a blocked one claims nothing."""
    repo = custom_repo(clock, ancestors_from_other_events=AncestorPolicy.BLOCK)
    two_deleted_items_with_one_barcode(repo, clock)
    clock.advance(hours=1)
    repo.delete(INSTITUTION, ["bib-2"], actor=BO)
    plan = repo.plan(
        ByRange(kind="item", start=clock() - timedelta(days=1), end=clock()), requester=manager
    )
    assert causes(plan)["itm-0"] is ExclusionCause.BLOCKED_BY_ANCESTOR
    assert set(plan.ids) == {"bib-2", "hol-3", "itm-4", "itm-1"}


# R-P8 The cap


def big_bib(repo: DeletedRepository, items: int) -> None:
    """Add and delete one bib with one holding and `items` items: items + 2 records."""
    records = [Record("bib", "big", None, {"title": "Big"}), Record("holding", "big-h", "big")]
    records += [
        Record("item", f"big-{n:05d}", "big-h", {"barcode": f"BIG-{n}"}) for n in range(items)
    ]
    repo.catalog.add(INSTITUTION, records)
    repo.delete(INSTITUTION, ["big"], actor=ANA)


def test_plan_over_the_cap_is_refused_with_count_and_cap(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-P8: a 5,001-record plan is refused; the error gives the count and the cap."""
    big_bib(repo, 4999)
    with pytest.raises(CapExceededError) as caught:
        repo.plan(ById(kind="bib", id="big"), requester=manager)
    assert (caught.value.count, caught.value.cap) == (5001, 5000)


def test_plan_at_the_cap_is_one_batch(repo: DeletedRepository, manager: Requester) -> None:
    """R-P8: exactly 5,000 records fit one restore job."""
    big_bib(repo, 4998)
    plan = repo.plan(ById(kind="bib", id="big"), requester=manager)
    assert [len(b) for b in plan.batches] == [5000]


def test_batched_plan_keeps_batches_under_the_cap_and_parents_first(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-P8, I4: asked for batches, a 5,001-record plan is cut into ordered batches of <= 5000."""
    big_bib(repo, 4999)
    plan = repo.plan(ById(kind="bib", id="big"), requester=manager, batches=True)
    assert [len(b) for b in plan.batches] == [5000, 1]
    batch_of = {i: n for n, batch in enumerate(plan.batches) for i in batch}
    for p in plan.records:
        parent = p.record.parent_id
        if parent in batch_of:
            assert batch_of[parent] <= batch_of[p.id]


def test_cap_is_a_policy_value(clock: Clock, manager: Requester) -> None:
    """R-P8: with a cap of 3, the bib and its 10 records need 4 batches, parents first."""
    repo = custom_repo(clock, max_records_per_job=3)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    with pytest.raises(CapExceededError) as caught:
        repo.plan(ById(kind="bib", id="bib-1"), requester=manager)
    assert (caught.value.count, caught.value.cap) == (11, 3)
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=manager, batches=True)
    assert [len(b) for b in plan.batches] == [3, 3, 3, 2]
    seen: set[str] = set()
    for batch in plan.batches:
        for ident in batch:
            parent = next(p.record.parent_id for p in plan.records if p.id == ident)
            assert parent is None or parent in seen
            seen.add(ident)


# R-P9 The preview is the plan


def rich_state(repo: DeletedRepository, clock: Clock) -> None:
    """A state whose plans have every reason, notes, exclusions and a partial restore."""
    repo.delete(INSTITUTION, ["fil-1"], actor=ANA)
    repo.delete(INSTITUTION, ["itm-1"], actor=ANA)
    clock.advance(days=91)
    repo.delete(INSTITUTION, ["bib-1"], actor=BO)
    repo.catalog.add(INSTITUTION, [Record("item", "itm-9", "hol-3", {"barcode": "B-2"})])


def rich_criteria(clock: Clock) -> ByRange:
    """Every item and file deleted since the start."""
    return ByRange(kind="item", start=clock() - timedelta(days=100), end=clock())


def test_plan_is_deterministic(repo: DeletedRepository, clock: Clock, manager: Requester) -> None:
    """R-P9: the same state, criteria and clock give an equal plan."""
    rich_state(seeded(repo), clock)
    first = repo.plan(rich_criteria(clock), requester=manager)
    assert repo.plan(rich_criteria(clock), requester=manager) == first


def test_plan_is_the_same_in_an_identical_repository(clock: Clock, manager: Requester) -> None:
    """R-P9: two repositories built the same way plan equal plans."""

    def build() -> RestorePlan:
        fresh = Clock()
        repo = repository(clock=fresh, new_id=counter("id"))
        rich_state(seeded(repo), fresh)
        return repo.plan(rich_criteria(fresh), requester=manager)

    first = build()
    assert build() == first


def test_plan_survives_a_json_round_trip(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P9: a plan serializes to JSON and back unchanged, notes and exclusions included."""
    rich_state(seeded(repo), clock)
    plan = repo.plan(rich_criteria(clock), requester=manager)
    assert plan.excluded
    assert any(p.notes for p in plan.records)
    assert from_json(to_json(plan), RestorePlan) == plan
    partial = repo.plan(ById(kind="file", id="fil-1"), requester=manager)
    assert partial.partial
    assert from_json(to_json(partial), RestorePlan) == partial


def test_planner_built_plan_is_what_the_checked_constructor_builds(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """D-57: the planner's plan, not checked again, passes the checks, equal and of like types.

    A plan built by anyone else is still checked, and refused when inconsistent.
    """
    rich_state(seeded(repo), clock)
    plan = repo.plan(rich_criteria(clock), requester=manager)
    assert plan.excluded
    assert any(p.notes for p in plan.records)
    fields = attrs.asdict(plan, recurse=False)
    again = RestorePlan(**fields)
    assert again == plan
    assert {f: type(v) for f, v in attrs.asdict(again, recurse=False).items()} == {
        f: type(v) for f, v in fields.items()
    }
    for planned in plan.records:
        fields_of = attrs.asdict(planned, recurse=False)
        rebuilt = PlannedRecord(**fields_of)
        assert rebuilt == planned
        assert hash(rebuilt) == hash(planned)
        assert {type(planned.reasons), type(planned.notes)} == {tuple}
    with pytest.raises(InvalidPlanError, match="before its parent"):
        RestorePlan(**{**fields, "records": plan.records[::-1], "batches": [plan.ids[::-1]]})


def test_plan_counts_per_kind(repo: DeletedRepository, manager: Requester) -> None:
    """R-P9: a plan counts its records per kind."""
    seeded(repo).delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=manager)
    assert dict(plan.counts) == {
        "bib": 1,
        "file": 2,
        "holding": 2,
        "item": 3,
        "portfolio": 1,
        "remote_representation": 1,
        "representation": 1,
    }
    assert plan.total == 11


def test_plan_lists_parents_before_children(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P9: every planned record comes after its planned parent."""
    rich_state(seeded(repo), clock)
    repo.delete(INSTITUTION, ["col-1"], actor=ANA)
    for criteria in (rich_criteria(clock), ById(kind="collection", id="col-1")):
        plan = repo.plan(criteria, requester=manager)
        position = {i: n for n, i in enumerate(plan.ids)}
        for p in plan.records:
            parent = p.record.parent_id
            assert parent not in position or position[parent] < position[p.id]


def test_plan_says_why_each_record_is_in_it(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P9: each planned record says why: target, ancestor of X, or deleted with X."""
    seeded(repo).delete(INSTITUTION, ["hol-1"], actor=ANA)
    clock.advance(days=1)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    plan = repo.plan(ById(kind="holding", id="hol-1"), requester=manager)
    why = {p.id: p.reasons for p in plan.records}
    assert [(r.kind, r.of) for r in why["hol-1"]] == [(ReasonKind.TARGET, None)]
    assert [(r.kind, r.of) for r in why["itm-1"]] == [(ReasonKind.DELETED_WITH, "hol-1")]
    assert [(r.kind, r.of) for r in why["bib-1"]] == [(ReasonKind.ANCESTOR, "hol-1")]


def test_ancestor_reason_names_a_record_the_plan_restores(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P9: an ancestor is 'ancestor of' a planned record, not of one the plan leaves out."""
    reuse_barcode_of_itm_1(seeded(repo), clock)
    start = clock() - timedelta(days=2)
    plan = repo.plan(ByRange(kind="item", start=start, end=clock()), requester=manager)
    assert "itm-1" not in plan.ids
    planned = set(plan.ids)
    for p in plan.records:
        assert all(r.of is None or r.of in planned for r in p.reasons), p


def test_planning_changes_nothing(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-P9: planning has no side effects: catalog, deleted repository and job log are as before."""
    rich_state(seeded(repo), clock)
    ids = [r.id for r in CATALOG] + ["itm-9"]
    before = (repo.catalog.get(INSTITUTION, ids), repo.deleted.get(INSTITUTION, ids))
    repo.plan(rich_criteria(clock), requester=manager)
    repo.plan(ById(kind="bib", id="bib-1"), requester=manager)
    after = (repo.catalog.get(INSTITUTION, ids), repo.deleted.get(INSTITUTION, ids))
    assert after == before
    assert repo.restore_jobs(requester=manager) == []
