"""`SqlStore`'s set-based restore calls, one by one, on SQLite and PostgreSQL (D-53, D-54).

`tests/contract/test_set_restores.py` holds them to the ports over random histories; here each
promise of `deleted_repo.ports.SetRestores` is checked on purpose.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from deleted_repo import Actor, IntegrityError, Record, RecordNotFoundError
from deleted_repo.stores.sql import SqlStore
from tests.sql.conftest import Database
from tests.support import INSTITUTION, START, repository

ITEM = Record("item", "i1", "h1", {"barcode": "B1", "copies": 1, "notes": {"a": 1, "b": [2]}})


def _deleted(store: SqlStore) -> str:
    """Delete a holding with its item; the event's id."""
    repo = repository(store)
    store.catalog.add(INSTITUTION, [Record("bib", "b1"), Record("holding", "h1", "b1"), ITEM])
    return repo.delete(INSTITUTION, ["h1"], actor=Actor.user("jdoe")).id


def test_as_planned_answers_with_the_deletion_time(store: SqlStore) -> None:
    """D-54: a record deleted as planned maps to its deletion time; others are left out."""
    event = _deleted(store)
    held = store.deleted.get(INSTITUTION, ["i1"])["i1"]
    found = store.deleted_as_planned(
        INSTITUTION, [(ITEM, event), (Record("item", "i9", "h1"), event)]
    )
    assert found == {"i1": held.deleted_at}
    assert held.deleted_at >= START


@pytest.mark.parametrize(
    "edited",
    [
        Record("item", "i1", "h1", {**ITEM.data, "barcode": "B2"}),
        Record("item", "i1", None, dict(ITEM.data)),
        Record("holding", "i1", "h1", dict(ITEM.data)),
        Record("item", "i1", "h1", {"barcode": "B1", "copies": 1}),
    ],
)
def test_an_edited_snapshot_is_not_as_planned(store: SqlStore, edited: Record) -> None:
    """D-54, R-E2: other data, parent or kind than stored: not deleted as planned."""
    event = _deleted(store)
    assert store.deleted_as_planned(INSTITUTION, [(edited, event)]) == {}


def test_another_event_is_not_as_planned(store: SqlStore) -> None:
    """D-54, R-E2: the same snapshot in another event is not deleted as planned."""
    _deleted(store)
    assert store.deleted_as_planned(INSTITUTION, [(ITEM, "another")]) == {}


def test_python_equality_decides(store: SqlStore) -> None:
    """D-54: equal as `Record.__eq__` is as planned: key order and 1 against 1.0 do not count."""
    event = _deleted(store)
    same = Record("item", "i1", "h1", {"notes": {"b": [2], "a": 1.0}, "copies": 1, "barcode": "B1"})
    assert same == ITEM
    assert set(store.deleted_as_planned(INSTITUTION, [(same, event)])) == {"i1"}


def test_restore_deleted_moves_the_records_and_their_fields(store: SqlStore) -> None:
    """D-53: records become active with their data and barcode index, and leave the repository."""
    _deleted(store)
    holding = store.deleted.get(INSTITUTION, ["h1"])["h1"].record
    with store.transaction():
        store.restore_deleted(INSTITUTION, [holding, ITEM])
    assert store.catalog.get(INSTITUTION, ["h1", "i1"]) == {"h1": holding, "i1": ITEM}
    assert store.catalog.find_by_field(INSTITUTION, "item", "barcode", ["B1"]) == {"B1": "i1"}
    assert store.deleted.get(INSTITUTION, ["h1", "i1"]) == {}


def test_restore_deleted_refuses_an_id_not_deleted_and_changes_nothing(store: SqlStore) -> None:
    """D-53: an id not deleted raises `RecordNotFoundError` naming it; nothing moved."""
    _deleted(store)
    with pytest.raises(RecordNotFoundError) as caught, store.transaction():
        store.restore_deleted(INSTITUTION, [ITEM, Record("item", "i9", "h1")])
    assert list(caught.value.ids) == ["i9"]
    assert store.catalog.get(INSTITUTION, ["i1"]) == {}
    assert set(store.deleted.get(INSTITUTION, ["i1"])) == {"i1"}


def test_restore_deleted_refuses_an_active_id_and_changes_nothing(store: SqlStore) -> None:
    """D-53: an id already active raises `IntegrityError`; nothing moved."""
    _deleted(store)
    store.catalog.add(INSTITUTION, [ITEM])
    with pytest.raises(IntegrityError), store.transaction():
        store.restore_deleted(INSTITUTION, [ITEM])
    assert set(store.deleted.get(INSTITUTION, ["i1"])) == {"i1"}
    with pytest.raises(IntegrityError):
        store.restore_deleted(INSTITUTION, [ITEM, ITEM])


def _links(db: Database) -> int:
    """How many lineage links the store holds."""
    table = sa.table("deleted_repo_lineage", sa.column("node"), schema=db.schema)
    with db.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_restore_deleted_forgets_the_links_of_an_event_it_empties(
    db: Database, store: SqlStore
) -> None:
    """D-36: links go with their event's last deleted record, on the set-based path too."""
    _deleted(store)
    assert _links(db) > 0
    store.restore_deleted(INSTITUTION, [Record("holding", "h1", "b1"), ITEM])
    assert _links(db) == 0


def test_deleted_below_keeps_each_parent_event_at_any_depth(store: SqlStore) -> None:
    """D-59, R-P3: everything below the roots deleted in its parent's event, each once.

    A record deleted in another event than its parent stops the walk, with what lies below it.
    """
    repo = repository(store)
    store.catalog.add(
        INSTITUTION,
        [
            Record("bib", "b1"),
            Record("holding", "h1", "b1"),
            Record("holding", "h2", "b1"),
            Record("item", "i1", "h1"),
            Record("item", "i2", "h2"),
        ],
    )
    first = repo.delete(INSTITUTION, ["i2"], actor=Actor.user("jdoe")).id
    second = repo.delete(INSTITUTION, ["b1"], actor=Actor.user("jdoe")).id
    found = store.deleted_below(INSTITUTION, {"b1": second})
    by_id = {record.id: (record, event) for record, event, _ in found}
    assert sorted(by_id) == ["h1", "h2", "i1"]
    assert len(found) == 3
    assert all(event == second for _, event in by_id.values())
    held = store.deleted.get(INSTITUTION, ["h1", "h2", "i1"])
    assert [(r, at) for r, _, at in sorted(found, key=lambda f: f[0].id)] == [
        (held[i].record, held[i].deleted_at) for i in ("h1", "h2", "i1")
    ]
    assert store.deleted_below(INSTITUTION, {"h2": second}) == []
    # A root's event is the one given: below h2 in `first` lies i2, deleted on its own.
    assert [(r.id, e) for r, e, _ in store.deleted_below(INSTITUTION, {"h2": first})] == [
        ("i2", first)
    ]
    assert store.deleted_below(INSTITUTION, {"b1": first}) == []
    assert store.deleted_below(INSTITUTION, {}) == []
