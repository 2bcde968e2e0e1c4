"""Example checks of R-D6 in `deleted_repo.ports.DeletedStore`: an id can be deleted again.

A member of a new event whose id is already deleted supersedes that deleted record: the older
record leaves the repository and is kept, for good, as superseded by the new event.

Each check takes an empty store and the world it writes in (`ContractWorld`); its docstring
is the behaviour it checks.
"""

from __future__ import annotations

from functools import partial

from deleted_repo.errors import IntegrityError, RecordNotFoundError
from deleted_repo.model import Actor, DeletionEvent, Superseded
from deleted_repo.ports import Store
from deleted_repo.search import Window

from .builders import MINUS_FIVE_THIRTY, PLUS_TWO, event, instant
from .expect import accepted, found, ids_of, refused, same, superseded_of
from .world import DEFAULT_WORLD, ContractWorld

__all__ = [
    "deleted_add_events_supersedes_an_already_deleted_member",
    "deleted_add_events_supersedes_within_one_call",
    "deleted_remove_leaves_superseded_records",
    "deleted_superseded_lists_oldest_first",
    "latest_event_skips_an_event_whose_records_were_superseded",
    "superseded_keeps_institutions_apart",
]

_EVERYTHING = Window(start=None, end=None)


def _kinds(world: ContractWorld) -> tuple[str, str, str]:
    """The top, middle and leaf kinds of the world's trees."""
    k = world.kinds()
    return k.top, k.middle, k.leaf


def _again(store: Store, *events: DeletionEvent) -> None:
    """Add `events`, which delete ids again; refusing them is a broken promise (R-D6)."""
    with accepted(f"add_events({[e.id for e in events]}) deleting an id again"):
        store.deleted.add_events(events)


def deleted_add_events_supersedes_an_already_deleted_member(
    store: Store, world: ContractWorld = DEFAULT_WORLD
) -> None:
    """DeletedStore.add_events takes a member already deleted: it supersedes the older (R-D6).

    The older record leaves every read but `superseded`, and the rest of its event stays; only
    a recorded event id is refused, and then nothing is superseded.
    """
    home, r, ev = world.home, world.record, partial(event, world=world)
    top, middle, leaf = _kinds(world)
    older = ev(
        "e1",
        [r(top, "b1"), r(middle, "h1", "b1"), r(leaf, "i1", "h1", 1)],
        at=instant(1),
    )
    store.deleted.add_events([older])
    newer = ev(
        "e2",
        [r(top, "x1"), r(leaf, "i1", "h9", 2)],
        actor=Actor.user("bo"),
        at=instant(2, PLUS_TWO),
    )
    with accepted("add_events of an event with the deleted 'i1'"):
        store.deleted.add_events([newer])
    old_i1, new_i1 = older.members[2], newer.members[1]
    same(store.deleted.get(home, ["i1"]).get("i1"), new_i1, "deleted.get(['i1']): the newer")
    same(
        superseded_of(store, ["i1", "b1", "x1", "nope"], institution=home),
        {"i1": [Superseded(entry=old_i1, by="e2")]},
        "deleted.superseded(['i1', 'b1', 'x1', 'nope'])",
    )
    same(found(store, leaf, institution=home), [new_i1], f"find({leaf}): the newer 'i1' only, once")
    same(
        found(store, leaf, institution=home, event_ids=frozenset(["e1"])),
        [],
        f"find({leaf}) in 'e1'",
    )
    same(
        found(store, leaf, institution=home, actor=Actor.user("ana")),
        [],
        f"find({leaf}) by the older's actor",
    )
    same(
        ids_of(found(store, middle, institution=home, event_ids=frozenset(["e1"]))),
        ["h1"],
        "rest of 'e1'",
    )
    same(
        found(store, leaf, institution=home, field=(world.field, world.value(1))),
        [],
        f"find({leaf}) by the older lookup value",
    )
    same(
        found(store, leaf, institution=home, field=(world.field, world.value(2))),
        [new_i1],
        f"find({leaf}) by the newer",
    )
    same(list(store.deleted.children(home, ["h1"])), [], "deleted.children(['h1'])")
    same(list(store.deleted.children(home, ["h9"])), [new_i1], "deleted.children(['h9'])")
    again = ev("e3", [r(leaf, "i1", "h1")], at=instant(3))
    with refused(IntegrityError, "add_events of an event deleting 'i1' and the recorded 'e1'"):
        store.deleted.add_events([again, ev("e1", [r(top, "z1")], at=instant(3))])
    same(store.deleted.get(home, ["i1"]).get("i1"), new_i1, "'i1' after the refused add_events")
    same(
        superseded_of(store, ["i1"], institution=home),
        {"i1": [Superseded(entry=old_i1, by="e2")]},
        "deleted.superseded(['i1']) after the refused add_events",
    )


def deleted_add_events_supersedes_within_one_call(
    store: Store, world: ContractWorld = DEFAULT_WORLD
) -> None:
    """DeletedStore.add_events applies its events in order: a later one supersedes an earlier one.

    That holds whatever the events' times (R-D6); a refused call supersedes nothing.
    """
    home, r, ev = world.home, world.record, partial(event, world=world)
    top = world.top
    first = ev("e1", [r(top, "b1"), r(top, "b2")], at=instant(2))
    second = ev("e2", [r(top, "b1", None, 1)], actor=Actor.user("bo"), at=instant(1))
    with accepted("add_events of two events that both delete 'b1'"):
        store.deleted.add_events([first, second])
    same(store.deleted.get(home, ["b1"]).get("b1"), second.members[0], "'b1' of the later 'e2'")
    same(ids_of(found(store, top, institution=home)), ["b2", "b1"], f"find({top}): one 'b1'")
    same(
        ids_of(found(store, top, institution=home, event_ids=frozenset(["e1"]))),
        ["b2"],
        f"find({top}) in 'e1'",
    )
    chain = [ev(f"e{n}", [r(top, "b3", None, n)], at=instant(5)) for n in (3, 4, 5)]
    with accepted("add_events of three events that all delete 'b3'"):
        store.deleted.add_events(chain)
    expected = {
        "b1": [Superseded(entry=first.members[0], by="e2")],
        "b3": [
            Superseded(entry=chain[0].members[0], by="e4"),
            Superseded(entry=chain[1].members[0], by="e5"),
        ],
    }
    same(
        superseded_of(store, ["b1", "b2", "b3"], institution=home),
        expected,
        "deleted.superseded(b1, b2, b3)",
    )
    same(
        ids_of(found(store, top, institution=home, ids=frozenset(["b3"]))),
        ["b3"],
        f"find({top}, ids=['b3'])",
    )
    with refused(IntegrityError, "add_events of 'e6' deleting 'b1', then 'e6' again"):
        store.deleted.add_events(
            [ev("e6", [r(top, "b1")]), ev("e6", [r(top, "b9")], at=instant(1))]
        )
    same(store.deleted.get(home, ["b1"]).get("b1"), second.members[0], "'b1' after the refusal")
    same(
        superseded_of(store, ["b1", "b2", "b3"], institution=home),
        expected,
        "deleted.superseded after it",
    )


def deleted_superseded_lists_oldest_first(
    store: Store, world: ContractWorld = DEFAULT_WORLD
) -> None:
    """DeletedStore.superseded lists each id's superseded deletions oldest first (R-D6).

    Each names the event that superseded it; ids with none, deleted or not, are left out.
    """
    home, r, ev = world.home, world.record, partial(event, world=world)
    top = world.top
    middle = world.child_of(top)
    e1 = ev("e1", [r(top, "b1"), r(middle, "h1", "b1")], at=instant(1))
    e2 = ev("e2", [r(top, "b1", None, 2)], at=instant(2, MINUS_FIVE_THIRTY))
    e3 = ev(
        "e3",
        [r(top, "b1", None, 3), r(middle, "h1", "b1", 1)],
        actor=Actor.job("J1"),
        at=instant(3),
    )
    for e in (e1, e2, e3):
        with accepted(f"add_events([{e.id!r}]) deleting 'b1' again"):
            store.deleted.add_events([e])
    store.deleted.add_events([ev("e4", [r(top, "b2")], at=instant(4))])
    expected = {
        "b1": [
            Superseded(entry=e1.members[0], by="e2"),
            Superseded(entry=e2.members[0], by="e3"),
        ],
        "h1": [Superseded(entry=e1.members[1], by="e3")],
    }
    same(
        superseded_of(store, ["h1", "b2", "b1", "nope"], institution=home),
        expected,
        "deleted.superseded(['h1', 'b2', 'b1', 'nope'])",
    )
    same(
        superseded_of(store, ["b1"], institution=home),
        {"b1": expected["b1"]},
        "deleted.superseded(['b1'])",
    )
    same(superseded_of(store, [], institution=home), {}, "deleted.superseded([])")
    same(
        superseded_of(store, ["b2", "nope"], institution=home),
        {},
        "deleted.superseded(['b2', 'nope'])",
    )
    same(store.deleted.get(home, ["b1"]).get("b1"), e3.members[0], "'b1': the newest")
    same(
        ids_of(found(store, top, institution=home)), ["b2", "b1"], f"find({top}): one 'b1' and 'b2'"
    )


def deleted_remove_leaves_superseded_records(
    store: Store, world: ContractWorld = DEFAULT_WORLD
) -> None:
    """DeletedStore.remove takes out an id's current deletion and leaves its superseded ones.

    A superseded deletion is not deleted: removing the id again is refused, and deleting it
    after its removal supersedes nothing (R-D6, R-S9).
    """
    home, r, ev = world.home, world.record, partial(event, world=world)
    top = world.top
    e1 = ev("e1", [r(top, "b1")], at=instant(1))
    e2 = ev("e2", [r(top, "b1", None, 1)], at=instant(2))
    store.deleted.add_events([e1])
    _again(store, e2)
    history = {"b1": [Superseded(entry=e1.members[0], by="e2")]}
    store.deleted.remove(home, ["b1"])
    same(dict(store.deleted.get(home, ["b1"])), {}, "deleted.get(['b1']) after its removal")
    same(found(store, top, institution=home), [], f"find({top}) after 'b1' left")
    same(
        superseded_of(store, ["b1"], institution=home),
        history,
        "deleted.superseded(['b1']) after its removal",
    )
    same(
        store.deleted.latest_event(home, Actor.user("ana"), _EVERYTHING),
        None,
        "latest_event after the only remaining record left",
    )
    with refused(RecordNotFoundError, "deleted.remove(['b1']) with only superseded deletions"):
        store.deleted.remove(home, ["b1"])
    e3 = ev("e3", [r(top, "b1", None, 3)], at=instant(3))
    store.deleted.add_events([e3])
    same(store.deleted.get(home, ["b1"]).get("b1"), e3.members[0], "'b1' deleted once more")
    same(
        superseded_of(store, ["b1"], institution=home),
        history,
        "deleted.superseded(['b1']): nothing new",
    )


def latest_event_skips_an_event_whose_records_were_superseded(
    store: Store, world: ContractWorld = DEFAULT_WORLD
) -> None:
    """DeletedStore.latest_event skips an event whose records were all superseded (R-D6, R-S4).

    An event with one record left still counts; the one that superseded counts for its actor.
    """
    home, r, ev = world.home, world.record, partial(event, world=world)
    top = world.top
    middle = world.child_of(top)
    ana, bo = Actor.user("ana"), Actor.user("bo")
    store.deleted.add_events([ev("e1", [r(top, "b1")], at=instant(1))])
    store.deleted.add_events([ev("e2", [r(top, "b2")], at=instant(5))])
    _again(store, ev("e3", [r(top, "b2")], actor=bo, at=instant(2)))
    same(store.deleted.latest_event(home, ana, _EVERYTHING), "e1", "after 'e2' was superseded")
    same(store.deleted.latest_event(home, bo, _EVERYTHING), "e3", "latest_event of 'bo'")
    store.deleted.add_events([ev("e4", [r(top, "b4"), r(middle, "h4", "b4")], at=instant(6))])
    _again(store, ev("e5", [r(top, "b4")], actor=bo, at=instant(6)))
    same(store.deleted.latest_event(home, ana, _EVERYTHING), "e4", "'e4' keeps 'h4'")
    store.deleted.remove(home, ["h4"])
    same(store.deleted.latest_event(home, ana, _EVERYTHING), "e1", "after 'h4' left too")
    later = Window(start=instant(5), end=None)
    same(store.deleted.latest_event(home, ana, later), None, f"latest_event({later})")
    _again(store, ev("e6", [r(top, "b1", None, 1)], at=instant(0)))
    same(
        store.deleted.latest_event(home, ana, _EVERYTHING),
        "e6",
        "latest_event once the newer 'e1' was superseded by the older-dated 'e6'",
    )


def superseded_keeps_institutions_apart(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """Superseding and DeletedStore.superseded keep to one institution (R-M3, R-D6).

    Deleting an id again in another institution supersedes nothing here.
    """
    home, away, r, ev = world.home, world.away, world.record, partial(event, world=world)
    top = world.top
    here = ev("e1", [r(top, "b1")], at=instant(1))
    there = ev("e1", [r(top, "b1", None, 1)], at=instant(2), institution=away)
    again = ev("e2", [r(top, "b1", None, 2)], at=instant(3), institution=away)
    store.deleted.add_events([here])
    store.deleted.add_events([there])
    same(superseded_of(store, ["b1"], institution=home), {}, f"deleted.superseded in {home!r}")
    same(superseded_of(store, ["b1"], institution=away), {}, f"deleted.superseded in {away!r}")
    _again(store, again)
    same(store.deleted.get(home, ["b1"]).get("b1"), here.members[0], f"'b1' in {home!r}")
    same(superseded_of(store, ["b1"], institution=home), {}, f"deleted.superseded in {home!r}")
    moved = {"b1": [Superseded(entry=there.members[0], by="e2")]}
    same(superseded_of(store, ["b1"], institution=away), moved, f"deleted.superseded in {away!r}")
    same(superseded_of(store, ["b1"], institution=f"{home}-{away}"), {}, "a third institution")
    same(
        store.deleted.latest_event(home, Actor.user("ana"), _EVERYTHING),
        "e1",
        f"latest_event in {home!r}",
    )
    both = [
        ev("e3", [r(top, "b2")], at=instant(4)),
        ev("e3", [r(top, "b2")], at=instant(4), institution=away),
    ]
    with accepted(f"add_events deleting 'b2' in {home!r} and in {away!r} in one call"):
        store.deleted.add_events(both)
    for institution in (home, away):
        same(
            superseded_of(store, ["b2"], institution=institution),
            {},
            f"deleted.superseded(['b2']) in {institution!r}",
        )
    store.deleted.remove(home, ["b1"])
    same(superseded_of(store, ["b1"], institution=away), moved, f"{away!r} after removal at home")
