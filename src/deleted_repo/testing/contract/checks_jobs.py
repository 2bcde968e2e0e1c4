"""Example checks of `deleted_repo.ports.RestoreJobLog`: the audit of restore jobs (R-E3, D-42).

Each check takes an empty store and the world it writes in (`ContractWorld`); its docstring
is the behaviour it checks.
"""

from __future__ import annotations

from functools import partial

import attrs

from deleted_repo.errors import IntegrityError
from deleted_repo.jobs import JobFilter, JobStatus
from deleted_repo.ports import Store
from deleted_repo.search import ByRange, ByUser

from .builders import MINUS_FIVE_THIRTY, PLUS_TWO, US, instant
from .builders import job as make_job
from .expect import refused, same, same_in_order
from .world import DEFAULT_WORLD, ContractWorld

__all__ = [
    "jobs_are_recorded_once",
    "jobs_list_filters_and_pages",
    "jobs_list_newest_first_and_pages",
]


def jobs_are_recorded_once(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """RestoreJobLog keeps each job as given; get of an unknown id is None; a repeat is refused."""
    home, job = world.home, partial(make_job, world=world)
    criteria = ByRange(kind=world.lookup[0], start=instant(0, PLUS_TWO), end=instant(60) + US)
    range_job = job("j1", instant(1) + 3 * US, criteria=criteria)
    user_job = job("j2", instant(2), criteria=ByUser(kind=world.top, user_id="ana"))
    store.jobs.add(range_job)
    store.jobs.add(user_job)
    same(store.jobs.get(home, "j1"), range_job, "jobs.get('j1')")
    same(store.jobs.get(home, "j2"), user_job, "jobs.get('j2')")
    same(store.jobs.get(home, "nope"), None, "jobs.get('nope')")
    with refused(IntegrityError, "jobs.add of a second job 'j1'"):
        store.jobs.add(job("j1", instant(9)))
    same(store.jobs.get(home, "j1"), range_job, "jobs.get('j1') after the refusal")
    same_in_order(store.jobs.list(home), [user_job, range_job], "jobs.list() after the refusal")


def jobs_list_newest_first_and_pages(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """RestoreJobLog.list orders jobs newest first, then by id; `after` and `limit` page it."""
    home, away, job = world.home, world.away, partial(make_job, world=world)
    jobs = [
        job("c", instant(1)),
        job("a", instant(3)),
        job("d", instant(2, PLUS_TWO)),
        job("b", instant(2)),
        job("e", instant(3, MINUS_FIVE_THIRTY) - US),
    ]
    for each in jobs:
        store.jobs.add(each)
    by = {j.id: j for j in jobs}
    order = [by[i] for i in ["a", "e", "b", "d", "c"]]
    same_in_order(store.jobs.list(home), order, "jobs.list()")
    for i, seen in enumerate(order):
        same_in_order(
            store.jobs.list(home, after=seen.id), order[i + 1 :], f"list(after={seen.id!r})"
        )
        same_in_order(store.jobs.list(home, limit=i + 1), order[: i + 1], f"list(limit={i + 1})")
        same_in_order(
            store.jobs.list(home, after=seen.id, limit=2),
            order[i + 1 : i + 3],
            f"list(after={seen.id!r}, limit=2)",
        )
    same_in_order(store.jobs.list(away), [], f"jobs.list({away!r})")


def jobs_list_filters_and_pages(store: Store, world: ContractWorld = DEFAULT_WORLD) -> None:
    """RestoreJobLog.list with `where` keeps the jobs the filter matches, newest first, paged.

    Each filter alone and together: requester, time range (inclusive, in any offset), status
    and criterion; `after` and `limit` page the filtered list as they page the whole one.
    """
    home, away, job = world.home, world.away, partial(make_job, world=world)
    by_user = ByUser(kind=world.top, user_id="ana")
    jobs = [
        job("j1", instant(1)),
        attrs.evolve(job("j2", instant(2), criteria=by_user), requested_by="bo"),
        attrs.evolve(
            job("j3", instant(3)), status=JobStatus.STALE, reason="moved", outcomes=(), counts={}
        ),
        attrs.evolve(job("j4", instant(4), criteria=by_user), status=JobStatus.REFUSED),
        job("j5", instant(5, PLUS_TWO)),
        job("j6", instant(6), institution=away),
    ]
    for each in jobs:
        store.jobs.add(each)
    mine = [j for j in jobs if j.institution == home]
    newest = sorted(mine, key=lambda j: (-j.at.timestamp(), j.id))
    filters = [
        JobFilter(requested_by="bo"),
        JobFilter(requested_by="manager"),
        JobFilter(since=instant(2)),
        JobFilter(until=instant(3, MINUS_FIVE_THIRTY)),
        JobFilter(since=instant(2) + US, until=instant(4)),
        JobFilter(status=JobStatus.RESTORED),
        JobFilter(status=JobStatus.STALE),
        JobFilter(criterion="ByUser"),
        JobFilter(criterion="ByRange"),
        JobFilter(requested_by="manager", criterion="ById", status=JobStatus.RESTORED),
    ]
    for where in filters:
        kept = [j for j in newest if where.matches(j)]
        same_in_order(store.jobs.list(home, where=where), kept, f"jobs.list(where={where})")
        for i, seen in enumerate(kept):
            same_in_order(
                store.jobs.list(home, after=seen.id, limit=2, where=where),
                kept[i + 1 : i + 3],
                f"jobs.list(after={seen.id!r}, limit=2, where={where})",
            )
    same(store.jobs.get(home, "j3"), jobs[2], "jobs.get('j3'), a stale attempt")
    same_in_order(
        store.jobs.list(away, where=JobFilter(status=JobStatus.REFUSED)), [], "away, refused"
    )
