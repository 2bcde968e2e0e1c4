"""Capture the host's own deletions: snapshot its rows, let it delete them, record the event.

A host that keeps its catalog in its own tables deletes records with its own code. `Capture`
reads the rows about to go (and every row below them) in one select per table and level, maps
them to `Record`s through a `HostTable` per kind, lets the host delete, and records the deletion
with `DeletedRepository.record_deletion` (R-D1), all in the host's transaction (D-39)::

    capture = Capture(repo, [HostTable(kind="bib", table=bibs), ...])
    with connection.begin():
        with capture.deleting(connection, "01UNI", ["991"], actor=Actor.user("jdoe")) as deleted:
            connection.execute(...)  # the host's own DELETE of the bib and what is below it
    deleted.event  # the DeletionEvent recorded
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from deleted_repo.errors import (
    InvalidInputError,
    RecordNotFoundError,
    StorageError,
    UnknownKindError,
)
from deleted_repo.model import Actor, DeletionEvent, Record

if TYPE_CHECKING:
    from deleted_repo.service import DeletedRepository

__all__ = ["Capture", "Captured", "HostTable"]


def _names(value: Sequence[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


@attrs.frozen(kw_only=True)
class HostTable:
    """How one of the host's tables holds the records of one kind.

    Attributes:
        kind: the kind of its records, declared by the repository's hierarchy.
        table: the host's table.
        id: the column of the record's id.
        institution: the column of the record's institution.
        parent: the column of the parent's id; None for a kind that is always top-level.
        data: the columns that are the record's data (default: every other column). A column
            that is NULL is left out of the data, so a record without that field reads back
            equal (D-40).

    Raises:
        InvalidInputError: a column named is not in the table.
    """

    kind: str
    table: sa.Table
    id: str = "id"
    institution: str = "institution"
    parent: str | None = None
    data: tuple[str, ...] | None = attrs.field(default=None, converter=_names)

    def __attrs_post_init__(self) -> None:
        named = [self.id, self.institution, *([self.parent] if self.parent else [])]
        for column in [*named, *(self.data or ())]:
            if column not in self.table.c:
                raise InvalidInputError(
                    f"table {self.table.name!r} has no column {column!r}",
                    field="column",
                    value=column,
                )

    @property
    def data_columns(self) -> tuple[str, ...]:
        """The columns that are the record's data."""
        if self.data is not None:
            return self.data
        keys = {self.id, self.institution, self.parent}
        return tuple(c.name for c in self.table.columns if c.name not in keys)

    def record_of(self, row: Mapping[Any, Any]) -> Record:
        """The record a row of the table holds (`row` by column name)."""
        parent = row[self.parent] if self.parent is not None else None
        data = {c: row[c] for c in self.data_columns if row[c] is not None}
        return Record(self.kind, row[self.id], parent, data)

    def row_of(self, institution: str, record: Record) -> dict[str, Any]:
        """The row that holds `record` in `institution`, by column name.

        Raises:
            InvalidInputError: the record's data hold a field the table has no column for (it
                would be lost, D-40), or it has a parent and the table no parent column.
        """
        extra = sorted(set(record.data) - set(self.data_columns))
        if extra:
            raise InvalidInputError(
                f"{record.kind} {record.id!r}: table {self.table.name!r} has no column for "
                f"the data fields {extra}",
                field="data",
                value=extra,
            )
        row: dict[str, Any] = {self.id: record.id, self.institution: institution}
        if self.parent is not None:
            row[self.parent] = record.parent_id
        elif record.parent_id is not None:
            raise InvalidInputError(
                f"{record.kind} {record.id!r} has a parent, and table {self.table.name!r} "
                "has no parent column",
                field="parent_id",
                value=record.parent_id,
            )
        row.update({c: record.data.get(c) for c in self.data_columns})
        return row


@attrs.define
class Captured:
    """What `Capture.deleting` captured: the records, then, once the block ends, the event.

    Attributes:
        records: the records deleted, as they were just before, parents first.
        event: the deletion event recorded; None until the block has ended without raising.
    """

    records: list[Record]
    event: DeletionEvent | None = None


class Capture:
    """Snapshots a host's rows before the host deletes them, and records the deletion (D-39).

    Args:
        repo: the repository to record in; its store must work through the connection the
            host deletes on, so that the snapshot, the host's delete and the event share one
            transaction.
        tables: one per kind of the host's catalog.
        schema: the schema of the host's tables (applied with ``schema_translate_map``); None
            for the connection's own.

    Raises:
        UnknownKindError: a table's kind is not declared by the repository's hierarchy.
        InvalidInputError: two tables hold the same kind.
    """

    def __init__(
        self,
        repo: DeletedRepository,
        tables: Sequence[HostTable],
        *,
        schema: str | None = None,
    ) -> None:
        self._repo = repo
        self._tables: dict[str, HostTable] = {}
        for table in tables:
            if table.kind not in repo.hierarchy.kinds:
                raise UnknownKindError(table.kind, repo.hierarchy.kinds)
            if table.kind in self._tables:
                raise InvalidInputError(
                    f"two tables hold the kind {table.kind!r}", field="tables", value=table.kind
                )
            self._tables[table.kind] = table
        self._below = [t for t in self._tables.values() if t.parent is not None]
        self._options: dict[str, Any] = (
            {} if schema is None else {"schema_translate_map": {None: schema}}
        )

    @property
    def tables(self) -> tuple[HostTable, ...]:
        """The host's tables, one per kind."""
        return tuple(self._tables.values())

    def snapshot(
        self, connection: Connection, institution: str, ids: Collection[str]
    ) -> list[Record]:
        """The records `ids` and every record below them, as the host's rows hold them now.

        One select per table for `ids`, then one per table with a parent column for each level
        below; parents come before their children.

        Raises:
            RecordNotFoundError: an id is in none of the tables (R-D5).
            StorageError: the database failed.
        """
        wanted = list(dict.fromkeys(ids))
        found = self._select(connection, institution, "id", wanted)
        missing = sorted(set(wanted) - {r.id for r in found})
        if missing:
            raise RecordNotFoundError(missing, state="active", detail=f"in {institution!r}")
        records, seen = list(found), {r.id for r in found}
        level = [r.id for r in found]
        while level:
            below = [
                r
                for r in self._select(connection, institution, "parent", level)
                if r.id not in seen
            ]
            seen.update(r.id for r in below)
            records.extend(below)
            level = [r.id for r in below]
        return records

    @contextmanager
    def deleting(
        self,
        connection: Connection,
        institution: str,
        ids: Collection[str],
        *,
        actor: Actor,
        at: datetime | None = None,
    ) -> Iterator[Captured]:
        """Snapshot `ids` and what is below them; the block deletes them; then record the event.

        Everything runs in one transaction of the repository's store: the host's if one is
        open on `connection` (joined through a savepoint), else one that commits when the block
        ends. If the block raises, nothing is recorded and its writes are undone.

        Args:
            connection: the connection the host deletes on (the store's).
            institution: the institution of the records.
            ids: the records the host deletes (the event's origins).
            actor: who deletes them.
            at: when (default: now, from the repository's clock).

        Yields:
            The records captured; its `event` is set once the deletion is recorded.

        Raises:
            RecordNotFoundError: an id is not in the host's tables; the block did not run.
            DeletedRepoError: as `DeletedRepository.record_deletion`, for example when the block
                left a captured record in the tables; nothing is recorded, the block's writes
                are undone.
        """
        with self._repo.store.transaction():
            captured = Captured(self.snapshot(connection, institution, ids))
            yield captured
            captured.event = self._repo.record_deletion(
                institution, captured.records, actor=actor, origins=ids, at=at
            )

    def delete(
        self,
        connection: Connection,
        institution: str,
        ids: Collection[str],
        *,
        actor: Actor,
        at: datetime | None = None,
    ) -> DeletionEvent:
        """Delete `ids` and every row below them from the host's tables, and record the event.

        For hosts with no delete code of their own: `deleting` with one DELETE per table,
        the deepest rows first.

        Raises:
            RecordNotFoundError: an id is not in the host's tables; nothing changed.
            StorageError: the database failed; nothing changed.
        """
        with self.deleting(connection, institution, ids, actor=actor, at=at) as captured:
            by_kind: dict[str, list[str]] = {}
            for record in reversed(captured.records):
                by_kind.setdefault(record.kind, []).append(record.id)
            for kind, kind_ids in by_kind.items():
                t = self._tables[kind]
                self._run(
                    connection,
                    sa.delete(t.table).where(
                        t.table.c[t.institution] == institution, t.table.c[t.id].in_(kind_ids)
                    ),
                )
        assert captured.event is not None
        return captured.event

    def _select(
        self, connection: Connection, institution: str, by: str, ids: list[str]
    ) -> list[Record]:
        """The records whose id (`by` "id") or parent id (`by` "parent") is among `ids`."""
        records: list[Record] = []
        for t in self._tables.values() if by == "id" else self._below:
            column = t.id if by == "id" else t.parent
            assert column is not None
            rows = self._run(
                connection,
                sa.select(t.table).where(
                    t.table.c[t.institution] == institution, t.table.c[column].in_(ids)
                ),
            )
            records.extend(t.record_of(row) for row in rows.mappings())
        return records

    def _run(self, connection: Connection, statement: sa.Executable) -> sa.CursorResult[Any]:
        try:
            return connection.execute(statement, execution_options=self._options)
        except sa_exc.SQLAlchemyError as e:
            raise StorageError(f"the database failed: {e}") from e
