"""Example checks of `deleted_repo.ports.Store`: transactions over the three ports, institutions.

Each check takes an empty store and the world it writes in (`ContractWorld`); its docstring
is the behaviour it checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from deleted_repo.errors import IntegrityError, RecordNotFoundError
from deleted_repo.model import Actor
from deleted_repo.ports import Store
from deleted_repo.search import Window

from .builders import event, instant, job, tree
from .expect import (
    Abort,
    accepted,
    by_id,
    fail,
    found,
    ids_of,
    refused,
    same,
    superseded_of,
)
from .world import DEFAULT_WORLD, ContractWorld

__all__ = [
    "institutions_are_isolated",
    "nested_transaction_joins_the_outer",
    "refused_write_leaves_the_transaction_usable",
    "transaction_commits_every_port",
    "transaction_rolls_back_a_supersede",
    "transaction_rolls_back_every_port",
    "transaction_sees_its_own_writes",
]


def institutions_are_isolated(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """Every port keeps institutions apart, even when they use the same ids (R-M3)."""
    home_, away_, leaf, field = world.home, world.away, world.kinds().leaf, world.field
    home = tree(world)
    away = [world.record(x.kind, x.id, x.parent_id, 10 + n) for n, x in enumerate(home)]
    store.catalog.add(home_, home)
    store.catalog.add(away_, away)
    same(store.catalog.get(away_, ["b1"]).get("b1"), away[0], f"catalog.get({away_!r}, ['b1'])")
    store.catalog.remove(home_, ["i1"])
    same(sorted(store.catalog.get(away_, ["i1"])), ["i1"], f"'i1' in {away_!r} after removal")
    same(by_id(store.catalog.children(away_, ["h1"])), away[2:4], f"catalog.children in {away_!r}")
    value = away[2].data[field]
    same(
        dict(store.catalog.find_by_field(away_, leaf, field, [value])),
        {value: "i1"},
        f"catalog.find_by_field in {away_!r}",
    )
    here = event("e1", [home[2]], at=instant(1), institution=home_)
    there = event("e1", [away[2], away[3]], at=instant(2), institution=away_, actor=Actor.job("J1"))
    store.deleted.add_events([here])
    store.deleted.add_events([there])
    same(store.deleted.get(away_, ["i1"]).get("i1"), there.members[0], f"deleted.get in {away_!r}")
    same(ids_of(found(store, leaf, institution=home_)), ["i1"], f"find({leaf}) in {home_!r}")
    same(
        ids_of(found(store, leaf, institution=away_)),
        ["i1", "i2"],
        f"find({leaf}) in {away_!r}",
    )
    same(
        ids_of(by_id(store.deleted.children(away_, ["h1"]))),
        ["i1", "i2"],
        f"deleted.children in {away_!r}",
    )
    everything = Window(start=None, end=None)
    same(store.deleted.latest_event(away_, Actor.user("ana"), everything), None, "latest_event")
    if store.deleted.has_actor(home_, Actor.job("J1")):
        fail(f"has_actor({home_!r}, job 'J1') is true, but J1 deleted only in {away_!r}")
    with refused(RecordNotFoundError, f"deleted.remove({home_!r}, ['i2'])"):
        store.deleted.remove(home_, ["i2"])
    store.deleted.remove(away_, ["i1", "i2"])
    same(sorted(store.deleted.get(home_, ["i1"])), ["i1"], f"'i1' at home after removal {away_!r}")
    store.jobs.add(job("j1", world=world))
    store.jobs.add(job("j1", instant(5), world=world, institution=away_))
    same(
        store.jobs.get(away_, "j1"),
        job("j1", instant(5), world=world, institution=away_),
        "jobs.get away",
    )
    same(ids_of(store.jobs.list(home_)), ["j1"], f"jobs.list({home_!r})")
    same(store.jobs.get(f"{home_}-{away_}", "j1"), None, "jobs.get of a third institution")


def _writes(world: ContractWorld) -> tuple[Callable[[Store], None], ...]:
    """One write of each kind, in this order, on a store prepared by `_prepare_for_writes`.

    Add a new top record, remove 'p1', delete 'gone' (by job 'J9'), take 'x1' out of the
    deleted repository, record job 'j1'.
    """
    home, top = world.home, world.top

    def add_new(store: Store) -> None:
        store.catalog.add(home, [world.record(top, "new")])

    def remove_p1(store: Store) -> None:
        store.catalog.remove(home, ["p1"])

    def delete_gone(store: Store) -> None:
        gone = event(
            "e1", [world.record(top, "gone")], actor=Actor.job("J9"), at=instant(9), world=world
        )
        store.deleted.add_events([gone])

    def remove_x1(store: Store) -> None:
        store.deleted.remove(home, ["x1"])

    def add_job(store: Store) -> None:
        store.jobs.add(job("j1", world=world))

    return (add_new, remove_p1, delete_gone, remove_x1, add_job)


def _write(store: Store, writes: Sequence[Callable[[Store], None]]) -> None:
    for write in writes:
        write(store)


def _prepare_for_writes(store: Store, world: ContractWorld) -> tuple[Callable[[Store], None], ...]:
    """Make `tree` active and delete 'x1' in event 'e0'; return the writes of `_writes`."""
    store.catalog.add(world.home, tree(world))
    store.deleted.add_events([event("e0", [world.record(world.top, "x1")], world=world)])
    return _writes(world)


def _expect_written(store: Store, world: ContractWorld, written: bool, what: str) -> None:
    home, ids = world.home, ["new", "p1", "gone", "x1"]
    active = sorted(store.catalog.get(home, ids))
    deleted = sorted(store.deleted.get(home, ids))
    if written:
        same((active, deleted), (["new"], ["gone"]), f"{what}: active and deleted ids")
        same(store.jobs.get(home, "j1"), job("j1", world=world), f"{what}: jobs.get('j1')")
    else:
        same((active, deleted), (["p1"], ["x1"]), f"{what}: active and deleted ids")
        same(store.jobs.get(home, "j1"), None, f"{what}: jobs.get('j1')")
        if store.deleted.has_actor(home, Actor.job("J9")):
            fail(f"{what}: has_actor(job 'J9') is true, but its event was rolled back")
        top = world.top
        same(ids_of(found(store, top, institution=home)), ["x1"], f"{what}: find({top})")


def transaction_commits_every_port(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """A transaction that ends normally keeps the writes of all three ports."""
    writes = _prepare_for_writes(store, world)
    with store.transaction():
        _write(store, writes)
    _expect_written(store, world, True, "after a committed transaction")


def transaction_rolls_back_every_port(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """A transaction whose block raises undoes the writes of all three ports, and re-raises."""
    writes = _prepare_for_writes(store, world)
    abort = Abort("stop")
    caught: BaseException | None = None
    try:
        with store.transaction():
            _write(store, writes)
            raise abort
    except Abort as e:
        caught = e
    if caught is not abort:
        fail(f"transaction() did not re-raise the exception of its block; got {caught!r}")
    _expect_written(store, world, False, "after a rolled-back transaction")
    _write(store, writes)
    _expect_written(store, world, True, "the same writes again, after the rollback")


def transaction_sees_its_own_writes(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """Reads inside a transaction see the writes made earlier in it."""
    writes = _prepare_for_writes(store, world)
    with store.transaction():
        _write(store, writes)
        _expect_written(store, world, True, "inside the transaction")


def nested_transaction_joins_the_outer(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """A transaction opened inside another joins it: the outer one decides for both."""
    writes = _prepare_for_writes(store, world)
    add_new, remove_p1 = writes[:2]
    try:
        with store.transaction():
            with store.transaction():
                _write(store, writes[:2])
            _write(store, writes[2:])
            raise Abort
    except Abort:
        pass
    _expect_written(store, world, False, "after an outer rollback of a completed inner one")
    try:
        with store.transaction():
            add_new(store)
            with store.transaction():
                remove_p1(store)
                raise Abort
    except Abort:
        pass
    same(sorted(store.catalog.get(world.home, ["new", "p1"])), ["p1"], "after an inner raise")
    with store.transaction():
        with store.transaction():
            _write(store, writes[:3])
        _write(store, writes[3:])
    _expect_written(store, world, True, "after both committed")


def refused_write_leaves_the_transaction_usable(
    store: Store, world: ContractWorld = DEFAULT_WORLD
) -> None:
    """A write refused inside a transaction changes nothing; the transaction goes on and commits."""
    add_new, remove_p1, delete_gone, remove_x1, add_job = _prepare_for_writes(store, world)
    home, top = world.home, world.top
    with store.transaction():
        add_new(store)
        with refused(IntegrityError, "catalog.add of the active 'b1' in a transaction"):
            store.catalog.add(home, [world.record(top, "b1")])
        with refused(RecordNotFoundError, "catalog.remove of 'nope' in a transaction"):
            store.catalog.remove(home, ["nope"])
        remove_p1(store)
        with refused(IntegrityError, "add_events of the recorded 'e0' in a transaction"):
            store.deleted.add_events([event("e0", [world.record(top, "other")], world=world)])
        delete_gone(store)
        with refused(RecordNotFoundError, "deleted.remove of 'nope' in a transaction"):
            store.deleted.remove(home, ["nope"])
        remove_x1(store)
        add_job(store)
        with refused(IntegrityError, "jobs.add of 'j1' again in a transaction"):
            store.jobs.add(job("j1", instant(3), world=world))
    _expect_written(store, world, True, "after a transaction with refused writes committed")


def _deleted_reads(store: Store, world: ContractWorld) -> dict[str, Any]:
    """Every read of the deleted repository that a supersede of 'i1' or 'b1' changes."""
    ids, home = ["b1", "h1", "i1", "x1"], world.home
    k, field, value = world.kinds(), world.field, world.value(1)
    ana, everything = Actor.user("ana"), Window(start=None, end=None)
    find = partial(found, store, institution=home)
    return {
        "deleted.get": dict(store.deleted.get(home, ids)),
        "deleted.superseded": superseded_of(store, ids, institution=home),
        "deleted.children(['h1', 'h9'])": by_id(store.deleted.children(home, ["h1", "h9"])),
        f"find({k.leaf})": find(k.leaf),
        f"find({k.top})": find(k.top),
        f"find({k.leaf}) in 'e1'": find(k.leaf, event_ids=frozenset(["e1"])),
        f"find({k.leaf}) by ana": find(k.leaf, actor=ana),
        f"find({k.leaf}) by {field} {value!r}": find(k.leaf, field=(field, value)),
        "latest_event(ana)": store.deleted.latest_event(home, ana, everything),
    }


def transaction_rolls_back_a_supersede(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """A transaction that fails after superseding puts each older deletion back exactly (R-D6).

    The older record is found again, counts as remaining in its event, and is no longer
    superseded; superseded deletions from before the transaction stay.
    """
    k, r, ev, home = world.kinds(), world.record, partial(event, world=world), world.home
    store.deleted.add_events([ev("e0", [r(k.leaf, "i1", "h0", 0)], at=instant(0))])
    older = [r(k.top, "b1"), r(k.middle, "h1", "b1"), r(k.leaf, "i1", "h1", 1)]
    with accepted("add_events of 'e1', deleting 'i1' again"):
        store.deleted.add_events([ev("e1", older, at=instant(1))])
    before = _deleted_reads(store, world)
    newer = ev(
        "e2",
        [r(k.leaf, "i1", "h9", 9), r(k.top, "b1", None, 1)],
        actor=Actor.user("bo"),
        at=instant(2),
    )
    try:
        with store.transaction():
            with accepted("add_events of 'e2', deleting 'i1' and 'b1' again, in a transaction"):
                store.deleted.add_events([newer])
            with store.transaction():
                store.deleted.add_events([ev("e3", [r(k.leaf, "i1", "h1", 3)], at=instant(3))])
            store.deleted.remove(home, ["h1"])
            raise Abort
    except Abort:
        pass
    after = _deleted_reads(store, world)
    for read, expected in before.items():
        same(after[read], expected, f"{read} after a rolled-back supersede")
    store.deleted.add_events([newer])
    same(
        [s.by for s in superseded_of(store, ["i1"], institution=home)["i1"]],
        ["e1", "e2"],
        "deleted.superseded(['i1']) after the same supersede, committed",
    )
