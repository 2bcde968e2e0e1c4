"""The in-memory catalog."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from deleted_repo.errors import IntegrityError, RecordNotFoundError
from deleted_repo.model import Record
from deleted_repo.policy import Policy
from deleted_repo.stores.keys import hashable
from deleted_repo.stores.memory.indexes import FieldIndex, IdsBy, Journal

__all__ = ["MemoryCatalog"]


class _CatalogShelf:
    def __init__(self, indexed: Mapping[str, Sequence[str]]) -> None:
        self.records: dict[str, Record] = {}
        self.children = IdsBy()
        self.fields = FieldIndex(lambda: iter(self.records.values()), indexed)


class MemoryCatalog:
    """An in-memory `deleted_repo.ports.Catalog`, for tests, examples and hosts with none.

    Args:
        journal: the undo journal shared with the other parts of a `MemoryStore`.
    """

    def __init__(self, journal: Journal | None = None) -> None:
        self._journal = journal or Journal()
        self._indexed: Mapping[str, Sequence[str]] = Policy().indexed_fields()
        self._shelves: dict[str, _CatalogShelf] = defaultdict(lambda: _CatalogShelf(self._indexed))

    def index_fields(self, fields: Mapping[str, Sequence[str]]) -> None:
        """Index `fields` (per kind) from now on; see `deleted_repo.ports.Store.index_fields`."""
        self._indexed = {kind: tuple(names) for kind, names in fields.items()}
        for shelf in self._shelves.values():
            shelf.fields.ensure_all(self._indexed)

    def get(self, institution: str, ids: Collection[str]) -> dict[str, Record]:
        """See `deleted_repo.ports.Catalog.get`."""
        shelf = self._shelves.get(institution)  # a read never makes a shelf
        if shelf is None:
            return {}
        return {i: shelf.records[i] for i in ids if i in shelf.records}

    def children(self, institution: str, parent_ids: Collection[str]) -> list[Record]:
        """See `deleted_repo.ports.Catalog.children`."""
        shelf = self._shelves.get(institution)
        if shelf is None:
            return []
        return [shelf.records[c] for p in parent_ids for c in shelf.children.get(p)]

    def find_by_field(
        self, institution: str, kind: str, field: str, values: Collection[Any]
    ) -> dict[Any, str]:
        """See `deleted_repo.ports.Catalog.find_by_field`."""
        shelf = self._shelves.get(institution)
        if shelf is None:
            return {}
        index = shelf.fields.ensure(kind, field)
        found = {}
        for value in values:
            ids = index.get(value) if hashable(value) else ()
            if ids:
                found[value] = min(ids)
        return found

    def add(self, institution: str, records: Sequence[Record]) -> None:
        """See `deleted_repo.ports.Catalog.add`."""
        shelf = self._shelves[institution]
        ids = [r.id for r in records]
        clashes = [i for i in ids if i in shelf.records]
        if clashes or len(set(ids)) != len(ids):
            raise IntegrityError(f"already active or given twice: {clashes or ids}")
        self._insert(shelf, records)
        self._journal.record(lambda: self._drop(shelf, ids))

    def remove(self, institution: str, ids: Collection[str]) -> None:
        """See `deleted_repo.ports.Catalog.remove`."""
        shelf = self._shelves[institution]
        missing = [i for i in ids if i not in shelf.records]
        if missing:
            raise RecordNotFoundError(missing, state="active")
        removed = self._delete(shelf, ids)
        self._journal.record(lambda: self._insert(shelf, removed))

    @staticmethod
    def _insert(shelf: _CatalogShelf, records: Sequence[Record]) -> None:
        for r in records:
            shelf.records[r.id] = r
            if r.parent_id is not None:
                shelf.children.add(r.parent_id, r.id)
            shelf.fields.add(r)

    @classmethod
    def _drop(cls, shelf: _CatalogShelf, ids: Collection[str]) -> None:
        cls._delete(shelf, ids)

    @staticmethod
    def _delete(shelf: _CatalogShelf, ids: Collection[str]) -> list[Record]:
        removed = [shelf.records.pop(i) for i in ids]
        for r in removed:
            if r.parent_id is not None:
                shelf.children.discard(r.parent_id, r.id)
            shelf.fields.discard(r)
        return removed
