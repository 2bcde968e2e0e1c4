"""Events the core builds skip the members' re-check, never the header's (D-56, R-D1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from deleted_repo import Actor, Deletion, DeletionEvent, InvalidInputError, Record
from deleted_repo.deleting import member_roles
from tests.support import INSTITUTION, START, Clock, repository

WEEDING = Actor.job("WEED-7")
RECORDS = [
    Record("bib", "bib-9", None, {"title": "Persuasion"}),
    Record("holding", "hol-9", "bib-9"),
    Record("item", "itm-9", "hol-9", {"barcode": "9"}),
]


def message(call: object) -> str:
    """The message of the `InvalidInputError` that calling `call` raises."""
    with pytest.raises(InvalidInputError) as raised:
        call()  # type: ignore[operator]
    return str(raised.value)


def test_trusted_checks_the_header_as_the_constructor_does() -> None:
    """D-56: `DeletionEvent.trusted` refuses what the constructor refuses in the header."""
    good = repository(new_id=lambda: "ev-1")
    [built] = good.record_deletions(INSTITUTION, [Deletion(RECORDS, actor=WEEDING)])
    header: dict[str, Any] = {
        "id": built.id,
        "institution": built.institution,
        "actor": built.actor,
        "at": built.at,
        "origins": built.origins,
        "members": built.members,
    }
    assert DeletionEvent.trusted(**header) == DeletionEvent(**header)
    naive = datetime(2026, 11, 2, 9, 0)
    for field, bad in (("id", ""), ("institution", "a\x00b"), ("at", naive), ("origins", ())):
        wrong = {**header, field: bad}
        expected = message(lambda wrong=wrong: DeletionEvent(**wrong))
        assert message(lambda wrong=wrong: DeletionEvent.trusted(**wrong)) == expected


@pytest.mark.parametrize("new_id", [lambda: "", lambda: "ev\x00"])
def test_a_bad_event_id_from_the_host_is_still_refused(new_id: object) -> None:
    """D-56: the id comes from the host's `new_id`; a malformed one is refused, nothing kept."""
    repo = repository(new_id=new_id, clock=Clock(START))
    with pytest.raises(InvalidInputError, match=r"^id "):
        repo.record_deletions(INSTITUTION, [Deletion(RECORDS, actor=WEEDING)])
    assert repo.deleted.get(INSTITUTION, ["bib-9"]) == {}


def test_repeated_and_missing_records_keep_their_messages() -> None:
    """D-56: ids are checked once by `Record`; repeats and emptiness still name `records`."""
    repo = repository()
    twice = [*RECORDS, RECORDS[0]]
    with pytest.raises(InvalidInputError, match="ids given more than once"):
        repo.record_deletions(INSTITUTION, [Deletion(twice, actor=WEEDING)])
    with pytest.raises(InvalidInputError, match="records must not be empty"):
        repo.record_deletions(INSTITUTION, [Deletion([], actor=WEEDING)])


def test_member_roles_shortcuts_agree_with_the_walk() -> None:
    """D-56: a parent that is an origin, or already answered, gives what the walk gives (D-2)."""
    chain = [Record("x", f"r{n}", None if n == 0 else f"r{n - 1}") for n in range(6)]
    by_id = {r.id: r for r in reversed(chain)}  # children before parents: walks, then shortcuts
    roles, origin_of = member_roles(by_id, ["r2"])
    assert origin_of == {"r2": "r2", "r3": "r2", "r4": "r2", "r5": "r2", "r1": "r2", "r0": "r2"}
    assert [roles[f"r{n}"].value for n in range(6)] == [
        "emptied_parent",
        "emptied_parent",
        "origin",
        "cascade",
        "cascade",
        "cascade",
    ]
