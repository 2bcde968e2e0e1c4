"""Benchmark a job's restore, the common workload: many events, each with a cascade.

Run from the project's root::

    .venv/bin/python benchmarks/bench_restore_job.py                # 10,000 and 1,000,000 records
    .venv/bin/python benchmarks/bench_restore_job.py --quick        # 10,000 records only
    .venv/bin/python benchmarks/bench_restore_job.py --sizes 10000 200000 --rounds 5

The workload: a deleted repository of bibs deleted whole, each with 2 holdings of 2 items (7
records, one deletion event a bib), every block of 714 events by one job, spread over the last
300 days. One job's restore is measured: `plan(ByJob(kind="bib", ...))`, then `restore`, which
brings back 714 bibs with their cascades, 4,998 records. Between rounds the job deletes the same
bibs again, one event a bib at its first times, so every round sees the same store.

Beside ours, in the same run and taking turns with it, a floor does the same work by hand in one
transaction (find the job's events by index, select their records, insert them into the catalog,
delete them from the deleted table): sqlite3 for SQLite, psycopg for PostgreSQL (when
``DELETED_REPO_POSTGRES_URL`` is set; in a schema of its own, dropped at the end, its tables
analyzed once built, as autovacuum would do). The in-memory
store has no floor. Capture is measured while the store is built: `record_deletions` in calls of
`CAPTURE_BATCH` deletions whose `Deletion` values are built before the clock starts; a
hand-written capture floor writes the rows the store writes for as many more deletions into the
built database and commits, as `record_deletions` does (sqlite3 `executemany`; psycopg `COPY`
on PostgreSQL), then deletes them again outside the clock.

It prints medians of `--rounds` rounds, the ratios to the floors, the cost of the largest size
against the smallest, and the peak of Python memory (tracemalloc) over one plan and restore on
SQLite. Targets are printed beside the figures; the script exits with 1 when one is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))

from _common import MANAGER, NOW, Clock, Timing, interleaved, settle

from deleted_repo import Actor, ByJob, DeletedRepository, Deletion, Record
from deleted_repo.ports import Store
from deleted_repo.stores.memory import MemoryStore
from deleted_repo.stores.sql import SqlStore, schema

INSTITUTION = "01UNI"
EVENTS_PER_JOB = 714
RECORDS_PER_EVENT = 7
CAPTURE_BATCH = 1000
SPAN = timedelta(days=300)
TARGET_RATIO = 3.0
MEMORY_LIMIT = 0.1
FLAT_LIMIT = 1.3
PEAK_LIMIT = 50 * 2**20
CAPTURE_RATE = 100_000
CAPTURE_SHARE = 0.6


def bib_event(n: int) -> list[Record]:
    """The records of the `n`-th bib's deletion: the bib, 2 holdings, 2 items each."""
    bib = Record("bib", f"b{n}", data={"title": f"Title {n}", "author": f"Author {n % 997}"})
    records = [bib]
    for h in range(2):
        holding = Record("holding", f"h{n}-{h}", bib.id, {"location": f"stack {h}"})
        records.append(holding)
        records += [
            Record("item", f"i{n}-{h}-{i}", holding.id, {"barcode": f"{n:08d}{h}{i}"})
            for i in range(2)
        ]
    return records


def job_of(n: int) -> str:
    """The job that deleted the `n`-th bib."""
    return f"job-{n // EVENTS_PER_JOB:05d}"


def deletion_time(n: int, events: int) -> datetime:
    """When the `n`-th bib was deleted: spread evenly over `SPAN`, oldest first."""
    return NOW - SPAN + SPAN * n / events


class Workload:
    """A store filled with `size` records of whole-bib deletions, and the job restored."""

    def __init__(self, store: Store, size: int) -> None:
        self.events = size // RECORDS_PER_EVENT
        self.clock = Clock()
        self.repo = DeletedRepository(store, clock=self.clock)
        jobs = -(-self.events // EVENTS_PER_JOB)
        self.job = self.first_job = job_of(EVENTS_PER_JOB * (jobs // 2))
        self.runs = 0
        first = EVENTS_PER_JOB * (jobs // 2)
        self.restored = range(first, min(first + EVENTS_PER_JOB, self.events))
        self.capture = Timing([])

    def build(self) -> None:
        """Capture every deletion, timing each `record_deletions` call (values built first)."""
        for start in range(0, self.events, CAPTURE_BATCH):
            batch = [
                Deletion(bib_event(n), actor=Actor.job(job_of(n)), at=self.at(n))
                for n in range(start, min(start + CAPTURE_BATCH, self.events))
            ]
            records = len(batch) * RECORDS_PER_EVENT
            started = time.perf_counter()
            self.repo.record_deletions(INSTITUTION, batch)
            self.capture.times.append((time.perf_counter() - started) / records)

    def at(self, n: int) -> datetime:
        """When the `n`-th bib was deleted."""
        return deletion_time(n, self.events)

    def ours(self) -> tuple[float, float]:
        """Plan and restore the job's bibs: the two times; then put the store back."""
        settle()
        started = time.perf_counter()
        plan = self.repo.plan(ByJob(kind="bib", job_id=self.job), requester=MANAGER)
        planned = time.perf_counter()
        result = self.repo.restore(plan, requester=MANAGER)
        done = time.perf_counter()
        restored = len(result.restored)
        assert restored == len(self.restored) * RECORDS_PER_EVENT, restored
        self.delete_again()
        return planned - started, done - planned

    def delete_again(self) -> None:
        """A new run of the job deletes its bibs again, one event a bib, at their first times.

        Each run has an id of its own, so that the next round's search finds 714 events, as the
        first did, not every run's (the events a restore emptied stay in the repository).
        """
        self.runs += 1
        self.job = f"{self.first_job}-run{self.runs}"
        for n in self.restored:
            self.clock.now = self.at(n)
            self.repo.delete(INSTITUTION, [f"b{n}"], actor=Actor.job(self.job))
        self.clock.now = NOW


class Floor:
    """The job's restore written by hand: the same statements in one transaction.

    It moves the records and their indexed fields (the items' barcodes, R-S10) from the deleted
    tables to the catalog's.
    """

    def __init__(
        self, workload: Workload, connect: Callable[[], Any], marker: str, json: str
    ) -> None:
        self.workload = workload
        self.connect = connect
        self.marker = marker  # the driver's parameter marker
        self.json = json  # the marker of a JSON value given as text

    def run(self) -> float:
        """Restore the job's records by hand; its time. Then put the store back."""
        q = self.marker
        con = self.connect()
        try:
            settle()
            started = time.perf_counter()
            cur = con.cursor()
            cur.execute(
                f"SELECT id FROM deleted_repo_event WHERE institution = {q} "
                f"AND actor_kind = 'job' AND actor_id = {q}",
                (INSTITUTION, self.workload.job),
            )
            events = [row[0] for row in cur.fetchall()]
            cur.execute(
                "SELECT institution, id, kind, parent_id, CAST(data AS TEXT) "
                "FROM deleted_repo_deleted "
                f"WHERE institution = {q} AND event_id IN ({', '.join([q] * len(events))})",
                (INSTITUTION, *events),
            )
            rows = cur.fetchall()
            cur.executemany(
                "INSERT INTO deleted_repo_catalog (institution, id, kind, parent_id, data) "
                f"VALUES ({q}, {q}, {q}, {q}, {self.json})",
                rows,
            )
            ids = [row[1] for row in rows]
            fields = f"FROM deleted_repo_deleted_field WHERE institution = {q} AND record_id IN "
            fields += f"({', '.join([q] * len(ids))})"
            cur.execute(
                "INSERT INTO deleted_repo_catalog_field (institution, record_id, field, kind, "
                f"value) SELECT institution, record_id, field, kind, value {fields}",
                (INSTITUTION, *ids),
            )
            cur.execute(f"DELETE {fields}", (INSTITUTION, *ids))
            cur.execute(
                "DELETE FROM deleted_repo_deleted "
                f"WHERE institution = {q} AND event_id IN ({', '.join([q] * len(events))})",
                (INSTITUTION, *events),
            )
            con.commit()
            spent = time.perf_counter() - started
        finally:
            con.close()
        expected = len(self.workload.restored) * RECORDS_PER_EVENT
        assert len(rows) == expected, len(rows)
        self.workload.delete_again()
        return spent


Rows = list[tuple[Any, ...]]


def capture_rows(actor_kind: str = "job") -> tuple[Rows, Rows, Rows, Rows]:
    """The rows `SqlStore` writes for one `CAPTURE_BATCH` of whole-bib deletions, made by hand.

    Event, deleted, lineage-link and field rows (the items' barcodes), as the store numbers
    the links: the bib's id is link 1 of its event, each holding's id above it links 2 and 3.
    """
    at = (NOW - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    events: Rows = []
    members: Rows = []
    links: Rows = []
    fields: Rows = []
    for n in range(10**8, 10**8 + CAPTURE_BATCH):
        event = f"floor-{n}"
        records = bib_event(n)
        bib = records[0].id
        events.append((INSTITUTION, event, actor_kind, "floor", at, json.dumps([bib])))
        links.append((INSTITUTION, event, 1, bib, None))
        node: dict[str, int | None] = {bib: None}
        for r in records[1:]:
            if r.kind == "holding":
                node[r.id] = len(node) + 1
                links.append((INSTITUTION, event, node[r.id], r.id, 1))
        for r in records:
            lineage = {"bib": None, "holding": 1}.get(r.kind, node.get(r.parent_id or ""))
            role = "origin" if r.kind == "bib" else "cascade"
            members.append(
                (INSTITUTION, r.id, r.kind, r.parent_id, json.dumps(r.data), role, bib, event,
                 actor_kind, "floor", at, lineage)
            )  # fmt: skip
            if r.kind == "item":
                fields.append((INSTITUTION, r.id, "barcode", "item", "s" + r.data["barcode"]))
    return events, members, links, fields


CAPTURE_TABLES = (schema.event, schema.deleted, schema.lineage, schema.deleted_field)
STORE_TABLES = tuple(schema.metadata.sorted_tables)


def insert_sql(table: sa.Table, mark: str) -> str:
    """An INSERT of every column of `table` but an autoincrement key, with `mark` placeholders."""
    columns = [c.name for c in table.columns if c is not table.autoincrement_column]
    marks = ", ".join([mark] * len(columns))
    return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"


def floor_cleanup(batches: tuple[Rows, Rows, Rows, Rows], mark: str) -> list[tuple[str, Any]]:
    """The statements and parameters that delete a capture floor's rows again (untimed)."""
    events = [row[1] for row in batches[0]]
    ids = [row[1] for row in batches[1]]
    inside = ", ".join([mark] * len(events))
    members = ", ".join([mark] * len(ids))
    return [
        (f"DELETE FROM {schema.deleted_field.name} WHERE record_id IN ({members})", ids),
        (f"DELETE FROM {schema.deleted.name} WHERE event_id IN ({inside})", events),
        (f"DELETE FROM {schema.lineage.name} WHERE event_id IN ({inside})", events),
        (f"DELETE FROM {schema.event.name} WHERE id IN ({inside})", events),
    ]


def sqlite_capture_floor(path: str, rounds: int) -> Timing:
    """Insert and commit one `CAPTURE_BATCH` of hand-made rows; delete them again, untimed."""
    batches = capture_rows()
    con = sqlite3.connect(path, isolation_level=None)
    times = []
    try:
        for _ in range(rounds):
            settle()
            started = time.perf_counter()
            con.execute("BEGIN IMMEDIATE")
            for table, rows in zip(CAPTURE_TABLES, batches, strict=True):
                con.executemany(insert_sql(table, "?"), rows)
            con.execute("COMMIT")
            times.append((time.perf_counter() - started) / len(batches[1]))
            con.execute("BEGIN IMMEDIATE")
            for statement, params in floor_cleanup(batches, "?"):
                con.execute(statement, params)
            con.execute("COMMIT")
    finally:
        con.close()
    return Timing(times)


def postgres_capture_floor(connect: Callable[[], Any], rounds: int) -> Timing:
    """COPY and commit one `CAPTURE_BATCH` of hand-made rows; delete them again, untimed."""
    batches = capture_rows()
    times = []
    con = connect()
    con.commit()  # keep the connection's settings
    try:
        for _ in range(rounds):
            settle()
            started = time.perf_counter()
            with con.cursor() as cur:
                for table, rows in zip(CAPTURE_TABLES, batches, strict=True):
                    columns = [c.name for c in table.columns if c is not table.autoincrement_column]
                    with cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            con.commit()
            times.append((time.perf_counter() - started) / len(batches[1]))
            with con.cursor() as cur:
                for statement, params in floor_cleanup(batches, "%s"):
                    cur.execute(statement, params)
            con.commit()
    finally:
        con.close()
    return Timing(times)


class Report:
    """Rows of figures against targets, printed as they come; counts the misses."""

    def __init__(self) -> None:
        self.misses = 0

    def row(self, name: str, measured: str, target: str = "", ok: bool | None = None) -> None:
        """Print one row; `ok` None means no target."""
        self.misses += ok is False
        result = "" if ok is None else ("PASS" if ok else "MISS")
        print(f"{name:<58} {measured:>14} {target:>12}  {result}", flush=True)


def ms(seconds: float) -> str:
    """Seconds shown as milliseconds."""
    return f"{seconds * 1e3:,.1f} ms"


@contextmanager
def sqlite_file() -> Iterator[str]:
    """A fresh SQLite file, removed at the end."""
    with tempfile.TemporaryDirectory() as directory:
        yield str(Path(directory) / "bench.sqlite")


def measure(  # noqa: PLR0917 (a private helper of this script)
    report: Report,
    name: str,
    store: Store,
    size: int,
    rounds: int,
    floor: Callable[[Workload], Floor] | None,
    built: Callable[[], str] | None = None,
) -> tuple[Workload, float]:
    """Build `store`, time ours (and the floor, taking turns); the workload and our median.

    `built`, when given, runs after the build, before any timing; it says what it did.
    """
    workload = Workload(store, size)
    started = time.perf_counter()
    workload.build()
    build = time.perf_counter() - started
    print(f"\n{name}: {workload.events * RECORDS_PER_EVENT:,} records built in {build:.1f} s")
    if built is not None:
        print(built())
    capture = 1 / workload.capture.median
    report.row("capture: record_deletions, 1,000 deletions a call", f"{capture:,.0f}/s")
    ours: list[tuple[float, float]] = []
    fns: list[Callable[[], Any]] = [lambda: ours.append(workload.ours())]
    floor_times: list[float] = []
    if floor is not None:
        by_hand = floor(workload)
        fns.append(lambda: floor_times.append(by_hand.run()))
    interleaved(fns, rounds, warmup=1)
    ours = ours[1:]
    plan = Timing([p for p, _ in ours]).median
    execute = Timing([e for _, e in ours]).median
    total = Timing([p + e for p, e in ours]).median
    report.row("plan, median", ms(plan))
    report.row("execute, median", ms(execute))
    if floor is None:
        report.row("plan + execute, median", ms(total), f"<= {ms(MEMORY_LIMIT)}", total <= 0.1)
    else:
        floor_median = Timing(floor_times[1:]).median
        report.row("plan + execute, median", ms(total))
        report.row("floor: the same restore by hand, median", ms(floor_median))
        ratio = total / floor_median
        report.row("ours / floor", f"{ratio:.1f}x", f"<= {TARGET_RATIO:g}x", ratio <= TARGET_RATIO)
    return workload, total


def peak_memory(workload: Workload) -> int:
    """Peak Python memory above the start over one plan and restore (tracemalloc)."""
    settle()
    tracemalloc.start()
    try:
        plan = workload.repo.plan(ByJob(kind="bib", job_id=workload.job), requester=MANAGER)
        workload.repo.restore(plan, requester=MANAGER)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    workload.delete_again()
    return peak


def run_sqlite(report: Report, sizes: list[int], rounds: int) -> None:
    """Every size on SQLite, with the floors, the flatness and the peak of memory."""
    totals = []
    for size in sizes:
        with sqlite_file() as path:
            engine = sa.create_engine(f"sqlite:///{path}")
            store = SqlStore(engine)
            store.create_schema()

            def by_hand(workload: Workload, path: str = path) -> Floor:
                return Floor(workload, lambda: sqlite3.connect(path), "?", "?")

            workload, total = measure(report, f"SQLite, {size:,}", store, size, rounds, by_hand)
            totals.append(total)
            floor = 1 / sqlite_capture_floor(path, rounds).median
            ours = 1 / workload.capture.median
            report.row("capture floor: hand-written sqlite3 inserts", f"{floor:,.0f}/s")
            bar = min(CAPTURE_RATE, CAPTURE_SHARE * floor)
            report.row("capture: ours against the bar", f"{ours:,.0f}/s", f">= {bar:,.0f}/s",
                       ours >= bar)  # fmt: skip
            peak = peak_memory(workload)
            report.row("peak memory over a plan and restore", f"{peak / 2**20:,.1f} MB",
                       "<= 50 MB", peak <= PEAK_LIMIT)  # fmt: skip
            engine.dispose()
    flat(report, "SQLite", sizes, totals)


def run_memory(report: Report, sizes: list[int], rounds: int) -> None:
    """Every size on the in-memory store."""
    totals = [measure(report, f"memory, {s:,}", MemoryStore(), s, rounds, None)[1] for s in sizes]
    flat(report, "memory", sizes, totals)


def run_postgres(report: Report, sizes: list[int], rounds: int, url: str) -> None:
    """Every size on PostgreSQL, in a schema of its own, against a psycopg floor."""
    import psycopg  # noqa: PLC0415 (only where PostgreSQL runs)

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(False)
    totals = []
    try:
        for size in sizes:
            store = SqlStore(engine, schema=schema)
            store.create_schema()

            def connect() -> Any:
                con = psycopg.connect(conninfo)
                con.execute(f'SET search_path TO "{schema}"')
                return con

            def by_hand(workload: Workload) -> Floor:
                return Floor(workload, connect, "%s", "%s::json")

            def analyze() -> str:
                # As autovacuum would after a bulk load (the servers here run without it).
                started = time.perf_counter()
                with engine.begin() as conn:
                    for table in STORE_TABLES:
                        conn.exec_driver_sql(f'ANALYZE "{schema}".{table.name}')
                return f"tables analyzed in {time.perf_counter() - started:.1f} s"

            workload, total = measure(
                report, f"PostgreSQL, {size:,}", store, size, rounds, by_hand, analyze
            )
            totals.append(total)
            floor = 1 / postgres_capture_floor(connect, rounds).median
            ours = 1 / workload.capture.median
            report.row("capture floor: hand-written psycopg COPY", f"{floor:,.0f}/s")
            report.row("capture: ours against the floor", f"{ours / floor:.0%}")
            store.drop_schema()
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()
    flat(report, "PostgreSQL", sizes, totals)


def flat(report: Report, name: str, sizes: list[int], totals: list[float]) -> None:
    """The largest size's plan + execute against the smallest's."""
    if len(sizes) > 1:
        ratio = totals[-1] / totals[0]
        report.row(f"{name}: {sizes[-1]:,} against {sizes[0]:,}", f"{ratio:.2f}x",
                   f"<= {FLAT_LIMIT:g}x", ratio <= FLAT_LIMIT)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every target is met, 1 otherwise."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--quick", action="store_true", help="10,000 records only")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    sizes = [10_000] if args.quick else sorted(args.sizes)
    if min(sizes) < EVENTS_PER_JOB * RECORDS_PER_EVENT:
        parser.error(f"every size must hold one job: at least {EVENTS_PER_JOB * 7:,} records")
    report = Report()
    run_memory(report, sizes, args.rounds)
    run_sqlite(report, sizes, args.rounds)
    url = os.environ.get("DELETED_REPO_POSTGRES_URL")
    if url and not args.no_postgres:
        run_postgres(report, sizes, args.rounds, url)
    print(f"\n{report.misses} target(s) missed")
    return 1 if report.misses else 0


if __name__ == "__main__":
    sys.exit(main())
