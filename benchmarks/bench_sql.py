"""Benchmark the SQL store (issue 4): capture, search and restore on SQLite and PostgreSQL.

Run from the project's root::

    .venv/bin/python benchmarks/bench_sql.py                 # 1,000,000 records
    .venv/bin/python benchmarks/bench_sql.py --quick         # 100,000 records, a fast check
    .venv/bin/python benchmarks/bench_sql.py --no-postgres   # SQLite only

PostgreSQL runs when ``DELETED_REPO_POSTGRES_URL`` is set (for example
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), in a schema of its own that is dropped at
the end. Each database gets the memory benchmark's workload (see `_common`): bibs, holdings and
items deleted over two years, a job's weeding and a user's last deletion of 5,000 items each.
The deletions are captured the way a host captures in bulk, `DeletedRepository.record_deletions`
with `--batch` deletions a call, and a sample through `record_deletion`, one call a deletion.

On SQLite the restore is also run by a minimal hand-written sqlite3 script on the same file (the
floor): find the user's last event, select its records by index, insert them into the catalog
tables, delete them from the deleted tables, in one transaction. Ours and the floor take turns.

SQLite runs with the settings docs/performance.md recommends for production (`SQLITE_PRAGMAS`);
PostgreSQL's tables are analyzed after the build. The facade gets the store's parts wrapped so
that each port call is timed (`Spent`), to show where capture's and a restore's time goes. It
prints a table of target, measured value and PASS/MISS per line, and exits with status 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))

from _common import (
    BACKGROUND_ACTORS,
    INSTITUTION,
    ITEMS_PER_HOLDING,
    JOB,
    MANAGER,
    NOW,
    RECORDS_PER_EVENT,
    SEGMENT,
    SPAN,
    USER,
    Clock,
    Ids,
    Timing,
    counter,
    interleaved,
    settle,
    timed_each,
    title_records,
)

from deleted_repo import (
    Actor,
    ById,
    ByJob,
    ByRange,
    ByUser,
    DeletedRepository,
    Deletion,
    Record,
)
from deleted_repo.stores.sql import SqlStore, metadata

MS = 1e3
READS = (("catalog", "get"), ("catalog", "children"), ("deleted", "get"))
"""The store calls `record_deletions` makes to check a batch against the state."""
SQLITE_PRAGMAS = ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL")
"""The production settings of docs/performance.md: a write-ahead log, synced at checkpoints."""


class Table:
    """Rows of target against measured, printed as they come."""

    def __init__(self) -> None:
        self.misses = 0

    @staticmethod
    def heading(title: str) -> None:
        """Print a section's title and the table's header."""
        print(f"\n{title}")
        print(f"{'measure':<62} {'target':>14} {'measured':>14}  result")
        print("-" * 100)

    def row(self, name: str, target: str, measured: str, ok: bool | None) -> None:
        """Print one row; `ok` None means no target."""
        result = "" if ok is None else ("PASS" if ok else "MISS")
        self.misses += ok is False
        print(f"{name:<62} {target:>14} {measured:>14}  {result}", flush=True)

    def time(self, name: str, seconds: float, limit: float | None = None) -> None:
        """Print a time against a limit in seconds."""
        shown = f"{seconds * MS:.2f} ms" if seconds < 0.1 else f"{seconds * MS:,.0f} ms"
        target = "" if limit is None else f"< {limit * MS:,g} ms"
        self.row(name, target, shown, None if limit is None else seconds < limit)

    def rate(self, name: str, per_second: float, floor: float | None = None) -> None:
        """Print records per second against a minimum."""
        target = "" if floor is None else f">= {floor:,.0f}/s"
        ok = None if floor is None else per_second >= floor
        self.row(name, target, f"{per_second:,.0f}/s", ok)

    def ratio(self, name: str, value: float, limit: float | None = None) -> None:
        """Print a ratio against a limit."""
        target = "" if limit is None else f"<= {limit:g}x"
        self.row(name, target, f"{value:.2f}x", None if limit is None else value <= limit)


class Spent:
    """Where the time goes while `on`: the store's port calls, and its executemany inserts.

    The facade is given the store's parts through `part`, which times each call; the
    inserts are timed with SQLAlchemy's cursor events. Both cost a few microseconds a call.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.on = False
        self.calls: defaultdict[str, float] = defaultdict(float)
        self.inserts = 0.0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: sa.Connection, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: sa.Connection, *args: Any) -> None:
        if self.on and args[-1]:  # executemany
            self.inserts += time.perf_counter() - conn.info["bench_started"]

    def part(self, part: Any, label: str) -> Any:
        """`part`, with each of its method calls timed under ``label.method``."""
        spent = self

        class Timed:
            def __getattr__(self, name: str) -> Any:
                method = getattr(part, name)

                def call(*args: Any, **kwargs: Any) -> Any:
                    if not spent.on:
                        return method(*args, **kwargs)
                    started = time.perf_counter()
                    try:
                        return method(*args, **kwargs)
                    finally:
                        spent.calls[f"{label}.{name}"] += time.perf_counter() - started

                return call

        return Timed()

    def reset(self) -> None:
        """Forget what was timed so far."""
        self.calls.clear()
        self.inserts = 0.0

    @contextmanager
    def watching(self) -> Iterator[None]:
        """Time what the block does."""
        self.on = True
        try:
            yield
        finally:
            self.on = False


class Capture:
    """Time spent in the facade's capture calls, and the records they recorded."""

    def __init__(self, spent: Spent | None = None) -> None:
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self.records = 0
        self.spent = spent

    @contextmanager
    def timing(self, records: int) -> Iterator[None]:
        """Time the block, which captures `records` records."""
        started, cpu_started = time.perf_counter(), time.process_time()
        if self.spent is None:
            yield
        else:
            with self.spent.watching():
                yield
        self.seconds += time.perf_counter() - started
        self.cpu_seconds += time.process_time() - cpu_started
        self.records += records

    @property
    def rate(self) -> float:
        """Records captured per second of wall time."""
        return self.records / self.seconds

    @property
    def cpu_rate(self) -> float:
        """Records captured per second of this process's CPU time."""
        return self.records / self.cpu_seconds


class Built:
    """A store filled with the workload, and what the measurements need to know about it."""

    def __init__(self, repo: DeletedRepository, clock: Clock, spent: Spent) -> None:
        self.repo = repo
        self.clock = clock
        self.spent = spent
        self.records = 0
        self.events = 0
        self.build_seconds = 0.0
        self.bulk = Capture(spent)
        self.single = Capture()
        self.job_range = (NOW, NOW)
        self.user_items: list[str] = []
        self.sample_items: list[str] = []


@attrs.define
class Parts:
    """A store made of parts: wrapped ports over `base`, sharing its transaction."""

    base: Any
    catalog: Any
    deleted: Any
    jobs: Any

    def transaction(self) -> Any:
        """The base store's transaction."""
        return self.base.transaction()

    def index_fields(self, fields: Any) -> None:
        """Tell the base store."""
        self.base.index_fields(fields)


def build(
    store: SqlStore, engine: sa.Engine, records: int, *, batch: int, seed: int = 2026
) -> Built:
    """Fill `store` with `_common.build`'s workload, captured in batches of `batch` deletions.

    The last background deletions (a fiftieth, 100 to 1,000) go through `record_deletion`, one
    call each, at nearly full size, to compare the two capture paths.
    """
    spent = Spent(engine)
    clock = Clock()
    repo = DeletedRepository(
        Parts(
            store,
            spent.part(store.catalog, "catalog"),
            spent.part(store.deleted, "deleted"),
            spent.part(store.jobs, "jobs"),
        ),
        clock=clock,
        new_id=counter("ev"),
    )
    built = Built(repo, clock, spent)
    rng = random.Random(seed)
    ids = Ids()
    background = records - 2 * SEGMENT
    events = -(-background // RECORDS_PER_EVENT)
    singles = max(100, min(1000, events // 50))
    start = NOW - SPAN
    step = (SPAN - timedelta(days=2)) / max(events, 1)
    job_at = NOW - timedelta(days=40)
    count = 0
    pending: list[Deletion] = []
    started = time.perf_counter()

    def flush() -> None:
        size = sum(len(d.records) for d in pending)
        with built.bulk.timing(size):
            repo.record_deletions(INSTITUTION, pending)
        pending.clear()

    def background_deletion(n: int) -> Deletion:
        nonlocal count
        bib, holding, items = title_records(ids)
        size = min(RECORDS_PER_EVENT, background - count)
        chosen = [bib, holding, *items][:size]
        count += len(chosen)
        if n % 97 == 0 and size > 2:
            built.sample_items.append(chosen[2].id)
        return Deletion(chosen, actor=rng.choice(BACKGROUND_ACTORS), at=start + step * n)

    n = 0
    while n < events and start + step * n < job_at:
        pending.append(background_deletion(n))
        if len(pending) == batch:
            flush()
        n += 1
    if pending:
        flush()

    job = Actor.job(JOB)
    parents: list[Record] = []
    for k in range(SEGMENT // ITEMS_PER_HOLDING):
        bib, holding, items = title_records(ids)
        parents += [bib, holding]
        pending.append(Deletion(items, actor=job, at=job_at + timedelta(seconds=2 * k)))
    repo.catalog.add(INSTITUTION, parents)
    for at in range(0, len(pending), batch):
        chunk = pending[at : at + batch]
        with built.bulk.timing(sum(len(d.records) for d in chunk)):
            repo.record_deletions(INSTITUTION, chunk)
    pending.clear()
    built.job_range = (job_at, job_at + timedelta(hours=1))

    while n < events - singles:
        pending.append(background_deletion(n))
        if len(pending) == batch:
            flush()
        n += 1
    if pending:
        flush()
    while n < events:
        d = background_deletion(n)
        with built.single.timing(len(d.records)):
            repo.record_deletion(INSTITUTION, d.records, actor=d.actor, at=d.at)
        n += 1

    catalog: list[Record] = []
    for _ in range(SEGMENT // ITEMS_PER_HOLDING):
        bib, holding, items = title_records(ids)
        catalog += [bib, holding, *items]
        built.user_items += [i.id for i in items]
    repo.catalog.add(INSTITUTION, catalog)
    clock.now = NOW - timedelta(days=1)
    repo.delete(INSTITUTION, built.user_items, actor=Actor.user(USER))
    clock.now = NOW
    built.build_seconds = time.perf_counter() - started
    built.records = count + 2 * SEGMENT
    built.events = events + SEGMENT // ITEMS_PER_HOLDING + 1
    return built


def by_id_calls(built: Built, count: int) -> list[Callable[[], Any]]:
    rng = random.Random(7)

    def call(ident: str) -> Callable[[], Any]:
        def run() -> Any:
            page = built.repo.search(ById(kind="item", id=ident), requester=MANAGER)
            assert len(page.hits) == 1
            return page

        return run

    return [call(i) for i in rng.choices(built.sample_items, k=count)]


def page_of_5000(repo: DeletedRepository, criteria: Any) -> Callable[[], Any]:
    def run() -> Any:
        page = repo.search(criteria, requester=MANAGER, limit=SEGMENT)
        assert len(page.hits) == SEGMENT, (criteria, len(page.hits))
        return page

    return run


def delete_again(built: Built) -> None:
    """The user deletes the restored items again, a minute later: the store keeps its shape."""
    built.clock.now += timedelta(minutes=1)
    built.repo.delete(INSTITUTION, built.user_items, actor=Actor.user(USER))
    built.clock.now += timedelta(minutes=1)


def our_restore(built: Built) -> tuple[float, float, float]:
    """Plan and execute the restore of the user's last deletion: the two times, and their CPU."""
    repo = built.repo
    settle()
    with built.spent.watching():
        cpu_started = time.process_time()
        started = time.perf_counter()
        plan = repo.plan(ByUser(kind="item", user_id=USER), requester=MANAGER)
        planned = time.perf_counter()
        result = repo.restore(plan, requester=MANAGER)
        done = time.perf_counter()
        cpu = time.process_time() - cpu_started
    assert len(result.restored) == SEGMENT, len(result.restored)
    delete_again(built)
    return planned - started, done - planned, cpu


def floor_restore(con: sqlite3.Connection, built: Built) -> tuple[float, float]:
    """The same restore by a minimal sqlite3 script, on the same file: its time and CPU time."""
    settle()
    cpu_started = time.process_time()
    started = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    (event,) = con.execute(
        "SELECT id FROM deleted_repo_event WHERE institution = ? AND actor_kind = 'user' "
        "AND actor_id = ? ORDER BY at DESC, seq DESC LIMIT 1",
        (INSTITUTION, USER),
    ).fetchone()
    rows = con.execute(
        "SELECT institution, id, kind, parent_id, data FROM deleted_repo_deleted "
        "WHERE institution = ? AND event_id = ?",
        (INSTITUTION, event),
    ).fetchall()
    con.executemany("INSERT INTO deleted_repo_catalog VALUES (?, ?, ?, ?, ?)", rows)
    ids = json.dumps([row[1] for row in rows])
    field_rows = "FROM deleted_repo_deleted_field WHERE institution = ? AND record_id IN "
    field_rows += "(SELECT value FROM json_each(?))"
    con.execute(f"INSERT INTO deleted_repo_catalog_field SELECT * {field_rows}", (INSTITUTION, ids))
    con.execute(f"DELETE {field_rows}", (INSTITUTION, ids))
    con.execute(
        "DELETE FROM deleted_repo_deleted WHERE institution = ? AND event_id = ?",
        (INSTITUTION, event),
    )
    con.execute("COMMIT")
    spent, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert len(rows) == SEGMENT, len(rows)
    delete_again(built)
    return spent, cpu


def capture_floor_rows(deletions: int) -> tuple[list[tuple[Any, ...]], ...]:
    """The rows `deletions` whole-bib deletions add, prepared by hand for the capture floor.

    The same shape as the background's (a bib, a holding and four items an event, items with a
    barcode), with ids no deletion of the build uses, and the lineages' links `SqlStore` writes
    (D-36): the holding names the bib's link, the items the holding's.
    """
    ids = Ids(itertools.count(10**9))
    at = (NOW - timedelta(days=3) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    events, members, fields, links = [], [], [], []
    for n in range(deletions):
        bib, holding, items = title_records(ids)
        event = f"floor-{n}"
        events.append((INSTITUTION, event, "user", "staff01", at, json.dumps([bib.id])))
        links += [(INSTITUTION, event, 1, bib.id, None), (INSTITUTION, event, 2, holding.id, 1)]
        for r in [bib, holding, *items]:
            first = None if r is bib else 1 if r is holding else 2
            role = "origin" if r is bib else "cascade"
            members.append(
                (INSTITUTION, r.id, r.kind, r.parent_id, json.dumps(r.data), role, bib.id,
                 first, event, "user", "staff01", at)
            )  # fmt: skip
            if r.kind == "item":
                fields.append((INSTITUTION, r.id, "barcode", "item", "s" + r.data["barcode"]))
    return events, members, fields, links


def capture_floor(con: sqlite3.Connection, rounds: int, deletions: int) -> Timing:
    """The capture floor: a hand-written sqlite3 script inserting prepared rows, rolled back.

    One transaction per round, as `record_deletions` makes: an `executemany` into each of the
    event, deleted, field and lineage tables (the rows `SqlStore` writes, with every index it
    keeps), on the built file, then a rollback, so that the store is left as it was.
    """
    events, members, fields, links = capture_floor_rows(deletions)
    statements = (
        ("INSERT INTO deleted_repo_event (institution, id, actor_kind, actor_id, at, origins) "
         "VALUES (?, ?, ?, ?, ?, ?)", events),
        ("INSERT INTO deleted_repo_deleted (institution, id, kind, parent_id, data, role, "
         "origin_id, lineage_node, event_id, actor_kind, actor_id, deleted_at) "
         f"VALUES ({', '.join('?' * 12)})", members),
        ("INSERT INTO deleted_repo_deleted_field (institution, record_id, field, kind, value) "
         "VALUES (?, ?, ?, ?, ?)", fields),
        ("INSERT INTO deleted_repo_lineage (institution, event_id, node, id, up) "
         "VALUES (?, ?, ?, ?, ?)", links),
    )  # fmt: skip
    times = []
    for _ in range(rounds):
        settle()
        started = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        for statement, rows in statements:
            con.executemany(statement, rows)
        times.append(time.perf_counter() - started)
        con.execute("ROLLBACK")
    return Timing(times)


def measure(
    table: Table,
    name: str,
    store: SqlStore,
    engine: sa.Engine,
    args: argparse.Namespace,
    *,
    capture_target: float | None,
    by_id_limit: float | None,
    restore_limit: float,
    floor: Callable[[Built], tuple[float, float]] | None = None,
    floor_capture: Callable[[], Timing] | None = None,
    after_build: Callable[[], str] | None = None,
) -> None:
    """Build `store` and print its rows; `after_build` prepares the database, and says how."""
    built = build(store, engine, args.records, batch=args.batch)
    repo = built.repo
    table.heading(f"{name}: {built.records:,} deleted records, {built.events:,} events")
    table.row("build through the facade, all of it", "", f"{built.build_seconds:.1f} s", None)
    if after_build is not None:
        started = time.perf_counter()
        done = after_build()
        table.row(done, "", f"{time.perf_counter() - started:.1f} s", None)
    table.rate(
        f"capture: record_deletions, {args.batch:,} deletions a call (wall)",
        built.bulk.rate,
        capture_target,
    )
    table.rate("  the same, by this process's CPU time", built.bulk.cpu_rate)
    bulk, spent = built.bulk, built.spent
    adding = spent.calls["deleted.add_events"]
    reads = sum(spent.calls[f"{part}.{name}"] for part, name in READS)
    for what, seconds in (
        ("inserts: the driver's executemany", spent.inserts),
        ("rows for them: add_events' own Python", adding - spent.inserts),
        ("state reads for the checks (SQL and rows)", reads),
        ("facade: checks, events; transactions", bulk.seconds - adding - reads),
    ):
        table.row(f"  per record, {what}", "", f"{seconds / bulk.records * 1e6:.1f} us", None)
    table.rate(
        f"  record_deletion, one call a deletion ({built.single.records:,} records)",
        built.single.rate,
    )
    if floor_capture is not None:
        floor_rate = RECORDS_PER_EVENT * args.batch / floor_capture().median
        table.rate("capture floor: hand-written sqlite3 inserts, median of 5", floor_rate)
        if capture_target is not None:
            left = f"{(1 / capture_target - 1 / floor_rate) * 1e6:.1f} us"
            table.row("  what the target leaves beyond them, per record", "", left, None)

    by_id = timed_each(by_id_calls(built, 2000))
    table.time("search by id: median of 2,000 ids", by_id.median, by_id_limit)
    table.time("search by id: p95 of 2,000 ids", by_id.p95, by_id_limit)
    start, end = built.job_range
    searches = {
        "user": ByUser(kind="item", user_id=USER),
        "job": ByJob(kind="item", job_id=JOB),
        "range": ByRange(kind="item", start=start, end=end),
    }
    settle()
    pages = interleaved([page_of_5000(repo, c) for c in searches.values()], 11, warmup=1)
    for what, timing in zip(searches, pages, strict=True):
        table.time(f"search by {what}: a page of 5,000 hits, median of 11", timing.median)

    plans, executes, cpus, floors, floor_cpus = [], [], [], [], []
    spent.reset()
    for _ in range(args.rounds):
        plan, execute, cpu = our_restore(built)
        plans.append(plan)
        executes.append(execute)
        cpus.append(cpu)
        if floor is not None:
            floor_seconds, floor_cpu_seconds = floor(built)
            floors.append(floor_seconds)
            floor_cpus.append(floor_cpu_seconds)
    plan_t, exec_t, cpu_t = Timing(plans), Timing(executes), Timing(cpus)
    total = Timing([p + e for p, e in zip(plans, executes, strict=True)])
    table.time(f"plan a 5,000-record restore, median of {args.rounds}", plan_t.median)
    table.time(f"execute it, median of {args.rounds}", exec_t.median)
    table.time("plan + execute, median", total.median, restore_limit)
    table.time("plan + execute, slowest", max(total.times))
    calls = sum(spent.calls.values()) / args.rounds
    table.time("  of which in the store's port calls (SQL, rows <-> values)", calls)
    for call, seconds in sorted(spent.calls.items(), key=lambda c: -c[1])[:6]:
        table.time(f"    {call}", seconds / args.rounds)
    table.time("  of which in the facade and planner (the rest)", total.median - calls)
    if floors:
        table.time("  plan + execute, by this process's CPU time", cpu_t.median)
        floor_t, floor_cpu = Timing(floors), Timing(floor_cpus)
        table.time(f"floor: hand-written sqlite3 restore, median of {args.rounds}", floor_t.median)
        table.time("  floor, by this process's CPU time", floor_cpu.median)
        table.ratio("ours / floor: plan + execute", total.median / floor_t.median, 2.0)
        table.ratio("ours / floor: execute only", exec_t.median / floor_t.median, 2.0)
        table.ratio("  ours / floor: plan + execute, by CPU time", cpu_t.median / floor_cpu.median)


def run_sqlite(table: Table, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_sql_") as folder:
        path = Path(folder) / "deleted.db"
        engine = sa.create_engine(f"sqlite:///{path}")

        @sa.event.listens_for(engine, "connect")
        def recommended(dbapi_connection: Any, _record: Any) -> None:
            for pragma in SQLITE_PRAGMAS:
                dbapi_connection.execute(pragma)

        store = SqlStore(engine)
        store.create_schema()
        con = sqlite3.connect(path, isolation_level=None)
        for pragma in SQLITE_PRAGMAS:
            con.execute(pragma)
        try:
            measure(
                table,
                f"SQLite {sqlite3.sqlite_version}, a file",
                store,
                engine,
                args,
                capture_target=50_000,
                by_id_limit=0.005,
                restore_limit=1.5,
                floor=lambda built: floor_restore(con, built),
                floor_capture=lambda: capture_floor(con, 5, args.batch),
            )
            table.row("database file", "", f"{path.stat().st_size / 2**20:,.0f} MiB", None)
        finally:
            con.close()
            engine.dispose()


def run_postgres(table: Table, args: argparse.Namespace, url: str) -> None:
    engine = sa.create_engine(url)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    store = SqlStore(engine, schema=schema)
    try:
        store.create_schema()
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SHOW server_version").scalar()
            autovacuum = conn.exec_driver_sql("SHOW autovacuum").scalar()

        def analyze() -> str:
            # Without statistics the planner takes "institution = ?" for selective and reads
            # the whole institution where an index on (institution, x) would find a few rows.
            with engine.begin() as conn:
                for table_name in metadata.tables:
                    conn.exec_driver_sql(f'ANALYZE "{schema}"."{table_name}"')
            return f"ANALYZE after the build (autovacuum {autovacuum})"

        measure(
            table,
            f"PostgreSQL {version}, schema {schema}",
            store,
            engine,
            args,
            capture_target=None,
            by_id_limit=None,
            restore_limit=3.0,
            after_build=analyze,
        )
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="store size (1,000,000)")
    parser.add_argument("--quick", action="store_true", help="100,000 records, a fast check")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--batch", type=int, default=1000, help="deletions a capture call (1,000)")
    parser.add_argument("--rounds", type=int, default=7, help="restore rounds (7)")
    args = parser.parse_args(argv)
    if args.quick:
        args.records = 100_000
    url = "" if args.no_postgres else os.environ.get("DELETED_REPO_POSTGRES_URL", "")
    print(f"deleted_repo SQL store benchmark: {args.records:,} records")
    print(
        f"Python {sys.version.split()[0]}, SQLAlchemy {sa.__version__}, on {sys.platform}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; wall times"
    )
    table = Table()
    run_sqlite(table, args)
    if url:
        run_postgres(table, args, url)
    elif not args.no_postgres:
        print("\nPostgreSQL skipped: DELETED_REPO_POSTGRES_URL is not set")
    print(f"\n{table.misses} target(s) missed; load average {os.getloadavg()[0]:.2f}")
    return 1 if table.misses else 0


if __name__ == "__main__":
    sys.exit(main())
