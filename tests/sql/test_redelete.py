"""An id can be deleted again, on every store and through every entry point (R-D6)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from deleted_repo import (
    ById,
    ByUser,
    DeletedRepository,
    Deletion,
    DeletionEvent,
    Record,
    StalePlanError,
)
from deleted_repo.ports import Store
from deleted_repo.stores.memory import MemoryStore
from tests.support import ANA, BO, INSTITUTION, MANAGER, Clock, counter, repository

from .conftest import Database

TITLE = [Record("bib", "b1", None, {"title": "Moby Dick"})]
AGAIN = [Record("bib", "b1", None, {"title": "Moby Dick, catalogued again"})]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """Each store in turn: in memory, SQLite, PostgreSQL."""
    if request.param == "memory":
        yield MemoryStore()
        return
    db: Database = request.getfixturevalue(f"{request.param}_db")
    created = db.store()
    created.create_schema()
    yield created
    created.drop_schema()


@pytest.fixture
def repo(any_store: Store) -> DeletedRepository:
    """A repository over each store, with numbered event ids."""
    return repository(any_store, clock=Clock(), new_id=counter("ev"))


def _delete(repo: DeletedRepository, records: list[Record], entry: str) -> DeletionEvent:
    """Delete `records` through `entry`: the host's catalog holds them when it is `delete`."""
    if entry == "delete":
        return repo.delete(INSTITUTION, [records[0].id], actor=ANA)
    repo.catalog.remove(INSTITUTION, [r.id for r in reversed(records)])
    if entry == "record_deletion":
        return repo.record_deletion(INSTITUTION, records, actor=ANA)
    (event,) = repo.record_deletions(INSTITUTION, [Deletion(records, actor=ANA)])
    return event


ENTRIES = ["delete", "record_deletion", "record_deletions"]


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_bib_catalogued_again_under_a_deleted_id_can_be_deleted_again(
    repo: DeletedRepository, entry: str
) -> None:
    """R-D6: add b1, delete it, add a new b1, delete it again: the newer deletion wins."""
    repo.catalog.add(INSTITUTION, TITLE)
    first = _delete(repo, TITLE, entry)
    repo.catalog.add(INSTITUTION, AGAIN)
    second = _delete(repo, AGAIN, entry)
    hits = repo.search(ById(kind="bib", id="b1"), requester=MANAGER).hits
    assert [(h.event_id, h.title, h.earlier) for h in hits] == [
        (second.id, "Moby Dick, catalogued again", (first.id,))
    ]
    current, older = repo.history("b1", requester=MANAGER)
    assert (current.event_id, current.superseded_by) == (second.id, None)
    assert (older.event_id, older.title, older.superseded_by) == (first.id, "Moby Dick", second.id)
    plan = repo.plan(ById(kind="bib", id="b1"), requester=MANAGER)
    assert [p.record for p in plan.records] == AGAIN
    repo.restore(plan, requester=MANAGER)
    assert repo.catalog.get(INSTITUTION, ["b1"]) == {"b1": AGAIN[0]}
    assert repo.search(ById(kind="bib", id="b1"), requester=MANAGER).hits == ()
    assert [b.superseded_by for b in repo.history("b1", requester=MANAGER)] == [second.id]


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_holding_deleted_again_by_its_bib_s_cascade(repo: DeletedRepository, entry: str) -> None:
    """R-D6, R-D2: a holding deleted, added again under an active bib, goes with the bib."""
    bib, holding = Record("bib", "b1"), Record("holding", "h1", "b1", {"call_number": "A"})
    repo.catalog.add(INSTITUTION, [bib, holding])
    first = repo.delete(INSTITUTION, ["h1"], actor=BO)
    again = Record("holding", "h1", "b1", {"call_number": "B"})
    repo.catalog.add(INSTITUTION, [again])
    second = _delete(repo, [bib, again], entry)
    assert {m.id for m in second.members} == {"b1", "h1"}
    [hit] = repo.search(ById(kind="holding", id="h1"), requester=MANAGER).hits
    assert (hit.event_id, hit.earlier) == (second.id, (first.id,))
    plan = repo.plan(ById(kind="bib", id="b1"), requester=MANAGER)
    assert [p.record for p in plan.records] == [bib, again]


def test_the_older_deletion_is_found_by_its_user_no_more(repo: DeletedRepository) -> None:
    """R-D6, R-S4: a user's action whose only record was deleted again is no last action."""
    repo.catalog.add(INSTITUTION, TITLE)
    repo.delete(INSTITUTION, ["b1"], actor=BO)
    repo.catalog.add(INSTITUTION, AGAIN)
    repo.delete(INSTITUTION, ["b1"], actor=ANA)
    assert repo.search(ByUser(kind="bib", user_id="bo"), requester=MANAGER).hits == ()
    [hit] = repo.search(ByUser(kind="bib", user_id="ana"), requester=MANAGER).hits
    assert hit.title == "Moby Dick, catalogued again"


def test_a_plan_made_before_the_id_was_deleted_again_is_stale(repo: DeletedRepository) -> None:
    """R-D6, R-E2, D-34: the plan's snapshot is superseded, so its restore is refused."""
    repo.catalog.add(INSTITUTION, TITLE)
    repo.delete(INSTITUTION, ["b1"], actor=ANA)
    plan = repo.plan(ById(kind="bib", id="b1"), requester=MANAGER)
    repo.catalog.add(INSTITUTION, AGAIN)
    repo.delete(INSTITUTION, ["b1"], actor=ANA)
    with pytest.raises(StalePlanError) as caught:
        repo.restore(plan, requester=MANAGER)
    assert caught.value.ids == ("b1",)
    assert repo.catalog.get(INSTITUTION, ["b1"]) == {}


def test_purge_leaves_the_older_deletion_for_the_audit(repo: DeletedRepository) -> None:
    """R-D6, R-R1: purging the current deletion keeps the superseded one's record."""
    files: Callable[[str], list[Record]] = lambda label: [  # noqa: E731
        Record("bib", "b1"),
        Record("representation", "r1", "b1"),
        Record("file", "f1", "r1", {"label": label}),
    ]
    repo.catalog.add(INSTITUTION, files("first"))
    repo.delete(INSTITUTION, ["f1"], actor=ANA)
    repo.catalog.add(INSTITUTION, [files("second")[2]])
    repo.delete(INSTITUTION, ["f1"], actor=ANA)
    clock = Clock()
    later = DeletedRepository(repo.store, clock=lambda: clock.now.replace(year=2027))
    assert later.purge(requester=MANAGER).ids == ("f1",)
    [older] = later.history("f1", requester=MANAGER)
    assert older.title == "first"
    assert older.superseded_by is not None
