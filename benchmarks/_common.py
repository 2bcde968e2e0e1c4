"""Shared builders and timers for the benchmarks: a deleted repository of a given size.

`build` fills a `DeletedRepository` (any stores) through the public facade only, the way a host
would: a background of whole-bib deletions (bib, holding, four items: six records an event)
spread over two years by a dozen users, a few jobs and the system, recorded with
`record_deletion` in time order; then two segments the searches and restores aim at, the same
in every store size:

* a job (`JOB`) that weeded `SEGMENT` items, one event per holding, 40 days ago, within an hour
  (`job_range`, which a search by range uses), their holdings and bibs left active in the catalog;
* a user (`USER`) whose last action, a day ago, deleted `SEGMENT` items from the catalog with
  `DeletedRepository.delete`, their holdings and bibs left active: a 5,000-record restore.

The segments hold 2 * `SEGMENT` deleted records; the background fills the rest of the size asked.
"""

from __future__ import annotations

import gc
import itertools
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from deleted_repo import Actor, DeletedRepository, Record, Requester

INSTITUTION = "01UNI"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=730)
SEGMENT = 5000
USER = "weeder"
JOB = "job-weeding-2026"
MANAGER = Requester(user_id="ana", institution=INSTITUTION, roles={"Repository Manager"})
ITEMS_PER_HOLDING = 4
RECORDS_PER_EVENT = 2 + ITEMS_PER_HOLDING

BACKGROUND_ACTORS = (
    *(Actor.user(f"staff{n:02d}") for n in range(1, 13)),
    Actor.user(USER),
    *(Actor.job(f"job-{n:02d}") for n in range(1, 5)),
    Actor.system(),
    Actor.system("Electronic Inventory Creator"),
)


class Clock:
    """A clock the benchmark sets by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def counter(prefix: str) -> Callable[[], str]:
    """Deterministic event and job ids: prefix-1, prefix-2, ..."""
    numbers = itertools.count(1)
    return lambda: f"{prefix}-{next(numbers)}"


@attrs.frozen
class Ids:
    """Alma-shaped ids (R-M2): type code, a serial, institution code 4146."""

    serial: Iterator[int] = attrs.field(factory=lambda: itertools.count(1))

    def next(self) -> tuple[str, str, list[str]]:
        n = next(self.serial)
        items = [f"23{n:011d}{k}4146" for k in range(ITEMS_PER_HOLDING)]
        return f"99{n:012d}4146", f"22{n:012d}4146", items


def title_records(ids: Ids) -> tuple[Record, Record, list[Record]]:
    """A bib, its holding and its items, with a title, a call number and barcodes."""
    bib_id, holding_id, item_ids = ids.next()
    bib = Record("bib", bib_id, None, {"title": f"Title of {bib_id}", "year": 1990})
    holding = Record("holding", holding_id, bib_id, {"call_number": f"QA{holding_id[-9:]}"})
    items = [
        Record("item", i, holding_id, {"barcode": f"B{i[2:-4]}", "description": "v." + i[-5]})
        for i in item_ids
    ]
    return bib, holding, items


@attrs.frozen
class Built:
    """A built repository and what the benchmark needs to know about it."""

    repo: DeletedRepository
    clock: Clock
    records: int
    events: int
    seconds: float
    cpu_seconds: float
    job_range: tuple[datetime, datetime]
    user_items: list[str]
    sample_items: list[str]


def build(repo: DeletedRepository, clock: Clock, records: int, *, seed: int = 2026) -> Built:
    """Fill `repo` with `records` deleted records (at least 2 * SEGMENT), as described above."""
    if records < 2 * SEGMENT:
        raise ValueError(f"at least {2 * SEGMENT} records, got {records}")
    rng = random.Random(seed)
    ids = Ids()
    background = records - 2 * SEGMENT
    events = -(-background // RECORDS_PER_EVENT)
    start = NOW - SPAN
    step = (SPAN - timedelta(days=2)) / max(events, 1)
    job_at = NOW - timedelta(days=40)
    sample: list[str] = []
    count = 0
    started, cpu_started = time.perf_counter(), time.process_time()

    def record_background(n: int) -> None:
        nonlocal count
        bib, holding, items = title_records(ids)
        size = min(RECORDS_PER_EVENT, background - count)
        batch = [bib, holding, *items][:size]
        repo.record_deletion(
            INSTITUTION, batch, actor=rng.choice(BACKGROUND_ACTORS), at=start + step * n
        )
        count += len(batch)
        if n % 97 == 0 and size > 2:
            sample.append(batch[2].id)

    n = 0
    while n < events and start + step * n < job_at:
        record_background(n)
        n += 1

    job = Actor.job(JOB)
    parents: list[Record] = []
    weeded: list[list[Record]] = []
    for _ in range(SEGMENT // ITEMS_PER_HOLDING):
        bib, holding, items = title_records(ids)
        parents += [bib, holding]
        weeded.append(items)
    repo.catalog.add(INSTITUTION, parents)
    for k, items in enumerate(weeded):
        repo.record_deletion(INSTITUTION, items, actor=job, at=job_at + timedelta(seconds=2 * k))
    job_range = (job_at, job_at + timedelta(hours=1))

    while n < events:
        record_background(n)
        n += 1

    user_items: list[str] = []
    catalog: list[Record] = []
    for _ in range(SEGMENT // ITEMS_PER_HOLDING):
        bib, holding, items = title_records(ids)
        catalog += [bib, holding, *items]
        user_items += [i.id for i in items]
    repo.catalog.add(INSTITUTION, catalog)
    clock.now = NOW - timedelta(days=1)
    repo.delete(INSTITUTION, user_items, actor=Actor.user(USER))
    clock.now = NOW
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    return Built(
        repo=repo,
        clock=clock,
        records=count + 2 * SEGMENT,
        events=events + SEGMENT // ITEMS_PER_HOLDING + 1,
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        job_range=job_range,
        user_items=user_items,
        sample_items=sample,
    )


Clocks = Callable[[], float]
"""A clock for timing: `time.perf_counter` (wall) or `time.process_time` (this process's CPU)."""


@attrs.frozen
class Timing:
    """Times of repeated calls, in seconds."""

    times: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(
    fn: Callable[[], Any], repeat: int, *, warmup: int = 1, clock: Clocks = time.perf_counter
) -> Timing:
    """Call `fn` `warmup` times, then `repeat` times timed."""
    return interleaved([fn], repeat, warmup=warmup, clock=clock)[0]


def interleaved(
    fns: list[Callable[[], Any]],
    repeat: int,
    *,
    warmup: int = 1,
    clock: Clocks = time.perf_counter,
) -> list[Timing]:
    """Time each of `fns` `repeat` times, taking turns, so a busy spell of the machine hits all."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, spent in zip(fns, times, strict=True):
            started = clock()
            fn()
            spent.append(clock() - started)
    return [Timing(t) for t in times]


def timed_each(fns: list[Callable[[], Any]], *, clock: Clocks = time.perf_counter) -> Timing:
    """Time each of `fns` once."""
    times = []
    for fn in fns:
        started = clock()
        fn()
        times.append(clock() - started)
    return Timing(times)


def peak_rss_bytes() -> int:
    """The process's peak resident set size so far."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def settle() -> None:
    """Collect garbage before a measurement, so a collection does not land inside it."""
    gc.collect()
