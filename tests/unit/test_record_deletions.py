"""Recording many host deletions at once: `DeletedRepository.record_deletions` (R-D1, R-D5)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deleted_repo import (
    Actor,
    DeletedRepository,
    Deletion,
    DeletionEvent,
    HierarchyError,
    InvalidInputError,
    MemberRole,
    Record,
    RecordNotFoundError,
    Requester,
)
from deleted_repo.testing.strategies import actors, catalogs
from tests.support import ANA, BIB_2, INSTITUTION, START, Clock, Wrapped, counter, repository

WEEDING = Actor.job("WEED-7")
BIB_3 = [Record("bib", "bib-3", None, {"title": "Emma"}), Record("holding", "hol-5", "bib-3")]


def numbered(store: Wrapped | None = None) -> DeletedRepository:
    """A repository over `store` (a fresh in-memory one), with a fixed clock and numbered ids."""
    return repository(store, new_id=counter("ev"))


def state(repo: DeletedRepository, ids: Sequence[str]) -> tuple[object, object]:
    """The active and the deleted records among `ids`."""
    return repo.catalog.get(INSTITUTION, ids), repo.deleted.get(INSTITUTION, ids)


def test_each_deletion_becomes_one_event_in_order(repo: DeletedRepository) -> None:
    """R-D1: one event per deletion, returned in the order given, each with its own actor."""
    events = repo.record_deletions(
        INSTITUTION, [Deletion(BIB_2, actor=ANA), Deletion(BIB_3, actor=WEEDING)]
    )
    assert [(e.actor, [m.id for m in e.members]) for e in events] == [
        (ANA, ["bib-2", "hol-3", "itm-4"]),
        (WEEDING, ["bib-3", "hol-5"]),
    ]
    assert sorted(repo.deleted.get(INSTITUTION, ["itm-4", "hol-5"])) == ["hol-5", "itm-4"]


def test_it_records_what_record_deletion_would_record_one_by_one() -> None:
    """R-D1: the events and the state equal those of calling `record_deletion` in turn."""
    deletions = [
        Deletion(BIB_2, actor=ANA, origins=["hol-3"]),
        Deletion(BIB_3, actor=WEEDING, at=START - timedelta(days=2)),
    ]
    one_by_one, batched = numbered(), numbered()
    expected = [
        one_by_one.record_deletion(
            INSTITUTION, d.records, actor=d.actor, origins=d.origins, at=d.at
        )
        for d in deletions
    ]
    assert batched.record_deletions(INSTITUTION, deletions) == expected
    ids = [r.id for r in BIB_2 + BIB_3]
    assert state(batched, ids) == state(one_by_one, ids)


def test_a_deletion_sees_the_earlier_ones_as_deleted(repo: DeletedRepository) -> None:
    """R-S7: an item recorded after its holding and bib has them as its parent chain."""
    events = repo.record_deletions(
        INSTITUTION, [Deletion(BIB_2[:2], actor=ANA), Deletion(BIB_2[2:], actor=ANA)]
    )
    assert events[1].members[0].lineage == ("hol-3", "bib-2")
    assert events[1].members[0].role is MemberRole.ORIGIN


def test_a_deletion_does_not_see_the_later_ones(repo: DeletedRepository) -> None:
    """R-D5: an item whose holding is recorded only later has an unknown parent; nothing kept."""
    with pytest.raises(HierarchyError, match="hol-3"):
        repo.record_deletions(
            INSTITUTION, [Deletion(BIB_2[2:], actor=ANA), Deletion(BIB_2[:2], actor=ANA)]
        )
    assert state(repo, [r.id for r in BIB_2]) == ({}, {})


def test_a_record_in_two_deletions_is_already_deleted_the_second_time(
    repo: DeletedRepository,
) -> None:
    """R-D5, D-30: the second deletion of a record is refused as `record_deletion` refuses it."""
    with pytest.raises(RecordNotFoundError, match=r"not removed: 'bib-3' \(already deleted\)"):
        repo.record_deletions(
            INSTITUTION,
            [Deletion(BIB_3, actor=ANA), Deletion([Record("bib", "bib-3")], actor=ANA)],
        )


def test_one_failing_deletion_records_none(repo: DeletedRepository) -> None:
    """R-D5: all or nothing: a valid deletion before an invalid one is not recorded either."""
    repo.catalog.add(INSTITUTION, [Record("bib", "bib-9")])
    ids = [r.id for r in BIB_2] + ["bib-9"]
    before = state(repo, ids)
    with pytest.raises(RecordNotFoundError, match="still active"):
        repo.record_deletions(
            INSTITUTION,
            [Deletion(BIB_2, actor=ANA), Deletion([Record("bib", "bib-9")], actor=ANA)],
        )
    assert state(repo, ids) == before


def test_the_first_failing_deletion_gives_the_error(repo: DeletedRepository) -> None:
    """R-D5: the error is the one of the first deletion that fails, whatever fails later."""
    repo.catalog.add(INSTITUTION, [Record("bib", "bib-9")])
    with pytest.raises(RecordNotFoundError, match="still active"):
        repo.record_deletions(
            INSTITUTION,
            [
                Deletion([Record("bib", "bib-9")], actor=ANA),
                Deletion([Record("item", "itm-9", "hol-9")], actor=ANA),
            ],
        )


def test_deletions_without_a_time_take_the_clock_once(clock: Clock) -> None:
    """R-D1: a deletion without `at` is dated by the clock; one with `at` keeps its own."""
    readings: list[datetime] = []

    def ticking() -> datetime:
        readings.append(START + timedelta(seconds=len(readings)))
        return readings[-1]

    repo = repository(clock=ticking)
    earlier = START - timedelta(days=3)
    events = repo.record_deletions(
        INSTITUTION,
        [
            Deletion(BIB_2, actor=ANA),
            Deletion(BIB_3, actor=ANA, at=earlier),
            Deletion([Record("bib", "bib-4")], actor=ANA),
        ],
    )
    assert [e.at for e in events] == [START, earlier, START]
    assert readings == [START]


def test_no_deletion_records_nothing(repo: DeletedRepository) -> None:
    """An empty batch records no event and returns none."""
    assert repo.record_deletions(INSTITUTION, []) == []


def test_the_reads_do_not_grow_with_the_deletions() -> None:
    """The checks read the stores as often for fifty deletions as for one."""

    def reads(size: int) -> Counter[str]:
        store = Wrapped()
        repo = numbered(store)
        repo.catalog.add(INSTITUTION, [Record("bib", f"bib-{n}") for n in range(size)])
        batch = [
            Deletion([Record("holding", f"hol-{n}", f"bib-{n}")], actor=ANA) for n in range(size)
        ]
        store.calls.clear()
        repo.record_deletions(INSTITUTION, batch)
        return store.calls

    assert reads(50) == reads(1)


@pytest.mark.parametrize(
    ("deletions", "field"),
    [
        (Deletion(BIB_2, actor=ANA), "deletions"),
        (5, "deletions"),
        ([BIB_2], "deletions"),
        ([Deletion("bib-2", actor=ANA)], "records"),  # type: ignore[arg-type]
        ([Deletion(BIB_2, actor="ana")], "actor"),  # type: ignore[arg-type]
        ([Deletion(BIB_2, actor=ANA, at=datetime(2026, 1, 1))], "at"),
        ([Deletion(BIB_2, actor=ANA, origins=["nope"])], "origins"),
    ],
    ids=[
        "one-deletion",
        "not-a-collection",
        "records-not-deletion",
        "records",
        "actor",
        "at-naive",
        "origins-stranger",
    ],
)
def test_malformed_deletions_are_refused(
    repo: DeletedRepository, deletions: Any, field: str
) -> None:
    """R-D5: malformed arguments raise `InvalidInputError` naming the field; nothing changes."""
    with pytest.raises(InvalidInputError) as caught:
        repo.record_deletions(INSTITUTION, deletions)
    assert caught.value.field == field
    assert state(repo, [r.id for r in BIB_2]) == ({}, {})


def test_the_institution_is_checked(repo: DeletedRepository) -> None:
    """R-M3: the institution must be a non-empty string."""
    with pytest.raises(InvalidInputError):
        repo.record_deletions("", [Deletion(BIB_2, actor=ANA)])


def test_recorded_deletions_are_searchable(repo: DeletedRepository, manager: Requester) -> None:
    """R-D1: records captured in bulk are found like any other deleted record."""
    from deleted_repo import ById  # noqa: PLC0415 (only this test searches)

    (event,) = repo.record_deletions(INSTITUTION, [Deletion(BIB_2, actor=ANA)])
    hits = repo.search(ById(kind="item", id="itm-4"), requester=manager).hits
    assert [(h.id, h.event_id) for h in hits] == [("itm-4", event.id)]


# Against record_deletion, on random histories


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Record], list[Record], list[Deletion]]:
    """A catalog, the part of it still active, and deletions of random parts of it.

    The deletions may overlap, include active records, cut records off their parents, and name
    origins that are or are not among their records: valid and invalid alike.
    """
    records = draw(catalogs(min_size=1, max_size=12))
    active = [r for r in records if draw(st.booleans())]
    deletions = []
    for _ in range(draw(st.integers(1, 4))):
        chosen = draw(st.lists(st.sampled_from(records), min_size=1, max_size=6, unique=True))
        ids = [r.id for r in chosen]
        origins = draw(
            st.none() | st.lists(st.sampled_from([*ids, "r99"]), min_size=1, unique=True)
        )
        at = draw(st.none() | st.integers(1, 30).map(lambda d: START - timedelta(days=d)))
        deletions.append(Deletion(chosen, actor=draw(actors()), origins=origins, at=at))
    return records, active, deletions


def outcome(call: Callable[[], object]) -> tuple[str, object]:
    try:
        return "ok", call()
    except (InvalidInputError, HierarchyError, RecordNotFoundError) as e:
        return type(e).__name__, str(e)


@given(histories())
def test_it_agrees_with_record_deletion_called_in_turn(
    history: tuple[list[Record], list[Record], list[Deletion]],
) -> None:
    """R-D1, R-D5: the batch does what the calls in turn do, or fails as the first failing one.

    When a call fails, the batch raises the same error and records nothing at all.
    """
    records, active, deletions = history
    ids = [r.id for r in records]
    one_by_one, batched = numbered(), numbered()
    for repo in (one_by_one, batched):
        repo.catalog.add(INSTITUTION, active)
    before = state(batched, ids)
    results: list[DeletionEvent] = []
    failed: tuple[str, object] | None = None
    for d in deletions:
        kind, value = outcome(
            lambda d=d: one_by_one.record_deletion(  # type: ignore[misc]
                INSTITUTION, d.records, actor=d.actor, origins=d.origins, at=d.at
            )
        )
        if kind != "ok":
            failed = (kind, value)
            break
        assert isinstance(value, DeletionEvent)
        results.append(value)
    got = outcome(lambda: batched.record_deletions(INSTITUTION, deletions))
    if failed is None:
        assert got == ("ok", results)
        assert state(batched, ids) == state(one_by_one, ids)
    else:
        assert got == failed
        assert state(batched, ids) == before
