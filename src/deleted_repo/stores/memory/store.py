"""The in-memory restore-job log, and `MemoryStore`, the three parts under one journal."""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager

from deleted_repo.errors import IntegrityError
from deleted_repo.jobs import JobFilter, RestoreJob
from deleted_repo.stores.keys import micros
from deleted_repo.stores.memory.catalog import MemoryCatalog
from deleted_repo.stores.memory.deleted import MemoryDeletedStore
from deleted_repo.stores.memory.indexes import Journal

__all__ = ["MemoryJobLog", "MemoryStore"]


class MemoryJobLog:
    """An in-memory `deleted_repo.ports.RestoreJobLog`."""

    def __init__(self, journal: Journal | None = None) -> None:
        self._journal = journal or Journal()
        self._jobs: dict[str, dict[str, RestoreJob]] = defaultdict(dict)
        self._order: dict[str, list[tuple[int, str]]] = defaultdict(list)

    def add(self, job: RestoreJob) -> None:
        """See `deleted_repo.ports.RestoreJobLog.add`."""
        jobs = self._jobs[job.institution]
        if job.id in jobs:
            raise IntegrityError(f"restore job {job.id!r} is already recorded")
        jobs[job.id] = job
        stamp = (-micros(job.at), job.id)
        order = self._order[job.institution]
        bisect.insort(order, stamp)

        def undo() -> None:
            del jobs[job.id]
            order.remove(stamp)

        self._journal.record(undo)

    def get(self, institution: str, job_id: str) -> RestoreJob | None:
        """See `deleted_repo.ports.RestoreJobLog.get`."""
        return self._jobs.get(institution, {}).get(job_id)

    def list(
        self,
        institution: str,
        *,
        after: str | None = None,
        limit: int | None = None,
        where: JobFilter | None = None,
    ) -> list[RestoreJob]:
        """See `deleted_repo.ports.RestoreJobLog.list`."""
        jobs = self._jobs.get(institution, {})  # a read never makes a shelf
        order = self._order.get(institution, [])
        start = 0
        if after is not None and after in jobs:
            start = bisect.bisect_right(order, (-micros(jobs[after].at), after))
        if where is not None and where.until is not None:
            start = max(start, bisect.bisect_left(order, (-micros(where.until), "")))
        if where is None:
            stamps = order[start:] if limit is None else order[start : start + limit]
            return [jobs[i] for _, i in stamps]
        found: list[RestoreJob] = []
        oldest = None if where.since is None else -micros(where.since)
        for stamp, ident in itertools.islice(order, start, None):
            if limit is not None and len(found) >= limit:
                break
            if oldest is not None and stamp > oldest:
                break  # newest first: every later job is older still
            if where.matches(job := jobs[ident]):
                found.append(job)
        return found


class MemoryStore:
    """A catalog, a deleted repository and a job log in memory, under one transaction boundary.

    Data fields are indexed from the start for the default policy's unique and searchable
    fields (an item's barcode), and for those a repository names through `index_fields`;
    others are indexed on first use.

    Attributes:
        catalog: the active records (`deleted_repo.ports.Catalog`).
        deleted: the deleted repository (`deleted_repo.ports.DeletedStore`).
        jobs: the restore-job log (`deleted_repo.ports.RestoreJobLog`).
    """

    def __init__(self) -> None:
        self._journal = Journal()
        self.catalog = MemoryCatalog(self._journal)
        self.deleted = MemoryDeletedStore(self._journal)
        self.jobs = MemoryJobLog(self._journal)

    def transaction(self) -> AbstractContextManager[None]:
        """See `deleted_repo.ports.Store.transaction`."""
        return self._journal.transaction()

    def in_transaction(self) -> bool:
        """See `deleted_repo.ports.Store.in_transaction`."""
        return self._journal.depth > 0

    def index_fields(self, fields: Mapping[str, Sequence[str]]) -> None:
        """See `deleted_repo.ports.Store.index_fields`."""
        self.catalog.index_fields(fields)
        self.deleted.index_fields(fields)
