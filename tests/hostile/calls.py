"""Hostile calls of every public method of `DeletedRepository`, as hypothesis strategies.

A `Call` names the method and its arguments. Arguments that need the world's state (a real
cursor, a real plan, a plan edited as JSON) are `Deferred`: made just before the call.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs
from hypothesis import strategies as st

from deleted_repo import (
    ByField,
    ById,
    ByJob,
    ByRange,
    BySystem,
    ByUser,
    DeletedRepoError,
    DeletedRepository,
    Deletion,
    Record,
    Requester,
    RestorePlan,
    from_json,
    to_json,
)
from deleted_repo.search import CRITERIA, PageCursor

from .values import NOW, actors, built, either, instants, junk, limits, texts
from .world import (
    HOME,
    KINDS,
    KNOWN_IDS,
    MANAGER,
    NO_ROLE,
    OTHER,
    OTHER_IDS,
    OTHER_MANAGER,
    POLICIES,
    ROLE,
    repository,
    show,
)


@attrs.frozen
class Deferred:
    """An argument made from the world's state just before the call."""

    label: str
    make: Callable[[DeletedRepository], Any] = attrs.field(eq=False)

    def __repr__(self) -> str:
        return self.label

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(repr(self))


@attrs.frozen
class Call:
    """One call of a public method: its name and arguments."""

    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    def resolved(self, repo: DeletedRepository) -> tuple[list[Any], dict[str, Any]]:
        """The arguments, with every deferred one made."""

        def make(value: Any) -> Any:
            return value.make(repo) if isinstance(value, Deferred) else value

        return [make(a) for a in self.args], {k: make(v) for k, v in self.kwargs.items()}

    def __repr__(self) -> str:
        shown = [show(a) if not isinstance(a, Deferred) else a.label for a in self.args]
        shown += [
            f"{k}={v.label if isinstance(v, Deferred) else show(v)}" for k, v in self.kwargs.items()
        ]
        return f"{self.method}({', '.join(shown)})"

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(repr(self))


ACTIVE_HOME = ["b1", "r1", "f1", "b3", "h3", "c1"]
NEW_RECORDS = [
    Record("item", "n1", "h3"),
    Record("holding", "n2", "b3", {"call_number": "X"}),
    Record("item", "n3", "n2", {"barcode": "NEW3"}),
    Record("file", "n4", "r1"),
    Record("collection", "n5", "c1"),
    Record("bib", "n6", None, {"title": "New"}),
]
GOOD_CRITERIA: list[Any] = [
    ById(kind="item", id="i2"),
    ById(kind="bib", id="b2"),
    ById(kind="item", id="i1"),
    ById(kind="collection", id="c2"),
    ById(kind="file", id="f9"),
    ById(kind="holding", id="oh1"),
    ByRange(kind="item", start=NOW - timedelta(days=1), end=NOW),
    ByUser(kind="item", user_id="ana"),
    ByJob(kind="item", job_id="J1"),
    BySystem(kind="file"),
    ByField(kind="item", field="barcode", value="BC2"),
]


def institutions() -> st.SearchStrategy[Any]:
    """The world's institutions, hostile text and junk."""
    return either(st.sampled_from([HOME, HOME, OTHER]), texts())


def requesters() -> st.SearchStrategy[Any]:
    """Managers of either institution, a user without the role, hostile requesters, junk."""
    hostile = built(
        Requester,
        user_id=texts(),
        institution=either(st.sampled_from([HOME, OTHER]), texts()),
        roles=either(st.just({ROLE}), st.sets(texts(), max_size=2)),
    )
    return either(st.sampled_from([MANAGER, MANAGER, OTHER_MANAGER, NO_ROLE]), hostile)


def ids() -> st.SearchStrategy[Any]:
    """Lists of ids: active ones, deleted ones, another institution's, hostile, twice, many."""
    one = st.one_of(st.sampled_from(KNOWN_IDS), texts(), junk())
    good = st.lists(st.sampled_from(ACTIVE_HOME), min_size=1, max_size=3, unique=True)
    hostile = st.one_of(
        st.lists(one, max_size=4),
        st.lists(one, min_size=1, max_size=3).map(lambda listed: listed + listed[:1]),
        st.lists(st.sampled_from(OTHER_IDS), min_size=1, max_size=2, unique=True),
        st.just([f"n{k}" for k in range(3_000)] + ["b1"]),
        st.sampled_from(ACTIVE_HOME).map(lambda i: {i: i}),
    )
    return either(good, hostile)


def records() -> st.SearchStrategy[Any]:
    """One record: a new one under an active parent, or one built from hostile fields."""
    data = st.one_of(
        st.just({}),
        st.dictionaries(texts(), st.one_of(texts(), junk()), max_size=3),
        junk(),
    )
    hostile = built(
        Record,
        kind=either(st.sampled_from(KINDS), texts()),
        id=either(st.sampled_from(KNOWN_IDS), texts()),
        parent_id=either(st.sampled_from([None, "h3", "b3", "r1", "c1", "oh1"]), texts()),
        data=data,
    )
    return either(st.sampled_from(NEW_RECORDS), hostile)


def record_lists() -> st.SearchStrategy[Any]:
    """Lists of records, with duplicates, junk elements, or no list at all."""
    good = st.lists(st.sampled_from(NEW_RECORDS), min_size=1, max_size=3, unique_by=lambda r: r.id)
    hostile = st.one_of(
        st.lists(records(), min_size=1, max_size=3),
        st.lists(records(), min_size=1, max_size=2).map(lambda listed: listed + listed[:1]),
    )
    return either(good, hostile)


def origins() -> st.SearchStrategy[Any]:
    """The origins of a recorded deletion: none given, new ids, hostile ids."""
    return either(st.sampled_from([None, None, ["n1"], ["n2"], ["n6"]]), ids())


def at() -> st.SearchStrategy[Any]:
    """When a recorded deletion happened: not said, an edge instant, junk."""
    return either(st.sampled_from([None, NOW - timedelta(days=2)]), instants())


def deletions() -> st.SearchStrategy[Any]:
    """A batch of deletions to record, each built from hostile fields, or no batch at all."""
    one = built(Deletion, records=record_lists(), actor=actors(), origins=origins(), at=at())
    return either(
        st.lists(one, min_size=1, max_size=3),
        st.lists(one, min_size=1, max_size=2).map(lambda listed: listed + listed[:1]),
    )


def criteria() -> st.SearchStrategy[Any]:
    """Search criteria: the world's useful ones, and each kind built from hostile fields."""
    kind = either(st.sampled_from(KINDS), texts())
    maybe_instant = st.one_of(st.none(), instants())
    hostile = st.one_of(
        built(ById, kind=kind, id=either(st.sampled_from(KNOWN_IDS), texts())),
        built(ByRange, kind=kind, start=instants(), end=instants()),
        built(ByUser, kind=kind, user_id=texts(), start=maybe_instant, end=maybe_instant),
        built(ByJob, kind=kind, job_id=texts()),
        built(BySystem, kind=kind, start=maybe_instant, end=maybe_instant),
        built(ByField, kind=kind, field=either(st.just("barcode"), texts()), value=texts()),
    )
    return either(st.sampled_from(GOOD_CRITERIA), hostile)


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


@st.composite
def forged_cursors(draw: st.DrawFn, criteria: Any) -> Any:
    """A cursor in the library's own format for `criteria`, with hostile contents."""
    if not isinstance(criteria, CRITERIA):
        return draw(junk())
    window = draw(
        st.one_of(
            st.none(),
            st.tuples(instants().map(_iso), instants().map(_iso), st.booleans()).map(list),
            junk(),
        )
    )
    body = {
        "s": PageCursor.digest(criteria),
        "a": [draw(either(instants().map(_iso), texts())), draw(either(texts(), texts()))],
        "w": window,
        "e": draw(st.one_of(st.none(), st.lists(either(texts(), texts()), max_size=2), junk())),
    }
    try:
        text = json.dumps(body, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        return draw(texts())
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")


def _first_cursor(criteria: Any) -> Deferred:
    def make(repo: DeletedRepository) -> Any:
        try:
            return repo.search(criteria, requester=MANAGER, limit=1).next_cursor
        except DeletedRepoError:
            return None

    return Deferred(f"<cursor of the first page of {show(criteria)}>", make)


@st.composite
def searches(draw: st.DrawFn) -> Call:
    """`search` with hostile criteria, requester, cursor and limit."""
    chosen = draw(criteria())
    cursor = draw(
        st.one_of(
            st.none(),
            st.just(_first_cursor(chosen)),
            forged_cursors(chosen),
            texts(),
            junk(),
        )
    )
    return Call(
        "search",
        (chosen,),
        {"requester": draw(requesters()), "cursor": cursor, "limit": draw(limits())},
    )


EDITS = [
    "none",
    "forge excluded",
    "drop excluded",
    "add target",
    "add foreign target",
    "edit data",
    "reasons",
    "split batches",
    "events",
    "institution",
    "criteria",
    "planned_at",
]


def _edited(body: dict[str, Any], edit: str, forged: Any) -> None:
    """Apply one edit to a plan's JSON."""
    records = body["records"]
    if edit == "forge excluded":
        body["excluded"] = [
            {"id": forged, "kind": "item", "cause": "expired", "detail": "x" * 1_000_000}
        ]
    elif edit == "drop excluded":
        body["excluded"] = []
    elif edit in {"add target", "add foreign target"}:
        ident = "b1" if edit == "add target" else "ob1"
        records.append(
            {
                "record": {"kind": "bib", "id": ident, "parent_id": None, "data": {}},
                "event_id": "forged",
                "deleted_at": NOW.isoformat(),
                "reasons": [{"kind": "target", "of": None}],
                "notes": [],
            }
        )
        body["batches"] = [[*[i for b in body["batches"] for i in b], ident]]
        body["counts"]["bib"] = body["counts"].get("bib", 0) + 1
    elif edit == "edit data" and records:
        records[0]["record"]["data"] = {"title": forged}
    elif edit == "reasons":
        for r in records:
            r["reasons"] = [{"kind": "target", "of": None}]
    elif edit == "split batches":
        body["batches"] = [[r["record"]["id"]] for r in records]
    elif edit == "events":
        body["events"] = [forged]
    elif edit == "institution":
        body["institution"] = OTHER
    elif edit == "criteria":
        body["criteria"] = {"by": "ById", "kind": "holding", "id": "oh1"}
    elif edit == "planned_at":
        body["planned_at"] = "0001-01-01T00:00:00+23:59"


@st.composite
def plans(draw: st.DrawFn) -> Any:
    """A real plan, made under any policy, then perhaps edited as JSON; or junk."""
    if draw(st.integers(0, 5)) == 0:
        return draw(junk())
    chosen = draw(st.sampled_from(GOOD_CRITERIA))
    maker = draw(st.sampled_from(sorted(POLICIES)))
    edit = draw(st.sampled_from(EDITS))
    forged = draw(either(st.sampled_from(KNOWN_IDS), texts()))
    planner = OTHER_MANAGER if chosen == ById(kind="holding", id="oh1") else MANAGER

    def make(repo: DeletedRepository) -> Any:
        try:
            plan = repository(repo.store, POLICIES[maker]).plan(
                chosen, requester=planner, batches=True
            )
        except DeletedRepoError:
            return None
        if edit == "none":
            return plan
        body = json.loads(to_json(plan))
        _edited(body, edit, forged)
        try:
            text = json.dumps(body)
        except (TypeError, ValueError, RecursionError):  # a forged value JSON cannot hold
            return None
        try:
            return from_json(text, RestorePlan)
        except DeletedRepoError:
            return None

    label = f"<plan of {chosen!r} under policy {maker}, edit {edit!r} with {show(forged)}>"
    return Deferred(label, make)


def _call(method: str, *args: Any, **kwargs: Any) -> st.SearchStrategy[Call]:
    return st.tuples(*args).flatmap(
        lambda drawn: st.fixed_dictionaries(kwargs).map(
            lambda named: Call(method, tuple(drawn), named)
        )
    )


def _listen(repo: DeletedRepository, listener: Any) -> Any:
    repo.add_listener(listener)
    plan = repo.plan(ById(kind="collection", id="c2"), requester=MANAGER)
    return repo.restore(plan, requester=MANAGER)


def _hostile_listeners() -> st.SearchStrategy[Any]:
    def raises(error: Exception) -> Callable[..., None]:
        def listener(*_: object) -> None:
            raise error

        return listener

    failing = st.sampled_from(
        [ValueError("x" * 100_000), RecursionError("deep"), DeletedRepoError("ours")]
    ).map(raises)
    return either(st.just(lambda *_: None), failing)


CALLS: dict[str, st.SearchStrategy[Call]] = {
    "delete": _call(
        "delete",
        institutions(),
        ids(),
        actor=actors(),
        emptied_parents=either(st.sampled_from(["retain", "delete"]), texts()),
    ),
    "record_deletion": _call(
        "record_deletion",
        institutions(),
        record_lists(),
        actor=actors(),
        origins=origins(),
        at=at(),
    ),
    "record_deletions": _call("record_deletions", institutions(), deletions()),
    "search": searches(),
    "brief": _call(
        "brief",
        either(st.sampled_from(KNOWN_IDS), texts()),
        requester=requesters(),
    ),
    "plan": _call("plan", criteria(), requester=requesters(), batches=either(st.booleans())),
    "restore": _call(
        "restore",
        plans(),
        requester=requesters(),
        batch=either(st.sampled_from([None, 1, 2]), st.sampled_from([0, -1, 2**63, True])),
    ),
    "restore_jobs": _call(
        "restore_jobs",
        requester=requesters(),
        after=either(st.just(None), texts()),
        limit=st.one_of(st.none(), limits()),
    ),
    "restore_job": _call("restore_job", texts(), requester=requesters()),
    "purge": _call("purge", requester=requesters()),
    "add_listener": _call("add_listener", _hostile_listeners()),
}
"""One strategy of hostile calls per public method of the facade."""


def run(call: Call, repo: DeletedRepository, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Make the call."""
    if call.method == "add_listener":
        return _listen(repo, *args)
    method: Callable[..., Any] = getattr(repo, call.method)
    return method(*args, **kwargs)
