"""Bad input at every public entry point of deleting and searching: refused, nothing changed.

Every refusal is an error of our tree (`DeletedRepoError`); for the facade, the catalog, the
deleted repository and a search result are the same before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from deleted_repo import (
    ALMA,
    Actor,
    ActorKind,
    ByField,
    ById,
    ByJob,
    ByRange,
    BySystem,
    ByUser,
    DeletedRepoError,
    DeletedRepository,
    Hierarchy,
    HierarchyError,
    InvalidInputError,
    InvalidRangeError,
    KindSpec,
    NotAuthorizedError,
    Policy,
    Record,
    RecordNotFoundError,
    Requester,
    SearchPage,
    UnknownActorError,
    UnknownKindError,
)
from tests.support import ANA, CLERK, INSTITUTION, OTHER, SHELVES, START

NAIVE = START.replace(tzinfo=None)
LATER = START + timedelta(days=1)

ALL_IDS = [r.id for r in SHELVES]


@pytest.fixture
def seeded(repo: DeletedRepository) -> DeletedRepository:
    """The catalog in both institutions; itm-1 deleted here by ana, bib-2 there by bob."""
    repo.catalog.add(INSTITUTION, SHELVES)
    repo.catalog.add(OTHER, SHELVES)
    repo.delete(INSTITUTION, ["itm-1"], actor=ANA)
    repo.delete(OTHER, ["bib-2"], actor=Actor.user("bob"))
    return repo


def state(repo: DeletedRepository, manager: Requester) -> tuple[object, ...]:
    """Everything a bad call could have changed, in both institutions."""
    window = ByRange(kind="item", start=START - timedelta(days=1), end=LATER)
    return (
        repo.catalog.get(INSTITUTION, ALL_IDS),
        repo.deleted.get(INSTITUTION, ALL_IDS),
        repo.catalog.get(OTHER, ALL_IDS),
        repo.deleted.get(OTHER, ALL_IDS),
        repo.search(window, requester=manager),
    )


def refused(
    repo: DeletedRepository,
    manager: Requester,
    call: Callable[[DeletedRepository], object],
    error: type[DeletedRepoError],
) -> DeletedRepoError:
    """Make the call, check it raised `error` and changed nothing; return the error."""
    before = state(repo, manager)
    with pytest.raises(error) as caught:
        call(repo)
    assert state(repo, manager) == before
    return caught.value


# delete


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"institution": 5}, InvalidInputError),
        ({"institution": ""}, InvalidInputError),
        ({"institution": None}, InvalidInputError),
        ({"ids": "bib-1"}, InvalidInputError),
        ({"ids": []}, InvalidInputError),
        ({"ids": [""]}, InvalidInputError),
        ({"ids": [5]}, InvalidInputError),
        ({"ids": None}, InvalidInputError),
        ({"ids": 5}, InvalidInputError),
        ({"ids": ["bib-1", "bib-1"]}, InvalidInputError),
        ({"ids": ["nope"]}, RecordNotFoundError),
        ({"ids": ["itm-1"]}, RecordNotFoundError),
        ({"ids": ["bib-2"], "institution": OTHER}, RecordNotFoundError),
        ({"institution": "03NEW"}, RecordNotFoundError),
        ({"actor": "ana"}, InvalidInputError),
        ({"actor": None}, InvalidInputError),
        ({"actor": ActorKind.USER}, InvalidInputError),
        ({"emptied_parents": "maybe"}, InvalidInputError),
        ({"emptied_parents": None}, InvalidInputError),
        ({"emptied_parents": 1}, InvalidInputError),
        ({"emptied_parents": []}, InvalidInputError),
    ],
    ids=[
        "institution-int",
        "institution-empty",
        "institution-none",
        "ids-string",
        "ids-empty",
        "id-empty",
        "id-int",
        "ids-none",
        "ids-int",
        "ids-twice",
        "id-unknown",
        "id-already-deleted",
        "id-deleted-there",
        "institution-unknown",
        "actor-string",
        "actor-none",
        "actor-kind",
        "emptied-unknown",
        "emptied-none",
        "emptied-int",
        "emptied-list",
    ],
)
def test_a_bad_delete_is_refused_and_changes_nothing(
    seeded: DeletedRepository,
    manager: Requester,
    args: dict[str, Any],
    error: type[DeletedRepoError],
) -> None:
    """R-D5: a malformed delete, or one of ids not active here, raises and changes nothing."""
    call = {"institution": INSTITUTION, "ids": ["bib-1"], "actor": ANA, **args}
    refused(seeded, manager, lambda r: r.delete(**call), error)


def test_an_id_of_another_institution_is_named(
    seeded: DeletedRepository, manager: Requester
) -> None:
    """R-M3, R-D5: an id active only in another institution is not active here, and named."""
    seeded.catalog.add(OTHER, [Record("bib", "oth-1")])
    error = refused(
        seeded,
        manager,
        lambda r: r.delete(INSTITUTION, ["oth-1"], actor=ANA),
        RecordNotFoundError,
    )
    assert isinstance(error, RecordNotFoundError)
    assert error.ids == ("oth-1",)


# record_deletion

GONE = [Record("bib", "bib-9"), Record("holding", "hol-9", "bib-9")]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"institution": 5}, InvalidInputError),
        ({"institution": ""}, InvalidInputError),
        ({"records": "bib-9"}, InvalidInputError),
        ({"records": GONE[0]}, InvalidInputError),
        ({"records": 5}, InvalidInputError),
        ({"records": []}, InvalidInputError),
        ({"records": [GONE[0], "hol-9"]}, InvalidInputError),
        ({"records": [GONE[0], GONE[0]]}, InvalidInputError),
        ({"records": [Record("bib", "bib-1")]}, RecordNotFoundError),
        ({"records": [Record("item", "itm-1", "hol-1")]}, RecordNotFoundError),
        ({"records": [Record("book", "bk-1")]}, UnknownKindError),
        ({"records": [Record("holding", "hol-8", "nope")]}, HierarchyError),
        ({"actor": "ana"}, InvalidInputError),
        ({"origins": "hol-9"}, InvalidInputError),
        ({"origins": []}, InvalidInputError),
        ({"origins": ["stranger"]}, InvalidInputError),
        ({"origins": [""]}, InvalidInputError),
        ({"at": NAIVE}, InvalidInputError),
        ({"at": "2026-11-02T09:00:00+00:00"}, InvalidInputError),
        ({"at": 1_700_000_000}, InvalidInputError),
    ],
    ids=[
        "institution-int",
        "institution-empty",
        "records-string",
        "records-one-record",
        "records-int",
        "records-empty",
        "record-string",
        "record-twice",
        "record-still-active",
        "record-already-deleted",
        "kind-unknown",
        "parent-unknown",
        "actor-string",
        "origins-string",
        "origins-empty",
        "origin-stranger",
        "origin-empty",
        "at-naive",
        "at-text",
        "at-int",
    ],
)
def test_a_bad_recorded_deletion_is_refused_and_changes_nothing(
    seeded: DeletedRepository,
    manager: Requester,
    args: dict[str, Any],
    error: type[DeletedRepoError],
) -> None:
    """R-D1, R-D5: a malformed or impossible recorded deletion raises and changes nothing."""
    call = {"institution": INSTITUTION, "records": GONE, "actor": ANA, **args}
    refused(seeded, manager, lambda r: r.record_deletion(**call), error)


# search


@pytest.mark.parametrize(
    ("criteria", "error"),
    [
        ("itm-1", InvalidInputError),
        (None, InvalidInputError),
        (Record("item", "itm-1"), InvalidInputError),
        (ById(kind="book", id="itm-1"), UnknownKindError),
        (ByRange(kind="Item", start=START, end=LATER), UnknownKindError),
        (ByField(kind="item", field="title", value="x"), InvalidInputError),
        (ByUser(kind="item", user_id="nobody"), UnknownActorError),
        (ByUser(kind="item", user_id="J1"), UnknownActorError),
        (ByUser(kind="item", user_id="bob"), UnknownActorError),
        (ByJob(kind="item", job_id="J404"), UnknownActorError),
        (ByJob(kind="item", job_id="ana"), UnknownActorError),
    ],
    ids=[
        "string",
        "none",
        "record",
        "kind-unknown",
        "kind-case",
        "field-undeclared",
        "user-unknown",
        "user-is-a-job",
        "user-of-other-institution",
        "job-unknown",
        "job-is-a-user",
    ],
)
def test_a_bad_search_is_refused(
    seeded: DeletedRepository,
    manager: Requester,
    criteria: Any,
    error: type[DeletedRepoError],
) -> None:
    """R-S1, R-S4, R-S5, R-S10: bad criteria, unknown users and jobs raise; nothing changes."""
    seeded.delete(INSTITUTION, ["itm-2"], actor=Actor.job("J1"))
    refused(seeded, manager, lambda r: r.search(criteria, requester=manager), error)


def test_an_unknown_actor_error_names_the_actor(
    seeded: DeletedRepository, manager: Requester
) -> None:
    """R-S4: the error of a search by an unknown user carries that user as an actor."""
    error = refused(
        seeded,
        manager,
        lambda r: r.search(ByUser(kind="item", user_id="nobody"), requester=manager),
        UnknownActorError,
    )
    assert isinstance(error, UnknownActorError)
    assert error.actor == Actor.user("nobody")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",
        "|",
        "2026-11-02T09:00:00+00:00|",
        "2026-11-02T09:00:00|itm-1",
        "yesterday|itm-1",
        "itm-1",
        5,
        b"2026-11-02T09:00:00+00:00|itm-1",
    ],
    ids=["garbage", "empty", "bar", "no-id", "naive", "not-a-date", "id-only", "int", "bytes"],
)
def test_a_bad_cursor_is_refused(
    seeded: DeletedRepository, manager: Requester, cursor: Any
) -> None:
    """R-S8: a cursor that no search made is refused as bad input."""
    criteria = ByRange(kind="item", start=START - timedelta(days=1), end=LATER)
    error = refused(
        seeded,
        manager,
        lambda r: r.search(criteria, requester=manager, cursor=cursor),
        InvalidInputError,
    )
    assert isinstance(error, InvalidInputError)
    assert error.field == "cursor"


@pytest.mark.parametrize("limit", [0, -1, 10_001, True, "25", 2.5, None], ids=repr)
def test_a_bad_limit_is_refused(seeded: DeletedRepository, manager: Requester, limit: Any) -> None:
    """R-S8: a page size that is not an integer from 1 to the maximum is refused."""
    error = refused(
        seeded,
        manager,
        lambda r: r.search(ById(kind="item", id="itm-1"), requester=manager, limit=limit),
        InvalidInputError,
    )
    assert isinstance(error, InvalidInputError)
    assert error.field == "limit"


@pytest.mark.parametrize(
    ("requester", "error"),
    [
        ("manager", InvalidInputError),
        (None, InvalidInputError),
        (CLERK, NotAuthorizedError),
        (Requester(user_id="c", institution=INSTITUTION), NotAuthorizedError),
    ],
    ids=["string", "none", "other-role", "no-role"],
)
def test_a_bad_requester_is_refused(
    seeded: DeletedRepository,
    manager: Requester,
    requester: Any,
    error: type[DeletedRepoError],
) -> None:
    """R-P1: searching needs a Requester holding the restore role."""
    refused(
        seeded,
        manager,
        lambda r: r.search(ById(kind="item", id="itm-1"), requester=requester),
        error,
    )


# brief


@pytest.mark.parametrize(
    ("record_id", "requester", "error"),
    [
        ("", None, InvalidInputError),
        (5, None, InvalidInputError),
        (None, None, InvalidInputError),
        (["itm-1"], None, InvalidInputError),
        ("nope", None, RecordNotFoundError),
        ("itm-2", None, RecordNotFoundError),
        ("bib-2", None, RecordNotFoundError),
        ("itm-1", "manager", InvalidInputError),
        ("itm-1", Requester(user_id="c", institution=INSTITUTION), NotAuthorizedError),
    ],
    ids=[
        "empty",
        "int",
        "none",
        "list",
        "unknown",
        "active",
        "deleted-in-other-institution",
        "requester-string",
        "no-role",
    ],
)
def test_a_bad_brief_is_refused(
    seeded: DeletedRepository,
    manager: Requester,
    record_id: Any,
    requester: Any,
    error: type[DeletedRepoError],
) -> None:
    """R-S7, R-M3, R-P1: a brief of something not deleted here, or asked badly, is refused."""
    who = manager if requester is None else requester
    refused(seeded, manager, lambda r: r.brief(record_id, requester=who), error)


# constructors of values


def _bad_values() -> list[tuple[str, Callable[[], object]]]:
    """Each constructor call with one bad argument."""
    return [
        ("record-kind-int", lambda: Record(5, "x")),  # type: ignore[arg-type]
        ("record-kind-empty", lambda: Record("", "x")),
        ("record-id-empty", lambda: Record("bib", "")),
        ("record-id-none", lambda: Record("bib", None)),  # type: ignore[arg-type]
        ("record-parent-empty", lambda: Record("item", "x", "")),
        ("record-parent-int", lambda: Record("item", "x", 5)),  # type: ignore[arg-type]
        ("record-data-list", lambda: Record("bib", "x", None, [("a", 1)])),  # type: ignore[arg-type]
        ("record-data-string", lambda: Record("bib", "x", None, "title")),  # type: ignore[arg-type]
        ("actor-kind-string", lambda: Actor("user", "ana")),  # type: ignore[arg-type]
        ("actor-id-empty", lambda: Actor(ActorKind.USER, "")),
        ("actor-user-empty", lambda: Actor.user("")),
        ("actor-job-int", lambda: Actor.job(5)),  # type: ignore[arg-type]
        ("actor-system-empty", lambda: Actor.system("")),
        ("kindspec-name-empty", lambda: KindSpec(name="")),
        ("kindspec-parents-string", lambda: KindSpec(name="item", parents="holding")),
        ("kindspec-parents-int", lambda: KindSpec(name="item", parents=5)),  # type: ignore[arg-type]
        ("kindspec-top-level-text", lambda: KindSpec(name="x", top_level="no")),  # type: ignore[arg-type]
        ("kindspec-orphan", lambda: KindSpec(name="x", top_level=False)),
        ("kindspec-title-fields-string", lambda: KindSpec(name="x", title_fields="title")),
        ("hierarchy-empty", lambda: Hierarchy({})),
        ("hierarchy-int", lambda: Hierarchy(5)),  # type: ignore[arg-type]
        ("hierarchy-not-a-spec", lambda: Hierarchy({"bib": "bib"})),
        ("hierarchy-misfiled", lambda: Hierarchy({"bib": KindSpec(name="book")})),
        (
            "hierarchy-unknown-parent",
            lambda: Hierarchy({"item": KindSpec(name="item", parents={"holding"})}),
        ),
        ("declare-int", lambda: Hierarchy.declare(5)),  # type: ignore[arg-type]
        ("declare-parent-int", lambda: Hierarchy.declare({"bib": 5})),  # type: ignore[dict-item]
        ("declare-unknown-parent", lambda: Hierarchy.declare({"item": "holding"})),
        ("declare-empty-name", lambda: Hierarchy.declare({"": None})),
        ("declare-nothing", lambda: Hierarchy.declare({})),
        ("policy-window-int", lambda: Policy(search_window=365)),  # type: ignore[arg-type]
        ("policy-window-zero", lambda: Policy(search_window=timedelta(0))),
        ("policy-window-negative", lambda: Policy(search_window=timedelta(days=-1))),
        ("policy-retention-int", lambda: Policy(retention=90)),  # type: ignore[arg-type]
        ("policy-retention-days", lambda: Policy(retention={"file": 90})),  # type: ignore[dict-item]
        ("policy-cap-zero", lambda: Policy(max_records_per_job=0)),
        ("policy-cap-bool", lambda: Policy(max_records_per_job=True)),
        ("policy-cap-float", lambda: Policy(max_records_per_job=5.5)),  # type: ignore[arg-type]
        ("policy-ancestors", lambda: Policy(ancestors_from_other_events="sometimes")),
        ("policy-conflict", lambda: Policy(on_conflict="ignore")),
        ("policy-role-empty", lambda: Policy(restore_role="")),
        ("policy-unique-string", lambda: Policy(unique_fields={"item": "barcode"})),
        ("policy-searchable-int", lambda: Policy(searchable_fields=5)),  # type: ignore[arg-type]
        ("requester-user-empty", lambda: Requester(user_id="", institution=INSTITUTION)),
        ("requester-institution-int", lambda: Requester(user_id="u", institution=5)),  # type: ignore[arg-type]
        (
            "requester-roles-string",
            lambda: Requester(user_id="u", institution=INSTITUTION, roles="Repository Manager"),
        ),
        ("requester-roles-int", lambda: Requester(user_id="u", institution="i", roles=5)),  # type: ignore[arg-type]
    ]


def _bad_criteria() -> list[tuple[str, Callable[[], object]]]:
    """Each criterion constructor with one bad argument."""
    return [
        ("by-id-kind-empty", lambda: ById(kind="", id="x")),
        ("by-id-id-empty", lambda: ById(kind="bib", id="")),
        ("by-id-id-int", lambda: ById(kind="bib", id=5)),  # type: ignore[arg-type]
        ("by-range-naive-start", lambda: ByRange(kind="bib", start=NAIVE, end=LATER)),
        ("by-range-naive-end", lambda: ByRange(kind="bib", start=START, end=NAIVE)),
        ("by-range-text", lambda: ByRange(kind="bib", start="2026-01-01", end=LATER)),  # type: ignore[arg-type]
        ("by-range-none", lambda: ByRange(kind="bib", start=None, end=LATER)),  # type: ignore[arg-type]
        ("by-range-inverted", lambda: ByRange(kind="bib", start=LATER, end=START)),
        ("by-user-empty", lambda: ByUser(kind="bib", user_id="")),
        ("by-user-naive", lambda: ByUser(kind="bib", user_id="u", start=NAIVE)),
        ("by-user-inverted", lambda: ByUser(kind="bib", user_id="u", start=LATER, end=START)),
        ("by-job-empty", lambda: ByJob(kind="bib", job_id="")),
        ("by-job-int", lambda: ByJob(kind="bib", job_id=7)),  # type: ignore[arg-type]
        ("by-system-naive", lambda: BySystem(kind="bib", end=NAIVE)),
        ("by-system-inverted", lambda: BySystem(kind="bib", start=LATER, end=START)),
        ("by-field-empty", lambda: ByField(kind="item", field="", value="x")),
        ("by-field-value-empty", lambda: ByField(kind="item", field="barcode", value="")),
        ("by-field-value-int", lambda: ByField(kind="item", field="barcode", value=5)),  # type: ignore[arg-type]
    ]


@pytest.mark.parametrize(
    "make", [m for _, m in _bad_values()], ids=[name for name, _ in _bad_values()]
)
def test_a_value_refuses_bad_arguments(make: Callable[[], object]) -> None:
    """R-M1, R-D4, R-P1: a value built with one bad argument is refused as bad input.

    Covers records, actors, kinds, hierarchies, policies and requesters.
    """
    with pytest.raises(InvalidInputError):
        make()


@pytest.mark.parametrize(
    "make", [m for _, m in _bad_criteria()], ids=[name for name, _ in _bad_criteria()]
)
def test_a_criterion_refuses_bad_arguments(make: Callable[[], object]) -> None:
    """R-S1, R-S2: a criterion with an empty, mistyped or naive argument is refused."""
    with pytest.raises(InvalidInputError):
        make()


@pytest.mark.parametrize(
    "make",
    [
        lambda: ByRange(kind="bib", start=LATER, end=START),
        lambda: ByUser(kind="bib", user_id="u", start=LATER, end=START),
        lambda: BySystem(kind="bib", start=LATER, end=START),
    ],
    ids=["range", "user", "system"],
)
def test_an_inverted_range_is_its_own_error(make: Callable[[], object]) -> None:
    """R-S2: an inverted range raises `InvalidRangeError` specifically."""
    with pytest.raises(InvalidRangeError):
        make()


def test_the_preset_passes_its_own_checks() -> None:
    """R-M1: Alma's preset is a valid hierarchy: rebuilding it from its kinds succeeds."""
    assert Hierarchy(dict(ALMA.kinds)) == ALMA


def test_a_good_search_still_works_after_refusals(
    seeded: DeletedRepository, manager: Requester
) -> None:
    """R-D5: refusals leave the repository usable: the next good call behaves normally."""
    with pytest.raises(InvalidInputError):
        seeded.delete(INSTITUTION, ["bib-1", "bib-1"], actor=ANA)
    seeded.delete(INSTITUTION, ["bib-1"], actor=ANA)
    page = seeded.search(ById(kind="bib", id="bib-1"), requester=manager)
    assert isinstance(page, SearchPage)
    assert [h.id for h in page.hits] == ["bib-1"]
