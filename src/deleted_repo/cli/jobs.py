"""The audit of restore jobs: list with filters, show one, export as JSON lines or CSV.

The filters and the export formats are the library's (`deleted_repo.audit`).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import click

from deleted_repo.audit import CRITERIA, export_jobs
from deleted_repo.jobs import JobStatus, RestoreJob
from deleted_repo.model import Requester
from deleted_repo.serialization import to_json
from deleted_repo.service import DeletedRepository

from . import render
from .app import EXIT_BAD_INPUT, fail, session
from .options import json_option, when_end, when_start

__all__ = ["jobs", "matching_jobs"]

_PAGE = 200


def matching_jobs(
    repo: DeletedRepository,
    requester: Requester,
    *,
    requested_by: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    status: str | None = None,
    criterion: str | None = None,
    limit: int | None = None,
) -> Iterator[RestoreJob]:
    """The restore jobs that pass the filters, newest first, read page by page.

    The repository applies the filters (`DeletedRepository.restore_jobs`).

    Args:
        repo: the repository.
        requester: who asks; needs the restore role.
        requested_by: only jobs of this user.
        since: only jobs run at or after this time.
        until: only jobs run at or before this time.
        status: only jobs with this status (restored, refused, stale).
        criterion: only jobs whose criteria are of this type ("ByUser").
        limit: at most this many jobs.
    """
    after: str | None = None
    found = 0
    while limit is None or found < limit:
        page = repo.restore_jobs(
            requester=requester,
            after=after,
            limit=_PAGE,
            requested_by=requested_by,
            since=since,
            until=until,
            status=status,
            criterion=criterion,
        )
        for job in page:
            yield job
            found += 1
            if limit is not None and found >= limit:
                return
        if len(page) < _PAGE:
            return
        after = page[-1].id


@click.group(invoke_without_command=True, short_help="The audit of restore jobs.")
@click.option("--requested-by", metavar="USER", help="Only jobs run by this user.")
@click.option(
    "--since", metavar="WHEN", callback=when_start, help="Only jobs run at or after this time."
)
@click.option("--until", metavar="WHEN", callback=when_end, help="Only jobs run up to this time.")
@click.option(
    "--status",
    type=click.Choice([s.value for s in JobStatus]),
    help="Only jobs that restored, or attempts refused or stale.",
)
@click.option(
    "--criterion",
    type=click.Choice(CRITERIA),
    help="Only jobs whose search was of this type.",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many jobs.")
@click.option(
    "--export",
    "export_as",
    type=click.Choice(["jsonl", "csv"]),
    help="Export the jobs: one JSON object per line, or CSV.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the export to this file instead of stdout.",
)
@json_option
@click.pass_context
def jobs(
    ctx: click.Context,
    *,
    requested_by: str | None,
    since: datetime | None,
    until: datetime | None,
    status: str | None,
    criterion: str | None,
    limit: int | None,
    export_as: str | None,
    output: Path | None,
    as_json: bool,
) -> None:
    """List restore jobs, newest first; 'jobs show ID' shows one with every record's outcome."""
    if ctx.invoked_subcommand is not None:
        return
    if output is not None and export_as is None:
        raise click.UsageError("--output needs --export jsonl or --export csv")
    state = session(ctx)
    requester = state.requester()
    found = matching_jobs(
        state.repository(),
        requester,
        requested_by=requested_by,
        since=since,
        until=until,
        status=status,
        criterion=criterion,
        limit=limit,
    )
    if export_as is not None:
        if output is None:
            export_jobs(found, export_as, sys.stdout)
            return
        buffer = io.StringIO()
        count = export_jobs(found, export_as, buffer)
        try:
            output.write_text(buffer.getvalue(), encoding="utf-8", newline="")
        except OSError as e:
            fail(f"cannot write {output}: {e.strerror}", EXIT_BAD_INPUT)
        click.echo(f"exported {count} restore jobs to {output}", err=True)
        return
    listed = list(found)
    if as_json:
        click.echo("[" + ", ".join(to_json(job) for job in listed) + "]")
        return
    render.console().print(render.jobs_table(listed))


@jobs.command(name="show")
@click.argument("job_id", metavar="ID")
@json_option
@click.pass_context
def show_job(ctx: click.Context, job_id: str, as_json: bool) -> None:
    """Show one restore job: who, when, the criteria, the counts and each record's outcome."""
    state = session(ctx)
    requester = state.requester()
    job = state.repository().restore_job(job_id, requester=requester)
    if as_json:
        click.echo(to_json(job))
        return
    render.console().print(render.job_view(job))
