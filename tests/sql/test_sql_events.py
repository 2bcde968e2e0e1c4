"""Listeners hear only of what was committed, on a host's connection too (R-E4, D-41)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from deleted_repo import ById, Deleted, DeletedRepository, Event, Record, Restored, RestoreJob
from deleted_repo.stores.sql import SqlStore
from tests.sql.conftest import Database
from tests.support import ANA, INSTITUTION, MANAGER, repository


class Heard:
    """A restore listener and an event subscriber that keep what they were told."""

    def __init__(self) -> None:
        self.restored: list[tuple[str, ...]] = []
        self.events: list[Event] = []

    def listener(self, job: RestoreJob, records: Sequence[Record]) -> None:
        """The older restore listener."""
        self.restored.append(tuple(r.id for r in records))

    def subscriber(self, event: Event) -> None:
        """The event subscriber."""
        self.events.append(event)


def prepared(db: Database, connection: sa.Connection) -> tuple[Heard, DeletedRepository]:
    """A repository on the host's connection, with b1 and h1 deleted, and what it heard."""
    db.store().create_schema()
    repo = repository(db.store(connection))
    heard = Heard()
    repo.add_listener(heard.listener)
    repo.subscribe(heard.subscriber)
    with connection.begin():
        repo.catalog.add(INSTITUTION, [Record("bib", "b1"), Record("holding", "h1", "b1")])
        repo.delete(INSTITUTION, ["b1"], actor=ANA)
        assert heard.events == []
    assert repo.dispatch() == []  # after the host's commit
    return heard, repo


def test_a_restore_the_host_rolls_back_is_never_told(db: Database) -> None:
    """R-E4, D-41: in the host's transaction, a restore waits; rolled back, nobody hears of it."""
    with db.new_engine().connect() as connection:
        heard, repo = prepared(db, connection)
        heard.events.clear()
        with connection.begin() as host:
            plan = repo.plan(ById(kind="bib", id="b1"), requester=MANAGER)
            result = repo.restore(plan, requester=MANAGER)
            assert result.deferred
            assert (heard.restored, heard.events) == ([], [])
            assert [type(e) for e in repo.pending()] == [Restored]
            host.rollback()
        assert [type(e) for e in repo.discard()] == [Restored]
        assert repo.dispatch() == []
        assert (heard.restored, heard.events) == ([], [])
        assert repo.catalog.get(INSTITUTION, ["b1"]) == {}
        assert repo.restore_jobs(requester=MANAGER) == []


def test_a_restore_the_host_commits_is_told_on_dispatch(db: Database) -> None:
    """R-E4, D-41: in the host's transaction, listeners hear of a restore when it dispatches."""
    with db.new_engine().connect() as connection:
        heard, repo = prepared(db, connection)
        assert [type(e) for e in heard.events] == [Deleted]
        with connection.begin():
            plan = repo.plan(ById(kind="bib", id="b1"), requester=MANAGER)
            result = repo.restore(plan, requester=MANAGER)
        assert heard.restored == []
        assert repo.dispatch() == []
        assert heard.restored == [("b1", "h1")]
        assert [e.job for e in heard.events if isinstance(e, Restored)] == list(result.jobs)
        assert repo.pending() == ()


def test_on_its_own_engine_the_store_commits_and_tells_at_once(store: SqlStore) -> None:
    """R-E4, D-41: a store that owns its transactions commits, then the listeners are told."""
    repo = repository(store)
    heard = Heard()
    repo.add_listener(heard.listener)
    repo.catalog.add(INSTITUTION, [Record("bib", "b1")])
    repo.delete(INSTITUTION, ["b1"], actor=ANA)
    result = repo.restore(
        repo.plan(ById(kind="bib", id="b1"), requester=MANAGER), requester=MANAGER
    )
    assert not result.deferred
    assert heard.restored == [("b1",)]
    assert repo.pending() == ()


def test_inside_the_store_s_own_transaction_block_events_wait(store: SqlStore) -> None:
    """D-41: a restore inside `with store.transaction():` that raises is never told."""
    repo = repository(store)
    heard = Heard()
    repo.add_listener(heard.listener)
    repo.catalog.add(INSTITUTION, [Record("bib", "b1")])
    repo.delete(INSTITUTION, ["b1"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="b1"), requester=MANAGER)
    try:
        with store.transaction():
            assert store.in_transaction()
            assert repo.restore(plan, requester=MANAGER).deferred
            raise RuntimeError("the host's own write failed")
    except RuntimeError:
        repo.discard()
    assert heard.restored == []
    assert repo.catalog.get(INSTITUTION, ["b1"]) == {}
    assert not store.in_transaction()
