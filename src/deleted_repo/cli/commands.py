"""The commands on deleted records: init, upgrade, search, show, plan, restore and purge."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from deleted_repo import DeletedRepository, RestoreResult
from deleted_repo.errors import DeletedRepoError, InvalidInputError
from deleted_repo.executing import Progress as RestoreProgress
from deleted_repo.jobs import RestoreJob
from deleted_repo.model import Requester
from deleted_repo.planner import RestorePlan
from deleted_repo.serialization import from_json, to_json
from deleted_repo.stores.sql import SCHEMA_VERSION

from . import render
from .app import EXIT_BAD_INPUT, EXIT_REFUSED, fail, session
from .options import SearchOptions, criteria_options, json_option

__all__ = ["init", "plan", "purge", "restore", "run_batches", "search", "show", "upgrade"]


@click.command(short_help="Create the tables if they do not exist.")
@click.option(
    "--no-catalog",
    is_flag=True,
    help="Leave out the catalog's tables, for an ILS that keeps its own catalog.",
)
@click.pass_context
def init(ctx: click.Context, *, no_catalog: bool) -> None:
    """Create the tables (and the PostgreSQL schema) if they do not exist yet.

    Tables at an older schema version are upgraded first, as 'upgrade' does.
    """
    state = session(ctx)
    state.store(require_schema=False).create_schema(catalog=not no_catalog)
    click.echo(f"the deleted_repo tables are ready in {state.shown_url}")


@click.command(short_help="Upgrade the tables to this release's schema.")
@click.pass_context
def upgrade(ctx: click.Context) -> None:
    """Apply the schema migrations the tables lack, in one transaction, and record the version.

    Tables at this release's schema version are left as they are.
    """
    state = session(ctx)
    found = state.store(catalog=False).upgrade()
    if found == SCHEMA_VERSION:
        click.echo(
            f"the deleted_repo tables in {state.shown_url} are at schema version "
            f"{SCHEMA_VERSION} already"
        )
    else:
        click.echo(
            f"upgraded the deleted_repo tables in {state.shown_url} from schema version "
            f"{found} to {SCHEMA_VERSION}"
        )


@click.command(short_help="Find deleted records, newest first.")
@criteria_options()
@click.option("--limit", default=25, show_default=True, help="The most hits on the page.")
@click.option("--cursor", help="The next cursor a previous page printed.")
@json_option
@click.pass_context
def search(
    ctx: click.Context,
    *,
    asked: SearchOptions,
    limit: int,
    cursor: str | None,
    as_json: bool,
) -> None:
    """Find deleted records: one page, newest first.

    Give the find type (--kind) and one criterion: --id, a range (--from/--to), --deleted-by,
    --job, --system or --field. Searches by range, user, job and system see the last year only.
    """
    criteria = asked.criteria()
    state = session(ctx)
    requester = state.requester()
    page = state.repository().search(criteria, requester=requester, cursor=cursor, limit=limit)
    if as_json:
        click.echo(to_json(page))
        return
    out = render.console()
    if page.clipped and page.window is not None:
        out.print(
            f"the range was clipped to the search window: from {render.stamp(page.window.start)}"
        )
    if not page.hits:
        out.print(f"no hits: {render.describe(criteria)}")
        return
    out.print(render.hits_table(page, title=render.describe(criteria)))
    if page.next_cursor is not None:
        out.print(f"next cursor: {page.next_cursor}", soft_wrap=True)


@click.command(short_help="The brief view of one deleted record.")
@click.argument("record_id", metavar="ID")
@json_option
@click.pass_context
def show(ctx: click.Context, record_id: str, as_json: bool) -> None:
    """Show the brief view of the deleted record ID, of any kind."""
    state = session(ctx)
    requester = state.requester()
    hit = state.repository().brief(record_id, requester=requester)
    if as_json:
        click.echo(to_json(hit))
        return
    render.console().print(render.brief_table(hit))


@click.command(short_help="Preview a restore; change nothing.")
@criteria_options()
@click.option("--batches", is_flag=True, help="Cut a plan over the cap into ordered batches.")
@click.option(
    "--save",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the plan as JSON to this file, for 'restore --plan'.",
)
@click.option(
    "--show",
    default=50,
    show_default=True,
    help="The most records and exclusions listed (0 for all).",
)
@json_option
@click.pass_context
def plan(
    ctx: click.Context,
    *,
    asked: SearchOptions,
    batches: bool,
    save: Path | None,
    show: int,
    as_json: bool,
) -> None:
    """Preview what restoring the records of a search would do; change nothing.

    Prints every record the restore brings back, parents before children, with why; every
    record it leaves out, with why; the counts per kind and the batches.
    """
    criteria = asked.criteria()
    state = session(ctx)
    requester = state.requester()
    repo = state.repository()
    planned = repo.plan(criteria, requester=requester, batches=batches)
    text = to_json(planned)
    if save is not None:
        _write(save, text)
    if as_json:
        click.echo(text)
        return
    out = render.console()
    out.print(render.plan_view(planned, hierarchy=repo.hierarchy, show=show))
    if save is not None:
        out.print(f"saved to {save}; restore it with: deleted-repo restore --plan {save}")


@click.command(short_help="Restore, after confirmation.")
@criteria_options(required=False)
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Restore this plan, saved by 'plan --save', instead of planning anew.",
)
@click.option("--batches", is_flag=True, help="Cut a plan over the cap into ordered batches.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (for scripts).")
@click.option(
    "--show",
    default=20,
    show_default=True,
    help="The most records and exclusions listed before confirming (0 for all).",
)
@json_option
@click.pass_context
def restore(
    ctx: click.Context,
    *,
    asked: SearchOptions,
    plan_file: Path | None,
    batches: bool,
    yes: bool,
    show: int,
    as_json: bool,
) -> None:
    """Restore the records of a search, or a saved plan, after confirmation.

    The plan is shown first; each batch runs in one transaction as one restore job. A plan
    whose records moved since it was made is refused and nothing of its batch changes.
    """
    state = session(ctx)
    requester = state.requester()
    repo = state.repository()
    if plan_file is not None:
        if asked.given:
            raise click.UsageError("give either --plan or search criteria, not both")
        try:
            planned = from_json(_read(plan_file), RestorePlan)
        except InvalidInputError as e:
            raise InvalidInputError(f"{plan_file} does not hold a valid restore plan: {e}") from e
    else:
        criteria = asked.criteria()
        planned = repo.plan(criteria, requester=requester, batches=batches)
    # With --json, stdout holds the result alone; the preview and the question go to stderr.
    talk = render.console(stderr=as_json)
    talk.print(render.plan_view(planned, hierarchy=repo.hierarchy, show=show))
    jobs = max(len(planned.batches), 1)
    question = f"Restore {planned.total:,} records in {jobs} restore job(s)?"
    if not yes:
        try:
            confirmed = click.confirm(question, default=False, err=as_json)
        except click.Abort:
            confirmed = False
        if not confirmed:
            fail("not confirmed (give --yes in scripts); nothing was restored", EXIT_REFUSED)
    bar = render.console(stderr=True)
    # The bar is for people watching a terminal; a log or a script gets the result alone.
    result = run_batches(
        repo, planned, requester, progress_to=bar if bar.is_terminal and not as_json else None
    )
    if as_json:
        click.echo(to_json(result))
        return
    talk.print(render.restore_view(result))


def run_batches(
    repo: DeletedRepository,
    planned: RestorePlan,
    requester: Requester,
    *,
    progress_to: Console | None = None,
) -> RestoreResult:
    """Execute a plan batch by batch, each as one restore job; stop at the first refusal.

    Args:
        repo: the repository.
        planned: the plan.
        requester: who restores.
        progress_to: the console of the progress bar across batches; None for no bar.

    Raises:
        StalePlanError: a batch no longer matches the state; the batches before it stand.
    """
    jobs: list[RestoreJob] = []
    columns = (
        TextColumn("restoring"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("records"),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=progress_to or render.console(stderr=True), disable=progress_to is None
    ) as progress:
        task = progress.add_task("restore", total=planned.total)

        def advance(done: RestoreProgress) -> None:
            jobs.append(done.job)
            progress.update(task, completed=done.restored)

        try:
            result = repo.restore(planned, requester=requester, progress=advance)
        except (DeletedRepoError, KeyboardInterrupt):
            if jobs:
                done = "batch 1 was" if len(jobs) == 1 else f"batches 1 to {len(jobs)} were"
                ids = ", ".join(j.id for j in jobs)
                click.echo(f"{done} restored before the refusal (jobs {ids})", err=True)
            raise
    return result


@click.command(short_help="Remove what is past its retention.")
@click.option("--dry-run", is_flag=True, help="List what would be purged; remove nothing.")
@json_option
@click.pass_context
def purge(ctx: click.Context, *, dry_run: bool, as_json: bool) -> None:
    """Remove for good the deleted records past their retention (files: 90 days).

    Exits 0 when there is nothing to purge, so it is safe to run from cron.
    """
    state = session(ctx)
    requester = state.requester()
    repo = state.repository()
    report = repo.purge(requester=requester, dry_run=dry_run)
    if as_json:
        click.echo(to_json(report))
        return
    render.console().print(render.purge_view(report, dry_run=dry_run))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}", EXIT_BAD_INPUT)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as e:
        fail(f"cannot write {path}: {e.strerror}", EXIT_BAD_INPUT)
