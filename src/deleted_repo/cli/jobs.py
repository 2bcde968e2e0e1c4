"""The audit of restore jobs: list with filters, show one, export as JSON lines or CSV."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TextIO

import click

from deleted_repo.jobs import Outcome, RestoreJob
from deleted_repo.model import Requester
from deleted_repo.serialization import make_converter, to_json
from deleted_repo.service import DeletedRepository

from . import render
from .app import EXIT_BAD_INPUT, fail, session
from .options import json_option, when_end, when_start

__all__ = ["CSV_COLUMNS", "jobs", "matching_jobs"]

_PAGE = 200
_CONVERTER = make_converter()

CSV_COLUMNS = (
    "id",
    "at",
    "requested_by",
    "institution",
    "criteria",
    "batch",
    "batches",
    "restored",
    "excluded",
    "counts",
)
"""The columns of ``jobs --export csv``, one row per job; criteria and counts are JSON."""


def matching_jobs(
    repo: DeletedRepository,
    requester: Requester,
    *,
    requested_by: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> Iterator[RestoreJob]:
    """The restore jobs that pass the filters, newest first, read page by page.

    Args:
        repo: the repository.
        requester: who asks; needs the restore role.
        requested_by: only jobs of this user.
        since: only jobs run at or after this time.
        until: only jobs run at or before this time.
        limit: at most this many jobs.
    """
    after: str | None = None
    found = 0
    while limit is None or found < limit:
        page = repo.restore_jobs(requester=requester, after=after, limit=_PAGE)
        for job in page:
            if since is not None and job.at < since:
                return  # newest first: every later job is older still
            if until is not None and job.at > until:
                continue
            if requested_by is not None and job.requested_by != requested_by:
                continue
            yield job
            found += 1
            if limit is not None and found >= limit:
                return
        if len(page) < _PAGE:
            return
        after = page[-1].id


def _csv_row(job: RestoreJob) -> list[str | int]:
    restored = sum(1 for o in job.outcomes if o.outcome is Outcome.RESTORED)
    return [
        job.id,
        job.at.isoformat(),
        job.requested_by,
        job.institution,
        json.dumps(_CONVERTER.unstructure(job.criteria), sort_keys=True),
        job.batch,
        job.batches,
        restored,
        len(job.outcomes) - restored,
        json.dumps(dict(job.counts), sort_keys=True),
    ]


def _export(found: Iterator[RestoreJob], form: str, out: TextIO) -> int:
    count = 0
    if form == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for job in found:
            writer.writerow(_csv_row(job))
            count += 1
    else:
        for job in found:
            out.write(to_json(job) + "\n")
            count += 1
    return count


@click.group(invoke_without_command=True, short_help="The audit of restore jobs.")
@click.option("--requested-by", metavar="USER", help="Only jobs run by this user.")
@click.option(
    "--since", metavar="WHEN", callback=when_start, help="Only jobs run at or after this time."
)
@click.option("--until", metavar="WHEN", callback=when_end, help="Only jobs run up to this time.")
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
        limit=limit,
    )
    if export_as is not None:
        if output is None:
            _export(found, export_as, sys.stdout)
            return
        buffer = io.StringIO()
        count = _export(found, export_as, buffer)
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
