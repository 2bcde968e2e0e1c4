"""Hostile construction of every public value, and hostile JSON for every public value type.

* **tree-only**: every constructor of a public value, `Hierarchy.declare` and `from_json`
  return or raise a `DeletedRepoError`, whatever their arguments.
* **accepted means usable**: a `Policy` or `Hierarchy` that constructs is one a repository
  can work with: every read of the API over it raises nothing but our errors.
* **JSON reads back**: a value `from_json` accepts serializes again to the same JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deleted_repo import (
    Actor,
    ActorKind,
    Brief,
    ByField,
    ById,
    ByJob,
    ByRange,
    BySystem,
    ByUser,
    Criteria,
    DeletedRecord,
    DeletedRepoError,
    DeletedRepository,
    DeletionEvent,
    Exclusion,
    ExclusionCause,
    Hierarchy,
    KindSpec,
    PlannedRecord,
    Policy,
    PurgeReport,
    Reason,
    Record,
    RecordOutcome,
    Requester,
    RestoreJob,
    RestorePlan,
    RestoreResult,
    SearchPage,
    Window,
    from_json,
    to_json,
)
from deleted_repo.stores.memory import MemoryStore

from .calls import GOOD_CRITERIA
from .conftest import examples
from .values import DEEP_DICT, DEEP_LIST, HUGE_INT, NOW, either, instants, junk, pick, texts
from .world import KINDS, MANAGER, POLICIES, reads_back, seed, show

HOSTILE = settings(
    max_examples=examples(3),
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@attrs.frozen
class Construction:
    """A constructor and the arguments it is called with."""

    make: Callable[..., Any]
    kwargs: dict[str, Any]

    def __call__(self) -> Any:
        return self.make(**self.kwargs)

    def __repr__(self) -> str:
        name = getattr(self.make, "__qualname__", "?")
        return f"{name}({', '.join(f'{k}={show(v)}' for k, v in self.kwargs.items())})"

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(repr(self))


def construct(
    make: Callable[..., Any], **fields: st.SearchStrategy[Any]
) -> st.SearchStrategy[Construction]:
    """A `Construction` of `make` with the drawn `fields`."""
    return st.fixed_dictionaries(fields).map(lambda kw: Construction(make, kw))


def kinds() -> st.SearchStrategy[Any]:
    """Kinds of the preset, hostile text, junk."""
    return either(st.sampled_from(KINDS), texts())


def deltas() -> st.SearchStrategy[Any]:
    """Durations: ordinary ones, the extremes, and junk."""
    return either(
        st.timedeltas(min_value=timedelta(days=1), max_value=timedelta(days=400)),
        st.sampled_from(
            [timedelta.max, timedelta.min, timedelta(days=800_000), timedelta(0), timedelta(-1)]
        ),
    )


def keys() -> st.SearchStrategy[Any]:
    """Mapping keys: the preset's kinds, hostile text, None, numbers."""
    return st.one_of(st.sampled_from(KINDS), texts(), st.none(), st.integers())


def field_maps() -> st.SearchStrategy[Any]:
    """Per-kind field names, as `Policy` takes them, with hostile keys and values."""
    return either(
        st.just({"item": ("barcode",)}),
        st.dictionaries(
            keys(),
            either(st.just(("barcode",)), st.lists(either(texts(), texts()), max_size=2)),
            max_size=2,
        ),
    )


def policies() -> st.SearchStrategy[Any]:
    """`Policy` built from hostile fields."""
    return construct(
        Policy,
        search_window=deltas(),
        retention=either(
            st.just({"file": timedelta(days=90)}),
            st.dictionaries(keys(), deltas(), max_size=2),
        ),
        max_records_per_job=either(st.integers(1, 10), st.sampled_from([0, 2**63, True, 1.0])),
        ancestors_from_other_events=either(st.sampled_from(["include", "block"])),
        on_conflict=either(st.sampled_from(["exclude", "fail"])),
        unique_fields=field_maps(),
        searchable_fields=field_maps(),
    )


def declarations() -> st.SearchStrategy[Any]:
    """The argument of `Hierarchy.declare`: kinds to parents, hostile."""
    parent = st.one_of(st.none(), texts(), st.lists(st.one_of(st.none(), texts()), max_size=2))
    return either(
        st.dictionaries(st.sampled_from(["a", "b", "c"]), st.sampled_from([None, "a", ["a"]])),
        st.dictionaries(keys(), either(parent), max_size=3),
    )


def constructions() -> st.SearchStrategy[Any]:
    """Every public value's constructor, with hostile arguments."""
    ident = either(st.just("x1"), texts())
    maybe_instant = st.one_of(st.none(), instants())
    return st.one_of(
        construct(Record, kind=kinds(), id=ident, parent_id=either(st.none(), ident), data=junk()),
        construct(Actor, kind=either(st.sampled_from(ActorKind)), id=ident),
        construct(Actor.user, user_id=ident),
        construct(Actor.system, label=ident),
        construct(
            Requester,
            user_id=ident,
            institution=ident,
            roles=either(st.just({"Repository Manager"}), st.lists(junk(), max_size=2)),
        ),
        policies(),
        construct(
            KindSpec,
            name=ident,
            parents=either(st.just(["bib"]), st.lists(junk(), max_size=2)),
            top_level=either(st.booleans()),
            title_fields=either(st.just(("title",)), st.lists(junk(), max_size=2)),
        ),
        construct(Hierarchy.declare, parents=declarations()),
        construct(ById, kind=kinds(), id=ident),
        construct(ByRange, kind=kinds(), start=instants(), end=instants()),
        construct(ByUser, kind=kinds(), user_id=ident, start=maybe_instant, end=maybe_instant),
        construct(ByJob, kind=kinds(), job_id=ident),
        construct(BySystem, kind=kinds(), start=maybe_instant, end=maybe_instant),
        construct(ByField, kind=kinds(), field=ident, value=ident),
    )


@HOSTILE
@given(construction=constructions())
def test_constructors_raise_only_our_errors(construction: Construction) -> None:
    """R-M1, R-M2, R-S1: a public constructor returns a value or raises a DeletedRepoError."""
    try:
        construction()
    except DeletedRepoError:
        return


@HOSTILE
@given(construction=policies())
def test_an_accepted_policy_works(construction: Construction) -> None:
    """R-S2, R-P6, R-P7, R-R1: every read over a policy that constructs raises only our errors."""
    try:
        policy = construction()
    except DeletedRepoError:
        return
    repo = seed(MemoryStore(), policy)
    reads_back(repo, [])


@HOSTILE
@given(construction=construct(Hierarchy.declare, parents=declarations()))
def test_an_accepted_hierarchy_works(construction: Construction) -> None:
    """R-M1: a hierarchy that `declare` accepts serves searches and deletes of its kinds."""
    try:
        hierarchy = construction()
    except DeletedRepoError:
        return
    repo = DeletedRepository.in_memory(hierarchy=hierarchy, clock=lambda: NOW)
    for kind in hierarchy.kinds:
        try:
            repo.catalog.add("01UNI", [Record(kind, f"{kind!r}-1")])
            repo.delete("01UNI", [f"{kind!r}-1"], actor=Actor.user("ana"))
            repo.search(ById(kind=kind, id=f"{kind!r}-1"), requester=MANAGER)
            repo.plan(ById(kind=kind, id=f"{kind!r}-1"), requester=MANAGER)
        except DeletedRepoError:
            continue


def _samples() -> dict[type, Any]:
    """One real value of every public type, from a seeded world."""
    repo = seed(MemoryStore(), POLICIES["default"])
    event = repo.record_deletion("01UNI", [Record("bib", "s1")], actor=Actor.user("ana"))
    plan = repo.plan(ById(kind="item", id="i2"), requester=MANAGER)
    result = repo.restore(plan, requester=MANAGER)
    page = repo.search(ByUser(kind="bib", user_id="ana"), requester=MANAGER)
    purge = repo.purge(requester=MANAGER)
    samples: dict[type, Any] = {
        Record: Record("item", "i9", "h1", {"barcode": "B9", "n": [1, 2]}),
        Actor: Actor.job("J1"),
        Requester: MANAGER,
        Policy: POLICIES["block"],
        KindSpec: KindSpec(name="item", parents=["holding"], top_level=False),
        Hierarchy: Hierarchy.declare({"a": None, "b": "a"}),
        DeletionEvent: event,
        DeletedRecord: event.members[0],
        RestorePlan: plan,
        PlannedRecord: plan.records[0],
        Reason: plan.records[0].reasons[0],
        RestoreJob: result.jobs[0],
        RecordOutcome: result.jobs[0].outcomes[0],
        RestoreResult: result,
        SearchPage: page,
        Brief: page.hits[0],
        Window: Window(start=NOW, end=NOW, clipped=True),
        PurgeReport: purge,
        Exclusion: Exclusion(id="x", kind="item", cause=ExclusionCause.EXPIRED, detail="past"),
    }
    for criteria in GOOD_CRITERIA:
        samples.setdefault(type(criteria), criteria)
    return samples


SAMPLES = _samples()
TYPES: list[Any] = [*SAMPLES, Criteria]
DEEP = "[" * 100_000 + "]" * 100_000
HOSTILE_JSON: list[Any] = [
    None,
    True,
    2**63,
    -(2**63) - 1,
    1.5,
    "",
    "\ud800",
    "a\x00",
    [],
    {},
    [[]],
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "2026-11-02T09:00:00",
    "x" * 100_000,
    {"by": "ById"},
    "<deep>",
]
"""Values put in place of one field of a real value's JSON ("<deep>" is nested 100,000 deep)."""


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*path, index))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    copied = list(value)
    copied[head] = _replaced(copied[head], rest, new)
    return copied


@attrs.frozen
class JsonCase:
    """A public type and the text `from_json` is asked to read as one."""

    cls: Any
    text: Any

    def __repr__(self) -> str:
        return f"from_json({show(self.text)}, {getattr(self.cls, '__name__', self.cls)})"

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(repr(self))


@st.composite
def edited_json(draw: st.DrawFn) -> JsonCase:
    """A public type, and the JSON of a real value of it with one field replaced by junk."""
    cls = draw(st.sampled_from(TYPES))
    sample = SAMPLES[cls] if cls is not Criteria else draw(st.sampled_from(GOOD_CRITERIA))
    body = json.loads(to_json(sample))
    paths = _paths(body)
    path = paths[draw(st.integers(0, len(paths) - 1))]
    new = draw(pick(HOSTILE_JSON))
    text = json.dumps(_replaced(body, path, new))
    return JsonCase(cls, text.replace('"<deep>"', DEEP))


@st.composite
def raw_json(draw: st.DrawFn) -> JsonCase:
    """A public type, and text that is not JSON of it at all."""
    cls = draw(st.sampled_from(TYPES))
    text = draw(
        st.one_of(
            pick([DEEP, '{"a":' * 50_000, "9" * 5_000, "1e999999", '"\\ud800"', "NaN", "\x00"]),
            st.text(max_size=20),
            st.binary(max_size=10),
            junk(),
        )
    )
    return JsonCase(cls, text)


@HOSTILE
@given(case=st.one_of(edited_json(), raw_json()))
def test_from_json_raises_only_our_errors(case: JsonCase) -> None:
    """R-P9: `from_json` returns a value or raises our error; what it returns reads back."""
    cls, text = case.cls, case.text
    try:
        value = from_json(text, cls)
    except DeletedRepoError:
        return
    again = to_json(value)
    assert to_json(from_json(again, cls)) == again


UNSHOWABLE = {"DEEP_LIST": DEEP_LIST, "DEEP_DICT": DEEP_DICT, "HUGE_INT": HUGE_INT}
"""Values whose `repr` fails: an error message must not quote them whole."""


def _choices(value: Any) -> dict[str, Callable[[], object]]:
    repo = seed(MemoryStore(), POLICIES["default"])
    return {
        "Policy(ancestors_from_other_events=...)": lambda: Policy(
            ancestors_from_other_events=value
        ),
        "Policy(on_conflict=...)": lambda: Policy(on_conflict=value),
        "delete(emptied_parents=...)": lambda: repo.delete(
            "01UNI", ["b1"], actor=Actor.user("ana"), emptied_parents=value
        ),
    }


@pytest.mark.parametrize("value", sorted(UNSHOWABLE))
@pytest.mark.parametrize("call", sorted(_choices(None)))
def test_a_choice_refuses_a_value_that_cannot_be_shown(call: str, value: str) -> None:
    """R-D3, R-P4, R-P7: a switch given a value whose repr fails raises our error."""
    with pytest.raises(DeletedRepoError):
        _choices(UNSHOWABLE[value])[call]()
