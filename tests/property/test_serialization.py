"""JSON round trips for every public value type (STYLE 4, R-P9), and refusals of bad JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import cattrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deleted_repo import (
    Actor,
    AncestorPolicy,
    Brief,
    ByField,
    ById,
    ByJob,
    ByRange,
    BySystem,
    ByUser,
    ConflictPolicy,
    Criteria,
    DeletedRecord,
    DeletedRepository,
    DeletionEvent,
    Hierarchy,
    InvalidInputError,
    KindSpec,
    MemberRole,
    Policy,
    Record,
    Requester,
    RestoreJob,
    RestorePlan,
    SearchPage,
    configure_converter,
    from_json,
    make_converter,
    to_json,
)
from deleted_repo.testing.strategies import catalogs
from tests.support import INSTITUTION, MANAGER, START, Clock, repository, sample

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-0123456789", min_size=1, max_size=8)
offsets = st.timedeltas(
    min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
).map(timezone)
aware = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1), timezones=offsets
)
durations = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=36_500))
"""Positive durations up to a century: policy values, sent as seconds in a JSON number."""

storable_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
"""Text a store can hold: no lone surrogate, no NUL (the library refuses both)."""
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | storable_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(storable_text, inner, max_size=3),
    max_leaves=8,
)
records = st.builds(
    Record,
    kind=names,
    id=names,
    parent_id=st.none() | names,
    data=st.dictionaries(storable_text, json_values, max_size=4),
)


@st.composite
def kind_specs(draw: st.DrawFn) -> KindSpec:
    """Kind declarations; a kind with no parent kinds is top-level."""
    parents = draw(st.frozensets(names, max_size=3))
    return KindSpec(
        name=draw(names),
        parents=parents,
        top_level=draw(st.booleans()) or not parents,
        label=draw(st.text(max_size=10)),
        id_label=draw(st.text(max_size=10)),
        title_fields=tuple(draw(st.lists(names, max_size=3))),
    )


field_lists = st.dictionaries(names, st.lists(names, max_size=3).map(tuple), max_size=3)
policies = st.builds(
    Policy,
    search_window=durations,
    retention=st.dictionaries(names, durations, max_size=3),
    max_records_per_job=st.integers(min_value=1, max_value=10**9),
    ancestors_from_other_events=st.sampled_from(AncestorPolicy),
    on_conflict=st.sampled_from(ConflictPolicy),
    restore_role=names,
    unique_fields=field_lists,
    searchable_fields=field_lists,
)
requesters = st.builds(
    Requester, user_id=names, institution=names, roles=st.frozensets(names, max_size=3)
)


@st.composite
def ranges(draw: st.DrawFn) -> tuple[datetime, datetime]:
    """An aware start and an end not before it."""
    a, b = draw(aware), draw(aware)
    return (a, b) if a <= b else (b, a)


@st.composite
def optional_ranges(draw: st.DrawFn) -> tuple[datetime | None, datetime | None]:
    """A range whose ends may each be missing."""
    start, end = draw(ranges())
    return (draw(st.none() | st.just(start)), draw(st.none() | st.just(end)))


def _by_range(kind: str, bounds: tuple[datetime, datetime]) -> ByRange:
    return ByRange(kind=kind, start=bounds[0], end=bounds[1])


def _by_user(kind: str, user: str, bounds: tuple[datetime | None, datetime | None]) -> ByUser:
    return ByUser(kind=kind, user_id=user, start=bounds[0], end=bounds[1])


def _by_system(kind: str, bounds: tuple[datetime | None, datetime | None]) -> BySystem:
    return BySystem(kind=kind, start=bounds[0], end=bounds[1])


criteria: st.SearchStrategy[Criteria] = st.one_of(
    st.builds(ById, kind=names, id=names),
    st.builds(_by_range, names, ranges()),
    st.builds(_by_user, names, names, optional_ranges()),
    st.builds(ByJob, kind=names, job_id=names),
    st.builds(_by_system, names, optional_ranges()),
    st.builds(ByField, kind=names, field=names, value=names),
)


def round_trip(value: Any, cls: Any = None) -> Any:
    """`value` through JSON text and back, as `cls` (default: its own type)."""
    text = to_json(value)
    json.loads(text)
    return from_json(text, cls or type(value))


# Values built by hypothesis


@given(records)
def test_records_round_trip(record: Record) -> None:
    """A record, with any JSON-compatible data, survives JSON unchanged."""
    assert round_trip(record) == record


@given(st.from_type(Actor))
def test_actors_round_trip(actor: Actor) -> None:
    """An actor of any kind survives JSON unchanged (R-D4)."""
    assert round_trip(actor) == actor


@given(kind_specs())
def test_kind_specs_round_trip(spec: KindSpec) -> None:
    """A kind declaration, parents and title fields included, survives JSON unchanged."""
    assert round_trip(spec) == spec


@given(st.from_type(Hierarchy))
def test_hierarchies_round_trip(hierarchy: Hierarchy) -> None:
    """A hierarchy survives JSON unchanged (R-M1: the hierarchy is data)."""
    assert round_trip(hierarchy) == hierarchy


@given(policies)
def test_policies_round_trip(policy: Policy) -> None:
    """A policy, every number and switch, survives JSON unchanged."""
    assert round_trip(policy) == policy


@given(requesters)
def test_requesters_round_trip(requester: Requester) -> None:
    """A requester and its roles survive JSON unchanged."""
    assert round_trip(requester) == requester


@given(criteria)
def test_criteria_round_trip_as_their_own_class(value: Criteria) -> None:
    """Each criterion survives JSON unchanged when read back as its class."""
    assert round_trip(value) == value


@given(criteria)
def test_criteria_round_trip_as_the_union(value: Criteria) -> None:
    """Each criterion's JSON names its class, so it reads back as `Criteria` unchanged."""
    back = round_trip(value, Criteria)
    assert type(back) is type(value)
    assert back == value


@given(catalogs(min_size=1, max_size=12), st.data())
def test_deletion_events_round_trip(catalog: list[Record], data: st.DataObject) -> None:
    """A deletion event of a random catalog, and each of its records, survive JSON (R-D1)."""
    repo = repository()
    repo.catalog.add(INSTITUTION, catalog)
    origin = data.draw(st.sampled_from(catalog)).id
    actor = data.draw(st.from_type(Actor))
    event = repo.delete(INSTITUTION, [origin], actor=actor, emptied_parents="delete")
    assert round_trip(event) == event
    for member in event.members:
        assert round_trip(member) == member


# Values made through the facade

CATALOG = sample("bib-1", "hol-1", "itm-1", "itm-2", "rep-1", "fil-1")


@pytest.fixture
def history() -> tuple[DeletedRepository, Clock, DeletionEvent]:
    """A repository where bib-1 and its inventory were deleted 100 days ago."""
    clock = Clock()
    repo = repository(clock=clock)
    repo.catalog.add(INSTITUTION, CATALOG)
    event = repo.delete(INSTITUTION, ["bib-1"], actor=Actor.user("ana"))
    clock.advance(days=100)
    return repo, clock, event


def test_a_deletion_event_round_trips(history: tuple[DeletedRepository, Clock, Any]) -> None:
    """R-D1: a whole event, with snapshots, roles and lineage, survives JSON unchanged."""
    event = history[2]
    assert isinstance(event, DeletionEvent)
    assert round_trip(event) == event


def test_a_deleted_record_round_trips(history: tuple[DeletedRepository, Clock, Any]) -> None:
    """A deleted record with its role, origin and lineage survives JSON unchanged."""
    repo = history[0]
    entry = repo.deleted.get(INSTITUTION, ["itm-2"])["itm-2"]
    assert isinstance(entry, DeletedRecord)
    assert entry.role is MemberRole.CASCADE
    assert round_trip(entry) == entry


def test_a_brief_round_trips(history: tuple[DeletedRepository, Clock, Any]) -> None:
    """R-S7: a brief view survives JSON unchanged."""
    brief = history[0].brief("itm-1", requester=MANAGER)
    assert isinstance(brief, Brief)
    assert round_trip(brief) == brief


@pytest.mark.parametrize(
    "make",
    [
        lambda: ByRange(kind="item", start=START - timedelta(days=400), end=START),
        lambda: ById(kind="item", id="itm-1"),
    ],
    ids=["clipped-window", "no-window"],
)
def test_a_search_page_round_trips(
    history: tuple[DeletedRepository, Clock, Any], make: Callable[[], Criteria]
) -> None:
    """R-S8, R-S2: a page with its cursor and its window, or none, survives JSON unchanged."""
    page = history[0].search(make(), requester=MANAGER, limit=1)
    assert isinstance(page, SearchPage)
    assert round_trip(page) == page


def test_a_restore_plan_round_trips(history: tuple[DeletedRepository, Clock, Any]) -> None:
    """R-P9: a plan, reasons, exclusions (an expired file) and batches, survives JSON."""
    repo = history[0]
    plan = repo.plan(ById(kind="bib", id="bib-1"), requester=MANAGER)
    assert isinstance(plan, RestorePlan)
    assert plan.excluded
    assert round_trip(plan) == plan


def test_a_restore_job_round_trips(history: tuple[DeletedRepository, Clock, Any]) -> None:
    """R-E3: a restore job, with its criteria and each record's outcome, survives JSON."""
    repo = history[0]
    plan = repo.plan(ByUser(kind="item", user_id="ana"), requester=MANAGER)
    [job] = repo.restore(plan, requester=MANAGER).jobs
    assert isinstance(job, RestoreJob)
    assert round_trip(job) == job


def test_a_plan_read_back_can_be_executed(
    history: tuple[DeletedRepository, Clock, Any],
) -> None:
    """R-P9: a plan read back from JSON restores exactly what the original would."""
    repo = history[0]
    plan = repo.plan(ById(kind="item", id="itm-1"), requester=MANAGER)
    result = repo.restore(from_json(to_json(plan), RestorePlan), requester=MANAGER)
    assert result.restored == plan.ids


def test_equal_values_give_equal_text() -> None:
    """Keys are sorted, so equal values always give the same JSON text."""
    a = Record("bib", "b", None, {"z": 1, "a": 2})
    b = Record("bib", "b", None, {"a": 2, "z": 1})
    assert to_json(a) == to_json(b)


# Bad JSON


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        ("{", Record),
        ("", Record),
        ("null", Record),
        ("[]", Record),
        ('"bib"', Record),
        ('{"kind": "bib"}', Record),
        ('{"kind": "bib", "id": "x", "colour": "red"}', Record),
        ('{"kind": "bib", "id": ""}', Record),
        ('{"kind": "bib", "id": "x", "data": [1]}', Record),
        ('{"kind": "wizard", "id": "x"}', Actor),
        ('{"kind": "user", "id": 5}', Actor),
        ('{"by": "ById", "kind": "bib", "id": "x", "extra": 1}', ById),
        ('{"by": "ByName", "kind": "bib", "id": "x"}', Criteria),
        ('{"kind": "bib", "id": "x"}', Criteria),
        ('{"by": "ByJob", "kind": "bib", "id": "x"}', ById),
        ('{"by": "ByRange", "kind": "bib", "start": "2026-01-02", "end": "2026-01-03"}', Criteria),
        (
            '{"by": "ByRange", "kind": "bib", "start": "2026-01-03T00:00:00+00:00",'
            ' "end": "2026-01-02T00:00:00+00:00"}',
            Criteria,
        ),
        ('{"by": "ByRange", "kind": "bib", "start": "soon", "end": "later"}', Criteria),
        ('{"search_window": "a year"}', Policy),
        ('{"search_window": -1}', Policy),
        ('{"on_conflict": "shrug"}', Policy),
        ('{"user_id": "u", "institution": "i", "roles": "Repository Manager"}', Requester),
        ('{"kinds": {}}', Hierarchy),
        ('{"kinds": {"item": {"name": "item", "parents": ["holding"]}}}', Hierarchy),
    ],
    ids=[
        "truncated",
        "empty",
        "null",
        "list",
        "string",
        "missing-key",
        "unknown-key",
        "empty-id",
        "data-list",
        "unknown-actor-kind",
        "actor-id-int",
        "unknown-key-in-criterion",
        "unknown-tag",
        "missing-tag",
        "wrong-tag",
        "naive-datetimes",
        "inverted-range",
        "not-datetimes",
        "window-text",
        "window-negative",
        "unknown-switch",
        "roles-string",
        "no-kinds",
        "unknown-parent-kind",
    ],
)
def test_bad_json_is_refused_as_invalid_input(text: str, cls: Any) -> None:
    """Malformed JSON, unknown keys or values that break a rule raise `InvalidInputError`."""
    with pytest.raises(InvalidInputError):
        from_json(text, cls)


def test_a_tampered_plan_is_refused(history: tuple[DeletedRepository, Clock, Any]) -> None:
    """R-P9: a plan edited in JSON so that it is inconsistent is refused as invalid input."""
    plan = history[0].plan(ById(kind="bib", id="bib-1"), requester=MANAGER)
    raw = json.loads(to_json(plan))
    raw["counts"]["bib"] = 7
    with pytest.raises(InvalidInputError):
        from_json(json.dumps(raw), RestorePlan)


# Converters


def test_make_converter_leaves_the_global_converter_alone() -> None:
    """STYLE 4: making and configuring converters registers nothing on cattrs' global one."""
    global_converter = cattrs.global_converter
    before = (
        global_converter.unstructure(START),
        global_converter.unstructure(timedelta(days=1)),
        global_converter.unstructure(frozenset({"b", "a"})),
    )
    make_converter()
    configure_converter(cattrs.Converter())
    after = (
        global_converter.unstructure(START),
        global_converter.unstructure(timedelta(days=1)),
        global_converter.unstructure(frozenset({"b", "a"})),
    )
    assert after == before == (START, timedelta(days=1), frozenset({"a", "b"}))
    criterion = ById(kind="bib", id="x")
    assert global_converter.unstructure(criterion) == {"kind": "bib", "id": "x"}
    assert global_converter.unstructure(criterion, unstructure_as=Criteria) == {
        "kind": "bib",
        "id": "x",
    }


def test_each_converter_is_new() -> None:
    """STYLE 4: `make_converter` returns a fresh converter; changing one leaves others alone."""
    first, second = make_converter(), make_converter()
    first.register_unstructure_hook(Actor, lambda a: a.id)
    assert first.unstructure(Actor.user("u")) == "u"
    assert second.unstructure(Actor.user("u")) == {"kind": "user", "id": "u"}


def test_a_host_converter_can_be_configured(
    history: tuple[DeletedRepository, Clock, Any],
) -> None:
    """STYLE 4: `configure_converter` teaches a host's own converter our values."""
    converter = cattrs.Converter()
    configure_converter(converter)
    plan = history[0].plan(ById(kind="bib", id="bib-1"), requester=MANAGER)
    assert from_json(to_json(plan, converter), RestorePlan, converter) == plan
