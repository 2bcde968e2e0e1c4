"""``deleted-repo demo``: a sample institution, and the rules at work on it, step by step.

The demo builds a SQLite database (`deleted_repo.cli.sample`), then walks through the rules of
Alma's "Restoring Deleted Records" page with real searches, plans and restores through the
library, printing each step's results as the other commands print them.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import click
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from deleted_repo import DeletedRepository, RestoreResult
from deleted_repo.errors import CapExceededError, DeletedRepoError, StalePlanError
from deleted_repo.model import Requester
from deleted_repo.planner import RestorePlan
from deleted_repo.policy import Policy
from deleted_repo.search import (
    ByField,
    ById,
    ByJob,
    ByRange,
    BySystem,
    ByUser,
    Criteria,
    SearchPage,
)
from deleted_repo.stores.sql import SqlStore

from . import render
from .app import EXIT_BAD_INPUT, database_url, exit_code, fail
from .commands import run_batches
from .sample import DEFAULT_TITLES, INSTITUTION, Sample, build_sample

__all__ = ["demo"]

_MANAGER = "ana"
_ALMA_CAP = 5000
_STEP_MINUTES = 4


class _Clock:
    """The demo's clock: set back while the history is built, then fixed at "now"."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, at: datetime) -> None:
        self.now = at


@attrs.define
class _Walk:
    """The walkthrough's shared state and its ways of printing."""

    repo: DeletedRepository
    out: Console
    sample: Sample
    clock: _Clock
    number: int = 0

    @property
    def manager(self) -> Requester:
        return Requester(
            user_id=_MANAGER, institution=INSTITUTION, roles={self.repo.policy.restore_role}
        )

    def heading(self, title: str, rules: str) -> None:
        self.number += 1
        # Each step a few minutes after the last, so that restore jobs list newest first.
        self.clock.set(self.sample.now + timedelta(minutes=_STEP_MINUTES * self.number))
        self.out.print()
        self.out.rule(f"[bold]{self.number}. {title}[/]  [dim]{rules}[/]", align="left")

    def say(self, text: str) -> None:
        self.out.print(text)

    def command(self, args: str) -> None:
        self.out.print(f"$ deleted-repo {args}", style="cyan")

    def search(self, criteria: Criteria, *, limit: int = 10) -> SearchPage:
        page = self.repo.search(criteria, requester=self.manager, limit=limit)
        if page.clipped and page.window is not None:
            self.say(f"the range was clipped to the window: from {render.stamp(page.window.start)}")
        if page.hits:
            self.out.print(render.hits_table(page, title=render.describe(criteria)))
        else:
            self.say(f"no hits: {render.describe(criteria)}")
        if page.next_cursor:
            self.say("(more on the next pages)")
        return page

    def plan(
        self, criteria: Criteria, *, batches: bool = False, show: int = 30, who: str = ""
    ) -> RestorePlan:
        requester = self.manager if not who else attrs.evolve(self.manager, user_id=who)
        plan = self.repo.plan(criteria, requester=requester, batches=batches)
        self.out.print(render.plan_view(plan, hierarchy=self.repo.hierarchy, show=show))
        return plan

    def restore(self, plan: RestorePlan, *, who: str = "") -> RestoreResult:
        requester = self.manager if not who else attrs.evolve(self.manager, user_id=who)
        result = run_batches(self.repo, plan, requester, progress_to=self.out)
        self.out.print(render.restore_view(result))
        return result

    def refused(self, error: DeletedRepoError) -> None:
        self.out.print(f"error: {error}", style="red", markup=False)
        self.say(f"[dim](the command line exits with status {exit_code(error)})[/]")


def _institution(w: _Walk) -> None:
    s = w.sample
    w.heading("A sample institution", "R-M1, R-D1..R-D4")
    table = Table(title=f"Institution {INSTITUTION}", title_justify="left")
    for column in ("kind", "active", "deleted", "total"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, active in s.active.items():
        deleted = s.deleted[kind]
        table.add_row(kind, f"{active:,}", f"{deleted:,}", f"{active + deleted:,}")
    total = sum(s.active.values()) + sum(s.deleted.values())
    table.add_row(
        "all", f"{sum(s.active.values()):,}", f"{sum(s.deleted.values()):,}", f"{total:,}"
    )
    w.out.print(table)
    actors = ", ".join(f"{who} {n:,}" for who, n in s.actors.items())
    w.say(f"{s.events:,} deletion events over two years, by {actors}.")
    w.say(f"Every step below runs as {_MANAGER!r}, a Repository Manager.")


def _bib(w: _Walk) -> None:
    sc = w.sample.scenarios
    w.heading("Restoring a bib restores what was deleted with it", "R-P3")
    w.say("asmith deleted a title 3 days ago; bwhite had withdrawn one of its copies before.")
    w.command(f"search --kind bib --id {sc.whole_bib}")
    w.search(ById(kind="bib", id=sc.whole_bib))
    w.command(f"plan --kind bib --id {sc.whole_bib}")
    plan = w.plan(ById(kind="bib", id=sc.whole_bib))
    w.say(f"Item {sc.withdrawn_item} was deleted in another event: it stays deleted.")
    w.command(f"restore --kind bib --id {sc.whole_bib} --yes")
    w.restore(plan)


def _item(w: _Walk) -> None:
    sc = w.sample.scenarios
    w.heading("Restoring an item restores its holding and bib, not its siblings", "R-P4")
    w.command(f"plan --kind item --id {sc.walden_item}")
    w.restore(w.plan(ById(kind="item", id=sc.walden_item)))
    w.say("The other items of that title, deleted with it by mlopez, are still deleted:")
    w.command("search --kind item --deleted-by mlopez")
    w.search(ByUser(kind="item", user_id="mlopez"))


def _user(w: _Walk) -> None:
    user = w.sample.scenarios.last_action_user
    w.heading("A user's last action", "R-S4")
    w.say(f"{user} withdrew items 30, 8 and 2 days ago; a search by user finds the last action.")
    w.command(f"search --kind item --deleted-by {user}")
    w.search(ByUser(kind="item", user_id=user))
    w.command(f"restore --kind item --deleted-by {user} --yes")
    w.restore(w.plan(ByUser(kind="item", user_id=user), show=5))
    w.say("Restored in full, that action no longer counts: the search walks back one action.")
    w.command(f"search --kind item --deleted-by {user}")
    w.search(ByUser(kind="item", user_id=user))


def _job(w: _Walk) -> None:
    job = w.sample.scenarios.dedup_job
    w.heading("A job", "R-S5")
    w.command(f"search --kind bib --job {job} --limit 5")
    w.search(ByJob(kind="bib", job_id=job), limit=5)
    w.command(f"restore --kind bib --job {job} --yes")
    w.restore(w.plan(ByJob(kind="bib", job_id=job), show=6))


def _system(w: _Walk) -> None:
    w.heading("System deletions, under either label", "R-D4")
    w.say("'System' and 'Electronic Inventory Creator' are the same internal process.")
    w.command("search --kind portfolio --system --limit 6")
    w.search(BySystem(kind="portfolio"), limit=6)


def _window(w: _Walk) -> None:
    sc = w.sample.scenarios
    w.heading("The one-year window, and search by id", "R-S2, R-S3")
    start, end = sc.old_at - timedelta(days=1), sc.old_at + timedelta(days=1)
    w.say(f"hsato deleted a title on {render.stamp(sc.old_at)}, over a year ago.")
    w.command(f"search --kind bib --from {start:%Y-%m-%d} --to {end:%Y-%m-%d}")
    w.search(ByRange(kind="bib", start=start, end=end))
    w.command(f"search --kind bib --id {sc.old_bib}")
    w.search(ById(kind="bib", id=sc.old_bib))


def _expired(w: _Walk) -> None:
    rep = w.sample.scenarios.expired_representation
    w.heading("Digital files expire after 90 days: a partial plan", "R-P6")
    w.say("A representation and its files were deleted 120 days ago.")
    w.command(f"restore --kind representation --id {rep} --yes")
    w.restore(w.plan(ById(kind="representation", id=rep)))


def _conflict(w: _Walk) -> None:
    sc = w.sample.scenarios
    w.heading("A conflict: the barcode is now held by an active item", "R-P7, R-S10")
    w.command(f"search --kind item --field barcode={sc.conflict_barcode}")
    w.search(ByField(kind="item", field="barcode", value=sc.conflict_barcode))
    w.say(f"Since then, item {sc.conflict_holder} was catalogued with the same barcode.")
    w.command(f"plan --kind item --id {sc.conflict_item}")
    w.plan(ById(kind="item", id=sc.conflict_item))


def _cap(w: _Walk) -> None:
    sc = w.sample.scenarios
    cap = w.repo.policy.max_records_per_job
    w.heading(f"At most {cap:,} records per restore job, or batches", "R-P8")
    if cap != _ALMA_CAP:
        w.say(f"(This smaller sample's policy caps a job at {cap:,}; Alma's cap is 5,000.)")
    w.say(f"Job {sc.weeding_job} weeded holdings with their items: {sc.weeding_records:,} records.")
    criteria = ByJob(kind="holding", job_id=sc.weeding_job)
    w.command(f"plan --kind holding --job {sc.weeding_job}")
    try:
        w.repo.plan(criteria, requester=w.manager)
    except CapExceededError as e:
        w.refused(e)
    w.command(f"restore --kind holding --job {sc.weeding_job} --batches --yes")
    w.restore(w.plan(criteria, batches=True, show=4))


def _stale(w: _Walk) -> None:
    sc = w.sample.scenarios
    w.heading("A stale plan is refused", "R-E2")
    criteria = ByUser(kind="item", user_id=sc.stale_user)
    w.command(f"plan --kind item --deleted-by {sc.stale_user} --save plan.json")
    plan = w.plan(criteria)
    first = plan.ids[0]
    w.say(f"Meanwhile {sc.colleague} restores item {first}:")
    w.restore(w.plan(ById(kind="item", id=first), who=sc.colleague), who=sc.colleague)
    w.command("restore --plan plan.json --yes")
    try:
        w.repo.restore(plan, requester=w.manager)
    except StalePlanError as e:
        w.refused(e)
    w.say("Nothing changed. Plan again, and restore what is left:")
    w.restore(w.plan(criteria))


def _audit(w: _Walk) -> None:
    w.heading("Every restore is recorded", "R-E3")
    w.command("jobs")
    w.out.print(render.jobs_table(w.repo.restore_jobs(requester=w.manager)))


_STEPS = (
    _institution,
    _bib,
    _item,
    _user,
    _job,
    _system,
    _window,
    _expired,
    _conflict,
    _cap,
    _stale,
    _audit,
)


@click.command(short_help="A sample institution and every rule at work.")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Create the demo's SQLite database at this new path (kept) instead of a temporary file.",
)
@click.option("--keep", is_flag=True, help="Keep the database and print how to use it.")
@click.option(
    "--titles",
    type=click.IntRange(min=50),
    default=DEFAULT_TITLES,
    show_default=True,
    help="Random titles in the sample catalog.",
)
def demo(db_path: Path | None, keep: bool, titles: int) -> None:
    """Build a sample institution and watch every restore rule at work on it.

    The sample holds over 10,000 records of every kind and two years of deletions by users,
    jobs and system processes. It is built in a new SQLite database, removed at the end unless
    --keep or --db is given. The demo's own --db is used, never the global one.
    """
    began = time.perf_counter()
    if db_path is not None and db_path.exists() and db_path.stat().st_size > 0:
        fail(f"{db_path} already exists; the demo needs a new database", EXIT_BAD_INPUT)
    folder: Path | None = None
    if db_path is None:
        folder = Path(tempfile.mkdtemp(prefix="deleted_repo_demo_"))
        path = folder / "demo.sqlite3"
    else:
        path = db_path
    url = database_url(str(path))
    out = render.console()
    engine = sa.create_engine(url)
    try:
        _run(engine, out, titles)
    finally:
        engine.dispose()
        if folder is not None and not keep:
            shutil.rmtree(folder, ignore_errors=True)
    out.print()
    out.print(f"demo finished in {time.perf_counter() - began:.1f} s")
    if db_path is not None or keep:
        out.rule("[bold]Go on with the other commands[/]", align="left")
        out.print(f"The database is kept: {path}", markup=False)
        out.print(
            f"export DELETED_REPO_DB={url.render_as_string()} DELETED_REPO_USER={_MANAGER} "
            f"DELETED_REPO_INSTITUTION={INSTITUTION}",
            markup=False,
            soft_wrap=True,
        )
        out.print("deleted-repo search --kind item --deleted-by jdoe", markup=False)
        out.print("deleted-repo jobs", markup=False)
        out.print("deleted-repo purge --dry-run", markup=False)


def _run(engine: sa.Engine, out: Console, titles: int) -> None:
    store = SqlStore(engine)
    store.create_schema()
    # The walkthrough's steps run a few minutes apart, ending before the real "now", so that
    # the commands run afterwards on a kept database come later.
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=_STEP_MINUTES * 15)
    clock = _Clock(now)
    numbers = itertools.count(1)
    repo = DeletedRepository(store, clock=clock, new_id=lambda: f"D{next(numbers):06d}")
    out.rule("[bold]deleted-repo demo[/]", align="left")
    out.print(f"building the sample institution in {engine.url.database}", markup=False)
    sample = build_sample(
        repo,
        clock=clock.set,
        now=now,
        titles=titles,
        progress=lambda step: out.print(f"  {step}", style="dim"),
    )
    weeded = sample.scenarios.weeding_records
    cap = _ALMA_CAP if weeded > _ALMA_CAP else max(2, weeded * 2 // 3)
    repo = DeletedRepository(
        store,
        clock=clock,
        policy=Policy(max_records_per_job=cap),
        new_id=lambda: f"J{next(numbers):06d}",
    )
    walk = _Walk(repo=repo, out=out, sample=sample, clock=clock)
    for step in _STEPS:
        step(walk)
