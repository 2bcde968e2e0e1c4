"""The state every hostile call starts from, and the checks made after it.

`seed` fills a store with a small library in two institutions: deletions by a user, a job and
the system, a superseded deletion (R-D6), an expired file, and one restore job. `snapshot`
reads back everything a call could have changed; `reads_back` runs every read of the API
over the state a call left.
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

import attrs

from deleted_repo import (
    ALMA,
    Actor,
    ById,
    ByJob,
    ByRange,
    BySystem,
    ByUser,
    ConflictError,
    DeletedRecord,
    DeletedRepoError,
    DeletedRepository,
    DeletionEvent,
    JobStatus,
    Policy,
    Record,
    Requester,
    StalePlanError,
    UnknownActorError,
)
from deleted_repo.ports import Store
from deleted_repo.search import Query

from .values import DEEP_DICT, DEEP_LIST, HUGE_INT, NOW

HOME = "01UNI"
OTHER = "02OTH"
ROLE = "Repository Manager"
MANAGER = Requester(user_id="ana", institution=HOME, roles={ROLE})
OTHER_MANAGER = Requester(user_id="olga", institution=OTHER, roles={ROLE})
NO_ROLE = Requester(user_id="eve", institution=HOME, roles={"Cataloger"})
KINDS = tuple(sorted(ALMA.kinds))

HOME_CATALOG = [
    Record("bib", "b1", None, {"title": "Moby Dick"}),
    Record("holding", "h1", "b1", {"call_number": "PS2384"}),
    Record("item", "i1", "h1", {"barcode": "BC1"}),
    Record("item", "i2", "h1", {"barcode": "BC2"}),
    Record("representation", "r1", "b1", {"label": "Scans"}),
    Record("file", "f1", "r1", {"file_name": "p1.tif"}),
    Record("bib", "b2", None, {"title": "Walden"}),
    Record("holding", "h2", "b2"),
    Record("item", "i3", "h2", {"barcode": "BC3"}),
    Record("bib", "b3", None, {"title": "Emma"}),
    Record("holding", "h3", "b3"),
    Record("collection", "c1", None, {"title": "Rare books"}),
    Record("collection", "c2", "c1", {"title": "Whaling"}),
]
OTHER_CATALOG = [
    Record("bib", "ob1", None, {"title": "Other"}),
    Record("holding", "oh1", "ob1"),
    Record("item", "oi1", "oh1", {"barcode": "BC1"}),
]
HOME_IDS = [r.id for r in HOME_CATALOG] + ["f9"]
OTHER_IDS = [r.id for r in OTHER_CATALOG]
KNOWN_IDS = HOME_IDS + OTHER_IDS

POLICIES = {
    "default": Policy(),
    "block": Policy(ancestors_from_other_events="block"),
    "fail": Policy(on_conflict="fail"),
    "cap 2": Policy(max_records_per_job=2),
}


def clock() -> Any:
    """The fixed clock of every hostile world."""
    return NOW


def repository(store: Store, policy: Policy) -> DeletedRepository:
    """A repository over `store` with the fixed clock."""
    return DeletedRepository(store, clock=clock, policy=policy)


def seed(store: Store, policy: Policy) -> DeletedRepository:
    """Fill `store` with the hostile world; return a repository over it."""
    repo = repository(store, policy)
    repo.catalog.add(HOME, HOME_CATALOG)
    repo.catalog.add(OTHER, OTHER_CATALOG)
    repo.record_deletion(
        HOME, [Record("file", "f9", "r1")], actor=Actor.system(), at=NOW - timedelta(days=100)
    )
    repo.delete(HOME, ["b2"], actor=Actor.job("J1"))
    repo.delete(HOME, ["i2"], actor=Actor.user("ana"))
    repo.delete(HOME, ["h1"], actor=Actor.user("ana"))
    repo.delete(OTHER, ["oh1"], actor=Actor.user("ana"))
    repo.delete(HOME, ["c2"], actor=Actor.user("bo"))
    unblocked = repository(store, Policy(max_records_per_job=policy.max_records_per_job))
    plan = unblocked.plan(ById(kind="collection", id="c2"), requester=MANAGER)
    unblocked.restore(plan, requester=MANAGER)
    repo.delete(HOME, ["c2"], actor=Actor.user("ana"))
    return repo


def strings_in(value: object, most: int = 200) -> list[str]:
    """The strings in `value` (arguments, records, criteria), a bounded number of them."""
    found: list[str] = []
    stack: list[object] = [value]
    while stack and len(found) < most:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(list(item.keys())[:50])
            stack.extend(list(item.values())[:50])
        elif isinstance(item, list | tuple | set | frozenset) and item is not DEEP_LIST:
            stack.extend(list(item)[:50])
        elif attrs.has(type(item)):
            cls: Any = type(item)
            stack.extend(getattr(item, a.name) for a in attrs.fields(cls))
    return found


def storable(text: str) -> bool:
    """Whether every store can hold `text`: no lone surrogate, no NUL, not huge."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text and len(text) <= 1_000


def snapshot(store: Store, dump: Any, mentioned: Iterable[str]) -> dict[str, Any]:
    """Everything a call could have changed, read through the ports and, for SQL, every table.

    It reads the two institutions of the world and every storable string the call mentions,
    as an institution and as an id.
    """
    names = sorted({m for m in mentioned if m and storable(m)} | {HOME, OTHER})
    ids = sorted(set(KNOWN_IDS) | set(names))
    state: dict[str, Any] = {}
    for institution in names:
        state[institution] = (
            store.catalog.get(institution, ids),
            store.deleted.get(institution, ids),
            [store.deleted.find(Query(institution=institution, kind=k)) for k in KINDS],
            store.jobs.list(institution),
        )
    if dump is not None:
        state["tables"] = dump()
    return state


def only_audited(before: dict[str, Any], after: dict[str, Any], error: Exception) -> None:
    """Check that a refused call changed nothing but, at most, one audit entry (D-42).

    A refused call changes nothing in the catalog and the deleted repository; a refused restore
    attempt adds exactly one audit entry (one when stale), which holds no record. Everything
    else, every table row included, must be as `before` was.
    """
    added = [
        job
        for name, state in after.items()
        if name != "tables"
        for job in state[3]
        if job not in before.get(name, ((), (), (), ()))[3]
    ]
    assert len(added) <= 1, f"refused with {error!r}, yet {len(added)} audit entries were added"
    for job in added:
        assert job.status is not JobStatus.RESTORED, f"refused with {error!r}, yet {job} restored"
        assert job.outcomes == (), f"a refused attempt recorded records: {job.outcomes[:3]}"
        assert not job.counts, f"a refused attempt recorded counts: {job.counts}"
    if isinstance(error, StalePlanError):
        assert [j.status for j in added] == [JobStatus.STALE], f"{error!r} was not recorded"
    ids = {j.id for j in added}
    kept = {
        name: state if name == "tables" else (*state[:3], [j for j in state[3] if j.id not in ids])
        for name, state in after.items()
    }
    if "tables" in kept:
        tables = dict(kept["tables"])
        jobs = tables["deleted_repo_restore_job"]
        tables["deleted_repo_restore_job"] = [row for row in jobs if row[1] not in ids]
        kept["tables"] = tables
    assert kept == before, f"refused with {error!r}, yet the state changed"


def _read(what: str, call: Any, allowed: tuple[type[Exception], ...] = ()) -> Any:
    try:
        return call()
    except allowed:
        return None
    except DeletedRepoError as e:
        raise AssertionError(f"reading {what} back failed: {e!r}") from e


def _pages(repo: DeletedRepository, criteria: Any, requester: Requester) -> Iterator[Any]:
    cursor = None
    for _ in range(100):
        page = _read(
            f"a page of {criteria}",
            lambda c=cursor: repo.search(criteria, requester=requester, cursor=c, limit=7),
            (UnknownActorError,),
        )
        if page is None:
            return
        yield from page.hits
        cursor = page.next_cursor
        if cursor is None:
            return
    raise AssertionError(f"paging {criteria} did not end")


def _read_one(repo: DeletedRepository, entry: DeletedRecord, auditor: Requester) -> None:
    """Brief, search and plan one deleted record by its id."""
    by_id = ById(kind=entry.kind, id=entry.id)
    _read(f"brief {entry.id!r}", lambda: repo.brief(entry.id, requester=auditor))
    hits = _read(f"search {entry.id!r}", lambda: repo.search(by_id, requester=auditor).hits)
    assert [h.id for h in hits] == [entry.id]
    _read(
        f"plan {entry.id!r}",
        lambda: repo.plan(by_id, requester=auditor, batches=True),
        (ConflictError,),
    )


def reads_back(repo: DeletedRepository, institutions: Iterable[str]) -> None:
    """Every read of the API works on the state left: search, brief, plan, jobs, then purge."""
    role = repo.policy.restore_role
    for institution in sorted({i for i in institutions if i and storable(i)} | {HOME, OTHER}):
        auditor = Requester(user_id="auditor", institution=institution, roles={role})
        window = (NOW - timedelta(days=364), NOW)
        found = {k: repo.deleted.find(Query(institution=institution, kind=k)) for k in KINDS}
        for kind, entries in found.items():
            if not entries:
                continue
            criteria: list[Any] = [
                ByRange(kind=kind, start=window[0], end=window[1]),
                ByUser(kind=kind, user_id="ana"),
                ByJob(kind=kind, job_id="J1"),
                BySystem(kind=kind),
            ]
            for c in criteria:
                list(_pages(repo, c, auditor))
            for entry in entries[:4]:
                _read_one(repo, entry, auditor)
            _read(
                f"plan {kind} range",
                lambda c=criteria[0], a=auditor: repo.plan(c, requester=a, batches=True),
                (ConflictError,),
            )
        for job in _read("restore jobs", lambda a=auditor: repo.restore_jobs(requester=a)):
            _read(f"job {job.id}", lambda j=job, a=auditor: repo.restore_job(j.id, requester=a))
        _read("purge", lambda a=auditor: repo.purge(requester=a))


def as_stored(value: Any, sql: bool) -> Any:
    """`value` as a store gives it back: SQL stores keep data as JSON (tuples become lists)."""
    if not sql:
        return value
    if isinstance(value, Record):
        return attrs.evolve(value, data=json.loads(json.dumps(dict(value.data))))
    if isinstance(value, DeletedRecord):
        return attrs.evolve(value, record=as_stored(value.record, sql))
    return value


def events_read_back(repo: DeletedRepository, events: Iterable[DeletionEvent], sql: bool) -> None:
    """Every member of `events` still deleted reads back exactly as it was written."""
    for event in events:
        ids = [m.id for m in event.members]
        got = repo.deleted.get(event.institution, ids)
        for member in event.members:
            stored = got.get(member.id)
            if stored is not None and stored.event_id == event.id:
                assert stored == as_stored(member, sql), f"{member.id!r} reads back changed"


_SHOW = reprlib.Repr()
_SHOW.maxstring = 60
_SHOW.maxother = 60
_SHOW.maxlevel = 4


def show(value: object) -> str:
    """A short repr of any value, even one whose repr would fail or run for pages."""
    if value is DEEP_LIST:
        return "DEEP_LIST"
    if value is DEEP_DICT:
        return "DEEP_DICT"
    if value is HUGE_INT:
        return "HUGE_INT"
    try:
        return _SHOW.repr(value)
    except Exception:  # showing must never fail
        return f"<{type(value).__name__} that cannot be shown>"
