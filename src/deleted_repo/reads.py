"""The reads the rules need: the read methods of the catalog and the deleted store.

The pure core (deleting, searching, planning, restore checks, retention) reads the state only
through a `StateReader`, in batches, and never writes. Any two objects with these methods will
do: the ports of a store, or fakes in a test.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import attrs

from deleted_repo.model import Actor, DeletedRecord, Record, Superseded
from deleted_repo.search import Cursor, Query, Window

__all__ = ["LEVELS", "CatalogReads", "DeletedBelow", "DeletedReads", "StateReader"]

LEVELS = 3
"""How many levels below some records `StateReader.descendants` reads one call a level."""


class CatalogReads(Protocol):
    """The read methods of `deleted_repo.ports.Catalog`."""

    def get(self, institution: str, ids: Collection[str]) -> Mapping[str, Record]:
        """See `deleted_repo.ports.Catalog.get`."""

    def children(self, institution: str, parent_ids: Collection[str]) -> Sequence[Record]:
        """See `deleted_repo.ports.Catalog.children`."""

    def find_by_field(
        self, institution: str, kind: str, field: str, values: Collection[Any]
    ) -> Mapping[Any, str]:
        """See `deleted_repo.ports.Catalog.find_by_field`."""


class DeletedReads(Protocol):
    """The read methods of `deleted_repo.ports.DeletedStore`."""

    def get(self, institution: str, ids: Collection[str]) -> Mapping[str, DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.get`."""

    def children(self, institution: str, parent_ids: Collection[str]) -> Sequence[DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.children`."""

    def find(
        self, query: Query, *, after: Cursor | None = None, limit: int | None = None
    ) -> Sequence[DeletedRecord]:
        """See `deleted_repo.ports.DeletedStore.find`."""

    def superseded(
        self, institution: str, ids: Collection[str]
    ) -> Mapping[str, Sequence[Superseded]]:
        """See `deleted_repo.ports.DeletedStore.superseded`."""

    def latest_event(self, institution: str, actor: Actor, window: Window) -> str | None:
        """See `deleted_repo.ports.DeletedStore.latest_event`."""

    def has_actor(self, institution: str, actor: Actor) -> bool:
        """See `deleted_repo.ports.DeletedStore.has_actor`."""


class DeletedBelow(Protocol):
    """The read of `deleted_repo.ports.SetRestores` that planning uses (D-59)."""

    def deleted_below(
        self, institution: str, roots: Mapping[str, str]
    ) -> Sequence[tuple[Record, str, datetime]]:
        """See `deleted_repo.ports.SetRestores.deleted_below`."""


@attrs.frozen
class StateReader:
    """Read access to the state: the catalog's and the deleted store's read methods.

    Attributes:
        catalog: anything with the read methods of `deleted_repo.ports.Catalog`.
        deleted: anything with the read methods of `deleted_repo.ports.DeletedStore`.
        set_based: the store's set-based reads, when it offers them (D-53, D-59); None: the
            ports' reads alone.
    """

    catalog: CatalogReads
    deleted: DeletedReads
    set_based: DeletedBelow | None = attrs.field(default=None, kw_only=True)

    def known(self, institution: str, ids: Collection[str]) -> dict[str, Record]:
        """The records among `ids` that are active or deleted; a deleted snapshot wins."""
        found: dict[str, Record] = dict(self.catalog.get(institution, ids))
        found.update((i, d.record) for i, d in self.deleted.get(institution, ids).items())
        return found

    def descendants(self, institution: str, ids: Collection[str]) -> list[Record]:
        """Every active record below `ids`, at any depth, in any order, each once.

        The first `LEVELS` levels through ``children``, one call a level, as shallow
        hierarchies need; what lies deeper in one call when the catalog offers
        ``descendants`` (an optional method of `deleted_repo.ports.Catalog`, D-37), else on
        level by level.
        """
        offered = getattr(self.catalog, "descendants", None)
        found: list[Record] = []
        looked = set(ids)
        frontier: Collection[str] = looked
        depth = 0
        while frontier:
            if offered is not None and depth >= LEVELS:
                found += [r for r in offered(institution, frontier) if r.id not in looked]
                break
            level = [c for c in self.catalog.children(institution, frontier) if c.id not in looked]
            found += level
            frontier = {c.id for c in level}
            looked |= frontier
            depth += 1
        return found

    def ancestors(
        self, institution: str, records: Mapping[str, Record], looked: Collection[str] = ()
    ) -> dict[str, Record]:
        """The active or deleted records above `records`, read level by level.

        Ids in `records` or `looked` are not read again.
        """
        found: dict[str, Record] = {}
        looked = {*records, *looked}
        frontier = {p for r in records.values() if (p := r.parent_id) is not None} - looked
        while frontier:
            level = self.known(institution, frontier)
            found.update(level)
            looked |= frontier
            frontier = {p for r in level.values() if (p := r.parent_id) is not None} - looked
        return found
