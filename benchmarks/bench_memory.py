"""Benchmark the in-memory store (issues 2 and 3): build, search, plan and restore at scale.

Run from the project's root::

    .venv/bin/python benchmarks/bench_memory.py            # 1,000,000 records
    .venv/bin/python benchmarks/bench_memory.py --quick    # 100,000 records, a fast check

It builds a 10,000-record store and a large one through the public facade (see `_common.build`),
then prints a table of target, measured value and PASS/MISS per line. Searches and restores of
the two stores take turns, so a busy spell of a shared machine slows both alike and the
small-to-large ratios stay fair. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _common import (
    INSTITUTION,
    JOB,
    MANAGER,
    SEGMENT,
    USER,
    Built,
    Clock,
    Clocks,
    Timing,
    build,
    counter,
    interleaved,
    peak_rss_bytes,
    settle,
    timed,
    timed_each,
)

from deleted_repo import (
    Actor,
    ByField,
    ById,
    ByJob,
    ByRange,
    ByUser,
    DeletedRepository,
)

SMALL = 10_000
MS = 1e3
MIB = 2**20
GIB = 2**30


class Table:
    """Rows of target against measured, printed as they come."""

    def __init__(self) -> None:
        self.misses = 0
        print(f"{'measure':<60} {'target':>12} {'measured':>12}  result")
        print("-" * 96)

    def row(self, name: str, target: str, measured: str, ok: bool | None) -> None:
        """Print one row; `ok` None means no target."""
        result = "" if ok is None else ("PASS" if ok else "MISS")
        self.misses += ok is False
        print(f"{name:<60} {target:>12} {measured:>12}  {result}", flush=True)

    def time(self, name: str, seconds: float, limit: float | None) -> None:
        """Print a time against a limit in seconds."""
        shown = f"{seconds * MS:.3f} ms" if seconds < 0.01 else f"{seconds * MS:.1f} ms"
        target = "" if limit is None else f"< {limit * MS:g} ms"
        self.row(name, target, shown, None if limit is None else seconds < limit)

    def ratio(self, name: str, small: float, large: float, limit: float = 1.5) -> None:
        """Print how much slower the large store is than the small one."""
        value = large / small
        self.row(name, f"< {limit}x", f"{value:.2f}x", value < limit)


def new_repo() -> tuple[DeletedRepository, Clock]:
    clock = Clock()
    return DeletedRepository.in_memory(clock=clock, new_id=counter("ev")), clock


def criteria_of(built: Built) -> dict[str, Any]:
    """The three searches of 5,000 items: the user's last action, the job, the job's hour."""
    start, end = built.job_range
    return {
        "user": ByUser(kind="item", user_id=USER),
        "job": ByJob(kind="item", job_id=JOB),
        "range": ByRange(kind="item", start=start, end=end),
    }


def page_of_5000(repo: DeletedRepository, criteria: Any) -> Callable[[], Any]:
    def run() -> Any:
        page = repo.search(criteria, requester=MANAGER, limit=SEGMENT)
        assert len(page.hits) == SEGMENT, (criteria, len(page.hits))
        return page

    return run


def walk(repo: DeletedRepository, criteria: Any, limit: int) -> int:
    """Every page of a search, `limit` hits at a time; the number of hits."""
    cursor, hits = None, 0
    while True:
        page = repo.search(criteria, requester=MANAGER, cursor=cursor, limit=limit)
        hits += len(page.hits)
        cursor = page.next_cursor
        if cursor is None:
            return hits


def by_id_calls(built: Built, count: int) -> list[Callable[[], Any]]:
    rng = random.Random(7)
    ids = rng.choices(built.sample_items, k=count)

    def call(ident: str) -> Callable[[], Any]:
        def run() -> Any:
            page = built.repo.search(ById(kind="item", id=ident), requester=MANAGER)
            assert len(page.hits) == 1
            return page

        return run

    return [call(i) for i in ids]


def restore_round(built: Built, clock: Clocks) -> tuple[float, float]:
    """Plan and execute the restore of the user's last action (5,000 items): the two times.

    Afterwards the user deletes the same items again, a minute later, so every round restores
    5,000 records from a store of the same size.
    """
    repo = built.repo
    criteria = ByUser(kind="item", user_id=USER)
    built.clock.now += timedelta(minutes=1)
    settle()
    started = clock()
    plan = repo.plan(criteria, requester=MANAGER)
    planned = clock()
    result = repo.restore(plan, requester=MANAGER)
    done = clock()
    assert plan.total == SEGMENT, plan.total
    assert len(result.restored) == SEGMENT, len(result.restored)
    repo.delete(INSTITUTION, built.user_items, actor=Actor.user(USER))
    return planned - started, done - planned


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="store size (1,000,000)")
    parser.add_argument("--quick", action="store_true", help="100,000 records, a fast check")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time with this process's CPU time instead of wall time (on a busy machine)",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="trace Python allocations while building: exact heap peak, slower build",
    )
    parser.add_argument("--rounds", type=int, default=7, help="plan-and-restore rounds (7)")
    args = parser.parse_args(argv)
    records = 100_000 if args.quick else args.records
    clock: Clocks = time.process_time if args.cpu else time.perf_counter
    print(f"deleted_repo in-memory store benchmark: {records:,} records, small store {SMALL:,}")
    print(
        f"Python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}; times are "
        + ("CPU time" if args.cpu else "wall time")
        + "\n"
    )

    small, small_clock = new_repo()
    small_built = build(small, small_clock, SMALL)

    repo, repo_clock = new_repo()
    settle()
    rss_before = peak_rss_bytes()
    if args.tracemalloc:
        tracemalloc.start()
    built = build(repo, repo_clock, records)
    traced = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
    tracemalloc.stop()
    rss_after = peak_rss_bytes()

    table = Table()
    table.row("records in the store", "", f"{built.records:,}", None)
    table.row("deletion events", "", f"{built.events:,}", None)
    build_limit = 60.0 * records / 1_000_000
    spent, other = (
        (built.cpu_seconds, built.seconds) if args.cpu else (built.seconds, built.cpu_seconds)
    )
    table.row(
        "build through the facade" + (", under tracemalloc" if args.tracemalloc else ""),
        f"< {build_limit:g} s",
        f"{spent:.1f} s",
        None if args.tracemalloc else spent < build_limit,
    )
    table.row(
        f"  the same build in {'wall' if args.cpu else 'CPU'} time", "", f"{other:.1f} s", None
    )
    memory_limit = 1.5 * GIB
    table.row(
        "peak RSS of the process after the build (ru_maxrss)",
        f"< {memory_limit / MIB:,.0f} MiB",
        f"{rss_after / MIB:,.0f} MiB",
        rss_after < memory_limit,
    )
    table.row("  of which the build added", "", f"{(rss_after - rss_before) / MIB:,.0f} MiB", None)
    if traced is not None:
        table.row("peak traced Python heap (tracemalloc)", "", f"{traced / MIB:,.0f} MiB", None)

    collected = timed(gc.collect, 1, warmup=0, clock=clock)
    table.time("a full garbage collection (gc.collect), for scale", collected.median, None)
    by_id = timed_each(by_id_calls(built, 2000), clock=clock)
    table.time("search by id: median of 2,000 ids", by_id.median, 0.001)
    table.time("search by id: p95 of 2,000 ids", by_id.p95, 0.001)
    item = repo.deleted.get(INSTITUTION, built.sample_items[:1])[built.sample_items[0]]
    by_field = ByField(kind="item", field="barcode", value=item.record.data["barcode"])
    first = timed(lambda: repo.search(by_field, requester=MANAGER), 1, warmup=0, clock=clock)
    table.time("search by barcode: first call, builds the index", first.median, None)
    later = timed(lambda: repo.search(by_field, requester=MANAGER), 200, clock=clock)
    table.time("search by barcode: median of 200", later.median, 0.001)

    ratios: list[tuple[str, Timing, Timing]] = []
    small_criteria = criteria_of(small_built)
    for name, criteria in criteria_of(built).items():
        settle()
        on_small, on_large = interleaved(
            [page_of_5000(small, small_criteria[name]), page_of_5000(repo, criteria)],
            21,
            warmup=2,
            clock=clock,
        )
        table.time(f"search by {name}: a page of 5,000 hits, median of 21", on_large.median, 0.1)
        ratios.append((f"search by {name}", on_small, on_large))
    for name, criteria in criteria_of(built).items():
        for limit in (1000, 50):
            hits = walk(repo, criteria, limit)
            walked = timed(functools.partial(walk, repo, criteria, limit), 5, warmup=0, clock=clock)
            table.time(
                f"search by {name}: all {hits:,} hits in pages of {limit}", walked.median, 0.1
            )

    plans: tuple[list[float], list[float]] = ([], [])
    executes: tuple[list[float], list[float]] = ([], [])
    for _ in range(args.rounds):
        for k, b in enumerate((small_built, built)):
            plan, execute = restore_round(b, clock)
            plans[k].append(plan)
            executes[k].append(execute)
    sums = [Timing([p + e for p, e in zip(plans[k], executes[k], strict=True)]) for k in (0, 1)]
    plan_t, exec_t = Timing(plans[1]), Timing(executes[1])
    table.time(f"plan a 5,000-record restore, median of {args.rounds}", plan_t.median, 0.25)
    table.time(f"execute it, median of {args.rounds}", exec_t.median, 0.5)
    table.time("plan + execute, median", sums[1].median, None)
    ratios += [
        ("plan", Timing(plans[0]), plan_t),
        ("execute", Timing(executes[0]), exec_t),
        ("plan + execute", sums[0], sums[1]),
    ]
    for name, on_small, on_large in ratios:
        table.ratio(
            f"{name}: {built.records:,} vs {SMALL:,} records", on_small.median, on_large.median
        )
    rss_end = peak_rss_bytes()
    table.row(
        "peak RSS of the process at the end",
        f"< {memory_limit / MIB:,.0f} MiB",
        f"{rss_end / MIB:,.0f} MiB",
        rss_end < memory_limit,
    )
    print(f"\n{table.misses} target(s) missed; load average {os.getloadavg()[0]:.2f}")
    return 1 if table.misses else 0


if __name__ == "__main__":
    sys.exit(main())
