"""Example checks of `deleted_repo.ports.DeletedStore`: events, search order, paging, last event.

Each check takes an empty store; its docstring is the behaviour it checks.
"""

from __future__ import annotations

from typing import Any

from deleted_repo.errors import IntegrityError, RecordNotFoundError
from deleted_repo.model import Actor, ActorKind, DeletionEvent, Record
from deleted_repo.ports import Store
from deleted_repo.search import Cursor, Query, Window

from .builders import (
    AWAY,
    HOME,
    MINUS_FIVE_THIRTY,
    PLUS_TWO,
    RICH_DATA,
    US,
    event,
    instant,
    rec,
    tree,
)
from .expect import by_id, fail, found, ids_of, paged, refused, same

__all__ = [
    "deleted_add_events_refuses_a_recorded_event_id",
    "deleted_add_events_refuses_an_already_deleted_member",
    "deleted_children_follow_the_snapshot_parent",
    "deleted_get_returns_members_as_recorded",
    "deleted_remove_refuses_a_missing_id",
    "find_applies_every_filter",
    "find_orders_newest_first_then_by_id",
    "find_pages_never_skip_or_repeat",
    "find_window_bounds_are_inclusive",
    "has_actor_outlives_the_records",
    "latest_event_is_newest_then_last_added",
    "latest_event_skips_fully_removed_events",
]


def deleted_get_returns_members_as_recorded(store: Store) -> None:
    """DeletedStore.get returns each member exactly as recorded; missing ids are left out."""
    rich = Record("bib", "rich", None, RICH_DATA)
    recorded = event("e1", [*tree(), rich], at=instant(0.5, PLUS_TWO) + 7 * US)
    store.deleted.add_events([recorded])
    members = {m.id: m for m in recorded.members}
    got = dict(store.deleted.get(HOME, [*members, "nope"]))
    same(sorted(got), sorted(members), "deleted.get of every member and 'nope' (ids)")
    for ident, member in members.items():
        same(got[ident], member, f"deleted.get([{ident!r}])")
        if got[ident].deleted_at.utcoffset() is None:
            fail(f"deleted.get([{ident!r}]) came back with a naive deleted_at")
    same(dict(store.deleted.get(HOME, [])), {}, "deleted.get([])")


def deleted_add_events_refuses_a_recorded_event_id(store: Store) -> None:
    """DeletedStore.add_events refuses an event id already recorded, or given twice; adds none."""
    store.deleted.add_events([event("e1", [rec("bib", "b1")])])
    fresh = event("e2", [rec("bib", "b2")], actor=Actor.user("bo"))
    again = event("e1", [rec("bib", "b3")], actor=Actor.user("bo"))
    with refused(IntegrityError, "add_events of a new event and the recorded 'e1'"):
        store.deleted.add_events([fresh, again])
    same(dict(store.deleted.get(HOME, ["b2", "b3"])), {}, "the refused events' members")
    if store.deleted.has_actor(HOME, Actor.user("bo")):
        fail("has_actor(user 'bo') is true, but only a refused add_events named that user")
    twice = [event("e3", [rec("bib", "b4")]), event("e3", [rec("bib", "b5")])]
    with refused(IntegrityError, "add_events of two events both with id 'e3'"):
        store.deleted.add_events(twice)
    same(dict(store.deleted.get(HOME, ["b4", "b5"])), {}, "the refused events' members")
    store.deleted.add_events([fresh])
    same(sorted(store.deleted.get(HOME, ["b2"])), ["b2"], "'e2' added after the refusal")


def deleted_add_events_refuses_an_already_deleted_member(store: Store) -> None:
    """DeletedStore.add_events refuses a member already deleted, or in two events; adds none."""
    store.deleted.add_events([event("e1", [rec("bib", "b1")])])
    clash = event("e2", [rec("bib", "x1"), rec("bib", "b1")])
    with refused(IntegrityError, "add_events of an event with the deleted 'b1'"):
        store.deleted.add_events([clash])
    same(dict(store.deleted.get(HOME, ["x1"])), {}, "the refused event's member 'x1'")
    same(store.deleted.get(HOME, ["b1"])["b1"].event_id, "e1", "'b1' still of event 'e1'")
    shared = [event("e3", [rec("bib", "x2")]), event("e4", [rec("bib", "x2")])]
    with refused(IntegrityError, "add_events of two events that both delete 'x2'"):
        store.deleted.add_events(shared)
    same(dict(store.deleted.get(HOME, ["x2"])), {}, "'x2' after the refusal")
    same(
        found(store, "bib", event_ids=frozenset(["e2", "e3", "e4"])),
        [],
        "find(event_ids=[e2, e3, e4]) after the refusals",
    )


def deleted_remove_refuses_a_missing_id(store: Store) -> None:
    """DeletedStore.remove refuses an id that is not deleted, and then removes nothing."""
    recorded = event("e1", tree())
    store.deleted.add_events([recorded])
    with refused(RecordNotFoundError, "deleted.remove(['i1', 'nope'])"):
        store.deleted.remove(HOME, ["i1", "nope"])
    same(sorted(store.deleted.get(HOME, ["i1"])), ["i1"], "'i1' after the refused remove")
    store.deleted.remove(HOME, ["i1"])
    same(dict(store.deleted.get(HOME, ["i1"])), {}, "'i1' after its remove")
    same(ids_of(found(store, "item")), ["i2"], "find(item) after 'i1' left (R-S9)")
    same(ids_of(by_id(store.deleted.children(HOME, ["h1"]))), ["i2"], "deleted.children(h1)")
    with refused(RecordNotFoundError, "deleted.remove(['i1']) a second time"):
        store.deleted.remove(HOME, ["i1"])
    store.deleted.add_events([event("e2", [recorded.members[2].record])])
    same(
        store.deleted.get(HOME, ["i1"])["i1"].event_id,
        "e2",
        "'i1' deleted again, in a new event, after its removal",
    )


def deleted_children_follow_the_snapshot_parent(store: Store) -> None:
    """DeletedStore.children returns every deleted record whose snapshot's parent is given."""
    recorded = event("e1", tree())
    store.deleted.add_events([recorded])
    loose = event("e2", [rec("item", "i3", "h1")])
    store.deleted.add_events([loose])
    m = {x.id: x for x in [*recorded.members, *loose.members]}
    same(by_id(store.deleted.children(HOME, ["h1"])), [m["i1"], m["i2"], m["i3"]], "children(h1)")
    same(by_id(store.deleted.children(HOME, ["b1", "b2"])), [m["h1"], m["p1"]], "children(b1, b2)")
    same(list(store.deleted.children(HOME, ["i1", "nope"])), [], "children(['i1', 'nope'])")
    same(list(store.deleted.children(HOME, [])), [], "children([])")


def _timeline(store: Store) -> list[DeletionEvent]:
    """Items deleted at three times, with equal times, written in different time zones."""
    events = [
        event("e-mid", [rec("item", "m2", "h"), rec("item", "m1", "h")], at=instant(10)),
        event("e-old", [rec("item", "o1", "h")], at=instant(10, PLUS_TWO) - US),
        event("e-new", [rec("item", "n1", "h"), rec("bib", "nb")], at=instant(20, PLUS_TWO)),
        event("e-mid2", [rec("item", "m0", "h")], at=instant(10, MINUS_FIVE_THIRTY)),
        event("e-new2", [rec("item", "n0", "h")], at=instant(20) + US),
    ]
    for e in events:
        store.deleted.add_events([e])
    return events


def find_orders_newest_first_then_by_id(store: Store) -> None:
    """DeletedStore.find orders by deletion instant, newest first, then by id (R-S8)."""
    _timeline(store)
    same(
        ids_of(found(store, "item")),
        ["n0", "n1", "m0", "m1", "m2", "o1"],
        "find(item): newest first, ids ascending at one instant, whatever the time zone",
    )
    same(ids_of(found(store, "bib")), ["nb"], "find(bib): only the kind asked for")
    same(found(store, "holding"), [], "find(holding): a kind with no deleted records")


def find_pages_never_skip_or_repeat(store: Store) -> None:
    """DeletedStore.find with `after` and `limit` pages through the hits exactly once (R-S8)."""
    _timeline(store)
    every = found(store, "item")
    items = Query(institution=HOME, kind="item")
    for limit in range(1, len(every) + 2):
        seen = paged(store, items, limit, most=len(every))
        same(ids_of(seen), ids_of(every), f"paging find(item) {limit} at a time")
    cursors: list[tuple[Cursor, list[str]]] = [
        ((instant(10), "m0"), ["m1", "m2", "o1"]),
        ((instant(10, PLUS_TWO), "m1a"), ["m2", "o1"]),
        ((instant(10), ""), ["m0", "m1", "m2", "o1"]),
        ((instant(10), "zzz"), ["o1"]),
        ((instant(15), "a"), ["m0", "m1", "m2", "o1"]),
        ((instant(99), "a"), ["n0", "n1", "m0", "m1", "m2", "o1"]),
        ((instant(-99), "a"), []),
        ((instant(20) + US, "n0"), ["n1", "m0", "m1", "m2", "o1"]),
    ]
    for cursor, expected in cursors:
        same(ids_of(found(store, "item", after=cursor)), expected, f"find(item, after={cursor!r})")
    same(ids_of(found(store, "item", limit=2)), ["n0", "n1"], "find(item, limit=2)")


def find_applies_every_filter(store: Store) -> None:
    """DeletedStore.find keeps only records matching every filter: ids, events, actors, field."""
    sys1, sys2 = Actor.system("System"), Actor.system("Electronic Inventory Creator")
    events = [
        event("e1", [rec("item", "i1", "h", barcode="B1"), rec("item", "i2", "h")], at=instant(1)),
        event("e2", [rec("item", "i3", "h", barcode="B1")], actor=Actor.job("J1"), at=instant(2)),
        event("e3", [rec("item", "i4", "h", barcode=5)], actor=sys1, at=instant(3)),
        event("e4", [rec("item", "i5", "h", barcode="5")], actor=sys2, at=instant(4)),
        event("e5", [rec("holding", "h9", "b", barcode="B1")], at=instant(5)),
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
        same(ids_of(found(store, "item", **filters)), expected, f"find(item, {filters})")
    same(ids_of(found(store, "holding", field=("barcode", "B1"))), ["h9"], "find(holding, B1)")


def find_window_bounds_are_inclusive(store: Store) -> None:
    """DeletedStore.find keeps records deleted inside the window, both bounds included."""
    at = instant(30) + 500 * US
    store.deleted.add_events(
        [
            event("e1", [rec("item", "i1", "h", barcode="B")], at=at),
            event("e2", [rec("item", "i2", "h")], at=instant(60)),
        ]
    )
    cases: list[tuple[Window, list[str]]] = [
        (Window(start=at, end=at), ["i1"]),
        (Window(start=at.astimezone(PLUS_TWO), end=at.astimezone(MINUS_FIVE_THIRTY)), ["i1"]),
        (Window(start=at + US, end=None), ["i2"]),
        (Window(start=None, end=at - US), []),
        (Window(start=None, end=at), ["i1"]),
        (Window(start=at, end=None), ["i2", "i1"]),
        (Window(start=None, end=None), ["i2", "i1"]),
        (Window(start=at + US, end=at), []),
        (Window(start=instant(31), end=instant(59)), []),
    ]
    for window, expected in cases:
        same(ids_of(found(store, "item", window=window)), expected, f"find(item, window={window})")
        actor = Actor.user("ana")
        same(
            ids_of(found(store, "item", window=window, actor=actor)),
            expected,
            f"find(item, actor={actor}, window={window})",
        )
    inside = Window(start=at, end=at)
    for filters in ({"ids": frozenset(["i1", "i2"])}, {"field": ("barcode", "B")}):
        same(
            ids_of(found(store, "item", window=Window(start=at + US, end=instant(59)), **filters)),
            [],
            f"find(item, {filters}, window between 'i1' and 'i2')",
        )
        same(
            ids_of(found(store, "item", window=inside, **filters)),
            ["i1"],
            f"find(item, {filters}, window={inside})",
        )


def latest_event_is_newest_then_last_added(store: Store) -> None:
    """DeletedStore.latest_event is the actor's newest event; equal times go to the last added."""
    ana, everything = Actor.user("ana"), Window(start=None, end=None)
    store.deleted.add_events([event("z-first", [rec("bib", "b1")], at=instant(5))])
    store.deleted.add_events([event("older", [rec("bib", "b2")], at=instant(4))])
    same(store.deleted.latest_event(HOME, ana, everything), "z-first", "latest_event: newest")
    store.deleted.add_events([event("a-tie", [rec("bib", "b3")], at=instant(5, PLUS_TWO))])
    same(
        store.deleted.latest_event(HOME, ana, everything),
        "a-tie",
        "latest_event: of two events at one instant, the one added last",
    )
    store.deleted.add_events(
        [
            event("y-batch", [rec("bib", "b4")], at=instant(6)),
            event("b-batch", [rec("bib", "b5")], at=instant(6)),
        ]
    )
    same(
        store.deleted.latest_event(HOME, ana, everything),
        "b-batch",
        "latest_event: of two events at one instant in one add_events call, the later one",
    )
    store.deleted.add_events(
        [event("bo", [rec("bib", "b6")], actor=Actor.user("bo"), at=instant(9))]
    )
    same(
        store.deleted.latest_event(HOME, ana, everything), "b-batch", "latest_event: others' events"
    )
    same(
        store.deleted.latest_event(HOME, Actor.user("cy"), everything),
        None,
        "latest_event of an actor with no event",
    )


def latest_event_skips_fully_removed_events(store: Store) -> None:
    """DeletedStore.latest_event skips events whose records all left, and keeps to the window."""
    ana, everything = Actor.user("ana"), Window(start=None, end=None)
    store.deleted.add_events([event("e1", [rec("bib", "b1")], at=instant(1))])
    store.deleted.add_events(
        [event("e2", [rec("bib", "b2"), rec("holding", "h2", "b2")], at=instant(2))]
    )
    store.deleted.add_events([event("e3", [rec("bib", "b3")], at=instant(3))])
    store.deleted.remove(HOME, ["b3"])
    same(store.deleted.latest_event(HOME, ana, everything), "e2", "latest_event after e3 left")
    store.deleted.remove(HOME, ["b2"])
    same(store.deleted.latest_event(HOME, ana, everything), "e2", "after half of e2 left")
    windows: list[tuple[Window, str | None]] = [
        (Window(start=None, end=instant(2) - US), "e1"),
        (Window(start=None, end=instant(2)), "e2"),
        (Window(start=instant(2) + US, end=None), None),
        (Window(start=instant(1), end=instant(1)), "e1"),
        (Window(start=instant(1) + US, end=instant(2) - US), None),
        (Window(start=instant(3), end=instant(1)), None),
    ]
    for window, expected in windows:
        same(store.deleted.latest_event(HOME, ana, window), expected, f"latest_event({window})")
    store.deleted.remove(HOME, ["h2"])
    same(store.deleted.latest_event(HOME, ana, everything), "e1", "after all of e2 left")
    store.deleted.remove(HOME, ["b1"])
    same(store.deleted.latest_event(HOME, ana, everything), None, "after every record left")


def has_actor_outlives_the_records(store: Store) -> None:
    """DeletedStore.has_actor is true once an actor's event is recorded, even after it empties."""
    job = Actor.job("J1")
    if store.deleted.has_actor(HOME, job):
        fail("has_actor(job 'J1') is true in an empty store")
    store.deleted.add_events([event("e1", [rec("bib", "b1")], actor=job)])
    if not store.deleted.has_actor(HOME, job):
        fail("has_actor(job 'J1') is false after its event was recorded")
    store.deleted.remove(HOME, ["b1"])
    if not store.deleted.has_actor(HOME, job):
        fail("has_actor(job 'J1') turned false when its event's records were all removed")
    for other in (Actor.user("J1"), Actor.job("J2")):
        if store.deleted.has_actor(HOME, other):
            fail(f"has_actor({other}) is true, but only job 'J1' deleted anything")
    if store.deleted.has_actor(AWAY, job):
        fail(f"has_actor({AWAY!r}, job 'J1') is true, but J1 deleted only in {HOME!r}")
