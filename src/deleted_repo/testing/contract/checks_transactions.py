"""Example checks of `deleted_repo.ports.Store`: transactions over the three ports, institutions.

Each check takes an empty store; its docstring is the behaviour it checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from deleted_repo.errors import IntegrityError, RecordNotFoundError
from deleted_repo.model import Actor
from deleted_repo.ports import Store
from deleted_repo.search import Window

from .builders import AWAY, HOME, event, instant, job, rec, tree
from .expect import Abort, by_id, fail, found, ids_of, refused, same

__all__ = [
    "institutions_are_isolated",
    "nested_transaction_joins_the_outer",
    "refused_write_leaves_the_transaction_usable",
    "transaction_commits_every_port",
    "transaction_rolls_back_every_port",
    "transaction_sees_its_own_writes",
]


def institutions_are_isolated(store: Store) -> None:
    """Every port keeps institutions apart, even when they use the same ids (R-M3)."""
    home, away = tree(), [attrs.evolve(r, data={**r.data, "title": "away"}) for r in tree()]
    store.catalog.add(HOME, home)
    store.catalog.add(AWAY, away)
    same(store.catalog.get(AWAY, ["b1"]).get("b1"), away[0], f"catalog.get({AWAY!r}, ['b1'])")
    store.catalog.remove(HOME, ["i1"])
    same(sorted(store.catalog.get(AWAY, ["i1"])), ["i1"], f"'i1' in {AWAY!r} after removal at home")
    same(by_id(store.catalog.children(AWAY, ["h1"])), away[2:4], f"catalog.children in {AWAY!r}")
    same(
        dict(store.catalog.find_by_field(AWAY, "item", "barcode", ["B1"])),
        {"B1": "i1"},
        f"catalog.find_by_field in {AWAY!r}",
    )
    here = event("e1", [home[2]], at=instant(1))
    there = event("e1", [away[2], away[3]], at=instant(2), institution=AWAY, actor=Actor.job("J1"))
    store.deleted.add_events([here])
    store.deleted.add_events([there])
    same(store.deleted.get(AWAY, ["i1"]).get("i1"), there.members[0], f"deleted.get in {AWAY!r}")
    same(ids_of(found(store, "item")), ["i1"], f"find(item) in {HOME!r}")
    same(ids_of(found(store, "item", institution=AWAY)), ["i1", "i2"], f"find(item) in {AWAY!r}")
    same(
        ids_of(by_id(store.deleted.children(AWAY, ["h1"]))),
        ["i1", "i2"],
        f"deleted.children in {AWAY!r}",
    )
    everything = Window(start=None, end=None)
    same(store.deleted.latest_event(AWAY, Actor.user("ana"), everything), None, "latest_event")
    if store.deleted.has_actor(HOME, Actor.job("J1")):
        fail(f"has_actor({HOME!r}, job 'J1') is true, but J1 deleted only in {AWAY!r}")
    with refused(RecordNotFoundError, f"deleted.remove({HOME!r}, ['i2'])"):
        store.deleted.remove(HOME, ["i2"])
    store.deleted.remove(AWAY, ["i1", "i2"])
    same(sorted(store.deleted.get(HOME, ["i1"])), ["i1"], f"'i1' at home after removal {AWAY!r}")
    store.jobs.add(job("j1", institution=HOME))
    store.jobs.add(job("j1", instant(5), institution=AWAY))
    same(store.jobs.get(AWAY, "j1"), job("j1", instant(5), institution=AWAY), "jobs.get away")
    same(ids_of(store.jobs.list(HOME)), ["j1"], f"jobs.list({HOME!r})")
    same(store.jobs.get("03ELSE", "j1"), None, "jobs.get of a third institution")


# One write of each kind, in this order, on a store that holds `tree()` active and event 'e0'.


def _add_new(store: Store) -> None:
    store.catalog.add(HOME, [rec("bib", "new")])


def _remove_p1(store: Store) -> None:
    store.catalog.remove(HOME, ["p1"])


def _delete_gone(store: Store) -> None:
    store.deleted.add_events(
        [event("e1", [rec("bib", "gone")], actor=Actor.job("J9"), at=instant(9))]
    )


def _remove_x1(store: Store) -> None:
    store.deleted.remove(HOME, ["x1"])


def _add_job(store: Store) -> None:
    store.jobs.add(job("j1"))


_WRITES = (_add_new, _remove_p1, _delete_gone, _remove_x1, _add_job)


def _write(store: Store, writes: Sequence[Callable[[Store], None]] = _WRITES) -> None:
    for write in writes:
        write(store)


def _prepare_for_writes(store: Store) -> None:
    store.catalog.add(HOME, tree())
    store.deleted.add_events([event("e0", [rec("bib", "x1")])])


def _expect_written(store: Store, written: bool, what: str) -> None:
    ids = ["new", "p1", "gone", "x1"]
    active = sorted(store.catalog.get(HOME, ids))
    deleted = sorted(store.deleted.get(HOME, ids))
    if written:
        same((active, deleted), (["new"], ["gone"]), f"{what}: active and deleted ids")
        same(store.jobs.get(HOME, "j1"), job("j1"), f"{what}: jobs.get('j1')")
    else:
        same((active, deleted), (["p1"], ["x1"]), f"{what}: active and deleted ids")
        same(store.jobs.get(HOME, "j1"), None, f"{what}: jobs.get('j1')")
        if store.deleted.has_actor(HOME, Actor.job("J9")):
            fail(f"{what}: has_actor(job 'J9') is true, but its event was rolled back")
        same(ids_of(found(store, "bib")), ["x1"], f"{what}: find(bib)")


def transaction_commits_every_port(store: Store) -> None:
    """A transaction that ends normally keeps the writes of all three ports."""
    _prepare_for_writes(store)
    with store.transaction():
        _write(store)
    _expect_written(store, True, "after a committed transaction")


def transaction_rolls_back_every_port(store: Store) -> None:
    """A transaction whose block raises undoes the writes of all three ports, and re-raises."""
    _prepare_for_writes(store)
    abort = Abort("stop")
    caught: BaseException | None = None
    try:
        with store.transaction():
            _write(store)
            raise abort
    except Abort as e:
        caught = e
    if caught is not abort:
        fail(f"transaction() did not re-raise the exception of its block; got {caught!r}")
    _expect_written(store, False, "after a rolled-back transaction")
    _write(store)
    _expect_written(store, True, "the same writes again, after the rollback")


def transaction_sees_its_own_writes(store: Store) -> None:
    """Reads inside a transaction see the writes made earlier in it."""
    _prepare_for_writes(store)
    with store.transaction():
        _write(store)
        _expect_written(store, True, "inside the transaction")


def nested_transaction_joins_the_outer(store: Store) -> None:
    """A transaction opened inside another joins it: the outer one decides for both."""
    _prepare_for_writes(store)
    try:
        with store.transaction():
            with store.transaction():
                _write(store, _WRITES[:2])
            _write(store, _WRITES[2:])
            raise Abort
    except Abort:
        pass
    _expect_written(store, False, "after an outer rollback of a completed inner transaction")
    try:
        with store.transaction():
            _add_new(store)
            with store.transaction():
                _remove_p1(store)
                raise Abort
    except Abort:
        pass
    same(sorted(store.catalog.get(HOME, ["new", "p1"])), ["p1"], "after an inner raise")
    with store.transaction():
        with store.transaction():
            _write(store, _WRITES[:3])
        _write(store, _WRITES[3:])
    _expect_written(store, True, "after both committed")


def refused_write_leaves_the_transaction_usable(store: Store) -> None:
    """A write refused inside a transaction changes nothing; the transaction goes on and commits."""
    _prepare_for_writes(store)
    with store.transaction():
        _add_new(store)
        with refused(IntegrityError, "catalog.add of the active 'b1' in a transaction"):
            store.catalog.add(HOME, [rec("bib", "b1")])
        with refused(RecordNotFoundError, "catalog.remove of 'nope' in a transaction"):
            store.catalog.remove(HOME, ["nope"])
        _remove_p1(store)
        with refused(IntegrityError, "add_events of the recorded 'e0' in a transaction"):
            store.deleted.add_events([event("e0", [rec("bib", "other")])])
        _delete_gone(store)
        with refused(RecordNotFoundError, "deleted.remove of 'nope' in a transaction"):
            store.deleted.remove(HOME, ["nope"])
        _remove_x1(store)
        _add_job(store)
        with refused(IntegrityError, "jobs.add of 'j1' again in a transaction"):
            store.jobs.add(job("j1", instant(3)))
    _expect_written(store, True, "after a transaction with refused writes committed")
