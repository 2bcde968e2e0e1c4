"""The catalog of the SQL store: active records, for hosts without a catalog of their own."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from deleted_repo.errors import IntegrityError
from deleted_repo.model import Record
from deleted_repo.stores.keys import field_key
from deleted_repo.stores.sql.codec import CATALOG_COLUMNS, FieldIndex, encode_data, record_of
from deleted_repo.stores.sql.database import Database
from deleted_repo.stores.sql.queries import INSTITUTION, bind_ids, member, recursive_step
from deleted_repo.stores.sql.records import RecordTable
from deleted_repo.stores.sql.schema import catalog, catalog_field

__all__ = ["SqlCatalog"]


class SqlCatalog:
    """The catalog of a `SqlStore` (`deleted_repo.ports.Catalog`), for hosts with none.

    Args:
        database: the store's database.
        fields: the store's indexed data fields.
    """

    def __init__(self, database: Database, fields: FieldIndex) -> None:
        self._db = database
        self._fields = fields
        self._records = RecordTable(
            database,
            catalog,
            catalog_field,
            CATALOG_COLUMNS,
            lambda _conn, _institution, rows: list(map(record_of, rows)),
            state="active",
        )

    def get(self, institution: str, ids: Collection[str]) -> dict[str, Record]:
        """See `deleted_repo.ports.Catalog.get`."""
        return self._records.get(institution, ids)

    def children(self, institution: str, parent_ids: Collection[str]) -> list[Record]:
        """See `deleted_repo.ports.Catalog.children`."""
        return self._records.children(institution, parent_ids)

    def descendants(self, institution: str, ids: Collection[str]) -> list[Record]:
        """Every active record below `ids`, at any depth, in any order: one recursive query.

        The optional method of `deleted_repo.ports.Catalog` (D-37).
        """
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        db = self._db
        statement = db.cached(("catalog.descendants", db.dialect), lambda: _below(db.dialect))
        params = {"institution": institution, "ids": bind_ids(db.dialect, wanted)}
        with db.session(write=False) as conn:
            return list(map(record_of, db.execute(conn, statement, params)))

    def find_by_field(
        self, institution: str, kind: str, field: str, values: Collection[Any]
    ) -> dict[Any, str]:
        """See `deleted_repo.ports.Catalog.find_by_field`.

        The lowest id is returned when several records hold a value.
        """
        keys: dict[Any, str] = {}
        for value in values:
            key = field_key(value)
            if key is not None:
                keys[value] = key
        if not keys:
            return {}
        if not self._fields.holds(kind, field):
            return self._scan(institution, kind, field, keys)
        db = self._db
        f = catalog_field
        statement = db.cached(
            "catalog.find_by_field",
            lambda: (
                sa.select(f.c.value, sa.func.min(f.c.record_id))
                .where(
                    f.c.institution == INSTITUTION,
                    f.c.kind == sa.bindparam("kind"),
                    f.c.field == sa.bindparam("field"),
                    member(db.dialect, f.c.value, "ids"),
                )
                .group_by(f.c.value)
            ),
        )
        params = {
            "institution": institution,
            "kind": kind,
            "field": field,
            "ids": bind_ids(db.dialect, set(keys.values())),
        }
        with db.session(write=False) as conn:
            rows = db.execute(conn, statement, params).all()
        owners = dict(rows)
        return {value: owners[key] for value, key in keys.items() if key in owners}

    def _scan(
        self, institution: str, kind: str, field: str, keys: Mapping[Any, str]
    ) -> dict[Any, str]:
        """find_by_field for a field outside the index: read every record of the kind."""
        db = self._db
        owners: dict[str, str] = {}
        with db.session(write=False) as conn:
            rows = db.execute(
                conn,
                sa.select(catalog.c.id, catalog.c.data).where(
                    catalog.c.institution == institution, catalog.c.kind == kind
                ),
            )
            for ident, data in rows:
                if field in data:
                    key = field_key(data[field])
                    if key is not None and (key not in owners or ident < owners[key]):
                        owners[key] = ident
        return {value: owners[key] for value, key in keys.items() if key in owners}

    def add(self, institution: str, records: Sequence[Record]) -> None:
        """See `deleted_repo.ports.Catalog.add`."""
        if not records:
            return
        ids = [r.id for r in records]
        twice = sorted(i for i, n in Counter(ids).items() if n > 1)
        if twice:
            raise IntegrityError(f"already active or given twice: {twice}")
        db = self._db
        rows = [
            (institution, r.id, r.kind, r.parent_id, data)
            for r, data in zip(records, encode_data(records), strict=True)
        ]
        fields = [row for r in records for row in self._fields.rows(institution, r)]
        try:
            with db.session(write=True) as conn:
                db.insert_many(conn, catalog, rows)
                db.insert_many(conn, catalog_field, fields)
        except IntegrityError as e:
            clashes = sorted(self.get(institution, ids))
            raise IntegrityError(f"already active or given twice: {clashes or ids}") from e

    def remove(self, institution: str, ids: Collection[str]) -> None:
        """See `deleted_repo.ports.Catalog.remove`."""
        self._records.remove(institution, ids)


def _below(dialect: str) -> sa.Select[*tuple[Any, ...]]:
    """The active records below the ids bound as ``ids``: the ids first, then their rows.

    The recursion keeps ids only, each once (``UNION``), so that a loop in the catalog ends.
    """
    c = catalog
    first = sa.select(c.c.id).where(
        c.c.institution == INSTITUTION, member(dialect, c.c.parent_id, "ids")
    )
    below = first.cte("below", recursive=True)
    found = sa.select(c.c.id).where(c.c.institution == INSTITUTION, c.c.parent_id == below.c.id)
    below = below.union(recursive_step(dialect, below, found))
    return sa.select(*CATALOG_COLUMNS).where(
        c.c.institution == INSTITUTION, c.c.id.in_(sa.select(below.c.id))
    )
