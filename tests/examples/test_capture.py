"""`Capture`: a host's deletions, snapshotted from its own rows and recorded in its transaction.

R-D1 (one action, one event, with snapshots), R-D2 (everything below goes too), R-D5 (only
active records), D-30 (a record still active is refused) and D-39 (the capture helper).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from examples.host import HOST_HIERARCHY, HOST_TABLES, bibs, holdings, items
from examples.host.app import INSTITUTION, delete_bib, shelve
from sqlalchemy.engine import Connection

from deleted_repo import (
    Actor,
    DeletedRepository,
    InvalidInputError,
    MemberRole,
    Record,
    RecordNotFoundError,
    UnknownKindError,
)
from deleted_repo.stores.sql import Capture, HostTable

from .conftest import Host

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
JDOE = Actor.user("jdoe")
TREE = ["991", "221", "231", "232"]


class Boom(Exception):
    """Raised by a host's block to make it fail."""


@pytest.fixture
def host(sqlite_host: Host) -> Host:
    """The example host holding bib 991, its holding 221 and items 231 and 232."""
    shelve(sqlite_host.connection)
    return sqlite_host


def _repo(host: Host) -> DeletedRepository:
    return DeletedRepository(host.store(), clock=lambda: NOW, hierarchy=HOST_HIERARCHY)


def _ids(connection: Connection) -> list[str]:
    return sorted(
        ident
        for table in (bibs, holdings, items)
        for ident in connection.scalars(sa.select(table.c.id))
    )


def _rows(connection: Connection) -> list[str]:
    with connection.begin():
        return _ids(connection)


@contextmanager
def _counted(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    sa.event.listen(connection.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(connection.engine, "before_cursor_execute", count)


def test_a_captured_deletion_is_one_event_of_the_rows_as_they_were(host: Host) -> None:
    """The host's delete of a bib is recorded as one event with every row below it (R-D1, R-D2).

    The snapshots are the rows' columns; a NULL column is left out of the data (D-40).
    """
    repo, capture = _repo(host), Capture(_repo(host), HOST_TABLES)
    deleting = capture.deleting(host.connection, INSTITUTION, ["991"], actor=JDOE)
    with host.connection.begin(), deleting as deleted:
        delete_bib(host.connection, "991")
    assert deleted.event is not None
    assert [(m.id, m.role) for m in deleted.event.members] == [
        ("991", MemberRole.ORIGIN),
        ("221", MemberRole.CASCADE),
        ("231", MemberRole.CASCADE),
        ("232", MemberRole.CASCADE),
    ]
    assert repo.deleted.get(INSTITUTION, ["231"])["231"].record == Record(
        "item", "231", "221", {"barcode": "B-1"}
    )
    assert _rows(host.connection) == []


def test_a_host_rollback_undoes_its_delete_and_the_captured_deletion(host: Host) -> None:
    """When the host rolls its transaction back, its rows are back and nothing is recorded."""
    repo, capture = _repo(host), Capture(_repo(host), HOST_TABLES)
    with host.connection.begin() as transaction:
        with capture.deleting(host.connection, INSTITUTION, ["991"], actor=JDOE) as deleted:
            delete_bib(host.connection, "991")
        assert deleted.event is not None
        transaction.rollback()
    assert _rows(host.connection) == sorted(TREE)
    assert dict(repo.deleted.get(INSTITUTION, TREE)) == {}
    assert not repo.deleted.has_actor(INSTITUTION, JDOE)


def test_a_block_that_raises_records_nothing_and_undoes_its_delete(host: Host) -> None:
    """A host block that fails midway leaves its rows and records nothing; the host goes on."""
    repo, capture = _repo(host), Capture(_repo(host), HOST_TABLES)
    with host.connection.begin():
        try:
            with capture.deleting(host.connection, INSTITUTION, ["991"], actor=JDOE):
                delete_bib(host.connection, "991")
                raise Boom
        except Boom:
            pass
        assert _ids(host.connection) == sorted(TREE)
        host.connection.execute(sa.update(items).values(status="checked"))
    with host.connection.begin():
        assert set(host.connection.scalars(sa.select(items.c.status))) == {"checked"}
    assert dict(repo.deleted.get(INSTITUTION, TREE)) == {}


def test_an_id_not_in_the_tables_is_refused_before_the_block_runs(host: Host) -> None:
    """Capturing an id the host does not hold raises `RecordNotFoundError` (R-D5)."""
    capture, ran = Capture(_repo(host), HOST_TABLES), []
    deleting = capture.deleting(host.connection, INSTITUTION, ["991", "nope"], actor=JDOE)
    with pytest.raises(RecordNotFoundError, match="nope"), deleting:
        ran.append(True)
    assert ran == []
    assert _rows(host.connection) == sorted(TREE)


def test_a_row_the_host_left_is_refused_and_nothing_is_recorded(host: Host) -> None:
    """A captured record still active after the block is refused, and nothing is kept (D-30)."""
    repo, capture = _repo(host), Capture(_repo(host), HOST_TABLES)
    deleting = capture.deleting(host.connection, INSTITUTION, ["991"], actor=JDOE)
    with pytest.raises(RecordNotFoundError), deleting:
        host.connection.execute(sa.delete(bibs).where(bibs.c.id == "991"))
    assert _rows(host.connection) == sorted(TREE)
    assert dict(repo.deleted.get(INSTITUTION, TREE)) == {}


def test_delete_removes_the_rows_and_records_them_without_a_host_transaction(host: Host) -> None:
    """`Capture.delete` deletes the rows itself, and commits when no transaction is open."""
    repo, capture = _repo(host), Capture(_repo(host), HOST_TABLES)
    event = capture.delete(host.connection, INSTITUTION, ["221"], actor=JDOE)
    assert [m.id for m in event.members] == ["221", "231", "232"]
    assert not host.connection.in_transaction()
    assert _rows(host.connection) == ["991"]
    assert sorted(repo.deleted.get(INSTITUTION, TREE)) == ["221", "231", "232"]


def test_the_snapshot_reads_one_statement_per_table_and_level(host: Host) -> None:
    """The snapshot is batch-first: its statements do not grow with the rows deleted."""
    capture = Capture(_repo(host), HOST_TABLES)
    with host.connection.begin():
        host.connection.execute(
            sa.insert(items),
            [
                {"institution": INSTITUTION, "id": f"9{n}", "holding_id": "221", "barcode": f"X{n}"}
                for n in range(50)
            ],
        )
    with host.connection.begin(), _counted(host.connection) as statements:
        records = capture.snapshot(host.connection, INSTITUTION, ["991"])
    assert len(records) == 54
    # The ids in the three tables; then holdings and items below each of three levels.
    assert len(statements) == 3 + 2 * 3


def test_host_tables_name_only_their_columns_and_declared_kinds(host: Host) -> None:
    """A mapping naming a missing column, or a kind the hierarchy lacks, is refused."""
    with pytest.raises(InvalidInputError, match="no column 'bib'"):
        HostTable(kind="holding", table=holdings, parent="bib")
    with pytest.raises(UnknownKindError):
        Capture(_repo(host), [HostTable(kind="portfolio", table=bibs)])
    with pytest.raises(InvalidInputError, match="two tables"):
        Capture(_repo(host), [HOST_TABLES[0], HostTable(kind="bib", table=items)])


def test_a_record_with_a_field_the_table_lacks_is_refused() -> None:
    """`HostTable.row_of` refuses data it has no column for, rather than losing it (D-40)."""
    with pytest.raises(InvalidInputError, match="'isbn'"):
        HOST_TABLES[0].row_of(INSTITUTION, Record("bib", "9", None, {"isbn": "x"}))
