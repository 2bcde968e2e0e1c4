"""Example checks of `deleted_repo.ports.DeletedStore`: events, search order, paging, last event.

Each check takes an empty store and the world it writes in (`ContractWorld`); its docstring is
the behaviour it checks.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from deleted_repo.errors import IntegrityError, RecordNotFoundError
from deleted_repo.model import Actor, ActorKind, DeletionEvent, Record
from deleted_repo.ports import Store
from deleted_repo.search import Cursor, Query, Window

from .builders import MINUS_FIVE_THIRTY, PLUS_TWO, RICH_DATA, US, event, instant, tree
from .expect import by_id, fail, found, ids_of, paged, refused, same
from .world import DEFAULT_WORLD, ContractWorld

__all__ = [
    "deleted_add_events_refuses_a_recorded_event_id",
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


def deleted_get_returns_members_as_recorded(
    store: Store, world: ContractWorld = DEFAULT_WORLD
) -> None:
    """DeletedStore.get returns each member exactly as recorded; missing ids are left out."""
    home = world.home
    extra = [Record(world.top, "rich", None, RICH_DATA)] if world.free_form else []
    recorded = event("e1", [*tree(world), *extra], at=instant(0.5, PLUS_TWO) + 7 * US, world=world)
    store.deleted.add_events([recorded])
    members = {m.id: m for m in recorded.members}
    got = dict(store.deleted.get(home, [*members, "nope"]))
    same(sorted(got), sorted(members), "deleted.get of every member and 'nope' (ids)")
    for ident, member in members.items():
        same(got[ident], member, f"deleted.get([{ident!r}])")
        if got[ident].deleted_at.utcoffset() is None:
            fail(f"deleted.get([{ident!r}]) came back with a naive deleted_at")
    same(dict(store.deleted.get(home, [])), {}, "deleted.get([])")


def deleted_add_events_refuses_a_recorded_event_id(
    store: Store, world: ContractWorld = DEFAULT_WORLD
) -> None:
    """DeletedStore.add_events refuses an event id already recorded, or given twice; adds none."""
    home, top, r, ev = world.home, world.top, world.record, partial(event, world=world)
    store.deleted.add_events([ev("e1", [r(top, "b1")])])
    fresh = ev("e2", [r(top, "b2")], actor=Actor.user("bo"))
    again = ev("e1", [r(top, "b3")], actor=Actor.user("bo"))
    with refused(IntegrityError, "add_events of a new event and the recorded 'e1'"):
        store.deleted.add_events([fresh, again])
    same(dict(store.deleted.get(home, ["b2", "b3"])), {}, "the refused events' members")
    if store.deleted.has_actor(home, Actor.user("bo")):
        fail("has_actor(user 'bo') is true, but only a refused add_events named that user")
    twice = [ev("e3", [r(top, "b4")]), ev("e3", [r(top, "b5")])]
    with refused(IntegrityError, "add_events of two events both with id 'e3'"):
        store.deleted.add_events(twice)
    same(dict(store.deleted.get(home, ["b4", "b5"])), {}, "the refused events' members")
    store.deleted.add_events([fresh])
    same(sorted(store.deleted.get(home, ["b2"])), ["b2"], "'e2' added after the refusal")


def deleted_remove_refuses_a_missing_id(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """DeletedStore.remove refuses an id that is not deleted, and then removes nothing."""
    home, leaf = world.home, world.kinds().leaf
    recorded = event("e1", tree(world), world=world)
    store.deleted.add_events([recorded])
    with refused(RecordNotFoundError, "deleted.remove(['i1', 'nope'])"):
        store.deleted.remove(home, ["i1", "nope"])
    same(sorted(store.deleted.get(home, ["i1"])), ["i1"], "'i1' after the refused remove")
    store.deleted.remove(home, ["i1"])
    same(dict(store.deleted.get(home, ["i1"])), {}, "'i1' after its remove")
    same(ids_of(found(store, leaf, institution=home)), ["i2"], f"find({leaf}) after 'i1' (R-S9)")
    same(ids_of(by_id(store.deleted.children(home, ["h1"]))), ["i2"], "deleted.children(h1)")
    with refused(RecordNotFoundError, "deleted.remove(['i1']) a second time"):
        store.deleted.remove(home, ["i1"])
    store.deleted.add_events([event("e2", [recorded.members[2].record], world=world)])
    same(
        store.deleted.get(home, ["i1"])["i1"].event_id,
        "e2",
        "'i1' deleted again, in a new event, after its removal",
    )


def deleted_children_follow_the_snapshot_parent(
    store: Store, world: ContractWorld = DEFAULT_WORLD
) -> None:
    """DeletedStore.children returns every deleted record whose snapshot's parent is given."""
    home = world.home
    recorded = event("e1", tree(world), world=world)
    store.deleted.add_events([recorded])
    loose = event("e2", [world.record(world.kinds().leaf, "i3", "h1", 3)], world=world)
    store.deleted.add_events([loose])
    m = {x.id: x for x in [*recorded.members, *loose.members]}
    same(by_id(store.deleted.children(home, ["h1"])), [m["i1"], m["i2"], m["i3"]], "children(h1)")
    same(by_id(store.deleted.children(home, ["b1", "b2"])), [m["h1"], m["p1"]], "children(b1, b2)")
    same(list(store.deleted.children(home, ["i1", "nope"])), [], "children(['i1', 'nope'])")
    same(list(store.deleted.children(home, [])), [], "children([])")


def _timeline(store: Store, world: ContractWorld) -> list[DeletionEvent]:
    """Leaves deleted at three times, with equal times, written in different time zones."""
    k, r, ev = world.kinds(), world.record, partial(event, world=world)
    events = [
        ev("e-mid", [r(k.leaf, "m2", "h", 2), r(k.leaf, "m1", "h", 1)], at=instant(10)),
        ev("e-old", [r(k.leaf, "o1", "h", 3)], at=instant(10, PLUS_TWO) - US),
        ev("e-new", [r(k.leaf, "n1", "h", 4), r(k.top, "nb")], at=instant(20, PLUS_TWO)),
        ev("e-mid2", [r(k.leaf, "m0", "h", 5)], at=instant(10, MINUS_FIVE_THIRTY)),
        ev("e-new2", [r(k.leaf, "n0", "h", 6)], at=instant(20) + US),
    ]
    for e in events:
        store.deleted.add_events([e])
    return events


def find_orders_newest_first_then_by_id(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """DeletedStore.find orders by deletion instant, newest first, then by id (R-S8)."""
    _timeline(store, world)
    k, home = world.kinds(), world.home
    same(
        ids_of(found(store, k.leaf, institution=home)),
        ["n0", "n1", "m0", "m1", "m2", "o1"],
        f"find({k.leaf}): newest first, ids ascending at one instant, whatever the time zone",
    )
    same(ids_of(found(store, k.top, institution=home)), ["nb"], f"find({k.top}): that kind only")
    same(found(store, k.middle, institution=home), [], f"find({k.middle}): none deleted")


def find_pages_never_skip_or_repeat(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """DeletedStore.find with `after` and `limit` pages through the hits exactly once (R-S8)."""
    _timeline(store, world)
    leaf, home = world.kinds().leaf, world.home
    every = found(store, leaf, institution=home)
    leaves = Query(institution=home, kind=leaf)
    for limit in range(1, len(every) + 2):
        seen = paged(store, leaves, limit, most=len(every))
        same(ids_of(seen), ids_of(every), f"paging find({leaf}) {limit} at a time")
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
        same(
            ids_of(found(store, leaf, institution=home, after=cursor)),
            expected,
            f"find({leaf}, after={cursor!r})",
        )
    same(ids_of(found(store, leaf, institution=home, limit=2)), ["n0", "n1"], "find(limit=2)")


def find_applies_every_filter(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """DeletedStore.find keeps only records matching every filter: ids, events, actors, field.

    A field filter matches exact values: in a free-form world, the text "5" is not the number 5.
    """
    k, r, home, field = world.kinds(), world.record, world.home, world.field
    ev = partial(event, world=world)
    sys1, sys2 = Actor.system("System"), Actor.system("Electronic Inventory Creator")
    b1 = world.value(1)
    i4, i5, h9 = r(k.leaf, "i4", "h", 5), r(k.leaf, "i5", "h", 6), r(k.middle, "h9", "b", 1)
    if world.free_form:
        i4 = Record(k.leaf, "i4", "h", {field: 5})
        i5 = Record(k.leaf, "i5", "h", {**i5.data, field: "5"})
        h9 = Record(k.middle, "h9", "b", {**h9.data, field: b1})
    leaves = [i5, i4, r(k.leaf, "i3", "h", 1), r(k.leaf, "i1", "h", 1), r(k.leaf, "i2", "h", 2)]
    events = [
        ev("e1", leaves[3:], at=instant(1)),
        ev("e2", [leaves[2]], actor=Actor.job("J1"), at=instant(2)),
        ev("e3", [i4], actor=sys1, at=instant(3)),
        ev("e4", [i5], actor=sys2, at=instant(4)),
        ev("e5", [h9], at=instant(5)),
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
        ({"field": (field, b1)}, ["i3", "i1"]),
        ({"field": (field, i5.data[field])}, ["i5"]),
        ({"field": ("nothing", b1)}, []),
        ({"actor": Actor.user("ana"), "field": (field, b1)}, ["i1"]),
        ({"event_ids": frozenset(["e1"]), "ids": frozenset(["i2", "i3"])}, ["i2"]),
        ({"actor_kind": ActorKind.JOB, "ids": frozenset(["i1"])}, []),
    ]
    i2 = leaves[4].data
    for name in sorted(set(i2) - {field}):
        if isinstance(i2[name], str):
            holders = [x.id for x in leaves if name in x.data and x.data[name] == i2[name]]
            cases.append(({"field": (name, i2[name])}, holders))
    for filters, expected in cases:
        same(
            ids_of(found(store, k.leaf, institution=home, **filters)),
            expected,
            f"find({k.leaf}, {filters})",
        )
    same(
        ids_of(found(store, k.middle, institution=home, field=(field, b1))),
        ["h9"] if world.free_form else [],
        f"find({k.middle}, {field}={b1!r})",
    )


def find_window_bounds_are_inclusive(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """DeletedStore.find keeps records deleted inside the window, both bounds included."""
    home, leaf, r, ev = world.home, world.kinds().leaf, world.record, partial(event, world=world)
    at = instant(30) + 500 * US
    store.deleted.add_events(
        [
            ev("e1", [r(leaf, "i1", "h", 1)], at=at),
            ev("e2", [r(leaf, "i2", "h", 2)], at=instant(60)),
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
        same(
            ids_of(found(store, leaf, institution=home, window=window)),
            expected,
            f"find({leaf}, window={window})",
        )
        actor = Actor.user("ana")
        same(
            ids_of(found(store, leaf, institution=home, window=window, actor=actor)),
            expected,
            f"find({leaf}, actor={actor}, window={window})",
        )
    inside = Window(start=at, end=at)
    for filters in ({"ids": frozenset(["i1", "i2"])}, {"field": (world.field, world.value(1))}):
        same(
            ids_of(
                found(
                    store,
                    leaf,
                    institution=home,
                    window=Window(start=at + US, end=instant(59)),
                    **filters,
                )
            ),
            [],
            f"find({leaf}, {filters}, window between 'i1' and 'i2')",
        )
        same(
            ids_of(found(store, leaf, institution=home, window=inside, **filters)),
            ["i1"],
            f"find({leaf}, {filters}, window={inside})",
        )


def latest_event_is_newest_then_last_added(
    store: Store, world: ContractWorld = DEFAULT_WORLD
) -> None:
    """DeletedStore.latest_event is the actor's newest event; equal times go to the last added."""
    home, top, r, ev = world.home, world.top, world.record, partial(event, world=world)
    ana, everything = Actor.user("ana"), Window(start=None, end=None)
    store.deleted.add_events([ev("z-first", [r(top, "b1")], at=instant(5))])
    store.deleted.add_events([ev("older", [r(top, "b2")], at=instant(4))])
    same(store.deleted.latest_event(home, ana, everything), "z-first", "latest_event: newest")
    store.deleted.add_events([ev("a-tie", [r(top, "b3")], at=instant(5, PLUS_TWO))])
    same(
        store.deleted.latest_event(home, ana, everything),
        "a-tie",
        "latest_event: of two events at one instant, the one added last",
    )
    store.deleted.add_events(
        [
            ev("y-batch", [r(top, "b4")], at=instant(6)),
            ev("b-batch", [r(top, "b5")], at=instant(6)),
        ]
    )
    same(
        store.deleted.latest_event(home, ana, everything),
        "b-batch",
        "latest_event: of two events at one instant in one add_events call, the later one",
    )
    store.deleted.add_events([ev("bo", [r(top, "b6")], actor=Actor.user("bo"), at=instant(9))])
    same(
        store.deleted.latest_event(home, ana, everything), "b-batch", "latest_event: others' events"
    )
    same(
        store.deleted.latest_event(home, Actor.user("cy"), everything),
        None,
        "latest_event of an actor with no event",
    )


def latest_event_skips_fully_removed_events(
    store: Store, world: ContractWorld = DEFAULT_WORLD
) -> None:
    """DeletedStore.latest_event skips events whose records all left, and keeps to the window."""
    home, top, r, ev = world.home, world.top, world.record, partial(event, world=world)
    ana, everything = Actor.user("ana"), Window(start=None, end=None)
    store.deleted.add_events([ev("e1", [r(top, "b1")], at=instant(1))])
    store.deleted.add_events(
        [ev("e2", [r(top, "b2"), r(world.child_of(top), "h2", "b2")], at=instant(2))]
    )
    store.deleted.add_events([ev("e3", [r(top, "b3")], at=instant(3))])
    store.deleted.remove(home, ["b3"])
    same(store.deleted.latest_event(home, ana, everything), "e2", "latest_event after e3 left")
    store.deleted.remove(home, ["b2"])
    same(store.deleted.latest_event(home, ana, everything), "e2", "after half of e2 left")
    windows: list[tuple[Window, str | None]] = [
        (Window(start=None, end=instant(2) - US), "e1"),
        (Window(start=None, end=instant(2)), "e2"),
        (Window(start=instant(2) + US, end=None), None),
        (Window(start=instant(1), end=instant(1)), "e1"),
        (Window(start=instant(1) + US, end=instant(2) - US), None),
        (Window(start=instant(3), end=instant(1)), None),
    ]
    for window, expected in windows:
        same(store.deleted.latest_event(home, ana, window), expected, f"latest_event({window})")
    store.deleted.remove(home, ["h2"])
    same(store.deleted.latest_event(home, ana, everything), "e1", "after all of e2 left")
    store.deleted.remove(home, ["b1"])
    same(store.deleted.latest_event(home, ana, everything), None, "after every record left")


def has_actor_outlives_the_records(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """DeletedStore.has_actor is true once an actor's event is recorded, even after it empties."""
    home, top, r, ev = world.home, world.top, world.record, partial(event, world=world)
    away = world.away
    job = Actor.job("J1")
    if store.deleted.has_actor(home, job):
        fail("has_actor(job 'J1') is true in an empty store")
    store.deleted.add_events([ev("e1", [r(top, "b1")], actor=job)])
    if not store.deleted.has_actor(home, job):
        fail("has_actor(job 'J1') is false after its event was recorded")
    store.deleted.remove(home, ["b1"])
    if not store.deleted.has_actor(home, job):
        fail("has_actor(job 'J1') turned false when its event's records were all removed")
    for other in (Actor.user("J1"), Actor.job("J2")):
        if store.deleted.has_actor(home, other):
            fail(f"has_actor({other}) is true, but only job 'J1' deleted anything")
    if store.deleted.has_actor(away, job):
        fail(f"has_actor({away!r}, job 'J1') is true, but J1 deleted only in {home!r}")
