"""Reading and removing records by id or parent: what the catalog and the deleted store share."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, Generic, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deleted_repo.errors import RecordNotFoundError
from deleted_repo.stores.sql.database import Database
from deleted_repo.stores.sql.queries import INSTITUTION, bind_ids, member

__all__ = ["RecordTable"]


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


_R = TypeVar("_R", bound=_Identified)


def _distinct(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


class RecordTable(Generic[_R]):
    """A table of records keyed by (institution, id), with a parent column and a field table.

    Args:
        database: the database the table is in.
        table: the records' table (``institution``, ``id``, ``parent_id`` columns).
        fields: its field table (``institution``, ``record_id`` columns).
        columns: the columns a record is built from.
        builder: builds the records of rows of `columns`, given the connection they were read
            on and their institution (to read what the records need besides, in one batch).
        state: what the records are, for `RecordNotFoundError` ("active", "deleted").
    """

    def __init__(
        self,
        database: Database,
        table: sa.Table,
        fields: sa.Table,
        columns: Sequence[sa.ColumnElement[Any]],
        builder: Callable[[Connection, str, Sequence[Sequence[Any]]], list[_R]],
        *,
        state: str,
    ) -> None:
        self._db = database
        self._table = table
        self._fields = fields
        self._columns = tuple(columns)
        self._builder = builder
        self._state = state

    def get(self, institution: str, ids: Collection[str]) -> dict[str, _R]:
        """The records of `ids` that are in the table, by id, in the order of `ids`.

        Raises:
            StorageError: the database failed.
        """
        wanted = _distinct(ids)
        if not wanted:
            return {}
        found = {r.id: r for r in self._select("get", self._table.c.id, institution, wanted)}
        return {i: found[i] for i in wanted if i in found}

    def children(self, institution: str, parent_ids: Collection[str]) -> list[_R]:
        """The records whose parent is one of `parent_ids`, in no set order.

        Raises:
            StorageError: the database failed.
        """
        parents = _distinct(parent_ids)
        if not parents:
            return []
        return self._select("children", self._table.c.parent_id, institution, parents)

    def _select(
        self, name: str, column: sa.ColumnElement[str], institution: str, ids: list[str]
    ) -> list[_R]:
        db = self._db
        statement = db.cached(
            (self._table.name, name),
            lambda: sa.select(*self._columns).where(
                self._table.c.institution == INSTITUTION, member(db.dialect, column, "ids")
            ),
        )
        with db.session(write=False) as conn:
            rows = db.execute(
                conn, statement, {"institution": institution, "ids": bind_ids(db.dialect, ids)}
            ).all()
            return self._builder(conn, institution, rows)

    def remove(self, institution: str, ids: Collection[str]) -> None:
        """Remove the records of `ids` and their field rows, all or none.

        Raises:
            RecordNotFoundError: an id is not in the table; nothing was removed.
            StorageError: the database failed.
        """
        wanted = _distinct(ids)
        if not wanted:
            return
        with self._db.session(write=True) as conn:
            self.remove_on(conn, institution, wanted)

    def remove_on(self, conn: Connection, institution: str, ids: Collection[str]) -> None:
        """`remove`, on the connection of a write session already open.

        Raises:
            RecordNotFoundError: an id is not in the table; nothing was removed.
        """
        wanted = _distinct(ids)
        if not wanted:
            return
        db, table, fields = self._db, self._table, self._fields
        records = db.cached(
            (table.name, "remove"),
            lambda: (
                sa.delete(table)
                .where(table.c.institution == INSTITUTION, member(db.dialect, table.c.id, "ids"))
                .returning(table.c.id)
            ),
        )
        values = db.cached(
            (fields.name, "remove"),
            lambda: sa.delete(fields).where(
                fields.c.institution == INSTITUTION,
                member(db.dialect, fields.c.record_id, "ids"),
            ),
        )
        params = {"institution": institution, "ids": bind_ids(db.dialect, wanted)}
        gone = set(db.execute(conn, records, params).scalars())
        if len(gone) != len(wanted):
            raise RecordNotFoundError([i for i in wanted if i not in gone], state=self._state)
        db.execute(conn, values, params)
