"""Deleting: how delete actions and host-reported deletions are recorded (R-D1..R-D5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deleted_repo import (
    Actor,
    ById,
    ByRange,
    DeletedRepository,
    DeletionEvent,
    EmptiedParents,
    HierarchyError,
    InvalidInputError,
    MemberRole,
    Record,
    RecordNotFoundError,
    Requester,
    UnknownKindError,
)
from tests.support import (
    ALL_IDS,
    ANA,
    BIB_2,
    CATALOG,
    COLLECTIONS,
    INSTITUTION,
    OTHER,
    Clock,
    seeded,
)


def active(repo: DeletedRepository, institution: str = INSTITUTION) -> set[str]:
    """The ids of the test catalog active in `institution`."""
    return set(repo.catalog.get(institution, ALL_IDS))


def deleted(repo: DeletedRepository, institution: str = INSTITUTION) -> set[str]:
    """The ids of the test catalog deleted in `institution`."""
    return set(repo.deleted.get(institution, ALL_IDS))


def below(root: str) -> set[str]:
    """`root` and every record of the test catalog below it."""
    found = {root}
    grew = True
    while grew:
        more = {r.id for r in CATALOG if r.parent_id in found} - found
        found |= more
        grew = bool(more)
    return found


def roles(event: DeletionEvent) -> dict[str, MemberRole]:
    """Each member's role, by id."""
    return {m.id: m.role for m in event.members}


# R-D1: one action, one event


def test_a_delete_action_records_one_event_with_its_header(
    repo: DeletedRepository, clock: Clock
) -> None:
    """R-D1: the event has an id, the actor, the clock's aware time, the institution, origins."""
    seeded(repo)
    event = repo.delete(INSTITUTION, ["itm-1"], actor=ANA)
    assert (event.id, event.actor, event.at, event.institution, event.origins) == (
        "id-0001",
        ANA,
        clock.now,
        INSTITUTION,
        ("itm-1",),
    )
    assert event.at.utcoffset() is not None


def test_each_member_holds_a_snapshot_of_its_record(repo: DeletedRepository) -> None:
    """R-D1: every deleted record keeps its data and parent id as they were at deletion."""
    seeded(repo)
    before = repo.catalog.get(INSTITUTION, below("bib-1"))
    event = repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    assert {m.id: m.record for m in event.members} == before


def test_members_repeat_their_event_header(repo: DeletedRepository) -> None:
    """R-D1: each deleted record names its event, institution, actor and time."""
    seeded(repo)
    event = repo.delete(INSTITUTION, ["hol-1"], actor=ANA)
    headers = {(m.event_id, m.institution, m.actor, m.deleted_at) for m in event.members}
    assert headers == {(event.id, INSTITUTION, ANA, event.at)}


def test_members_list_parents_before_children(repo: DeletedRepository) -> None:
    """R-D1: an event lists every deleted record after its deleted parent."""
    seeded(repo)
    event = repo.delete(INSTITUTION, ["bib-1", "col-1"], actor=ANA)
    seen: set[str] = set()
    for m in event.members:
        assert m.record.parent_id is None or m.record.parent_id in seen
        seen.add(m.id)


def test_deleting_several_records_at_once_makes_one_event(repo: DeletedRepository) -> None:
    """R-D1: one action over a set is one event whose origins are the ids asked for."""
    seeded(repo)
    event = repo.delete(INSTITUTION, ["itm-4", "por-1", "col-2"], actor=ANA)
    assert event.origins == ("itm-4", "por-1", "col-2")
    assert {m.id for m in event.members} == {"itm-4", "por-1", "col-2"}
    assert {m.event_id for m in event.members} == {event.id}


def test_a_job_deleting_a_set_carries_the_job_id(repo: DeletedRepository) -> None:
    """R-D1: a job's deletion event carries the job id as its actor."""
    seeded(repo)
    event = repo.delete(INSTITUTION, ["itm-1", "itm-2"], actor=Actor.job("J-42"))
    assert event.actor == Actor.job("J-42")
    assert {m.actor for m in event.members} == {Actor.job("J-42")}


def test_the_event_is_in_the_repository_at_once(repo: DeletedRepository) -> None:
    """R-D1: after a delete, each member is a deleted record of that event."""
    seeded(repo)
    event = repo.delete(INSTITUTION, ["hol-2"], actor=ANA)
    assert repo.deleted.get(INSTITUTION, ["hol-2", "itm-3"]) == {m.id: m for m in event.members}


# R-D2: downward cascade


def test_deleting_a_bib_deletes_its_whole_inventory_in_one_event(
    repo: DeletedRepository,
) -> None:
    """R-D2: holdings, items, portfolios, representations and files go with their bib."""
    seeded(repo)
    event = repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    assert {m.id for m in event.members} == below("bib-1")
    assert {m.kind for m in event.members} == {
        "bib",
        "holding",
        "item",
        "portfolio",
        "representation",
        "file",
        "remote_representation",
    }


def test_cascaded_records_name_their_origin(repo: DeletedRepository) -> None:
    """R-D2: records deleted below an origin have the cascade role and name the origin."""
    seeded(repo)
    event = repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    cascaded = {(m.role, m.origin_id) for m in event.members if m.id != "bib-1"}
    assert cascaded == {(MemberRole.CASCADE, "bib-1")}
    assert roles(event)["bib-1"] is MemberRole.ORIGIN


def test_a_cascade_leaves_the_catalog_and_spares_other_records(
    repo: DeletedRepository,
) -> None:
    """R-D2: the deleted subtree leaves the catalog; records outside it stay active."""
    seeded(repo)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    assert active(repo) == set(ALL_IDS) - below("bib-1")
    assert deleted(repo) == below("bib-1")


def test_a_cascade_takes_only_active_descendants(repo: DeletedRepository) -> None:
    """R-D2: a descendant deleted earlier stays in its own event."""
    seeded(repo)
    first = repo.delete(INSTITUTION, ["itm-1"], actor=ANA)
    second = repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    assert "itm-1" not in {m.id for m in second.members}
    assert repo.deleted.get(INSTITUTION, ["itm-1"])["itm-1"].event_id == first.id


def test_nested_collections_cascade(repo: DeletedRepository) -> None:
    """R-D2: deleting a collection deletes the collections nested in it."""
    seeded(repo)
    event = repo.delete(INSTITUTION, ["col-1"], actor=ANA)
    assert roles(event) == {"col-1": MemberRole.ORIGIN, "col-2": MemberRole.CASCADE}


# R-D3: emptied parents


def test_deleting_the_last_item_with_delete_takes_holding_and_bib(
    repo: DeletedRepository,
) -> None:
    """R-D3: with emptied parents deleted, the last item takes its holding and bib along."""
    seeded(repo)
    event = repo.delete(INSTITUTION, ["itm-4"], actor=ANA, emptied_parents="delete")
    assert roles(event) == {
        "itm-4": MemberRole.ORIGIN,
        "hol-3": MemberRole.EMPTIED_PARENT,
        "bib-2": MemberRole.EMPTIED_PARENT,
    }
    assert {m.origin_id for m in event.members} == {"itm-4"}
    assert {m.event_id for m in event.members} == {event.id}
    assert active(repo) & set(below("bib-2")) == set()


@pytest.mark.parametrize(
    "choice", [None, "retain", EmptiedParents.RETAIN], ids=["default", "text", "enum"]
)
def test_retaining_emptied_parents_keeps_holding_and_bib(
    repo: DeletedRepository, choice: str | EmptiedParents | None
) -> None:
    """R-D3: by default, or with ``retain``, the emptied holding and its bib stay active."""
    seeded(repo)
    if choice is None:
        event = repo.delete(INSTITUTION, ["itm-4"], actor=ANA)
    else:
        event = repo.delete(INSTITUTION, ["itm-4"], actor=ANA, emptied_parents=choice)
    assert [m.id for m in event.members] == ["itm-4"]
    assert {"hol-3", "bib-2"} <= active(repo)


def test_a_parent_with_other_active_children_is_not_emptied(repo: DeletedRepository) -> None:
    """R-D3: a holding that keeps an active item stays, even with emptied parents deleted."""
    seeded(repo)
    event = repo.delete(INSTITUTION, ["itm-1"], actor=ANA, emptied_parents="delete")
    assert [m.id for m in event.members] == ["itm-1"]
    assert {"hol-1", "bib-1"} <= active(repo)


def test_the_upward_cascade_stops_at_the_first_parent_still_in_use(
    repo: DeletedRepository,
) -> None:
    """R-D3: an emptied holding goes, but its bib with other inventory stays."""
    seeded(repo)
    event = repo.delete(INSTITUTION, ["itm-3"], actor=ANA, emptied_parents=EmptiedParents.DELETE)
    assert roles(event) == {"itm-3": MemberRole.ORIGIN, "hol-2": MemberRole.EMPTIED_PARENT}
    assert "bib-1" in active(repo)


def test_deleting_all_children_at_once_empties_their_parent(repo: DeletedRepository) -> None:
    """R-D3: a holding whose every item is deleted by one action is emptied by it."""
    seeded(repo)
    event = repo.delete(INSTITUTION, ["itm-1", "itm-2"], actor=ANA, emptied_parents="delete")
    assert roles(event) == {
        "itm-1": MemberRole.ORIGIN,
        "itm-2": MemberRole.ORIGIN,
        "hol-1": MemberRole.EMPTIED_PARENT,
    }


def test_an_emptied_parent_is_recorded_with_its_snapshot(repo: DeletedRepository) -> None:
    """R-D3: an emptied parent is snapshotted like any deleted record."""
    seeded(repo)
    before = repo.catalog.get(INSTITUTION, ["hol-3", "bib-2"])
    event = repo.delete(INSTITUTION, ["itm-4"], actor=ANA, emptied_parents="delete")
    assert {m.id: m.record for m in event.members if m.id != "itm-4"} == before


# R-D4: actors


@pytest.mark.parametrize(
    "actor",
    [
        Actor.user("ana"),
        Actor.job("J-7"),
        Actor.system("System"),
        Actor.system("Electronic Inventory Creator"),
    ],
    ids=str,
)
def test_any_actor_may_delete(repo: DeletedRepository, actor: Actor) -> None:
    """R-D4: users, jobs and the system process under either label are recorded as given."""
    seeded(repo)
    event = repo.delete(INSTITUTION, ["por-1"], actor=actor)
    assert event.actor == actor


def test_the_system_actor_defaults_to_almas_first_label() -> None:
    """R-D4: `Actor.system()` is the process Alma shows as "System"."""
    assert Actor.system() == Actor.system("System")


# R-D5: bad deletes change nothing


def _state(repo: DeletedRepository, manager: Requester) -> object:
    window = ByRange(
        kind="item",
        start=datetime(2000, 1, 1, tzinfo=UTC),
        end=datetime(2100, 1, 1, tzinfo=UTC),
    )
    return (
        repo.catalog.get(INSTITUTION, ALL_IDS),
        repo.deleted.get(INSTITUTION, ALL_IDS),
        repo.catalog.get(OTHER, [*ALL_IDS, "oth-1"]),
        repo.search(window, requester=manager, limit=100),
    )


@pytest.mark.parametrize(
    ("ids", "offender"),
    [
        (["itm-1"], "itm-1"),
        (["nope"], "nope"),
        (["oth-1"], "oth-1"),
        (["itm-2", "nope"], "nope"),
        (["itm-2", "itm-1"], "itm-1"),
    ],
    ids=["already-deleted", "unknown", "other-institution", "with-unknown", "with-deleted"],
)
def test_a_bad_delete_names_the_id_and_changes_nothing(
    repo: DeletedRepository, manager: Requester, ids: list[str], offender: str
) -> None:
    """R-D5: a delete of an id not active here raises naming it; nothing is recorded."""
    seeded(repo)
    repo.catalog.add(OTHER, [Record("bib", "oth-1")])
    repo.delete(INSTITUTION, ["itm-1"], actor=ANA)
    before = _state(repo, manager)
    with pytest.raises(RecordNotFoundError) as caught:
        repo.delete(INSTITUTION, ids, actor=ANA, emptied_parents="delete")
    assert caught.value.ids == (offender,)
    assert caught.value.state == "active"
    assert offender in str(caught.value)
    assert _state(repo, manager) == before


def test_a_refused_delete_records_no_event(repo: DeletedRepository, manager: Requester) -> None:
    """R-D5: after a refused delete, the next event is the first one recorded."""
    seeded(repo)
    with pytest.raises(RecordNotFoundError):
        repo.delete(INSTITUTION, ["bib-2", "nope"], actor=ANA)
    event = repo.delete(INSTITUTION, ["bib-2"], actor=ANA)
    found = repo.search(ById(kind="bib", id="bib-2"), requester=manager).hits
    assert [h.event_id for h in found] == [event.id]
    assert deleted(repo) == below("bib-2")


# R-M3 and R-M4 through deletes


def test_a_delete_touches_only_its_institution(repo: DeletedRepository) -> None:
    """R-M3: the same id in another institution stays active when it is deleted here."""
    seeded(repo)
    seeded(repo, OTHER)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    assert active(repo, OTHER) == set(ALL_IDS)
    assert deleted(repo, OTHER) == set()


def test_every_id_is_active_or_deleted_never_both(repo: DeletedRepository) -> None:
    """R-M4: after deletes, each id of the catalog is in exactly one state."""
    seeded(repo)
    repo.delete(INSTITUTION, ["hol-1"], actor=ANA)
    repo.delete(INSTITUTION, ["itm-4"], actor=ANA, emptied_parents="delete")
    assert active(repo) & deleted(repo) == set()
    assert active(repo) | deleted(repo) == set(ALL_IDS)


def test_a_restored_id_is_active_and_no_longer_deleted(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-M4: after a restore, the restored ids are active again and not deleted."""
    seeded(repo)
    repo.delete(INSTITUTION, ["hol-1"], actor=ANA)
    repo.restore(repo.plan(ById(kind="holding", id="hol-1"), requester=manager), requester=manager)
    assert deleted(repo) == set()
    assert active(repo) == set(ALL_IDS)


def test_a_purged_id_is_gone(repo: DeletedRepository, manager: Requester, clock: Clock) -> None:
    """R-M4: a purged id is neither active nor deleted."""
    seeded(repo)
    repo.delete(INSTITUTION, ["fil-1"], actor=ANA)
    clock.advance(days=91)
    repo.purge(requester=manager)
    assert "fil-1" not in active(repo) | deleted(repo)


# record_deletion: deletions the host has already made


def test_recorded_deletion_gives_roots_the_origin_role_by_default(
    repo: DeletedRepository,
) -> None:
    """R-D1: records whose parent is not among them are the origins; the rest cascade."""
    event = repo.record_deletion(INSTITUTION, BIB_2, actor=ANA)
    assert event.origins == ("bib-2",)
    assert roles(event) == {
        "bib-2": MemberRole.ORIGIN,
        "hol-3": MemberRole.CASCADE,
        "itm-4": MemberRole.CASCADE,
    }


def test_recorded_deletion_computes_emptied_parents_above_an_origin(
    repo: DeletedRepository,
) -> None:
    """R-D3: records above a named origin get the emptied-parent role and name that origin."""
    event = repo.record_deletion(INSTITUTION, BIB_2, actor=ANA, origins=["itm-4"])
    assert roles(event) == {
        "bib-2": MemberRole.EMPTIED_PARENT,
        "hol-3": MemberRole.EMPTIED_PARENT,
        "itm-4": MemberRole.ORIGIN,
    }
    assert {m.origin_id for m in event.members} == {"itm-4"}


def test_recorded_deletion_mixes_cascade_and_emptied_parents(repo: DeletedRepository) -> None:
    """R-D2, R-D3: below a named origin is cascade, above it is emptied parent."""
    event = repo.record_deletion(INSTITUTION, BIB_2, actor=ANA, origins=["hol-3"])
    assert roles(event) == {
        "bib-2": MemberRole.EMPTIED_PARENT,
        "hol-3": MemberRole.ORIGIN,
        "itm-4": MemberRole.CASCADE,
    }


def test_recorded_deletion_takes_the_time_given(repo: DeletedRepository, clock: Clock) -> None:
    """R-D1: a host may say when the records were deleted; by default it is now."""
    earlier = clock.now - timedelta(days=3)
    given = repo.record_deletion(INSTITUTION, BIB_2, actor=ANA, at=earlier)
    default = repo.record_deletion(INSTITUTION, COLLECTIONS, actor=ANA)
    assert (given.at, default.at) == (earlier, clock.now)


def test_recorded_deletion_reads_lineage_from_active_parents(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-S7: a recorded item below active parents has their ids as its parent chain."""
    repo.catalog.add(INSTITUTION, BIB_2[:2])
    repo.record_deletion(INSTITUTION, BIB_2[2:], actor=ANA)
    assert repo.brief("itm-4", requester=manager).parent_ids == ("hol-3", "bib-2")


def test_recorded_deletion_is_searchable_like_a_delete(
    repo: DeletedRepository, manager: Requester
) -> None:
    """R-D1: a recorded deletion is found by id like one made through `delete`."""
    event = repo.record_deletion(INSTITUTION, BIB_2, actor=ANA)
    hits = repo.search(ById(kind="item", id="itm-4"), requester=manager).hits
    assert [(h.id, h.event_id, h.origin_id) for h in hits] == [("itm-4", event.id, "bib-2")]


@pytest.mark.parametrize(
    ("setup", "records", "origins", "error"),
    [
        ("active", BIB_2[1:], None, RecordNotFoundError),
        ("deleted", BIB_2, None, RecordNotFoundError),
        ("orphans", BIB_2[:1], None, InvalidInputError),
        ("", [Record("item", "itm-9", "hol-9")], None, HierarchyError),
        ("", [Record("item", "itm-9", "bib-9"), Record("bib", "bib-9")], None, HierarchyError),
        ("", [Record("holding", "hol-9")], None, HierarchyError),
        ("", [Record("book", "bk-1")], None, UnknownKindError),
        ("", [*BIB_2, Record("bib", "bib-9")], ["itm-4"], InvalidInputError),
        ("", BIB_2, ["nope"], InvalidInputError),
    ],
    ids=[
        "still-active",
        "already-deleted",
        "orphans",
        "unknown-parent",
        "wrong-parent-kind",
        "missing-parent",
        "unknown-kind",
        "unrelated-record",
        "stranger-origin",
    ],
)
def test_an_invalid_recorded_deletion_changes_nothing(
    repo: DeletedRepository,
    setup: str,
    records: list[Record],
    origins: list[str] | None,
    error: type[Exception],
) -> None:
    """R-D5: a recorded deletion that cannot have happened is refused and nothing changes.

    Refused: records still active, already deleted, leaving active children orphaned (I1),
    under an unknown parent or one of the wrong kind, missing a required parent, of an
    undeclared kind, unrelated to every origin, or origins not among the records.
    """
    if setup in {"active", "orphans"}:
        repo.catalog.add(INSTITUTION, BIB_2)
    if setup == "orphans":
        repo.catalog.remove(INSTITUTION, ["bib-2"])
    elif setup == "deleted":
        repo.record_deletion(INSTITUTION, BIB_2, actor=ANA)
    ids = [*ALL_IDS, "itm-9", "bib-9", "hol-9", "bk-1"]
    before = (repo.catalog.get(INSTITUTION, ids), repo.deleted.get(INSTITUTION, ids))
    with pytest.raises(error):
        repo.record_deletion(INSTITUTION, records, actor=ANA, origins=origins)
    assert (repo.catalog.get(INSTITUTION, ids), repo.deleted.get(INSTITUTION, ids)) == before
