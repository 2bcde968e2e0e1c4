"""Searching the deleted repository (R-S1..R-S10), who may search (R-P1), isolation (R-M3)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

import attrs
import pytest

from deleted_repo import (
    Actor,
    Brief,
    ByField,
    ById,
    ByJob,
    ByRange,
    BySystem,
    ByUser,
    Criteria,
    DeletedRepository,
    InvalidInputError,
    InvalidRangeError,
    MemberRole,
    NotAuthorizedError,
    Policy,
    Record,
    RecordNotFoundError,
    Requester,
    UnknownActorError,
)
from tests.support import ANA, BO, BRIEFS, CLERK, INSTITUTION, OTHER, Clock, manager_of, repository

YEAR = timedelta(days=365)

ALL_IDS = [r.id for r in BRIEFS]


@pytest.fixture
def seeded(repo: DeletedRepository) -> DeletedRepository:
    """The everyday repository with the test catalog active in `INSTITUTION`."""
    repo.catalog.add(INSTITUTION, BRIEFS)
    return repo


def ids(repo: DeletedRepository, criteria: Criteria, requester: Requester) -> list[str]:
    """The ids of the first page of hits, in order."""
    return [h.id for h in repo.search(criteria, requester=requester, limit=500).hits]


def restore(repo: DeletedRepository, criteria: Criteria, requester: Requester) -> None:
    """Plan and run the restore of the hits of `criteria`."""
    repo.restore(repo.plan(criteria, requester=requester), requester=requester)


def everything(kind: str, clock: Clock) -> ByRange:
    """A range search over the whole search window."""
    return ByRange(kind=kind, start=clock.now - YEAR, end=clock.now)


# R-S1: criteria


def test_a_search_returns_only_the_kind_asked_for(
    seeded: DeletedRepository, manager: Requester
) -> None:
    """R-S1: a search by id names the find type; an id of another kind is not a hit."""
    seeded.delete(INSTITUTION, ["bib-1"], actor=ANA)
    assert ids(seeded, ById(kind="holding", id="bib-1"), manager) == []
    assert ids(seeded, ById(kind="bib", id="bib-1"), manager) == ["bib-1"]


def test_a_range_search_includes_both_ends(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S1: a range search finds what was deleted from start to end, both inclusive."""
    start = clock.now
    seeded.delete(INSTITUTION, ["itm-1"], actor=ANA)
    clock.advance(days=1)
    seeded.delete(INSTITUTION, ["itm-2"], actor=ANA)
    clock.advance(days=1)
    seeded.delete(INSTITUTION, ["itm-3"], actor=ANA)
    clock.advance(days=1)
    seeded.delete(INSTITUTION, ["itm-4"], actor=ANA)
    criteria = ByRange(kind="item", start=start + timedelta(days=1), end=start + timedelta(days=2))
    assert ids(seeded, criteria, manager) == ["itm-3", "itm-2"]


# R-S2: the one-year window


def _old_and_recent(repo: DeletedRepository, clock: Clock, actor: Actor) -> datetime:
    """Delete itm-1 400 days before now and itm-2 100 days before now; return the old time."""
    old = clock.now
    repo.delete(INSTITUTION, ["itm-1"], actor=actor)
    clock.advance(days=300)
    repo.delete(INSTITUTION, ["itm-2"], actor=actor)
    clock.advance(days=100)
    return old


@pytest.mark.parametrize(
    ("actor", "make"),
    [
        (ANA, lambda start, end: ByRange(kind="item", start=start, end=end)),
        (Actor.system(), lambda start, end: BySystem(kind="item", start=start, end=end)),
    ],
    ids=["range", "system"],
)
def test_a_range_starting_before_the_window_is_clipped(
    seeded: DeletedRepository,
    manager: Requester,
    clock: Clock,
    actor: Actor,
    make: Callable[[datetime, datetime], Criteria],
) -> None:
    """R-S2: a range reaching back past 365 days is cut to the window and says so."""
    old = _old_and_recent(seeded, clock, actor)
    page = seeded.search(make(old - timedelta(days=1), clock.now), requester=manager)
    assert [h.id for h in page.hits] == ["itm-2"]
    assert page.clipped
    assert page.window is not None
    assert page.window.start == clock.now - YEAR


def test_a_user_range_starting_before_the_window_is_clipped(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S2: a search by user over a range reaching back past 365 days is cut and says so."""
    old = _old_and_recent(seeded, clock, ANA)
    page = seeded.search(
        ByUser(kind="item", user_id="ana", start=old, end=clock.now), requester=manager
    )
    assert [h.id for h in page.hits] == ["itm-2"]
    assert page.clipped
    assert page.window is not None
    assert page.window.start == clock.now - YEAR


def test_a_range_inside_the_window_is_not_clipped(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S2: a range inside the window is applied as asked and not reported as clipped."""
    _old_and_recent(seeded, clock, ANA)
    start = clock.now - timedelta(days=200)
    page = seeded.search(ByRange(kind="item", start=start, end=clock.now), requester=manager)
    assert [h.id for h in page.hits] == ["itm-2"]
    assert not page.clipped
    assert page.window is not None
    assert (page.window.start, page.window.end) == (start, clock.now)


def test_a_range_wholly_before_the_window_finds_nothing(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S2: a range that ends before the window begins is cut to nothing, and says so."""
    old = _old_and_recent(seeded, clock, ANA)
    criteria = ByRange(kind="item", start=old, end=old + timedelta(days=1))
    page = seeded.search(criteria, requester=manager)
    assert page.hits == ()
    assert page.clipped


def test_a_user_search_does_not_see_an_action_older_than_the_window(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S2, R-S4: a user whose only action is 400 days old has no last action in the window."""
    seeded.delete(INSTITUTION, ["itm-1"], actor=ANA)
    clock.advance(days=400)
    page = seeded.search(ByUser(kind="item", user_id="ana"), requester=manager)
    assert page.hits == ()
    assert page.window is not None
    assert page.window.start == clock.now - YEAR


def test_a_job_search_stops_at_the_window(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S2, R-S5: a job's events older than 365 days are not returned; the window is shown.

    Decision: a job search names no range, so nothing asked for was cut: `clipped` is False.
    """
    _old_and_recent(seeded, clock, Actor.job("J1"))
    page = seeded.search(ByJob(kind="item", job_id="J1"), requester=manager)
    assert [h.id for h in page.hits] == ["itm-2"]
    assert page.window is not None
    assert page.window.start == clock.now - YEAR
    assert not page.clipped


def test_the_window_is_exactly_365_days(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S2: a deletion exactly 365 days old is seen; one microsecond older is not."""
    deleted_at = clock.now
    seeded.delete(INSTITUTION, ["itm-1"], actor=ANA)
    clock.advance(days=365)
    criteria = ByRange(kind="item", start=deleted_at, end=clock.now)
    assert ids(seeded, criteria, manager) == ["itm-1"]
    clock.advance(microseconds=1)
    assert ids(seeded, criteria, manager) == []


def test_the_window_is_a_policy_value(manager: Requester, clock: Clock) -> None:
    """R-S2: a host may shorten the window; deletions older than it are not seen."""
    repo = repository(clock=clock, policy=Policy(search_window=timedelta(days=30)))
    repo.catalog.add(INSTITUTION, BRIEFS)
    repo.delete(INSTITUTION, ["itm-1"], actor=ANA)
    clock.advance(days=2)
    repo.delete(INSTITUTION, ["itm-2"], actor=ANA)
    clock.advance(days=29)
    page = repo.search(
        ByRange(kind="item", start=clock.now - YEAR, end=clock.now), requester=manager
    )
    assert [h.id for h in page.hits] == ["itm-2"]
    assert page.clipped


@pytest.mark.parametrize(
    "make",
    [
        lambda start, end: ByRange(kind="item", start=start, end=end),
        lambda start, end: ByUser(kind="item", user_id="ana", start=start, end=end),
        lambda start, end: BySystem(kind="item", start=start, end=end),
    ],
    ids=["range", "user", "system"],
)
def test_an_inverted_range_is_an_error(
    clock: Clock, make: Callable[[datetime, datetime], Criteria]
) -> None:
    """R-S2: a range whose start is after its end is refused, naming both ends."""
    later = clock.now + timedelta(seconds=1)
    with pytest.raises(InvalidRangeError) as caught:
        make(later, clock.now)
    assert (caught.value.start, caught.value.end) == (later, clock.now)


def test_a_range_of_one_instant_is_allowed(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S2: a range whose start equals its end is not inverted."""
    seeded.delete(INSTITUTION, ["itm-1"], actor=ANA)
    assert ids(seeded, ByRange(kind="item", start=clock.now, end=clock.now), manager) == ["itm-1"]


# R-S3: by id has no time limit


def test_a_search_by_id_finds_records_older_than_the_window(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S3: a record deleted years ago is still found by its id, with no window applied."""
    seeded.delete(INSTITUTION, ["bib-2"], actor=ANA)
    clock.advance(days=5 * 365)
    page = seeded.search(ById(kind="item", id="itm-4"), requester=manager)
    assert [h.id for h in page.hits] == ["itm-4"]
    assert page.window is None
    assert not page.clipped


# R-S4: the last action of a user


def test_a_user_search_returns_only_the_last_action(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S4: only the records of the user's most recent deletion event are returned."""
    seeded.delete(INSTITUTION, ["itm-1"], actor=ANA)
    clock.advance(hours=1)
    seeded.delete(INSTITUTION, ["hol-2"], actor=ANA)
    assert ids(seeded, ByUser(kind="item", user_id="ana"), manager) == ["itm-3"]


def test_other_users_actions_do_not_count(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S4: a later deletion by someone else does not hide the user's last action."""
    seeded.delete(INSTITUTION, ["itm-1"], actor=ANA)
    clock.advance(hours=1)
    seeded.delete(INSTITUTION, ["itm-2"], actor=BO)
    assert ids(seeded, ByUser(kind="item", user_id="ana"), manager) == ["itm-1"]
    assert ids(seeded, ByUser(kind="item", user_id="bo"), manager) == ["itm-2"]


def test_a_user_search_returns_only_the_kind_of_the_last_action(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S4: a bib deleted in an earlier action is not returned when the last one had none."""
    seeded.delete(INSTITUTION, ["bib-2"], actor=ANA)
    clock.advance(hours=1)
    seeded.delete(INSTITUTION, ["itm-1"], actor=ANA)
    assert ids(seeded, ByUser(kind="bib", user_id="ana"), manager) == []
    assert ids(seeded, ByUser(kind="item", user_id="ana"), manager) == ["itm-1"]


def test_of_two_actions_at_the_same_time_the_later_one_is_last(
    seeded: DeletedRepository, manager: Requester
) -> None:
    """R-S4: actions recorded at the same instant count in the order they were made."""
    seeded.delete(INSTITUTION, ["itm-2"], actor=ANA)
    seeded.delete(INSTITUTION, ["itm-1"], actor=ANA)
    assert ids(seeded, ByUser(kind="item", user_id="ana"), manager) == ["itm-1"]


def test_restoring_the_last_action_walks_back_to_the_previous_one(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S4: once the last action is restored in full, the previous action is the last."""
    seeded.delete(INSTITUTION, ["bib-2"], actor=ANA)
    clock.advance(hours=1)
    seeded.delete(INSTITUTION, ["itm-1"], actor=ANA)
    criteria = ByUser(kind="item", user_id="ana")
    restore(seeded, criteria, manager)
    assert ids(seeded, criteria, manager) == ["itm-4", "itm-5"]
    restore(seeded, criteria, manager)
    assert ids(seeded, criteria, manager) == []


def test_a_partly_restored_action_is_still_the_last(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S4: an action with records not yet restored still counts as the user's last."""
    seeded.delete(INSTITUTION, ["itm-1"], actor=ANA)
    clock.advance(hours=1)
    seeded.delete(INSTITUTION, ["hol-3"], actor=ANA)
    restore(seeded, ById(kind="item", id="itm-4"), manager)
    assert ids(seeded, ByUser(kind="item", user_id="ana"), manager) == ["itm-5"]


def test_a_user_range_selects_the_last_action_inside_it(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S4: with a range, the last action is the most recent one inside the range."""
    first = clock.now
    seeded.delete(INSTITUTION, ["itm-1"], actor=ANA)
    clock.advance(days=1)
    seeded.delete(INSTITUTION, ["itm-2"], actor=ANA)
    criteria = ByUser(kind="item", user_id="ana", start=first, end=first + timedelta(hours=1))
    assert ids(seeded, criteria, manager) == ["itm-1"]


# R-S5: by job


def test_a_job_search_returns_every_event_of_the_job(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S5: the items of each event of the job in the window, and nothing of others."""
    seeded.delete(INSTITUTION, ["itm-1"], actor=Actor.job("J1"))
    clock.advance(days=10)
    seeded.delete(INSTITUTION, ["itm-2"], actor=Actor.job("J2"))
    seeded.delete(INSTITUTION, ["hol-3"], actor=Actor.job("J1"))
    clock.advance(days=10)
    seeded.delete(INSTITUTION, ["itm-3"], actor=ANA)
    seeded.delete(INSTITUTION, ["bib-1"], actor=Actor.job("J1"))
    assert ids(seeded, ByJob(kind="item", job_id="J1"), manager) == [
        "itm-4",
        "itm-5",
        "itm-1",
    ]
    assert ids(seeded, ByJob(kind="holding", job_id="J1"), manager) == ["hol-1", "hol-2", "hol-3"]


# R-S6: any level is findable


def test_an_emptied_parent_is_found_by_its_own_kind(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S6: a bib deleted because its last item went is found, naming that item as origin."""
    seeded.delete(INSTITUTION, ["itm-4", "itm-5"], actor=ANA, emptied_parents="delete")
    [hit] = seeded.search(everything("bib", clock), requester=manager).hits
    assert (hit.id, hit.role, hit.origin_id, hit.is_origin) == (
        "bib-2",
        MemberRole.EMPTIED_PARENT,
        "itm-4",
        False,
    )


def test_a_cascaded_record_is_found_by_its_own_kind(
    seeded: DeletedRepository, manager: Requester
) -> None:
    """R-S6: an item deleted with its bib is found by item id, naming the bib as origin."""
    seeded.delete(INSTITUTION, ["bib-1"], actor=ANA)
    [hit] = seeded.search(ById(kind="item", id="itm-2"), requester=manager).hits
    assert (hit.role, hit.origin_id, hit.is_origin) == (MemberRole.CASCADE, "bib-1", False)


def test_an_origin_says_it_is_one(seeded: DeletedRepository, manager: Requester) -> None:
    """R-S6: a record the action was asked to delete is shown as the origin of its event."""
    seeded.delete(INSTITUTION, ["hol-1"], actor=ANA)
    [hit] = seeded.search(ById(kind="holding", id="hol-1"), requester=manager).hits
    assert (hit.role, hit.origin_id, hit.is_origin) == (MemberRole.ORIGIN, "hol-1", True)


# R-S7: the brief view


def test_a_hit_carries_the_brief_view(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S7: kind, id, title, deleted at and by, event, origin, role and the parent chain."""
    event = seeded.delete(INSTITUTION, ["hol-1"], actor=ANA)
    [hit] = seeded.search(ById(kind="item", id="itm-1"), requester=manager).hits
    assert hit == Brief(
        kind="item",
        id="itm-1",
        title="Moby Dick v.1",
        deleted_at=clock.now,
        deleted_by=ANA,
        event_id=event.id,
        origin_id="hol-1",
        role=MemberRole.CASCADE,
        parent_ids=("hol-1", "bib-1"),
    )


@pytest.mark.parametrize(
    ("kind", "ident", "title"),
    [
        ("item", "itm-1", "Moby Dick v.1"),
        ("item", "itm-2", "v.2"),
        ("item", "itm-3", "B-3"),
        ("holding", "hol-1", "PS2384 .M6"),
        ("holding", "hol-2", ""),
        ("collection", "col-2", "Whaling"),
        ("bib", "bib-1", "Moby Dick"),
    ],
    ids=[
        "item-title",
        "item-description",
        "item-barcode",
        "call-number",
        "none",
        "label",
        "bib",
    ],
)
def test_the_title_comes_from_the_kinds_title_fields(
    seeded: DeletedRepository, manager: Requester, kind: str, ident: str, title: str
) -> None:
    """R-S7: the title is the first title field of the kind the snapshot holds, else ""."""
    seeded.delete(INSTITUTION, ["bib-1", "col-1"], actor=ANA)
    [hit] = seeded.search(ById(kind=kind, id=ident), requester=manager).hits
    assert hit.title == title


def test_the_parent_chain_includes_active_parents(
    seeded: DeletedRepository, manager: Requester
) -> None:
    """R-S7: an item deleted alone names its still-active holding and bib, nearest first."""
    seeded.delete(INSTITUTION, ["itm-3"], actor=ANA)
    assert seeded.brief("itm-3", requester=manager).parent_ids == ("hol-2", "bib-1")


def test_the_parent_chain_is_kept_from_the_time_of_deletion(
    seeded: DeletedRepository, manager: Requester
) -> None:
    """R-S7: a chain recorded at deletion survives the later deletion of the parents."""
    seeded.delete(INSTITUTION, ["col-2"], actor=ANA)
    seeded.delete(INSTITUTION, ["col-1"], actor=ANA)
    assert seeded.brief("col-2", requester=manager).parent_ids == ("col-1",)
    assert seeded.brief("col-1", requester=manager).parent_ids == ()


def test_brief_by_id_equals_the_search_hit(seeded: DeletedRepository, manager: Requester) -> None:
    """R-S7: `brief` gives the same view as the search hit for that record, of any kind."""
    seeded.delete(INSTITUTION, ["bib-2"], actor=ANA)
    [hit] = seeded.search(ById(kind="holding", id="hol-3"), requester=manager).hits
    assert seeded.brief("hol-3", requester=manager) == hit


def test_the_brief_view_is_read_only(seeded: DeletedRepository, manager: Requester) -> None:
    """R-S7: a brief cannot be changed."""
    seeded.delete(INSTITUTION, ["bib-2"], actor=ANA)
    hit = seeded.brief("bib-2", requester=manager)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        hit.title = "changed"  # type: ignore[misc]


# R-S8: order and paging


def _delete_120_bibs(repo: DeletedRepository, clock: Clock) -> list[tuple[datetime, str]]:
    """Delete 120 bibs by job J1, many at one instant; return (time, id) of each."""
    bibs = [f"bib-{n:03d}" for n in range(120)]
    random.Random(7).shuffle(bibs)
    repo.catalog.add(INSTITUTION, [Record("bib", b, None, {"title": b}) for b in bibs])
    job = Actor.job("J1")
    events = [repo.delete(INSTITUTION, bibs[:40], actor=job)]
    clock.advance(hours=1)
    events += [repo.delete(INSTITUTION, [b], actor=job) for b in bibs[40:70]]
    for b in bibs[70:]:
        clock.advance(minutes=1)
        events.append(repo.delete(INSTITUTION, [b], actor=job))
    return [(m.deleted_at, m.id) for e in events for m in e.members]


def _all_pages(
    repo: DeletedRepository, criteria: Criteria, requester: Requester, limit: int
) -> list[list[Brief]]:
    pages = []
    cursor = None
    while True:
        page = repo.search(criteria, requester=requester, cursor=cursor, limit=limit)
        pages.append(list(page.hits))
        cursor = page.next_cursor
        if cursor is None:
            return pages


@pytest.mark.parametrize(
    "make",
    [
        lambda now: ByRange(kind="bib", start=now - YEAR, end=now),
        lambda now: ByJob(kind="bib", job_id="J1"),
    ],
    ids=["range", "job"],
)
def test_paging_returns_each_hit_once_newest_first_then_by_id(
    repo: DeletedRepository,
    manager: Requester,
    clock: Clock,
    make: Callable[[datetime], Criteria],
) -> None:
    """R-S8: 120 hits, 25 a page: each exactly once, by time newest first, then by id."""
    deleted = _delete_120_bibs(repo, clock)
    pages = _all_pages(repo, make(clock.now), manager, 25)
    assert [len(p) for p in pages] == [25, 25, 25, 25, 20]
    expected = sorted(deleted, key=lambda d: (-d[0].timestamp(), d[1]))
    assert [(h.deleted_at, h.id) for p in pages for h in p] == expected


@pytest.mark.parametrize("limit", [1, 24, 40, 120, 500])
def test_paging_never_ends_with_an_empty_page(
    repo: DeletedRepository, manager: Requester, clock: Clock, limit: int
) -> None:
    """R-S8: the last page is the one holding the last hit; any page size covers all hits."""
    _delete_120_bibs(repo, clock)
    pages = _all_pages(repo, ByJob(kind="bib", job_id="J1"), manager, limit)
    assert all(pages)
    assert sum(len(p) for p in pages) == 120
    assert len({h.id for p in pages for h in p}) == 120


def test_a_cursor_is_stable_across_new_deletions(
    repo: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S8: deletions made between pages neither shift nor repeat the following pages."""
    _delete_120_bibs(repo, clock)
    criteria = ByRange(kind="bib", start=clock.now - YEAR, end=clock.now + YEAR)
    [first, second, *_] = _all_pages(repo, criteria, manager, 25)
    page = repo.search(criteria, requester=manager, limit=25)
    clock.advance(minutes=1)
    repo.catalog.add(INSTITUTION, [Record("bib", "bib-new")])
    repo.delete(INSTITUTION, ["bib-new"], actor=ANA)
    assert page.next_cursor is not None
    again = repo.search(criteria, requester=manager, cursor=page.next_cursor, limit=25)
    assert list(page.hits) == first
    assert list(again.hits) == second


# R-S9: restored records leave the deleted list


def test_restored_records_leave_the_results_at_once(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S9: after a restore, its records are no longer hits; records still deleted remain."""
    seeded.delete(INSTITUTION, ["hol-1", "hol-3"], actor=ANA)
    restore(seeded, ById(kind="item", id="itm-4"), manager)
    assert ids(seeded, ById(kind="item", id="itm-4"), manager) == []
    assert ids(seeded, everything("item", clock), manager) == ["itm-1", "itm-2", "itm-5"]
    assert ids(seeded, everything("holding", clock), manager) == ["hol-1"]


# R-S10: secondary identifiers


def test_a_deleted_item_is_found_by_its_barcode_at_any_age(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S10: a declared searchable field finds the deleted item, with no time limit."""
    seeded.delete(INSTITUTION, ["hol-1"], actor=ANA)
    clock.advance(days=800)
    page = seeded.search(ByField(kind="item", field="barcode", value="B-2"), requester=manager)
    assert [h.id for h in page.hits] == ["itm-2"]
    assert page.window is None


def test_an_active_items_barcode_finds_nothing(
    seeded: DeletedRepository, manager: Requester
) -> None:
    """R-S10: only deleted records' snapshots are searched."""
    seeded.delete(INSTITUTION, ["itm-1"], actor=ANA)
    assert ids(seeded, ByField(kind="item", field="barcode", value="B-2"), manager) == []


def test_a_barcode_held_by_several_deleted_items_finds_them_all(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S10: every deleted snapshot holding the value is a hit, newest first."""
    seeded.delete(INSTITUTION, ["itm-1"], actor=ANA)
    clock.advance(days=1)
    seeded.catalog.add(INSTITUTION, [Record("item", "itm-9", "hol-1", {"barcode": "B-1"})])
    seeded.delete(INSTITUTION, ["itm-9"], actor=ANA)
    criteria = ByField(kind="item", field="barcode", value="B-1")
    assert ids(seeded, criteria, manager) == ["itm-9", "itm-1"]


@pytest.mark.parametrize(
    ("kind", "field"),
    [("item", "title"), ("holding", "barcode"), ("item", "call_number")],
)
def test_an_undeclared_field_is_refused(
    seeded: DeletedRepository, manager: Requester, kind: str, field: str
) -> None:
    """R-S10: only the fields the policy declares searchable for the kind may be searched."""
    seeded.delete(INSTITUTION, ["bib-1"], actor=ANA)
    with pytest.raises(InvalidInputError) as caught:
        seeded.search(ByField(kind=kind, field=field, value="x"), requester=manager)
    assert (caught.value.field, caught.value.value) == ("field", field)


def test_a_host_declares_its_own_searchable_fields(manager: Requester, clock: Clock) -> None:
    """R-S10: a field the host declares for a kind is searchable for that kind."""
    policy = Policy(searchable_fields={"bib": ("isbn",)})
    repo = repository(clock=clock, policy=policy)
    repo.catalog.add(INSTITUTION, [Record("bib", "b-1", None, {"isbn": "978-0"})])
    repo.delete(INSTITUTION, ["b-1"], actor=ANA)
    assert ids(repo, ByField(kind="bib", field="isbn", value="978-0"), manager) == ["b-1"]


# R-D4: system actors


def test_a_system_search_finds_both_system_labels(
    seeded: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-D4: "System" and "Electronic Inventory Creator" are one process to a search."""
    seeded.delete(INSTITUTION, ["itm-1"], actor=Actor.system("System"))
    seeded.delete(INSTITUTION, ["itm-2"], actor=Actor.system("Electronic Inventory Creator"))
    seeded.delete(INSTITUTION, ["itm-3"], actor=ANA)
    seeded.delete(INSTITUTION, ["itm-4"], actor=Actor.job("J1"))
    assert ids(seeded, BySystem(kind="item"), manager) == ["itm-1", "itm-2"]


# R-P1: who may search


@pytest.mark.parametrize(
    "roles", [set(), {"Cataloger"}, {"repository manager"}], ids=["none", "other", "case"]
)
def test_searching_needs_the_restore_role(
    seeded: DeletedRepository, roles: set[str], clock: Clock
) -> None:
    """R-P1: a requester without the restore role is refused, naming who and what role."""
    seeded.delete(INSTITUTION, ["itm-1"], actor=ANA)
    clerk = Requester(user_id="clerk", institution=INSTITUTION, roles=roles)
    with pytest.raises(NotAuthorizedError) as caught:
        seeded.search(everything("item", clock), requester=clerk)
    assert (caught.value.user_id, caught.value.role) == ("clerk", "Repository Manager")


def test_a_brief_needs_the_restore_role(seeded: DeletedRepository) -> None:
    """R-P1: reading one record's brief view needs the restore role too."""
    seeded.delete(INSTITUTION, ["itm-1"], actor=ANA)
    with pytest.raises(NotAuthorizedError):
        seeded.brief("itm-1", requester=CLERK)


def test_the_restore_role_is_a_policy_value(manager: Requester, clock: Clock) -> None:
    """R-P1: with another restore role, that role may search and the preset's may not."""
    repo = repository(clock=clock, policy=Policy(restore_role="Undeleter"))
    repo.catalog.add(INSTITUTION, BRIEFS)
    repo.delete(INSTITUTION, ["itm-1"], actor=ANA)
    undeleter = Requester(user_id="u", institution=INSTITUTION, roles={"Undeleter"})
    assert ids(repo, ById(kind="item", id="itm-1"), undeleter) == ["itm-1"]
    with pytest.raises(NotAuthorizedError):
        repo.search(ById(kind="item", id="itm-1"), requester=manager)


# R-M3: institutions are isolated


@pytest.fixture
def two_institutions(seeded: DeletedRepository) -> DeletedRepository:
    """Both institutions hold the catalog; bob deleted bib-2 in the other institution only."""
    seeded.catalog.add(OTHER, BRIEFS)
    seeded.delete(OTHER, ["bib-2"], actor=Actor.user("bob"))
    return seeded


OTHER_MANAGER = manager_of(OTHER)


@pytest.mark.parametrize(
    "make",
    [
        lambda now: ById(kind="bib", id="bib-2"),
        lambda now: ByRange(kind="item", start=now - YEAR, end=now),
        lambda now: ByField(kind="item", field="barcode", value="B-4"),
    ],
    ids=["id", "range", "barcode"],
)
def test_another_institutions_deletions_are_not_found(
    two_institutions: DeletedRepository,
    manager: Requester,
    clock: Clock,
    make: Callable[[datetime], Criteria],
) -> None:
    """R-M3: a manager finds nothing deleted in another institution; its own manager does."""
    criteria = make(clock.now)
    assert ids(two_institutions, criteria, manager) == []
    assert ids(two_institutions, criteria, OTHER_MANAGER) != []


def test_another_institutions_record_has_no_brief(
    two_institutions: DeletedRepository, manager: Requester
) -> None:
    """R-M3: the brief of a record deleted in another institution is not found here."""
    with pytest.raises(RecordNotFoundError):
        two_institutions.brief("bib-2", requester=manager)
    assert two_institutions.brief("bib-2", requester=OTHER_MANAGER).id == "bib-2"


def test_another_institutions_user_is_unknown_here(
    two_institutions: DeletedRepository, manager: Requester
) -> None:
    """R-M3: a user who deleted only in another institution is unknown to a search here."""
    with pytest.raises(UnknownActorError):
        two_institutions.search(ByUser(kind="bib", user_id="bob"), requester=manager)
    assert ids(two_institutions, ByUser(kind="bib", user_id="bob"), OTHER_MANAGER) == ["bib-2"]
