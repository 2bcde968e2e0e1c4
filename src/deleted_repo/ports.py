"""The storage ports: what `deleted_repo` needs from the host's persistence.

Each port is a small `typing.Protocol`; its docstrings are the contract every adapter keeps, and
`deleted_repo.testing.contract` checks it. Methods are batch-first: they take and return
collections, so no adapter is pushed into one query per record. Adapters need not inherit from
these classes; type checkers match them structurally.

Common terms:
    * Every method is scoped to one institution (R-M3); nothing crosses institutions.
    * "Missing ids are left out" means the returned mapping simply has no key for them.
    * Writes raise `deleted_repo.errors.IntegrityError` or `RecordNotFoundError` *before* changing
      anything; an adapter's own failures raise `StorageError` (driver errors chained).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from deleted_repo.jobs import JobFilter, RestoreJob
from deleted_repo.model import Actor, DeletedRecord, DeletionEvent, Record, Superseded
from deleted_repo.search import Cursor, Query, Window

__all__ = ["Catalog", "DeletedStore", "RestoreJobLog", "SetRestores", "Store"]


class Catalog(Protocol):
    """The host's active records: the catalog a delete takes from and a restore puts back into.

    A catalog may also offer ``descendants(institution, ids) -> Sequence[Record]``: every
    active record below `ids`, at any depth, in any order, each once. A delete then reads
    what lies below the first levels in one call rather than one `children` call per level
    (D-37); without it, nothing changes but the number of calls.
    """

    def get(self, institution: str, ids: Collection[str]) -> Mapping[str, Record]:
        """Return the active records among `ids`, by id; missing ids are left out."""

    def children(self, institution: str, parent_ids: Collection[str]) -> Sequence[Record]:
        """Return every active record whose parent is one of `parent_ids`, in any order."""

    def find_by_field(
        self, institution: str, kind: str, field: str, values: Collection[Any]
    ) -> Mapping[Any, str]:
        """Return, for each of `values` held in `field` by an active record of `kind`, that id.

        Values no active record holds are left out. When several records hold a value (the host
        does not enforce uniqueness), any one of their ids may be returned.
        """

    def add(self, institution: str, records: Sequence[Record]) -> None:
        """Make `records` active, in the order given (parents before children).

        Raises:
            IntegrityError: an id is already active, or given twice; nothing was added.
        """

    def remove(self, institution: str, ids: Collection[str]) -> None:
        """Remove the active records `ids` from the catalog.

        Raises:
            RecordNotFoundError: an id is not active; nothing was removed.
        """


class DeletedStore(Protocol):
    """The deleted repository: deletion events and the records they deleted that remain."""

    def add_events(self, events: Sequence[DeletionEvent]) -> None:
        """Record `events`: each member becomes a deleted record, findable at once.

        The store remembers the order events were added in; it breaks ties of equal time in
        `latest_event`.

        A member whose id is already deleted supersedes that deleted record (R-D6): the older
        record leaves the repository (no read returns it but `superseded`, and it no longer
        counts as remaining in its event) and is kept for good as superseded by the member's
        event. Events apply in the order given, so in one call a later event's member
        supersedes an earlier event's.

        Raises:
            IntegrityError: an event id is already recorded, or given twice; nothing was added.
        """

    def get(self, institution: str, ids: Collection[str]) -> Mapping[str, DeletedRecord]:
        """Return the deleted records among `ids`, by id; missing ids are left out."""

    def children(self, institution: str, parent_ids: Collection[str]) -> Sequence[DeletedRecord]:
        """Return every deleted record whose snapshot's parent is one of `parent_ids`."""

    def superseded(
        self, institution: str, ids: Collection[str]
    ) -> Mapping[str, Sequence[Superseded]]:
        """Return, for each of `ids` that has any, its superseded deletions, oldest first (R-D6).

        Ids with none are left out. Restoring or purging an id's current deletion leaves its
        superseded ones as they are.
        """

    def find(
        self, query: Query, *, after: Cursor | None = None, limit: int | None = None
    ) -> Sequence[DeletedRecord]:
        """Return the deleted records matching every filter of `query`, in search order.

        Search order is deletion time, newest first, then id ascending (R-S8). With `after`,
        only records strictly after that position are returned; with `limit`, at most that many.
        The work done should grow with the records returned, not with the store.
        """

    def latest_event(self, institution: str, actor: Actor, window: Window) -> str | None:
        """Return the id of `actor`'s most recent event inside `window` that still has records.

        "Most recent" is by event time, then by the order events were added. Events all of
        whose records were restored or purged do not count (R-S4, D-10). None when there is none.
        """

    def has_actor(self, institution: str, actor: Actor) -> bool:
        """Tell whether any event by `actor` was ever recorded, even if since fully restored."""

    def remove(self, institution: str, ids: Collection[str]) -> None:
        """Take the deleted records `ids` out of the repository (restored or purged).

        Their events stay recorded; only the records leave (R-S9).

        Raises:
            RecordNotFoundError: an id is not deleted; nothing was removed.
        """


class RestoreJobLog(Protocol):
    """The audit of restore jobs and of refused restore attempts (R-E3, D-42)."""

    def add(self, job: RestoreJob) -> None:
        """Record `job`.

        Raises:
            IntegrityError: a job with its id is already recorded; nothing was added.
        """

    def get(self, institution: str, job_id: str) -> RestoreJob | None:
        """Return the job `job_id`, or None if it was never recorded."""

    def list(
        self,
        institution: str,
        *,
        after: str | None = None,
        limit: int | None = None,
        where: JobFilter | None = None,
    ) -> Sequence[RestoreJob]:
        """Return jobs newest first (then by id); `after` is the id of the last job seen.

        With `where`, only the jobs it keeps (`JobFilter.matches`), paged the same way; the
        work done should grow with the jobs returned and those the filter passes over, read in
        batches, never one query per job. Callers pass as `after` only ids of recorded jobs;
        `DeletedRepository` passes `where` only when it filters something (D-42).
        """


class Store(Protocol):
    """Everything a `DeletedRepository` is built from: the three ports and their transaction.

    `deleted_repo.stores.memory.MemoryStore` and `deleted_repo.stores.sql.SqlStore` are stores;
    a host with its own catalog writes a small class that holds its catalog beside the
    library's deleted store and job log, and opens one transaction over all three.

    A store may also have ``in_transaction() -> bool``, telling whether a transaction is open
    around the caller, so that `transaction` would join it rather than commit (D-41).
    `DeletedRepository` asks before it writes: when a transaction it did not open is in
    progress, it holds its events back until the host calls `dispatch` after its own commit.
    The method is optional: a store without it is taken to commit its own transactions.
    `MemoryStore` and `SqlStore` have it.
    """

    @property
    def catalog(self) -> Catalog:
        """The active records."""

    @property
    def deleted(self) -> DeletedStore:
        """The deleted repository."""

    @property
    def jobs(self) -> RestoreJobLog:
        """The audit of restore jobs."""

    def transaction(self) -> AbstractContextManager[None]:
        """Open a transaction: commit when the block ends, roll everything back if it raises.

        Writes through the three ports inside the block are all kept or all undone (R-E1). A
        transaction opened inside another joins it (D-29).
        """

    def index_fields(self, fields: Mapping[str, Sequence[str]]) -> None:
        """Keep the data `fields` (per kind) indexed, so look-ups by their values need no scan.

        `DeletedRepository` calls it once, when it is built, with its policy's unique and
        searchable fields; it is the one place a store learns them. Searches and
        `Catalog.find_by_field` must give the same answers for any field, indexed or not; a
        store without field indexes may do nothing.
        """


@runtime_checkable
class SetRestores(Protocol):
    """An optional capability of a store: restore a batch with set-based reads and writes (D-53).

    A store that has both methods is used through them by `DeletedRepository.restore`; any
    other store is used through its three ports alone. Both are called inside the restore's
    `Store.transaction`, and must answer exactly what the ports would: the public contract
    (`deleted_repo.testing.agreement.run_set_agreement`) compares a store with a copy of itself
    whose capability is hidden. The rules stay in the core: `deleted_repo.restoring.check_fresh`
    decides what to ask, in which order, and what a refusal says.
    """

    def deleted_as_planned(
        self, institution: str, planned: Sequence[tuple[Record, str]]
    ) -> Mapping[str, datetime]:
        """For each (record, event id) deleted now as given, its deletion time, by id.

        "As given" is what `DeletedStore.get` would tell: the id is deleted, in that event,
        with a snapshot equal to the record (`Record.__eq__`). The others are left out.
        """

    def deleted_below(
        self, institution: str, roots: Mapping[str, str]
    ) -> Sequence[tuple[Record, str, datetime]]:
        """The deleted records below `roots` (id: its event id), each in its parent's event.

        Every deleted record reached from a root through parents deleted in the same event as
        their child, at any depth: what `DeletedStore.children` called level by level would
        reach, keeping the children deleted in their parent's event. Each comes once, as
        (snapshot, event id, deletion time), in no set order; no lineage is read. The planner
        walks its cascades (R-P3) through it (D-59).
        """

    def restore_deleted(self, institution: str, records: Sequence[Record]) -> None:
        """Make the deleted `records` active, as `Catalog.add` then `DeletedStore.remove` would.

        The caller has checked, in this transaction, that each is deleted as given
        (`deleted_as_planned`): a store may copy its stored rows rather than the values given.

        Raises:
            IntegrityError: an id is already active, or given twice; nothing changed.
            RecordNotFoundError: an id is not deleted; nothing changed.
        """
