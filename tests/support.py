"""What the tests share: the clock, the constants, the sample catalogs, ids, repositories.

The sample catalogs are lists so that tests may slice and extend them; treat them as read-only.
`Wrapped` is the one store wrapper for tests that watch or break port calls: every call to its
ports goes through a hook.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from deleted_repo import (
    Actor,
    DeletedRepository,
    JobStatus,
    Record,
    Requester,
    RestoreJob,
    StalePlanError,
)
from deleted_repo.ports import Catalog, DeletedStore, RestoreJobLog, Store
from deleted_repo.stores.memory import MemoryStore

INSTITUTION = "01UNI"
"""The institution most tests work in."""

OTHER = "02OTH"
"""A second institution, holding the same ids or none of them (R-M3)."""

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
"""The clock's time when a test starts."""


def manager_of(institution: str) -> Requester:
    """A Repository Manager of `institution`."""
    return Requester(user_id="manager", institution=institution, roles={"Repository Manager"})


MANAGER = manager_of(INSTITUTION)
"""A Repository Manager of `INSTITUTION`."""

CLERK = Requester(user_id="clerk", institution=INSTITUTION, roles={"Cataloger"})
"""A cataloguer of `INSTITUTION`, without the restore role (R-P1)."""

ANA = Actor.user("ana")
"""The user who makes most of the deletions."""

BO = Actor.user("bo")
"""A second user, for deletions that must be told apart from Ana's."""


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by a timedelta's keyword arguments; return the new time."""
        self.now += timedelta(**delta)
        return self.now


def counter(prefix: str) -> Callable[[], str]:
    """Make deterministic ids: prefix-0001, prefix-0002, ..."""
    numbers = itertools.count(1)
    return lambda: f"{prefix}-{next(numbers):04d}"


def repository(store: Store | None = None, **options: Any) -> DeletedRepository:
    """A repository over `store` (a fresh `MemoryStore` by default), on a `Clock` at `START`.

    Args:
        store: the store; a fresh in-memory one when None.
        **options: `DeletedRepository`'s keyword arguments (clock, hierarchy, policy, new_id).

    Returns:
        The repository.
    """
    options.setdefault("clock", Clock())
    return DeletedRepository(MemoryStore() if store is None else store, **options)


# The sample catalog

BIB_1 = [
    Record("bib", "bib-1", None, {"title": "Moby Dick", "year": 1851}),
    Record("holding", "hol-1", "bib-1", {"call_number": "PS2384 .M6"}),
    Record("item", "itm-1", "hol-1", {"barcode": "B-1", "title": "Moby Dick v.1"}),
    Record("item", "itm-2", "hol-1", {"barcode": "B-2"}),
    Record("holding", "hol-2", "bib-1", {"call_number": "PS2384 .M6 c.2"}),
    Record("item", "itm-3", "hol-2", {"barcode": "B-3"}),
    Record("portfolio", "por-1", "bib-1", {"title": "Moby Dick online"}),
    Record("representation", "rep-1", "bib-1", {"label": "Scans", "handle": "hdl-1"}),
    Record("file", "fil-1", "rep-1", {"file_name": "p1.tif"}),
    Record("file", "fil-2", "rep-1", {"file_name": "p2.tif"}),
    Record("remote_representation", "rrp-1", "bib-1", {"label": "Remote scans"}),
]
"""A bib with every kind of inventory below it.

Items carry unique barcodes B-1..B-3 and the representation the handle ``hdl-1``, for the
conflict tests (R-P7); only barcodes are unique under the default policy. The bib's year is a
number, so that snapshots hold more than text.
"""

BIB_2 = [
    Record("bib", "bib-2", None, {"title": "Walden"}),
    Record("holding", "hol-3", "bib-2"),
    Record("item", "itm-4", "hol-3", {"barcode": "B-4"}),
]
"""A bib with one holding holding one item: deleting the item may empty both (R-D3)."""

COLLECTIONS = [
    Record("collection", "col-1", None, {"title": "Rare books"}),
    Record("collection", "col-2", "col-1", {"title": "Whaling"}),
]
"""Two collections, the second nested in the first."""

CATALOG = BIB_1 + BIB_2 + COLLECTIONS
"""The whole sample catalog, every parent before its children."""

ALL_IDS = [r.id for r in CATALOG]
"""The ids of the whole sample catalog, in catalog order."""


def sample(*ids: str) -> list[Record]:
    """The records of the sample catalog with these ids, in catalog order."""
    wanted = set(ids)
    return [r for r in CATALOG if r.id in wanted]


def seeded(
    repo: DeletedRepository,
    institution: str = INSTITUTION,
    records: Sequence[Record] = CATALOG,
) -> DeletedRepository:
    """Add `records` (by default the whole sample catalog) to `institution`; return `repo`."""
    repo.catalog.add(institution, records)
    return repo


def state(
    repo: DeletedRepository, ids: Collection[str], institution: str = INSTITUTION
) -> tuple[Any, ...]:
    """Everything a restore could change: the active and the deleted among `ids`, the job log."""
    return (
        repo.catalog.get(institution, ids),
        repo.deleted.get(institution, ids),
        tuple(repo.jobs.list(institution)),
    )


def only_audited(
    repo: DeletedRepository,
    ids: Collection[str],
    before: tuple[Any, ...],
    error: BaseException | JobStatus | None = None,
    institution: str = INSTITUTION,
) -> RestoreJob | None:
    """Check a refused call against the `state` taken before it; return its audit entry.

    D-42: a refused call changes nothing in the catalog and the deleted repository; a refused
    restore attempt adds at most one audit entry, which holds no record (no outcome, no count).
    With a `StalePlanError` or a status, exactly one entry, of that status, must have been added.
    """
    catalog, deleted, jobs = state(repo, ids, institution)
    assert (catalog, deleted) == before[:2], "a refused call changed the records"
    added = [j for j in jobs if j not in before[2]]
    assert [j for j in jobs if j in before[2]] == list(before[2]), "audit entries changed"
    assert len(added) <= 1, f"more than one audit entry: {added}"
    for entry in added:
        assert entry.status is not JobStatus.RESTORED
        assert entry.outcomes == (), f"a refusal recorded records: {entry}"
        assert not entry.counts, f"a refusal recorded counts: {entry}"
    wanted = JobStatus.STALE if isinstance(error, StalePlanError) else error
    if isinstance(wanted, JobStatus):
        assert [j.status for j in added] == [wanted], f"expected one {wanted} entry: {added}"
    return added[0] if added else None


# Two small catalogs for tests that need a shape the sample does not have

SHELVES = [
    Record("bib", "bib-1", None, {"title": "Moby Dick"}),
    Record("holding", "hol-1", "bib-1"),
    Record("item", "itm-1", "hol-1", {"barcode": "B-1"}),
    Record("item", "itm-2", "hol-1", {"barcode": "B-2"}),
    Record("bib", "bib-2", None, {"title": "Walden"}),
    Record("holding", "hol-2", "bib-2"),
    Record("item", "itm-3", "hol-2", {"barcode": "B-3"}),
    Record("item", "itm-4", "hol-2", {"barcode": "B-4"}),
]
"""Two bibs, each with one holding of items and nothing else.

Unlike in the sample catalog, hol-2 (with itm-3 and itm-4) stands under bib-2, so that
deleting bib-2 takes nothing of bib-1's.
"""

BRIEFS = [
    Record("bib", "bib-1", None, {"title": "Moby Dick"}),
    Record("holding", "hol-1", "bib-1", {"call_number": "PS2384 .M6"}),
    Record("item", "itm-1", "hol-1", {"barcode": "B-1", "title": "Moby Dick v.1"}),
    Record("item", "itm-2", "hol-1", {"barcode": "B-2", "description": "v.2"}),
    Record("holding", "hol-2", "bib-1"),
    Record("item", "itm-3", "hol-2", {"barcode": "B-3"}),
    Record("portfolio", "por-1", "bib-1", {"title": "Moby Dick online"}),
    Record("bib", "bib-2", None, {"title": "Walden"}),
    Record("holding", "hol-3", "bib-2"),
    Record("item", "itm-4", "hol-3", {"barcode": "B-4"}),
    Record("item", "itm-5", "hol-3", {"barcode": "B-5"}),
    Record("collection", "col-1", None, {"label": "Rare books"}),
    Record("collection", "col-2", "col-1", {"label": "Whaling"}),
]
"""Bibs and collections whose briefs draw on every kind of label (R-S7).

Titles, a call number, a description, collection labels; and a holding of two items under bib-2,
so that searches by user and by job find more than one item of an event.
"""


# Watching and breaking port calls

Hook = Callable[[str, Callable[[], Any]], Any]
"""Called for every port call with its name (``"catalog.add"``) and the call itself.

A hook makes the call (or does not) and returns what the call should return.
"""


def _through(_name: str, call: Callable[[], Any]) -> Any:
    return call()


class _Port:
    """A port whose every method call goes through a hook."""

    def __init__(self, name: str, inner: object, hook: Hook, calls: Counter[str]) -> None:
        self._name, self._inner, self._hook, self._calls = name, inner, hook, calls

    def __getattr__(self, method: str) -> Any:
        target = getattr(self._inner, method)
        name = f"{self._name}.{method}"

        def call(*args: Any, **kwargs: Any) -> Any:
            self._calls[name] += 1
            return self._hook(name, lambda: target(*args, **kwargs))

        return call


class Wrapped:
    """A store whose ports send every call through `hook`, counted in `calls`.

    Transactions and field indexes are `base`'s own, so a wrapped store keeps its guarantees.

    Attributes:
        base: the store wrapped.
        calls: how often each port method (``"deleted.get"``) was called.
    """

    def __init__(self, base: Store | None = None, hook: Hook = _through) -> None:
        self.base: Store = MemoryStore() if base is None else base
        self.calls: Counter[str] = Counter()
        self.catalog = cast("Catalog", _Port("catalog", self.base.catalog, hook, self.calls))
        self.deleted = cast("DeletedStore", _Port("deleted", self.base.deleted, hook, self.calls))
        self.jobs = cast("RestoreJobLog", _Port("jobs", self.base.jobs, hook, self.calls))

    def transaction(self) -> AbstractContextManager[None]:
        """The base store's transaction."""
        return self.base.transaction()

    def index_fields(self, fields: Mapping[str, Sequence[str]]) -> None:
        """Tell the base store which fields to index."""
        self.base.index_fields(fields)
