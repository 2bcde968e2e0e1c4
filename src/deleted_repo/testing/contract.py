"""The store contract: prove that a storage adapter keeps every promise of `deleted_repo.ports`.

`run_store_contract` runs the whole contract against a factory of stores. First come example
checks of each port method's documented behaviour (`EXAMPLE_CHECKS`): search order and paging,
missing ids, refused writes that change nothing, the last-event rule, institutions, and
transactions. Then a hypothesis state machine drives the store through the ports with random
writes (some refused, some inside transactions that fail midway) and compares every read with a
plain model of what the ports promise.

A host that writes its own adapter proves it with one call::

    >>> from deleted_repo.stores.memory import MemoryStore
    >>> from deleted_repo.testing.contract import run_store_contract
    >>> run_store_contract(MemoryStore, max_examples=5, step_count=10)

The factory is called many times, once per example check and once per state-machine example;
each call must return a store that holds nothing (a new database, or emptied tables). The
contract writes in two institutions, ``"01HOME"`` and ``"02AWAY"``, and its data are JSON values
(strings without NUL characters). A broken promise raises `AssertionError` naming the method,
its arguments, what was expected and what came back.

This module needs hypothesis (the ``hypothesis`` extra).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any, ClassVar, NoReturn, Protocol

import attrs
import hypothesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from deleted_repo.errors import IntegrityError, RecordNotFoundError
from deleted_repo.jobs import Outcome, RecordOutcome, RestoreJob
from deleted_repo.model import (
    ALMA,
    Actor,
    ActorKind,
    DeletedRecord,
    DeletionEvent,
    MemberRole,
    Record,
)
from deleted_repo.ports import Catalog, DeletedStore, RestoreJobLog
from deleted_repo.search import ById, ByRange, ByUser, Criteria, Cursor, Query, Window, comes_after
from deleted_repo.testing.strategies import actors, catalogs

__all__ = [
    "AWAY",
    "EXAMPLE_CHECKS",
    "HOME",
    "StoreLike",
    "run_example_checks",
    "run_state_machine",
    "run_store_contract",
]

HOME = "01HOME"
"""The institution most of the contract writes in."""

AWAY = "02AWAY"
"""A second institution, to check that nothing crosses institutions (R-M3)."""

_T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
_US = timedelta(microseconds=1)
_PLUS_TWO = timezone(timedelta(hours=2))
_MINUS_FIVE_THIRTY = timezone(-timedelta(hours=5, minutes=30))


class StoreLike(Protocol):
    """What the contract needs: the three ports and the transaction boundary they share."""

    @property
    def catalog(self) -> Catalog:
        """The active records."""

    @property
    def deleted(self) -> DeletedStore:
        """The deleted repository."""

    @property
    def jobs(self) -> RestoreJobLog:
        """The restore-job log."""

    def transaction(self) -> AbstractContextManager[None]:
        """Open a transaction spanning the three ports (see `deleted_repo.ports.Transactions`)."""


# Assertion helpers: explicit raises, so the contract holds under ``python -O`` too.


def _fail(message: str) -> NoReturn:
    raise AssertionError(message)


def _same(actual: object, expected: object, what: str) -> None:
    if actual != expected:
        _fail(f"{what}:\n  expected {expected!r}\n  got      {actual!r}")


def _ids(entries: Sequence[DeletedRecord] | Sequence[RestoreJob]) -> list[str]:
    return [e.id for e in entries]


def _same_entries(
    actual: Sequence[DeletedRecord], expected: Sequence[DeletedRecord], what: str
) -> None:
    """Compare two lists of deleted records: ids and order first, for a readable message."""
    _same(_ids(actual), _ids(expected), f"{what} (ids, in order)")
    _same(list(actual), list(expected), f"{what} (records)")
    for entry in actual:
        if entry.deleted_at.utcoffset() is None:
            _fail(f"{what}: record {entry.id!r} came back with a naive deleted_at")


def _same_jobs(actual: Sequence[RestoreJob], expected: Sequence[RestoreJob], what: str) -> None:
    _same(_ids(actual), _ids(expected), f"{what} (ids, in order)")
    _same(list(actual), list(expected), f"{what} (jobs)")
    for job in actual:
        if job.at.utcoffset() is None:
            _fail(f"{what}: job {job.id!r} came back with a naive time")


def _by_id(entries: Sequence[Any]) -> list[Any]:
    return sorted(entries, key=lambda e: e.id)


@contextmanager
def _refused(error: type[Exception], what: str) -> Iterator[None]:
    try:
        yield
    except error:
        return
    except Exception as e:
        raise AssertionError(
            f"{what}: expected {error.__name__}, got {type(e).__name__}: {e}"
        ) from e
    _fail(f"{what}: expected {error.__name__}, but it succeeded")


class _Abort(Exception):
    """Raised inside a transaction to make it roll back."""


# Building values


def _at(minutes: float = 0, tz: timezone = UTC) -> datetime:
    return (_T0 + timedelta(minutes=minutes)).astimezone(tz)


def _rec(kind: str, ident: str, parent: str | None = None, **data: Any) -> Record:
    return Record(kind, ident, parent, {"title": f"{kind} {ident}", **data})


def _tree(prefix: str = "") -> list[Record]:
    """A bib with a holding and two items, and a bib with a portfolio: parents first."""
    p = prefix
    return [
        _rec("bib", f"{p}b1"),
        _rec("holding", f"{p}h1", f"{p}b1"),
        _rec("item", f"{p}i1", f"{p}h1", barcode=f"{p}B1"),
        _rec("item", f"{p}i2", f"{p}h1", barcode=f"{p}B2"),
        _rec("bib", f"{p}b2"),
        _rec("portfolio", f"{p}p1", f"{p}b2"),
    ]


def _event(
    event_id: str,
    records: Sequence[Record],
    *,
    actor: Actor | None = None,
    at: datetime = _T0,
    institution: str = HOME,
) -> DeletionEvent:
    """An event deleting `records`: those whose parent is not among them are its origins."""
    by_id = {r.id: r for r in records}
    actor = actor if actor is not None else Actor.user("ana")
    members = []
    for r in records:
        chain: list[str] = []
        parent = r.parent_id
        while parent is not None and parent not in chain:
            chain.append(parent)
            parent = by_id[parent].parent_id if parent in by_id else None
        inside = [c for c in chain if c in by_id]
        members.append(
            DeletedRecord(
                record=r,
                role=MemberRole.CASCADE if inside else MemberRole.ORIGIN,
                origin_id=inside[-1] if inside else r.id,
                lineage=tuple(chain),
                event_id=event_id,
                institution=institution,
                actor=actor,
                deleted_at=at,
            )
        )
    return DeletionEvent(
        id=event_id,
        institution=institution,
        actor=actor,
        at=at,
        origins=[m.id for m in members if m.role is MemberRole.ORIGIN],
        members=members,
    )


def _job(
    job_id: str, at: datetime = _T0, *, institution: str = HOME, criteria: Criteria | None = None
) -> RestoreJob:
    return RestoreJob(
        id=job_id,
        institution=institution,
        requested_by="manager",
        at=at,
        criteria=criteria if criteria is not None else ById(kind="bib", id="b1"),
        batch=1,
        batches=1,
        counts={"bib": 1},
        outcomes=[
            RecordOutcome(id="b1", kind="bib", outcome=Outcome.RESTORED),
            RecordOutcome(id="i9", kind="item", outcome=Outcome.EXCLUDED, reason="active again"),
        ],
    )


_RICH_DATA: dict[str, Any] = {
    "title": 'Ünïcödé ☃ 𝄞 — "quoted" \\ back\'slash',
    "empty": "",
    "int": 42,
    "big": 2**53 + 1,
    "negative": -7,
    "float": 0.1,
    "yes": True,
    "no": False,
    "none": None,
    "list": [1, "two", [3.5, None], {"k": "v"}],
    "map": {"nested": {"deeper": [], "zero": 0}},
}


def _find(
    store: StoreLike,
    kind: str,
    *,
    institution: str = HOME,
    after: Cursor | None = None,
    limit: int | None = None,
    **filters: Any,
) -> list[DeletedRecord]:
    query = Query(institution=institution, kind=kind, **filters)
    return list(store.deleted.find(query, after=after, limit=limit))


# The example checks. Each takes an empty store; its docstring is the behaviour it checks.

_CHECKS: dict[str, Callable[[StoreLike], None]] = {}


def _check(fn: Callable[[StoreLike], None]) -> Callable[[StoreLike], None]:
    _CHECKS[fn.__name__] = fn
    return fn


@_check
def catalog_get_leaves_out_missing_ids(store: StoreLike) -> None:
    """Catalog.get returns the active records asked for, by id, and leaves out the others."""
    tree = _tree()
    store.catalog.add(HOME, tree)
    got = dict(store.catalog.get(HOME, ["b1", "i1", "nope"]))
    _same(got, {"b1": tree[0], "i1": tree[2]}, "catalog.get(['b1', 'i1', 'nope'])")
    _same(dict(store.catalog.get(HOME, [])), {}, "catalog.get([])")
    _same(dict(store.catalog.get(HOME, ["nope"])), {}, "catalog.get(['nope'])")


@_check
def catalog_keeps_records_exactly(store: StoreLike) -> None:
    """Catalog records come back exactly as added: kind, id, parent and every JSON value."""
    records = [
        Record("bib", "rich", None, _RICH_DATA),
        Record("holding", "h-rich", "rich", {}),
        Record("collection", "ünï code id ☃", None, {"title": ""}),
    ]
    store.catalog.add(HOME, records)
    got = store.catalog.get(HOME, [r.id for r in records])
    for r in records:
        _same(got.get(r.id), r, f"catalog.get([{r.id!r}])")


@_check
def catalog_add_refuses_an_active_id(store: StoreLike) -> None:
    """Catalog.add refuses an id already active, or given twice, and then adds nothing."""
    store.catalog.add(HOME, [_rec("bib", "b1")])
    with _refused(IntegrityError, "catalog.add of a new id and the active 'b1'"):
        store.catalog.add(HOME, [_rec("bib", "new"), _rec("bib", "b1", title="again")])
    _same(dict(store.catalog.get(HOME, ["new"])), {}, "catalog.get(['new']) after the refusal")
    _same(store.catalog.get(HOME, ["b1"])["b1"], _rec("bib", "b1"), "the active 'b1'")
    with _refused(IntegrityError, "catalog.add of 'twice' given twice"):
        store.catalog.add(HOME, [_rec("bib", "twice"), _rec("bib", "twice")])
    _same(dict(store.catalog.get(HOME, ["twice"])), {}, "catalog.get(['twice']) after the refusal")


@_check
def catalog_remove_refuses_an_inactive_id(store: StoreLike) -> None:
    """Catalog.remove refuses an id that is not active, and then removes nothing."""
    tree = _tree()
    store.catalog.add(HOME, tree)
    with _refused(RecordNotFoundError, "catalog.remove(['i1', 'nope'])"):
        store.catalog.remove(HOME, ["i1", "nope"])
    _same(sorted(store.catalog.get(HOME, ["i1"])), ["i1"], "'i1' after the refused remove")
    store.catalog.remove(HOME, ["i1", "i2"])
    _same(dict(store.catalog.get(HOME, ["i1", "i2"])), {}, "'i1', 'i2' after their remove")
    _same(_by_id(store.catalog.children(HOME, ["h1"])), [], "catalog.children(['h1']) after it")
    with _refused(RecordNotFoundError, "catalog.remove(['i1']) a second time"):
        store.catalog.remove(HOME, ["i1"])
    store.catalog.add(HOME, [tree[2]])
    _same(store.catalog.get(HOME, ["i1"]).get("i1"), tree[2], "'i1' added back after removal")


@_check
def catalog_children_are_the_active_records_below(store: StoreLike) -> None:
    """Catalog.children returns every active record whose parent is among the ids given."""
    tree = _tree()
    store.catalog.add(HOME, tree)
    _same(
        _by_id(store.catalog.children(HOME, ["b1", "b2"])), [tree[1], tree[5]], "children(b1, b2)"
    )
    _same(_by_id(store.catalog.children(HOME, ["h1"])), [tree[2], tree[3]], "children(['h1'])")
    _same(list(store.catalog.children(HOME, ["i1", "nope"])), [], "children(['i1', 'nope'])")
    _same(list(store.catalog.children(HOME, [])), [], "children([])")


@_check
def catalog_find_by_field_matches_exact_values(store: StoreLike) -> None:
    """Catalog.find_by_field finds active holders of exact values, within the kind asked."""
    tree = _tree()
    numeric = _rec("item", "i5", "h1", barcode=5)
    twins = [_rec("item", "t1", "h1", barcode="TWIN"), _rec("item", "t2", "h1", barcode="TWIN")]
    store.catalog.add(HOME, [*tree, numeric, *twins])
    got = dict(store.catalog.find_by_field(HOME, "item", "barcode", ["B1", "B2", "zz"]))
    _same(got, {"B1": "i1", "B2": "i2"}, "find_by_field(item, barcode, [B1, B2, zz])")
    _same(
        dict(store.catalog.find_by_field(HOME, "holding", "barcode", ["B1"])),
        {},
        "find_by_field(holding, barcode, [B1]): other kinds do not count",
    )
    _same(
        dict(store.catalog.find_by_field(HOME, "item", "barcode", ["5"])),
        {},
        "find_by_field(item, barcode, ['5']): the text '5' is not the number 5",
    )
    _same(
        dict(store.catalog.find_by_field(HOME, "item", "barcode", [5])),
        {5: "i5"},
        "find_by_field(item, barcode, [5])",
    )
    twin = store.catalog.find_by_field(HOME, "item", "barcode", ["TWIN"]).get("TWIN")
    if twin not in ("t1", "t2"):
        _fail(f"find_by_field(item, barcode, ['TWIN']) gave {twin!r}; expected 't1' or 't2'")
    store.catalog.remove(HOME, ["i1"])
    _same(
        dict(store.catalog.find_by_field(HOME, "item", "barcode", ["B1"])),
        {},
        "find_by_field(item, barcode, [B1]) after 'i1' was removed",
    )
    _same(dict(store.catalog.find_by_field(HOME, "item", "barcode", [])), {}, "values=[]")


@_check
def deleted_get_returns_members_as_recorded(store: StoreLike) -> None:
    """DeletedStore.get returns each member exactly as recorded; missing ids are left out."""
    rich = Record("bib", "rich", None, _RICH_DATA)
    event = _event("e1", [*_tree(), rich], at=_at(0.5, _PLUS_TWO) + 7 * _US)
    store.deleted.add_events([event])
    members = {m.id: m for m in event.members}
    got = dict(store.deleted.get(HOME, [*members, "nope"]))
    _same(sorted(got), sorted(members), "deleted.get of every member and 'nope' (ids)")
    for ident, member in members.items():
        _same(got[ident], member, f"deleted.get([{ident!r}])")
        if got[ident].deleted_at.utcoffset() is None:
            _fail(f"deleted.get([{ident!r}]) came back with a naive deleted_at")
    _same(dict(store.deleted.get(HOME, [])), {}, "deleted.get([])")


@_check
def deleted_add_events_refuses_a_recorded_event_id(store: StoreLike) -> None:
    """DeletedStore.add_events refuses an event id already recorded, or given twice; adds none."""
    store.deleted.add_events([_event("e1", [_rec("bib", "b1")])])
    fresh = _event("e2", [_rec("bib", "b2")], actor=Actor.user("bo"))
    again = _event("e1", [_rec("bib", "b3")], actor=Actor.user("bo"))
    with _refused(IntegrityError, "add_events of a new event and the recorded 'e1'"):
        store.deleted.add_events([fresh, again])
    _same(dict(store.deleted.get(HOME, ["b2", "b3"])), {}, "the refused events' members")
    if store.deleted.has_actor(HOME, Actor.user("bo")):
        _fail("has_actor(user 'bo') is true, but only a refused add_events named that user")
    twice = [_event("e3", [_rec("bib", "b4")]), _event("e3", [_rec("bib", "b5")])]
    with _refused(IntegrityError, "add_events of two events both with id 'e3'"):
        store.deleted.add_events(twice)
    _same(dict(store.deleted.get(HOME, ["b4", "b5"])), {}, "the refused events' members")
    store.deleted.add_events([fresh])
    _same(sorted(store.deleted.get(HOME, ["b2"])), ["b2"], "'e2' added after the refusal")


@_check
def deleted_add_events_refuses_an_already_deleted_member(store: StoreLike) -> None:
    """DeletedStore.add_events refuses a member already deleted, or in two events; adds none."""
    store.deleted.add_events([_event("e1", [_rec("bib", "b1")])])
    clash = _event("e2", [_rec("bib", "x1"), _rec("bib", "b1")])
    with _refused(IntegrityError, "add_events of an event with the deleted 'b1'"):
        store.deleted.add_events([clash])
    _same(dict(store.deleted.get(HOME, ["x1"])), {}, "the refused event's member 'x1'")
    _same(store.deleted.get(HOME, ["b1"])["b1"].event_id, "e1", "'b1' still of event 'e1'")
    shared = [_event("e3", [_rec("bib", "x2")]), _event("e4", [_rec("bib", "x2")])]
    with _refused(IntegrityError, "add_events of two events that both delete 'x2'"):
        store.deleted.add_events(shared)
    _same(dict(store.deleted.get(HOME, ["x2"])), {}, "'x2' after the refusal")
    _same(
        _find(store, "bib", event_ids=frozenset(["e2", "e3", "e4"])),
        [],
        "find(event_ids=[e2, e3, e4]) after the refusals",
    )


@_check
def deleted_remove_refuses_a_missing_id(store: StoreLike) -> None:
    """DeletedStore.remove refuses an id that is not deleted, and then removes nothing."""
    event = _event("e1", _tree())
    store.deleted.add_events([event])
    with _refused(RecordNotFoundError, "deleted.remove(['i1', 'nope'])"):
        store.deleted.remove(HOME, ["i1", "nope"])
    _same(sorted(store.deleted.get(HOME, ["i1"])), ["i1"], "'i1' after the refused remove")
    store.deleted.remove(HOME, ["i1"])
    _same(dict(store.deleted.get(HOME, ["i1"])), {}, "'i1' after its remove")
    _same(_ids(_find(store, "item")), ["i2"], "find(item) after 'i1' left (R-S9)")
    _same(_ids(_by_id(store.deleted.children(HOME, ["h1"]))), ["i2"], "deleted.children(h1)")
    with _refused(RecordNotFoundError, "deleted.remove(['i1']) a second time"):
        store.deleted.remove(HOME, ["i1"])
    store.deleted.add_events([_event("e2", [event.members[2].record])])
    _same(
        store.deleted.get(HOME, ["i1"])["i1"].event_id,
        "e2",
        "'i1' deleted again, in a new event, after its removal",
    )


@_check
def deleted_children_follow_the_snapshot_parent(store: StoreLike) -> None:
    """DeletedStore.children returns every deleted record whose snapshot's parent is given."""
    event = _event("e1", _tree())
    store.deleted.add_events([event])
    loose = _event("e2", [_rec("item", "i3", "h1")])
    store.deleted.add_events([loose])
    m = {x.id: x for x in [*event.members, *loose.members]}
    _same(_by_id(store.deleted.children(HOME, ["h1"])), [m["i1"], m["i2"], m["i3"]], "children(h1)")
    _same(
        _by_id(store.deleted.children(HOME, ["b1", "b2"])), [m["h1"], m["p1"]], "children(b1, b2)"
    )
    _same(list(store.deleted.children(HOME, ["i1", "nope"])), [], "children(['i1', 'nope'])")
    _same(list(store.deleted.children(HOME, [])), [], "children([])")


def _timeline(store: StoreLike) -> list[DeletionEvent]:
    """Items deleted at three times, with equal times, written in different time zones."""
    events = [
        _event("e-mid", [_rec("item", "m2", "h"), _rec("item", "m1", "h")], at=_at(10)),
        _event("e-old", [_rec("item", "o1", "h")], at=_at(10, _PLUS_TWO) - _US),
        _event("e-new", [_rec("item", "n1", "h"), _rec("bib", "nb")], at=_at(20, _PLUS_TWO)),
        _event("e-mid2", [_rec("item", "m0", "h")], at=_at(10, _MINUS_FIVE_THIRTY)),
        _event("e-new2", [_rec("item", "n0", "h")], at=_at(20) + _US),
    ]
    for e in events:
        store.deleted.add_events([e])
    return events


@_check
def find_orders_newest_first_then_by_id(store: StoreLike) -> None:
    """DeletedStore.find orders by deletion instant, newest first, then by id (R-S8)."""
    _timeline(store)
    _same(
        _ids(_find(store, "item")),
        ["n0", "n1", "m0", "m1", "m2", "o1"],
        "find(item): newest first, ids ascending at one instant, whatever the time zone",
    )
    _same(_ids(_find(store, "bib")), ["nb"], "find(bib): only the kind asked for")
    _same(_find(store, "holding"), [], "find(holding): a kind with no deleted records")


@_check
def find_pages_never_skip_or_repeat(store: StoreLike) -> None:
    """DeletedStore.find with `after` and `limit` pages through the hits exactly once (R-S8)."""
    _timeline(store)
    every = _find(store, "item")
    for limit in range(1, len(every) + 2):
        seen: list[DeletedRecord] = []
        after: Cursor | None = None
        for _ in range(len(every) + 1):
            page = _find(store, "item", after=after, limit=limit)
            if len(page) > limit:
                _fail(f"find(item, limit={limit}) returned {len(page)} records")
            seen.extend(page)
            if len(page) < limit:
                break
            after = (page[-1].deleted_at, page[-1].id)
        _same(_ids(seen), _ids(every), f"paging find(item) {limit} at a time")
    cursors: list[Cursor] = [
        (_at(10), "m0"),
        (_at(10, _PLUS_TWO), "m1a"),
        (_at(10), ""),
        (_at(10), "zzz"),
        (_at(15), "a"),
        (_at(99), "a"),
        (_at(-99), "a"),
        (_at(20) + _US, "n0"),
    ]
    for cursor in cursors:
        _same(
            _ids(_find(store, "item", after=cursor)),
            [e.id for e in every if comes_after(e, cursor)],
            f"find(item, after={cursor!r})",
        )
    _same(_ids(_find(store, "item", limit=2)), ["n0", "n1"], "find(item, limit=2)")


@_check
def find_applies_every_filter(store: StoreLike) -> None:
    """DeletedStore.find keeps only records matching every filter: ids, events, actors, field."""
    sys1, sys2 = Actor.system("System"), Actor.system("Electronic Inventory Creator")
    events = [
        _event("e1", [_rec("item", "i1", "h", barcode="B1"), _rec("item", "i2", "h")], at=_at(1)),
        _event("e2", [_rec("item", "i3", "h", barcode="B1")], actor=Actor.job("J1"), at=_at(2)),
        _event("e3", [_rec("item", "i4", "h", barcode=5)], actor=sys1, at=_at(3)),
        _event("e4", [_rec("item", "i5", "h", barcode="5")], actor=sys2, at=_at(4)),
        _event("e5", [_rec("holding", "h9", "b", barcode="B1")], at=_at(5)),
    ]
    store.deleted.add_events(events)
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({}, ["i5", "i4", "i3", "i1", "i2"]),
        ({"ids": frozenset(["i1", "i3", "h9", "nope"])}, ["i3", "i1"]),
        ({"ids": frozenset()}, []),
        ({"event_ids": frozenset(["e1", "e4", "e5"])}, ["i5", "i1", "i2"]),
        ({"event_ids": frozenset()}, []),
        ({"event_ids": frozenset(["nope"])}, []),
        ({"actor": Actor.user("ana")}, ["i1", "i2"]),
        ({"actor": Actor.job("J1")}, ["i3"]),
        ({"actor": sys2}, ["i5"]),
        ({"actor": Actor.user("J1")}, []),
        ({"actor_kind": ActorKind.SYSTEM}, ["i5", "i4"]),
        ({"actor_kind": ActorKind.USER}, ["i1", "i2"]),
        ({"field": ("barcode", "B1")}, ["i3", "i1"]),
        ({"field": ("barcode", "5")}, ["i5"]),
        ({"field": ("title", "item i2")}, ["i2"]),
        ({"field": ("nothing", "B1")}, []),
        ({"actor": Actor.user("ana"), "field": ("barcode", "B1")}, ["i1"]),
        ({"event_ids": frozenset(["e1"]), "ids": frozenset(["i2", "i3"])}, ["i2"]),
        ({"actor_kind": ActorKind.JOB, "ids": frozenset(["i1"])}, []),
    ]
    for filters, expected in cases:
        _same(_ids(_find(store, "item", **filters)), expected, f"find(item, {filters})")
    _same(_ids(_find(store, "holding", field=("barcode", "B1"))), ["h9"], "find(holding, B1)")


@_check
def find_window_bounds_are_inclusive(store: StoreLike) -> None:
    """DeletedStore.find keeps records deleted inside the window, both bounds included."""
    at = _at(30) + 500 * _US
    store.deleted.add_events(
        [
            _event("e1", [_rec("item", "i1", "h", barcode="B")], at=at),
            _event("e2", [_rec("item", "i2", "h")], at=_at(60)),
        ]
    )
    cases: list[tuple[Window, list[str]]] = [
        (Window(start=at, end=at), ["i1"]),
        (Window(start=at.astimezone(_PLUS_TWO), end=at.astimezone(_MINUS_FIVE_THIRTY)), ["i1"]),
        (Window(start=at + _US, end=None), ["i2"]),
        (Window(start=None, end=at - _US), []),
        (Window(start=None, end=at), ["i1"]),
        (Window(start=at, end=None), ["i2", "i1"]),
        (Window(start=None, end=None), ["i2", "i1"]),
        (Window(start=at + _US, end=at), []),
        (Window(start=_at(31), end=_at(59)), []),
    ]
    for window, expected in cases:
        _same(_ids(_find(store, "item", window=window)), expected, f"find(item, window={window})")
        actor = Actor.user("ana")
        _same(
            _ids(_find(store, "item", window=window, actor=actor)),
            expected,
            f"find(item, actor={actor}, window={window})",
        )
    inside = Window(start=at, end=at)
    for filters in ({"ids": frozenset(["i1", "i2"])}, {"field": ("barcode", "B")}):
        _same(
            _ids(_find(store, "item", window=Window(start=at + _US, end=_at(59)), **filters)),
            [],
            f"find(item, {filters}, window between 'i1' and 'i2')",
        )
        _same(
            _ids(_find(store, "item", window=inside, **filters)),
            ["i1"],
            f"find(item, {filters}, window={inside})",
        )


@_check
def latest_event_is_newest_then_last_added(store: StoreLike) -> None:
    """DeletedStore.latest_event is the actor's newest event; equal times go to the last added."""
    ana, everything = Actor.user("ana"), Window(start=None, end=None)
    store.deleted.add_events([_event("z-first", [_rec("bib", "b1")], at=_at(5))])
    store.deleted.add_events([_event("older", [_rec("bib", "b2")], at=_at(4))])
    _same(store.deleted.latest_event(HOME, ana, everything), "z-first", "latest_event: newest")
    store.deleted.add_events([_event("a-tie", [_rec("bib", "b3")], at=_at(5, _PLUS_TWO))])
    _same(
        store.deleted.latest_event(HOME, ana, everything),
        "a-tie",
        "latest_event: of two events at one instant, the one added last",
    )
    store.deleted.add_events(
        [
            _event("y-batch", [_rec("bib", "b4")], at=_at(6)),
            _event("b-batch", [_rec("bib", "b5")], at=_at(6)),
        ]
    )
    _same(
        store.deleted.latest_event(HOME, ana, everything),
        "b-batch",
        "latest_event: of two events at one instant in one add_events call, the later one",
    )
    store.deleted.add_events([_event("bo", [_rec("bib", "b6")], actor=Actor.user("bo"), at=_at(9))])
    _same(
        store.deleted.latest_event(HOME, ana, everything), "b-batch", "latest_event: others' events"
    )
    _same(
        store.deleted.latest_event(HOME, Actor.user("cy"), everything),
        None,
        "latest_event of an actor with no event",
    )


@_check
def latest_event_skips_fully_removed_events(store: StoreLike) -> None:
    """DeletedStore.latest_event skips events whose records all left, and keeps to the window."""
    ana, everything = Actor.user("ana"), Window(start=None, end=None)
    store.deleted.add_events([_event("e1", [_rec("bib", "b1")], at=_at(1))])
    store.deleted.add_events(
        [_event("e2", [_rec("bib", "b2"), _rec("holding", "h2", "b2")], at=_at(2))]
    )
    store.deleted.add_events([_event("e3", [_rec("bib", "b3")], at=_at(3))])
    store.deleted.remove(HOME, ["b3"])
    _same(store.deleted.latest_event(HOME, ana, everything), "e2", "latest_event after e3 left")
    store.deleted.remove(HOME, ["b2"])
    _same(store.deleted.latest_event(HOME, ana, everything), "e2", "after half of e2 left")
    windows: list[tuple[Window, str | None]] = [
        (Window(start=None, end=_at(2) - _US), "e1"),
        (Window(start=None, end=_at(2)), "e2"),
        (Window(start=_at(2) + _US, end=None), None),
        (Window(start=_at(1), end=_at(1)), "e1"),
        (Window(start=_at(1) + _US, end=_at(2) - _US), None),
        (Window(start=_at(3), end=_at(1)), None),
    ]
    for window, expected in windows:
        _same(store.deleted.latest_event(HOME, ana, window), expected, f"latest_event({window})")
    store.deleted.remove(HOME, ["h2"])
    _same(store.deleted.latest_event(HOME, ana, everything), "e1", "after all of e2 left")
    store.deleted.remove(HOME, ["b1"])
    _same(store.deleted.latest_event(HOME, ana, everything), None, "after every record left")


@_check
def has_actor_outlives_the_records(store: StoreLike) -> None:
    """DeletedStore.has_actor is true once an actor's event is recorded, even after it empties."""
    job = Actor.job("J1")
    if store.deleted.has_actor(HOME, job):
        _fail("has_actor(job 'J1') is true in an empty store")
    store.deleted.add_events([_event("e1", [_rec("bib", "b1")], actor=job)])
    if not store.deleted.has_actor(HOME, job):
        _fail("has_actor(job 'J1') is false after its event was recorded")
    store.deleted.remove(HOME, ["b1"])
    if not store.deleted.has_actor(HOME, job):
        _fail("has_actor(job 'J1') turned false when its event's records were all removed")
    for other in (Actor.user("J1"), Actor.job("J2")):
        if store.deleted.has_actor(HOME, other):
            _fail(f"has_actor({other}) is true, but only job 'J1' deleted anything")
    if store.deleted.has_actor(AWAY, job):
        _fail(f"has_actor({AWAY!r}, job 'J1') is true, but J1 deleted only in {HOME!r}")


@_check
def jobs_are_recorded_once(store: StoreLike) -> None:
    """RestoreJobLog keeps each job as given; get of an unknown id is None; a repeat is refused."""
    criteria = ByRange(kind="item", start=_at(0, _PLUS_TWO), end=_at(60) + _US)
    job = _job("j1", _at(1) + 3 * _US, criteria=criteria)
    user_job = _job("j2", _at(2), criteria=ByUser(kind="bib", user_id="ana"))
    store.jobs.add(job)
    store.jobs.add(user_job)
    _same(store.jobs.get(HOME, "j1"), job, "jobs.get('j1')")
    _same(store.jobs.get(HOME, "j2"), user_job, "jobs.get('j2')")
    _same(store.jobs.get(HOME, "nope"), None, "jobs.get('nope')")
    with _refused(IntegrityError, "jobs.add of a second job 'j1'"):
        store.jobs.add(_job("j1", _at(9)))
    _same(store.jobs.get(HOME, "j1"), job, "jobs.get('j1') after the refusal")
    _same_jobs(store.jobs.list(HOME), [user_job, job], "jobs.list() after the refusal")


@_check
def jobs_list_newest_first_and_pages(store: StoreLike) -> None:
    """RestoreJobLog.list orders jobs newest first, then by id; `after` and `limit` page it."""
    jobs = [
        _job("c", _at(1)),
        _job("a", _at(3)),
        _job("d", _at(2, _PLUS_TWO)),
        _job("b", _at(2)),
        _job("e", _at(3, _MINUS_FIVE_THIRTY) - _US),
    ]
    for job in jobs:
        store.jobs.add(job)
    by = {j.id: j for j in jobs}
    order = [by[i] for i in ["a", "e", "b", "d", "c"]]
    _same_jobs(store.jobs.list(HOME), order, "jobs.list()")
    for i, job in enumerate(order):
        _same_jobs(store.jobs.list(HOME, after=job.id), order[i + 1 :], f"list(after={job.id!r})")
        _same_jobs(store.jobs.list(HOME, limit=i + 1), order[: i + 1], f"list(limit={i + 1})")
        _same_jobs(
            store.jobs.list(HOME, after=job.id, limit=2),
            order[i + 1 : i + 3],
            f"list(after={job.id!r}, limit=2)",
        )
    _same_jobs(store.jobs.list(AWAY), [], f"jobs.list({AWAY!r})")


@_check
def institutions_are_isolated(store: StoreLike) -> None:
    """Every port keeps institutions apart, even when they use the same ids (R-M3)."""
    home, away = _tree(), [attrs.evolve(r, data={**r.data, "title": "away"}) for r in _tree()]
    store.catalog.add(HOME, home)
    store.catalog.add(AWAY, away)
    _same(store.catalog.get(AWAY, ["b1"]).get("b1"), away[0], f"catalog.get({AWAY!r}, ['b1'])")
    store.catalog.remove(HOME, ["i1"])
    _same(
        sorted(store.catalog.get(AWAY, ["i1"])), ["i1"], f"'i1' in {AWAY!r} after removal at home"
    )
    _same(_by_id(store.catalog.children(AWAY, ["h1"])), away[2:4], f"catalog.children in {AWAY!r}")
    _same(
        dict(store.catalog.find_by_field(AWAY, "item", "barcode", ["B1"])),
        {"B1": "i1"},
        f"catalog.find_by_field in {AWAY!r}",
    )
    here = _event("e1", [home[2]], at=_at(1))
    there = _event("e1", [away[2], away[3]], at=_at(2), institution=AWAY, actor=Actor.job("J1"))
    store.deleted.add_events([here])
    store.deleted.add_events([there])
    _same(store.deleted.get(AWAY, ["i1"]).get("i1"), there.members[0], f"deleted.get in {AWAY!r}")
    _same(_ids(_find(store, "item")), ["i1"], f"find(item) in {HOME!r}")
    _same(_ids(_find(store, "item", institution=AWAY)), ["i1", "i2"], f"find(item) in {AWAY!r}")
    _same(
        _ids(_by_id(store.deleted.children(AWAY, ["h1"]))),
        ["i1", "i2"],
        f"deleted.children in {AWAY!r}",
    )
    everything = Window(start=None, end=None)
    _same(store.deleted.latest_event(AWAY, Actor.user("ana"), everything), None, "latest_event")
    if store.deleted.has_actor(HOME, Actor.job("J1")):
        _fail(f"has_actor({HOME!r}, job 'J1') is true, but J1 deleted only in {AWAY!r}")
    with _refused(RecordNotFoundError, f"deleted.remove({HOME!r}, ['i2'])"):
        store.deleted.remove(HOME, ["i2"])
    store.deleted.remove(AWAY, ["i1", "i2"])
    _same(sorted(store.deleted.get(HOME, ["i1"])), ["i1"], f"'i1' at home after removal {AWAY!r}")
    store.jobs.add(_job("j1", institution=HOME))
    store.jobs.add(_job("j1", _at(5), institution=AWAY))
    _same(store.jobs.get(AWAY, "j1"), _job("j1", _at(5), institution=AWAY), "jobs.get away")
    _same(_ids(store.jobs.list(HOME)), ["j1"], f"jobs.list({HOME!r})")
    _same(store.jobs.get("03ELSE", "j1"), None, "jobs.get of a third institution")


def _write_all_ports(store: StoreLike) -> None:
    """One write of each kind; the store holds `_tree()` active and event 'e0' before it."""
    store.catalog.add(HOME, [_rec("bib", "new")])
    store.catalog.remove(HOME, ["p1"])
    store.deleted.add_events(
        [_event("e1", [_rec("bib", "gone")], actor=Actor.job("J9"), at=_at(9))]
    )
    store.deleted.remove(HOME, ["x1"])
    store.jobs.add(_job("j1"))


def _prepare_for_writes(store: StoreLike) -> None:
    store.catalog.add(HOME, _tree())
    store.deleted.add_events([_event("e0", [_rec("bib", "x1")])])


def _expect_written(store: StoreLike, written: bool, what: str) -> None:
    ids = ["new", "p1", "gone", "x1"]
    active = sorted(store.catalog.get(HOME, ids))
    deleted = sorted(store.deleted.get(HOME, ids))
    if written:
        _same((active, deleted), (["new"], ["gone"]), f"{what}: active and deleted ids")
        _same(store.jobs.get(HOME, "j1"), _job("j1"), f"{what}: jobs.get('j1')")
    else:
        _same((active, deleted), (["p1"], ["x1"]), f"{what}: active and deleted ids")
        _same(store.jobs.get(HOME, "j1"), None, f"{what}: jobs.get('j1')")
        if store.deleted.has_actor(HOME, Actor.job("J9")):
            _fail(f"{what}: has_actor(job 'J9') is true, but its event was rolled back")
        _same(_ids(_find(store, "bib")), ["x1"], f"{what}: find(bib)")


@_check
def transaction_commits_every_port(store: StoreLike) -> None:
    """A transaction that ends normally keeps the writes of all three ports."""
    _prepare_for_writes(store)
    with store.transaction():
        _write_all_ports(store)
    _expect_written(store, True, "after a committed transaction")


@_check
def transaction_rolls_back_every_port(store: StoreLike) -> None:
    """A transaction whose block raises undoes the writes of all three ports, and re-raises."""
    _prepare_for_writes(store)
    abort = _Abort("stop")
    caught: BaseException | None = None
    try:
        with store.transaction():
            _write_all_ports(store)
            raise abort
    except _Abort as e:
        caught = e
    if caught is not abort:
        _fail(f"transaction() did not re-raise the exception of its block; got {caught!r}")
    _expect_written(store, False, "after a rolled-back transaction")
    _write_all_ports(store)
    _expect_written(store, True, "the same writes again, after the rollback")


@_check
def transaction_sees_its_own_writes(store: StoreLike) -> None:
    """Reads inside a transaction see the writes made earlier in it."""
    _prepare_for_writes(store)
    with store.transaction():
        _write_all_ports(store)
        _expect_written(store, True, "inside the transaction")


@_check
def nested_transaction_joins_the_outer(store: StoreLike) -> None:
    """A transaction opened inside another joins it: the outer one decides for both."""
    _prepare_for_writes(store)
    try:
        with store.transaction():
            with store.transaction():
                store.catalog.add(HOME, [_rec("bib", "new")])
                store.catalog.remove(HOME, ["p1"])
            store.deleted.add_events(
                [_event("e1", [_rec("bib", "gone")], actor=Actor.job("J9"), at=_at(9))]
            )
            store.deleted.remove(HOME, ["x1"])
            store.jobs.add(_job("j1"))
            raise _Abort
    except _Abort:
        pass
    _expect_written(store, False, "after an outer rollback of a completed inner transaction")
    try:
        with store.transaction():
            store.catalog.add(HOME, [_rec("bib", "new")])
            with store.transaction():
                store.catalog.remove(HOME, ["p1"])
                raise _Abort
    except _Abort:
        pass
    _same(sorted(store.catalog.get(HOME, ["new", "p1"])), ["p1"], "after an inner raise")
    with store.transaction():
        with store.transaction():
            store.catalog.add(HOME, [_rec("bib", "new")])
            store.catalog.remove(HOME, ["p1"])
            store.deleted.add_events(
                [_event("e1", [_rec("bib", "gone")], actor=Actor.job("J9"), at=_at(9))]
            )
        store.deleted.remove(HOME, ["x1"])
        store.jobs.add(_job("j1"))
    _expect_written(store, True, "after both committed")


@_check
def refused_write_leaves_the_transaction_usable(store: StoreLike) -> None:
    """A write refused inside a transaction changes nothing; the transaction goes on and commits."""
    _prepare_for_writes(store)
    with store.transaction():
        store.catalog.add(HOME, [_rec("bib", "new")])
        with _refused(IntegrityError, "catalog.add of the active 'b1' in a transaction"):
            store.catalog.add(HOME, [_rec("bib", "b1")])
        with _refused(RecordNotFoundError, "catalog.remove of 'nope' in a transaction"):
            store.catalog.remove(HOME, ["nope"])
        store.catalog.remove(HOME, ["p1"])
        with _refused(IntegrityError, "add_events of the recorded 'e0' in a transaction"):
            store.deleted.add_events([_event("e0", [_rec("bib", "other")])])
        store.deleted.add_events(
            [_event("e1", [_rec("bib", "gone")], actor=Actor.job("J9"), at=_at(9))]
        )
        with _refused(RecordNotFoundError, "deleted.remove of 'nope' in a transaction"):
            store.deleted.remove(HOME, ["nope"])
        store.deleted.remove(HOME, ["x1"])
        store.jobs.add(_job("j1"))
        with _refused(IntegrityError, "jobs.add of 'j1' again in a transaction"):
            store.jobs.add(_job("j1", _at(3)))
    _expect_written(store, True, "after a transaction with refused writes committed")


EXAMPLE_CHECKS: Mapping[str, Callable[[StoreLike], None]] = MappingProxyType(_CHECKS)
"""Every example check of the contract, by name; each takes an empty store.

Each check's docstring states the behaviour it checks. Run one on its own to parametrize a test
suite by check: ``EXAMPLE_CHECKS["find_pages_never_skip_or_repeat"](make_store())``.
"""


def run_example_checks(make_store: Callable[[], StoreLike]) -> None:
    """Run every check of `EXAMPLE_CHECKS`, each on a new store from `make_store`.

    Raises:
        AssertionError: a check failed; the message names the check and the broken promise.
    """
    for name, check in EXAMPLE_CHECKS.items():
        try:
            check(make_store())
        except AssertionError as e:
            raise AssertionError(f"store contract check {name!r} failed: {e}") from e


# The model the state machine compares the store with: plain dicts, obviously correct.


@attrs.define
class _ModelEvent:
    actor: Actor
    at: datetime
    seq: int
    members: tuple[str, ...]


@attrs.define
class _Shelf:
    """One institution's state, as the ports promise it."""

    catalog: dict[str, Record] = attrs.field(factory=dict)
    deleted: dict[str, DeletedRecord] = attrs.field(factory=dict)
    events: dict[str, _ModelEvent] = attrs.field(factory=dict)
    actors: set[Actor] = attrs.field(factory=set)
    jobs: dict[str, RestoreJob] = attrs.field(factory=dict)

    def copy(self) -> _Shelf:
        return _Shelf(
            dict(self.catalog),
            dict(self.deleted),
            dict(self.events),
            set(self.actors),
            dict(self.jobs),
        )

    def remaining(self, event_id: str) -> bool:
        return any(
            m in self.deleted and self.deleted[m].event_id == event_id
            for m in self.events[event_id].members
        )


def _inside(at: datetime, window: Window) -> bool:
    return (window.start is None or at >= window.start) and (window.end is None or at <= window.end)


def _search_order(entries: Collection[DeletedRecord]) -> list[DeletedRecord]:
    by_id = sorted(entries, key=lambda e: e.id)
    return sorted(by_id, key=lambda e: e.deleted_at, reverse=True)


def _matches(entry: DeletedRecord, query: Query) -> bool:
    data = entry.record.data
    return (
        entry.kind == query.kind
        and (query.ids is None or entry.id in query.ids)
        and (query.event_ids is None or entry.event_id in query.event_ids)
        and (query.actor is None or entry.actor == query.actor)
        and (query.actor_kind is None or entry.actor.kind is query.actor_kind)
        and (
            query.field is None
            or (query.field[0] in data and data[query.field[0]] == query.field[1])
        )
        and _inside(entry.deleted_at, query.window)
    )


class _Model:
    def __init__(self) -> None:
        self.shelves = {HOME: _Shelf(), AWAY: _Shelf()}
        self.seq = 0

    def find(self, query: Query) -> list[DeletedRecord]:
        shelf = self.shelves[query.institution]
        return _search_order([e for e in shelf.deleted.values() if _matches(e, query)])

    def latest_event(self, institution: str, actor: Actor, window: Window) -> str | None:
        shelf = self.shelves[institution]
        found = [
            (e.at, e.seq, event_id)
            for event_id, e in shelf.events.items()
            if e.actor == actor and _inside(e.at, window) and shelf.remaining(event_id)
        ]
        return max(found, key=lambda f: (f[0], f[1]))[2] if found else None

    def jobs(self, institution: str) -> list[RestoreJob]:
        by_id = sorted(self.shelves[institution].jobs.values(), key=lambda j: j.id)
        return sorted(by_id, key=lambda j: j.at, reverse=True)


# Strategies for the state machine. Small pools of ids, times and labels make collisions,
# ties and refusals common.

_INSTITUTIONS = st.sampled_from([HOME, HOME, AWAY])
_MOSTLY = st.sampled_from([True, True, True, False])


def _mostly(data: st.DataObject) -> bool:
    """True three times in four."""
    return data.draw(_MOSTLY)


_KINDS = sorted(ALMA.kinds)
_EVERY_KIND_HAS_A_BARCODE = dict.fromkeys(_KINDS, ("barcode",))
_BARCODES = [f"barcode-{n}" for n in range(4)]
_EVENT_IDS = st.integers(0, 19).map(lambda n: f"e{n}")
_JOB_IDS = st.integers(0, 5).map(lambda n: f"j{n}")
_ZONES = st.sampled_from([UTC, _PLUS_TWO, _MINUS_FIVE_THIRTY])
_TIMES = st.builds(
    lambda minutes, micros, tz: _at(minutes, tz) + micros * _US,
    st.integers(0, 4),
    st.sampled_from([0, 0, 1, 999_999]),
    _ZONES,
)
_JSON: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False, width=32)
    | st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text("abcxyz", max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)
_CRITERIA: st.SearchStrategy[Criteria] = st.one_of(
    st.builds(ById, kind=st.sampled_from(_KINDS), id=st.sampled_from(["b1", "a0"])),
    st.builds(
        lambda start, minutes: ByRange(
            kind="item", start=start, end=start + timedelta(minutes=minutes)
        ),
        _TIMES,
        st.integers(0, 90),
    ),
    st.builds(ByUser, kind=st.just("bib"), user_id=st.sampled_from(["ana", "bo"])),
)


@st.composite
def _batches_of_records(draw: st.DrawFn) -> list[Record]:
    prefix = draw(st.sampled_from("abcdefgh"))
    records = draw(
        catalogs(min_size=1, max_size=4, id_prefix=prefix, unique_fields=_EVERY_KIND_HAS_A_BARCODE)
    )
    if draw(st.booleans()):
        at = draw(st.integers(0, len(records) - 1))
        extra = draw(_JSON)
        records[at] = attrs.evolve(records[at], data={**records[at].data, "extra": extra})
    return records


def _bound(draw: st.DrawFn, seed: DeletedRecord | None) -> datetime | None:
    near = [] if seed is None else [seed.deleted_at, seed.deleted_at - _US, seed.deleted_at + _US]
    return draw(st.none() | st.sampled_from(near) | _TIMES if near else st.none() | _TIMES)


@st.composite
def _queries(
    draw: st.DrawFn, institution: str, entries: Sequence[DeletedRecord], ids: Sequence[str]
) -> Query:
    """Queries with up to two filters and a window; most aim at a deleted record, so they hit."""
    seed = None
    if entries:
        seed = draw(st.sampled_from(entries)) if draw(_MOSTLY) else None
    filters = draw(
        st.sets(st.sampled_from(["ids", "event_ids", "actor", "actor_kind", "field"]), max_size=2)
    )
    some_ids = draw(st.frozensets(st.sampled_from(ids), max_size=2))
    some_events = draw(st.frozensets(_EVENT_IDS, max_size=2))
    if seed is None:
        kind = draw(st.sampled_from(_KINDS))
        actor = draw(actors())
        barcode = draw(st.sampled_from([*_BARCODES, "zz"]))
    else:
        kind, actor = seed.kind, seed.actor
        some_ids, some_events = some_ids | {seed.id}, some_events | {seed.event_id}
        barcode = str(seed.record.data.get("barcode", "zz"))
    return Query(
        institution=institution,
        kind=kind,
        ids=some_ids if "ids" in filters else None,
        event_ids=some_events if "event_ids" in filters else None,
        actor=actor if "actor" in filters else None,
        actor_kind=actor.kind if "actor_kind" in filters else None,
        field=("barcode", barcode) if "field" in filters else None,
        window=Window(start=_bound(draw, seed), end=_bound(draw, seed)),
    )


class _StoreMachine(RuleBasedStateMachine):
    """Drives a store through the ports and compares every read with `_Model`."""

    make_store: ClassVar[Callable[[], StoreLike]]

    def __init__(self) -> None:
        super().__init__()
        self.store = type(self).make_store()
        self.model = _Model()
        self.known: set[str] = {"zz"}

    # Writes: each draws its arguments, predicts the outcome from the model, then compares.

    def _attempt(
        self, expected: type[Exception] | None, what: str, write: Callable[[], None]
    ) -> bool:
        try:
            write()
        except (IntegrityError, RecordNotFoundError) as e:
            if expected is None:
                raise AssertionError(
                    f"{what} raised {type(e).__name__} ({e}); the ports say it succeeds"
                ) from e
            if not isinstance(e, expected):
                raise AssertionError(
                    f"{what} raised {type(e).__name__} ({e}); expected {expected.__name__}"
                ) from e
            return False
        if expected is not None:
            _fail(f"{what} succeeded; expected {expected.__name__}")
        return True

    def _institution(
        self, data: st.DataObject, holding: Callable[[_Shelf], Collection[Any]]
    ) -> str:
        """An institution, mostly one where `holding` of its model shelf is not empty."""
        busy = [name for name, shelf in self.model.shelves.items() if holding(shelf)]
        if busy and _mostly(data):
            return data.draw(st.sampled_from(busy))
        return data.draw(_INSTITUTIONS)

    def _pick(self, data: st.DataObject, pool: Collection[str]) -> list[str]:
        """A few distinct ids, mostly from `pool`, now and then one outside it."""
        choices = sorted(pool)
        ids: list[str] = []
        if choices:
            ids = data.draw(st.lists(st.sampled_from(choices), min_size=1, max_size=3, unique=True))
        if not ids or not _mostly(data):
            outside = sorted(self.known - set(pool)) or ["zz"]
            ids.append(data.draw(st.sampled_from(outside)))
        return ids

    def _catalog_add(self, data: st.DataObject) -> None:
        institution = data.draw(_INSTITUTIONS)
        records = data.draw(_batches_of_records())
        ids = [r.id for r in records]
        self.known.update(ids)
        shelf = self.model.shelves[institution]
        clash = any(i in shelf.catalog for i in ids)
        if self._attempt(
            IntegrityError if clash else None,
            f"catalog.add({institution!r}, {records!r})",
            lambda: self.store.catalog.add(institution, records),
        ):
            shelf.catalog.update({r.id: r for r in records})

    def _catalog_remove(self, data: st.DataObject) -> None:
        institution = self._institution(data, lambda shelf: shelf.catalog)
        shelf = self.model.shelves[institution]
        ids = self._pick(data, shelf.catalog)
        missing = any(i not in shelf.catalog for i in ids)
        if self._attempt(
            RecordNotFoundError if missing else None,
            f"catalog.remove({institution!r}, {ids!r})",
            lambda: self.store.catalog.remove(institution, ids),
        ):
            for i in ids:
                del shelf.catalog[i]

    def _add_events(self, data: st.DataObject) -> None:
        events = []
        for _ in range(data.draw(st.sampled_from([1, 1, 1, 2]))):
            records = data.draw(_batches_of_records())
            self.known.update(r.id for r in records)
            events.append(
                _event(
                    data.draw(_EVENT_IDS),
                    records,
                    actor=data.draw(actors()),
                    at=data.draw(_TIMES),
                    institution=data.draw(_INSTITUTIONS),
                )
            )
        seen_events: set[tuple[str, str]] = set()
        seen_members: set[tuple[str, str]] = set()
        clash = False
        for event in events:
            shelf = self.model.shelves[event.institution]
            key = (event.institution, event.id)
            clash = clash or event.id in shelf.events or key in seen_events
            seen_events.add(key)
            for m in event.members:
                clash = clash or m.id in shelf.deleted or (event.institution, m.id) in seen_members
                seen_members.add((event.institution, m.id))
        summary = [(e.institution, e.id, [m.id for m in e.members]) for e in events]
        if self._attempt(
            IntegrityError if clash else None,
            f"deleted.add_events(institution, event id, member ids: {summary})",
            lambda: self.store.deleted.add_events(events),
        ):
            for event in events:
                shelf = self.model.shelves[event.institution]
                self.model.seq += 1
                shelf.events[event.id] = _ModelEvent(
                    event.actor, event.at, self.model.seq, tuple(m.id for m in event.members)
                )
                shelf.deleted.update({m.id: m for m in event.members})
                shelf.actors.add(event.actor)

    def _deleted_remove(self, data: st.DataObject) -> None:
        institution = self._institution(data, lambda shelf: shelf.deleted)
        shelf = self.model.shelves[institution]
        ids = self._pick(data, shelf.deleted)
        missing = any(i not in shelf.deleted for i in ids)
        if self._attempt(
            RecordNotFoundError if missing else None,
            f"deleted.remove({institution!r}, {ids!r})",
            lambda: self.store.deleted.remove(institution, ids),
        ):
            for i in ids:
                del shelf.deleted[i]

    def _job_add(self, data: st.DataObject) -> None:
        institution = data.draw(_INSTITUTIONS)
        job = attrs.evolve(
            _job(data.draw(_JOB_IDS), data.draw(_TIMES), institution=institution),
            criteria=data.draw(_CRITERIA),
            requested_by=data.draw(st.sampled_from(["ana", "bo"])),
        )
        shelf = self.model.shelves[institution]
        if self._attempt(
            IntegrityError if job.id in shelf.jobs else None,
            f"jobs.add({job!r})",
            lambda: self.store.jobs.add(job),
        ):
            shelf.jobs[job.id] = job

    def _write(self, data: st.DataObject) -> None:
        writes = [
            self._catalog_add,
            self._catalog_remove,
            self._add_events,
            self._deleted_remove,
            self._job_add,
        ]
        data.draw(st.sampled_from(writes))(data)

    @rule(data=st.data())
    def catalog_add(self, data: st.DataObject) -> None:
        """Add a few records to the catalog; refused when one is already active."""
        self._catalog_add(data)

    @precondition(lambda self: any(shelf.catalog for shelf in self.model.shelves.values()))
    @rule(data=st.data())
    def catalog_remove(self, data: st.DataObject) -> None:
        """Remove a few ids from the catalog; refused when one is not active."""
        self._catalog_remove(data)

    @rule(data=st.data())
    def add_events(self, data: st.DataObject) -> None:
        """Record one or two events; refused on a recorded event id or deleted member."""
        self._add_events(data)

    @precondition(lambda self: any(shelf.deleted for shelf in self.model.shelves.values()))
    @rule(data=st.data())
    def deleted_remove(self, data: st.DataObject) -> None:
        """Remove a few deleted records; refused when one is not deleted."""
        self._deleted_remove(data)

    @rule(data=st.data())
    def job_add(self, data: st.DataObject) -> None:
        """Record a restore job; refused when its id is recorded."""
        self._job_add(data)

    @rule(
        data=st.data(),
        writes=st.integers(1, 3),
        nested=st.booleans(),
        abort=st.sampled_from([None, "outer", "inner"]),
    )
    def transaction(
        self, data: st.DataObject, writes: int, nested: bool, abort: str | None
    ) -> None:
        """Run a few writes in a transaction, maybe partly nested, maybe raising midway."""
        before = {name: shelf.copy() for name, shelf in self.model.shelves.items()}
        try:
            with self.store.transaction():
                for n in range(writes):
                    if nested and n == writes - 1:
                        with self.store.transaction():
                            self._write(data)
                            self.check_every_record()
                            if abort == "inner":
                                raise _Abort
                    else:
                        self._write(data)
                        self.check_every_record()
                if abort is not None:
                    raise _Abort
        except _Abort:
            self.model.shelves = before

    # Reads: each compares the store with the model.

    @invariant()
    def check_every_record(self) -> None:
        """Every id ever used is active or deleted exactly as the model says, everywhere."""
        ids = sorted(self.known)
        for institution, shelf in self.model.shelves.items():
            active = dict(self.store.catalog.get(institution, ids))
            expected_active = {i: shelf.catalog[i] for i in ids if i in shelf.catalog}
            _same(active, expected_active, f"catalog.get({institution!r}, {ids})")
            deleted = dict(self.store.deleted.get(institution, ids))
            expected_deleted = {i: shelf.deleted[i] for i in ids if i in shelf.deleted}
            _same(deleted, expected_deleted, f"deleted.get({institution!r}, {ids})")

    @rule(data=st.data())
    def children(self, data: st.DataObject) -> None:
        """Children of a few ids, in the catalog and in the deleted repository."""
        institution = data.draw(_INSTITUTIONS)
        shelf = self.model.shelves[institution]
        parents = self._pick(data, self.known)
        _same(
            _by_id(self.store.catalog.children(institution, parents)),
            _by_id([r for r in shelf.catalog.values() if r.parent_id in parents]),
            f"catalog.children({institution!r}, {parents})",
        )
        _same(
            _by_id(self.store.deleted.children(institution, parents)),
            _by_id([e for e in shelf.deleted.values() if e.record.parent_id in parents]),
            f"deleted.children({institution!r}, {parents})",
        )

    @rule(
        institution=_INSTITUTIONS,
        kind=st.sampled_from(_KINDS),
        values=st.lists(st.sampled_from([*_BARCODES, "zz"]), max_size=3, unique=True),
    )
    def find_by_field(self, institution: str, kind: str, values: list[str]) -> None:
        """The catalog's holders of a few barcodes."""
        got = dict(self.store.catalog.find_by_field(institution, kind, "barcode", values))
        holders: dict[str, set[str]] = {}
        for r in self.model.shelves[institution].catalog.values():
            value = r.data.get("barcode")
            if r.kind == kind and value in values:
                holders.setdefault(value, set()).add(r.id)
        what = f"catalog.find_by_field({institution!r}, {kind!r}, 'barcode', {values})"
        _same(sorted(got), sorted(holders), f"{what} (values found)")
        for value, ident in got.items():
            if ident not in holders[value]:
                _fail(f"{what} gave {ident!r} for {value!r}; holders: {sorted(holders[value])}")

    @precondition(lambda self: any(shelf.deleted for shelf in self.model.shelves.values()))
    @rule(data=st.data())
    def find(self, data: st.DataObject) -> None:
        """A search with random filters: all of it, then page by page, then after any cursor."""
        institution = self._institution(data, lambda shelf: shelf.deleted)
        entries = sorted(self.model.shelves[institution].deleted.values(), key=lambda e: e.id)
        query = data.draw(_queries(institution, entries, sorted(self.known)))
        expected = self.model.find(query)
        _same_entries(self.store.deleted.find(query), expected, f"deleted.find({query!r})")
        limit = data.draw(st.integers(1, 3))
        seen: list[DeletedRecord] = []
        after: Cursor | None = None
        for _ in range(len(expected) + 1):
            page = list(self.store.deleted.find(query, after=after, limit=limit))
            if len(page) > limit:
                _fail(f"deleted.find({query!r}, limit={limit}) returned {len(page)} records")
            seen.extend(page)
            if len(page) < limit:
                break
            after = (page[-1].deleted_at, page[-1].id)
        _same(_ids(seen), _ids(expected), f"paging deleted.find({query!r}) {limit} at a time")
        hit = data.draw(st.sampled_from(expected)) if expected else None
        if hit is not None and data.draw(_MOSTLY):
            at = hit.deleted_at + data.draw(st.sampled_from([0, 0, -1, 1])) * _US
            cursor = (at, data.draw(st.sampled_from([hit.id, "", f"{hit.id}~", "zz"])))
        else:
            cursor = (data.draw(_TIMES), data.draw(st.sampled_from(["", "a0", "b1", "zz"])))
        _same_entries(
            self.store.deleted.find(query, after=cursor),
            [e for e in expected if comes_after(e, cursor)],
            f"deleted.find({query!r}, after={cursor!r})",
        )

    @precondition(lambda self: any(shelf.events for shelf in self.model.shelves.values()))
    @rule(data=st.data())
    def latest_event(self, data: st.DataObject) -> None:
        """The actor's latest event with records left, and whether the actor ever deleted."""
        institution = self._institution(data, lambda shelf: shelf.events)
        shelf = self.model.shelves[institution]
        events = sorted(shelf.events.items())
        seed = None
        if events:
            seed = data.draw(st.sampled_from(events))[1] if data.draw(_MOSTLY) else None
        actor = seed.actor if seed is not None else data.draw(actors())
        near = [] if seed is None else [seed.at - _US, seed.at, seed.at + _US]
        bounds = st.none() | st.sampled_from(near) | _TIMES if near else st.none() | _TIMES
        window = Window(start=data.draw(bounds), end=data.draw(bounds))
        _same(
            self.store.deleted.latest_event(institution, actor, window),
            self.model.latest_event(institution, actor, window),
            f"deleted.latest_event({institution!r}, {actor}, {window})",
        )
        _same(
            self.store.deleted.has_actor(institution, actor),
            actor in shelf.actors,
            f"deleted.has_actor({institution!r}, {actor})",
        )

    @rule(data=st.data())
    def jobs(self, data: st.DataObject) -> None:
        """Read back a job, and list the jobs after one of them."""
        institution = data.draw(_INSTITUTIONS)
        job_id = data.draw(_JOB_IDS)
        _same(
            self.store.jobs.get(institution, job_id),
            self.model.shelves[institution].jobs.get(job_id),
            f"jobs.get({institution!r}, {job_id!r})",
        )
        order = self.model.jobs(institution)
        start, after = 0, None
        if order:
            seen = data.draw(st.integers(0, len(order)))
            if seen:
                start, after = seen, order[seen - 1].id
        limit = data.draw(st.none() | st.integers(1, 3))
        end = None if limit is None else start + limit
        _same_jobs(
            self.store.jobs.list(institution, after=after, limit=limit),
            order[start:end],
            f"jobs.list({institution!r}, after={after!r}, limit={limit})",
        )


def run_state_machine(
    make_store: Callable[[], StoreLike],
    *,
    max_examples: int = 50,
    step_count: int = 25,
    settings: hypothesis.settings | None = None,
) -> None:
    """Drive stores from `make_store` with random port calls and compare every read with a model.

    The writes are catalog adds and removes, events added one or two at a time, deleted records
    removed, and restore jobs added, many of them refused (a duplicate id, an id in the wrong
    state), in two institutions, some inside transactions that are nested or raise midway.
    After each write every id's state is read back; the other steps read through every read
    method (search with random filters, paging and cursors, the last event, children, fields,
    jobs) and compare with the model.

    Args:
        make_store: returns a new, empty store; called once per example.
        max_examples: how many random sequences of steps to run.
        step_count: the most steps in one sequence.
        settings: hypothesis settings to start from (default: the current profile);
            `max_examples` and `step_count` override theirs, and there is no deadline.

    Raises:
        AssertionError: the store broke a promise; hypothesis prints the shrunk steps.
    """
    factory = make_store

    class StoreContract(_StoreMachine):
        make_store = staticmethod(factory)

    run_state_machine_as_test(
        StoreContract,
        settings=hypothesis.settings(
            settings,
            max_examples=max_examples,
            stateful_step_count=step_count,
            deadline=None,
            suppress_health_check=[
                *(() if settings is None else settings.suppress_health_check),
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
                HealthCheck.data_too_large,
            ],
        ),
    )


def run_store_contract(
    make_store: Callable[[], StoreLike],
    *,
    max_examples: int = 50,
    step_count: int = 25,
    settings: hypothesis.settings | None = None,
) -> None:
    """Run the whole store contract against stores from `make_store`.

    First every example check (`run_example_checks`), then the state machine
    (`run_state_machine`).

    Args:
        make_store: returns a new, empty store (see `StoreLike`); it is called many times.
        max_examples: how many random sequences the state machine runs.
        step_count: the most steps in one sequence.
        settings: hypothesis settings for the state machine to start from (default: the
            current profile).

    Raises:
        AssertionError: the store broke a promise of `deleted_repo.ports`.

    Example:
        >>> from deleted_repo.stores.memory import MemoryStore
        >>> run_store_contract(MemoryStore, max_examples=2, step_count=5)
    """
    run_example_checks(make_store)
    run_state_machine(
        make_store, max_examples=max_examples, step_count=step_count, settings=settings
    )
