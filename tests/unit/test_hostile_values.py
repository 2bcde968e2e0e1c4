"""Hostile values are refused up front, on every store, as errors of our tree (R-D5, I5).

Each case here once got through: it was stored and then broke every later read of an SQL
store, or raised a raw Python exception, or took time quadratic in its size.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from deleted_repo import (
    Actor,
    AncestorPolicy,
    ById,
    ByJob,
    ByRange,
    ByUser,
    DeletedRepository,
    Deletion,
    Exclusion,
    ExclusionCause,
    Hierarchy,
    InvalidInputError,
    KindSpec,
    Outcome,
    Policy,
    Record,
    Requester,
    RestorePlan,
    StalePlanError,
    from_json,
    to_json,
)
from deleted_repo.stores.memory import MemoryStore
from deleted_repo.stores.sql import SqlStore
from tests.support import ANA, INSTITUTION, MANAGER, START, Clock, repository

SURROGATE = "\ud800"
NUL = "\x00"


def _memory() -> MemoryStore:
    return MemoryStore()


def _sqlite() -> SqlStore:
    store = SqlStore(sa.create_engine("sqlite://"))
    store.create_schema()
    return store


@pytest.fixture(params=[_memory, _sqlite], ids=["memory", "sqlite"])
def repo(request: pytest.FixtureRequest) -> DeletedRepository:
    """A repository with one bib, holding and item, on each store."""
    make: Callable[[], Any] = request.param
    built = repository(make())
    built.catalog.add(
        INSTITUTION,
        [
            Record("bib", "b1", None, {"title": "Moby Dick"}),
            Record("holding", "h1", "b1"),
            Record("item", "i1", "h1", {"barcode": "B-1"}),
        ],
    )
    return built


def snapshot(repo: DeletedRepository) -> tuple[object, ...]:
    """Everything a refused call must leave as it was."""
    hits = repo.search(
        ByRange(kind="item", start=START - timedelta(days=300), end=START), requester=MANAGER
    ).hits
    return (
        sorted(repo.catalog.get(INSTITUTION, ["b1", "h1", "i1"])),
        sorted(repo.deleted.get(INSTITUTION, ["b1", "h1", "i1"])),
        [h.id for h in hits],
        [j.id for j in repo.restore_jobs(requester=MANAGER)],
    )


@pytest.mark.parametrize(
    "at",
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
        datetime.max.replace(tzinfo=timezone(-timedelta(hours=1))),
    ],
    ids=["year-1-ahead-of-utc", "year-9999-behind-utc"],
)
def test_an_instant_outside_utc_is_refused_before_it_is_stored(
    repo: DeletedRepository, at: datetime
) -> None:
    """R-D1, I5: an instant no store can hold in UTC is refused; later reads still work."""
    before = snapshot(repo)
    with pytest.raises(InvalidInputError) as caught:
        repo.record_deletion(INSTITUTION, [Record("bib", "b9")], actor=ANA, at=at)
    assert caught.value.field == "at"
    assert snapshot(repo) == before
    repo.purge(requester=MANAGER)


@pytest.mark.parametrize("bad", [SURROGATE, f"a{NUL}b"], ids=["lone-surrogate", "nul"])
@pytest.mark.parametrize(
    "call",
    [
        "institution",
        "id",
        "actor",
        "data-value",
        "data-key",
        "job",
        "record-id",
        "requester",
    ],
)
def test_text_no_store_can_hold_is_refused_on_every_store(
    repo: DeletedRepository, bad: str, call: str
) -> None:
    """R-M2, I5: a lone surrogate or a NUL anywhere is bad input, never a store failure."""
    before = snapshot(repo)
    calls: dict[str, Callable[[], object]] = {
        "institution": lambda: repo.delete(bad, ["b1"], actor=ANA),
        "id": lambda: repo.delete(INSTITUTION, [bad], actor=ANA),
        "actor": lambda: repo.delete(INSTITUTION, ["b1"], actor=Actor.user(bad)),
        "data-value": lambda: repo.record_deletion(
            INSTITUTION, [Record("bib", "b9", None, {"title": bad})], actor=ANA
        ),
        "data-key": lambda: repo.record_deletion(
            INSTITUTION, [Record("bib", "b9", None, {"notes": [{bad: 1}]})], actor=ANA
        ),
        "job": lambda: repo.search(ByJob(kind="bib", job_id=bad), requester=MANAGER),
        "record-id": lambda: repo.brief(bad, requester=MANAGER),
        "requester": lambda: repo.search(
            ById(kind="bib", id="b1"),
            requester=Requester(user_id="m", institution=bad, roles={"Repository Manager"}),
        ),
    }
    with pytest.raises(InvalidInputError):
        calls[call]()
    assert snapshot(repo) == before


@pytest.mark.parametrize("data", [{"n": float("nan")}, {"n": float("inf")}, {"s": {1, 2}}])
def test_data_that_is_not_json_is_refused(data: dict[str, object]) -> None:
    """I5: what the in-memory store takes, an SQL store can hold: JSON data only."""
    with pytest.raises(InvalidInputError) as caught:
        Record("bib", "b1", None, data)
    assert caught.value.field == "data"


def test_data_nested_too_deep_is_refused() -> None:
    """I5: data deeper than any store can encode is refused, not a RecursionError."""
    deep: dict[str, object] = {}
    inner = deep
    for _ in range(10_000):
        inner["x"] = {}
        inner = inner["x"]  # type: ignore[assignment]
    with pytest.raises(InvalidInputError, match="nested deeper"):
        Record("bib", "b1", None, deep)


def test_a_duplicate_among_many_ids_is_found_in_linear_time(repo: DeletedRepository) -> None:
    """R-D5: 200,001 ids with one duplicate are refused at once, naming the duplicate."""
    ids = [f"x{n}" for n in range(200_000)] + ["x7"]
    started = time.perf_counter()
    with pytest.raises(InvalidInputError, match="x7") as caught:
        repo.delete(INSTITUTION, ids, actor=ANA)
    assert time.perf_counter() - started < 2
    assert len(str(caught.value)) < 300


def test_a_duplicate_record_among_many_is_found_in_linear_time(repo: DeletedRepository) -> None:
    """R-D5: the same check holds for recorded deletions."""
    records = [Record("bib", f"x{n}") for n in range(100_000)] + [Record("bib", "x7")]
    started = time.perf_counter()
    with pytest.raises(InvalidInputError, match="x7"):
        repo.record_deletions(INSTITUTION, [Deletion(records, actor=ANA)])
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "build",
    [
        lambda: Requester(user_id="u", institution=INSTITUTION, roles=[["x"]]),  # type: ignore[list-item]
        lambda: KindSpec(name="a", parents=[["b"]]),  # type: ignore[list-item]
        lambda: Hierarchy.declare({"a": [["b"]]}),  # type: ignore[list-item]
        lambda: Hierarchy.declare({1: None, "a": None}),  # type: ignore[dict-item]
        lambda: Policy(search_window=timedelta.max),
        lambda: Policy(retention={None: timedelta(days=1)}),  # type: ignore[dict-item]
        lambda: Policy(unique_fields={"item": [["barcode"]]}),  # type: ignore[list-item]
        lambda: Policy(retention={"file": timedelta(0)}),
    ],
    ids=[
        "roles-unhashable",
        "parents-unhashable",
        "declare-unhashable",
        "declare-mixed-keys",
        "window-max",
        "retention-none-key",
        "unique-fields-nested",
        "retention-zero",
    ],
)
def test_bad_values_are_refused_when_built(build: Callable[[], object]) -> None:
    """R-M1: a malformed value raises `InvalidInputError` when built, not a raw error later."""
    with pytest.raises(InvalidInputError):
        build()


def test_a_policy_switch_names_its_field() -> None:
    """A mistyped switch names the field it was given for."""
    with pytest.raises(InvalidInputError, match="on_conflict") as caught:
        Policy(on_conflict="fial")
    assert caught.value.field == "on_conflict"


def test_a_very_long_retention_keeps_everything(repo: DeletedRepository) -> None:
    """R-R1: a retention reaching before year 1 expires nothing, and nothing crashes."""
    long = repository(repo.store, policy=Policy(retention={"item": timedelta(days=800_000)}))
    long.delete(INSTITUTION, ["i1"], actor=ANA)
    assert long.purge(requester=MANAGER).ids == ()
    assert long.plan(ById(kind="item", id="i1"), requester=MANAGER).ids == ("i1",)
    assert [
        h.id for h in long.search(ByUser(kind="item", user_id="ana"), requester=MANAGER).hits
    ] == ["i1"]


def test_a_huge_job_limit_is_refused(repo: DeletedRepository) -> None:
    """R-E3: a limit no store can take is bad input, not an OverflowError."""
    with pytest.raises(InvalidInputError) as caught:
        repo.restore_jobs(requester=MANAGER, limit=2**63)
    assert caught.value.field == "limit"


def test_deeply_nested_json_is_bad_input() -> None:
    """R-P9: JSON nested past what the parser takes is refused as bad input."""
    with pytest.raises(InvalidInputError):
        from_json("[" * 100_000 + "]" * 100_000, RestorePlan)


def test_a_huge_cursor_gives_a_short_message(repo: DeletedRepository) -> None:
    """R-S8: a 10 MB cursor is refused with a message that does not echo it."""
    with pytest.raises(InvalidInputError) as caught:
        repo.search(ById(kind="bib", id="b1"), requester=MANAGER, cursor="x" * 10_000_000)
    assert len(str(caught.value)) < 200


def test_the_block_policy_holds_for_a_plan_made_under_include(repo: DeletedRepository) -> None:
    """R-P4: under ``block``, a plan made under ``include`` cannot restore such an ancestor."""
    repo.delete(INSTITUTION, ["i1"], actor=ANA)
    repo.delete(INSTITUTION, ["b1"], actor=ANA)
    plan = repo.plan(ById(kind="item", id="i1"), requester=MANAGER)
    assert plan.ids == ("b1", "h1", "i1")
    blocking = repository(
        repo.store,
        policy=Policy(ancestors_from_other_events=AncestorPolicy.BLOCK),
    )
    with pytest.raises(StalePlanError) as caught:
        blocking.restore(plan, requester=MANAGER)
    assert caught.value.ids == ("i1",)
    assert repo.catalog.get(INSTITUTION, ["b1", "h1", "i1"]) == {}


def test_a_plan_written_by_hand_cannot_pass_the_block_policy(repo: DeletedRepository) -> None:
    """R-P4: the policy is checked at restore time, whatever the plan says."""
    blocking = repository(
        repo.store,
        policy=Policy(ancestors_from_other_events="block"),
    )
    blocking.delete(INSTITUTION, ["i1"], actor=ANA)
    blocking.delete(INSTITUTION, ["b1"], actor=ANA)
    assert blocking.plan(ById(kind="item", id="i1"), requester=MANAGER).ids == ()
    lenient = repository(repo.store)
    written = to_json(lenient.plan(ById(kind="item", id="i1"), requester=MANAGER))
    with pytest.raises(StalePlanError):
        blocking.restore(from_json(written, RestorePlan), requester=MANAGER)


def test_forged_exclusions_never_reach_the_audit() -> None:
    """R-E3, D-33: the job records only the exclusions planning confirms, in its own words."""
    clock = Clock()
    repo = repository(clock=clock)
    repo.catalog.add(
        INSTITUTION,
        [
            Record("bib", "b1"),
            Record("representation", "r1", "b1"),
            Record("file", "f1", "r1", {"label": "p1"}),
        ],
    )
    repo.delete(INSTITUTION, ["r1"], actor=ANA)
    clock.advance(days=91)
    plan = repo.plan(ById(kind="representation", id="r1"), requester=MANAGER)
    [expired] = plan.excluded
    forged = attrs.evolve(
        plan,
        excluded=[
            attrs.evolve(expired, detail="x" * 1_000_000),
            Exclusion(id="nobody", kind="bib", cause=ExclusionCause.EXPIRED, detail="made up"),
            attrs.evolve(expired, id="b1", kind="bib"),
        ],
    )
    (job,) = repo.restore(forged, requester=MANAGER).jobs
    left_out = [(o.id, o.reason) for o in job.outcomes if o.outcome is Outcome.EXCLUDED]
    assert left_out == [("f1", expired.detail)]


def test_reads_of_unknown_institutions_keep_nothing() -> None:
    """R-M3: searching many institutions that hold nothing leaves the in-memory store as it was."""
    repo = repository()
    requesters = [
        Requester(user_id="m", institution=f"X{n}", roles={"Repository Manager"})
        for n in range(5_000)
    ]
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for r in requesters:
            repo.search(ById(kind="bib", id="b1"), requester=r)
            repo.search(ByRange(kind="item", start=START, end=START), requester=r)
            repo.restore_jobs(requester=r)
            repo.catalog.get(r.institution, ["b1"])
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    kept = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert kept < 200_000, kept
