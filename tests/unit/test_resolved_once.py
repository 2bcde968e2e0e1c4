"""A search resolves its query once: its pages and its plan keep what the first call resolved."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from deleted_repo import (
    Actor,
    ById,
    ByRange,
    ByUser,
    DeletedRepository,
    Deletion,
    InvalidInputError,
    Record,
    RecordNotFoundError,
    Requester,
    from_json,
    to_json,
)
from deleted_repo.planner import RestorePlan
from tests.support import BIB_1, BIB_2, INSTITUTION, Clock, seeded

JDOE = Actor.user("jdoe")


def test_every_page_of_a_user_search_belongs_to_its_first_result_set(
    repo: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S4, R-S8, D-31: a later action by the user does not empty the pages still to come."""
    seeded(repo)
    repo.delete(INSTITUTION, ["itm-1", "itm-2", "itm-3"], actor=JDOE)
    first = repo.search(ByUser(kind="item", user_id="jdoe"), requester=manager, limit=1)
    clock.advance(minutes=5)
    repo.delete(INSTITUTION, ["itm-4"], actor=JDOE)  # the user's new last action
    seen = [h.id for h in first.hits]
    cursor = first.next_cursor
    while cursor is not None:
        page = repo.search(
            ByUser(kind="item", user_id="jdoe"), requester=manager, cursor=cursor, limit=1
        )
        seen += [h.id for h in page.hits]
        cursor = page.next_cursor
    assert seen == ["itm-1", "itm-2", "itm-3"]
    fresh = repo.search(ByUser(kind="item", user_id="jdoe"), requester=manager)
    assert [h.id for h in fresh.hits] == ["itm-4"]


def test_a_cursor_keeps_the_window_of_its_first_page(
    repo: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S2, R-S8, D-31: a window that moves on between pages does not drop the rest."""
    seeded(repo)
    start = clock.now
    repo.delete(INSTITUTION, ["itm-1"], actor=JDOE)
    clock.advance(minutes=1)
    repo.delete(INSTITUTION, ["itm-2"], actor=JDOE)
    criteria = ByRange(kind="item", start=start, end=clock.now)
    first = repo.search(criteria, requester=manager, limit=1)
    clock.advance(days=365, seconds=30)  # itm-1 is now older than the window
    assert first.next_cursor is not None
    rest = repo.search(criteria, requester=manager, cursor=first.next_cursor, limit=1)
    assert [h.id for h in first.hits + rest.hits] == ["itm-2", "itm-1"]


def test_a_cursor_belongs_to_its_own_search(repo: DeletedRepository, manager: Requester) -> None:
    """R-S8: a cursor given with other criteria is refused, naming the cursor."""
    seeded(repo)
    repo.delete(INSTITUTION, ["itm-1", "itm-2"], actor=JDOE)
    page = repo.search(ByUser(kind="item", user_id="jdoe"), requester=manager, limit=1)
    assert page.next_cursor is not None
    with pytest.raises(InvalidInputError, match="another search") as caught:
        repo.search(ByUser(kind="item", user_id="bo"), requester=manager, cursor=page.next_cursor)
    assert caught.value.field == "cursor"


@pytest.mark.parametrize("cursor", ["", "x", "!!!", "e30", "W10", "a" * 100_000])
def test_a_malformed_cursor_is_refused_with_a_short_message(
    repo: DeletedRepository, manager: Requester, cursor: str
) -> None:
    """R-S8: a cursor that is not one of ours is bad input, and the message stays short."""
    with pytest.raises(InvalidInputError) as caught:
        repo.search(ById(kind="bib", id="x"), requester=manager, cursor=cursor)
    assert caught.value.field == "cursor"
    assert len(str(caught.value)) < 200


def test_a_plan_by_user_restores_the_action_it_showed(
    repo: DeletedRepository, manager: Requester, clock: Clock
) -> None:
    """R-S4, R-P9, D-32: a later action by the same user does not make the plan stale."""
    seeded(repo)
    repo.delete(INSTITUTION, ["itm-1", "itm-2"], actor=JDOE)
    plan = repo.plan(ByUser(kind="item", user_id="jdoe"), requester=manager)
    assert plan.ids == ("itm-1", "itm-2")
    assert plan.events is not None
    assert len(plan.events) == 1
    clock.advance(minutes=5)
    repo.delete(INSTITUTION, ["itm-4"], actor=JDOE)
    assert repo.restore(plan, requester=manager).restored == ("itm-1", "itm-2")
    assert sorted(repo.deleted.get(INSTITUTION, ["itm-1", "itm-2", "itm-4"])) == ["itm-4"]


def test_a_plan_keeps_its_events_through_json(repo: DeletedRepository, manager: Requester) -> None:
    """R-P9: the events a plan resolved survive a JSON round trip."""
    seeded(repo)
    repo.delete(INSTITUTION, ["itm-1"], actor=JDOE)
    plan = repo.plan(ByUser(kind="item", user_id="jdoe"), requester=manager)
    assert from_json(to_json(plan), RestorePlan) == plan
    by_id = repo.plan(ById(kind="item", id="itm-1"), requester=manager)
    assert by_id.events is None


@pytest.mark.parametrize("entry", ["delete", "record_deletion", "record_deletions"])
def test_an_already_deleted_record_gets_the_same_error_on_every_entry_point(
    repo: DeletedRepository, entry: str
) -> None:
    """R-D5, D-30: a record already deleted is a `RecordNotFoundError`, whoever is asked."""
    seeded(repo, records=BIB_1 + BIB_2)
    repo.delete(INSTITUTION, ["bib-2"], actor=JDOE)
    again = [Record("bib", "bib-2", None, {"title": "Walden"})]
    calls: dict[str, Callable[[], object]] = {
        "delete": lambda: repo.delete(INSTITUTION, ["bib-2"], actor=JDOE),
        "record_deletion": lambda: repo.record_deletion(INSTITUTION, again, actor=JDOE),
        "record_deletions": lambda: repo.record_deletions(
            INSTITUTION, [Deletion(again, actor=JDOE)]
        ),
    }
    with pytest.raises(RecordNotFoundError, match="already deleted") as caught:
        calls[entry]()
    assert caught.value.ids == ("bib-2",)
