"""Example checks of `deleted_repo.ports.RestoreJobLog`: the audit of restore jobs (R-E3).

Each check takes an empty store and the world it writes in (`ContractWorld`); its docstring
is the behaviour it checks.
"""

from __future__ import annotations

from functools import partial

from deleted_repo.errors import IntegrityError
from deleted_repo.ports import Store
from deleted_repo.search import ByRange, ByUser

from .builders import MINUS_FIVE_THIRTY, PLUS_TWO, US, instant
from .builders import job as make_job
from .expect import refused, same, same_in_order
from .world import DEFAULT_WORLD, ContractWorld

__all__ = ["jobs_are_recorded_once", "jobs_list_newest_first_and_pages"]


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
