"""`HostCatalog`: the `deleted_repo.ports.Catalog` over the host's own tables.

Batch-first: each method runs one statement per table, with the ids in an IN list, whatever
their number.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from deleted_repo import IntegrityError, Record, RecordNotFoundError, StorageError
from deleted_repo.errors import UnknownKindError
from deleted_repo.stores.sql import HostTable

__all__ = ["HostCatalog"]


class HostCatalog:
    """The active records, in the host's tables (`deleted_repo.ports.Catalog`).

    Args:
        connection: the connection of the host's transaction, shared with the library's store.
        tables: how each table holds one kind.
        schema: the schema of the tables (PostgreSQL); None for the connection's own.

    A write outside a transaction runs in one of its own; inside one, under a savepoint, so
    that a refused write changes nothing and the transaction goes on.
    """

    def __init__(
        self, connection: Connection, tables: Sequence[HostTable], *, schema: str | None = None
    ) -> None:
        self._connection = connection
        self._tables = {t.kind: t for t in tables}
        self._options: dict[str, Any] = (
            {} if schema is None else {"schema_translate_map": {None: schema}}
        )

    @contextmanager
    def _session(self, *, write: bool) -> Iterator[Connection]:
        """The connection, in the open transaction (a savepoint for writes) or a new one."""
        conn = self._connection
        try:
            if not conn.in_transaction():
                with conn.begin():
                    yield conn
            elif write:
                with conn.begin_nested():
                    yield conn
            else:
                yield conn
        except sa_exc.IntegrityError as e:
            raise IntegrityError(f"the database refused the write: {e.orig}") from e
        except sa_exc.SQLAlchemyError as e:
            raise StorageError(f"the database failed: {e}") from e

    def _run(self, conn: Connection, statement: sa.Executable) -> sa.CursorResult[Any]:
        return conn.execute(statement, execution_options=self._options)

    def _where(
        self, conn: Connection, t: HostTable, column: str, institution: str, ids: list[str]
    ) -> list[Record]:
        c = t.table.c
        rows = self._run(
            conn, sa.select(t.table).where(c[t.institution] == institution, c[column].in_(ids))
        )
        return [t.record_of(row) for row in rows.mappings()]

    def get(self, institution: str, ids: Collection[str]) -> dict[str, Record]:
        """See `deleted_repo.ports.Catalog.get`."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        with self._session(write=False) as conn:
            return {
                r.id: r
                for t in self._tables.values()
                for r in self._where(conn, t, t.id, institution, wanted)
            }

    def children(self, institution: str, parent_ids: Collection[str]) -> list[Record]:
        """See `deleted_repo.ports.Catalog.children`."""
        wanted = sorted(set(parent_ids))
        if not wanted:
            return []
        with self._session(write=False) as conn:
            return [
                r
                for t in self._tables.values()
                if t.parent is not None
                for r in self._where(conn, t, t.parent, institution, wanted)
            ]

    def find_by_field(
        self, institution: str, kind: str, field: str, values: Collection[Any]
    ) -> dict[Any, str]:
        """See `deleted_repo.ports.Catalog.find_by_field`.

        The columns hold text only, so other values are held by no record; the lowest id is
        returned when several records hold a value.
        """
        t = self._tables.get(kind)
        texts = sorted({v for v in values if isinstance(v, str)})
        if t is None or field not in t.data_columns or not texts:
            return {}
        c = t.table.c
        statement = (
            sa.select(c[field], sa.func.min(c[t.id]))
            .where(c[t.institution] == institution, c[field].in_(texts))
            .group_by(c[field])
        )
        with self._session(write=False) as conn:
            rows = conn.execute(statement, execution_options=self._options).all()
        owners: dict[str, str] = dict(rows)
        return {v: owners[v] for v in values if isinstance(v, str) and v in owners}

    def add(self, institution: str, records: Sequence[Record]) -> None:
        """See `deleted_repo.ports.Catalog.add`.

        Raises:
            IntegrityError: an id is already active (in any of the tables), or given twice.
            InvalidInputError: a record's kind has no table, or its data a field with no column.
        """
        if not records:
            return
        twice = sorted(i for i, n in Counter(r.id for r in records).items() if n > 1)
        if twice:
            raise IntegrityError(f"given twice: {twice}")
        rows: dict[str, list[dict[str, Any]]] = {}
        for r in records:
            t = self._tables.get(r.kind)
            if t is None:
                raise UnknownKindError(r.kind, self._tables)
            rows.setdefault(r.kind, []).append(t.row_of(institution, r))
        with self._session(write=True) as conn:
            active = sorted(self.get(institution, [r.id for r in records]))
            if active:
                raise IntegrityError(f"already active: {active}")
            for kind, kind_rows in rows.items():
                self._run(conn, sa.insert(self._tables[kind].table).values(kind_rows))

    def remove(self, institution: str, ids: Collection[str]) -> None:
        """See `deleted_repo.ports.Catalog.remove`."""
        wanted = sorted(set(ids))
        if not wanted:
            return
        with self._session(write=True) as conn:
            active = self.get(institution, wanted)
            missing = [i for i in wanted if i not in active]
            if missing:
                raise RecordNotFoundError(missing, state="active")
            for t in self._tables.values():
                held = [i for i in wanted if active[i].kind == t.kind]
                if held:
                    c = t.table.c
                    self._run(
                        conn,
                        sa.delete(t.table).where(
                            c[t.institution] == institution, c[t.id].in_(held)
                        ),
                    )
