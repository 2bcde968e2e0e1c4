"""The audit of restore attempts: refusal entries, filters, and the JSON-lines and CSV exports.

Every restore attempt on a valid plan of the requester's institution is recorded (R-E3,
D-42): a committed batch as its job, a refused or stale batch as an entry with its status and
reason. An entry for a refusal records why, never what the refused plan holds.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TextIO, get_args

from deleted_repo import inputs
from deleted_repo.errors import (
    DeletedRepoError,
    InvalidInputError,
    RestoreJobNotFoundError,
    StalePlanError,
    quote,
)
from deleted_repo.jobs import JobFilter, JobStatus, Outcome, RestoreJob
from deleted_repo.planner import RestorePlan
from deleted_repo.ports import RestoreJobLog
from deleted_repo.search import Criteria
from deleted_repo.serialization import make_converter, to_json

__all__ = [
    "CRITERIA",
    "CSV_COLUMNS",
    "EXPORT_FORMATS",
    "MAX_LISTED",
    "csv_row",
    "export_jobs",
    "job_filter",
    "listing",
    "refusal_entry",
]

_CONVERTER = make_converter()

MAX_LISTED = 10_000
"""The most jobs one page of the job list may hold."""

CRITERIA = tuple(c.__name__ for c in get_args(Criteria))
"""The criterion names a listing may filter on."""

EXPORT_FORMATS = ("jsonl", "csv")
"""The formats `export_jobs` writes."""

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
    "status",
    "reason",
)
"""The columns of the CSV export, one row per job; criteria and counts are JSON."""


def refusal_entry(
    plan: RestorePlan,
    number: int,
    error: DeletedRepoError,
    *,
    job_id: str,
    requested_by: str,
    at: datetime,
) -> RestoreJob:
    """The audit entry of batch `number` of `plan`, refused with `error` (R-E3, D-42).

    It keeps who, when, the plan's criteria and the batch number, the status (stale for a
    `StalePlanError`, refused otherwise) and the reason, without the ids the error names: no
    count, no record outcome, nothing else of the plan's content.
    """
    stale = isinstance(error, StalePlanError)
    reason = error.detail if isinstance(error, StalePlanError) else str(error)
    return RestoreJob(
        id=job_id,
        institution=plan.institution,
        requested_by=requested_by,
        at=at,
        criteria=plan.criteria,
        batch=number,
        batches=max(len(plan.batches), 1),
        counts={},
        outcomes=(),
        status=JobStatus.STALE if stale else JobStatus.REFUSED,
        reason=reason[:500],
    )


def job_filter(
    *,
    requested_by: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    status: JobStatus | str | None = None,
    criterion: str | None = None,
) -> JobFilter:
    """A checked `JobFilter`.

    Raises:
        InvalidInputError: a malformed filter: an empty user, a naive time, an unknown status
            or criterion.
    """
    if requested_by is not None:
        inputs.check_ids([requested_by], field="requested_by")
    if since is not None:
        inputs.check_aware(since, "since")
    if until is not None:
        inputs.check_aware(until, "until")
    if status is not None:
        status = inputs.check_choice(JobStatus, status, "status")
    if criterion is not None and criterion not in CRITERIA:
        raise InvalidInputError(
            f"unknown criterion {quote(criterion)}; known: {', '.join(CRITERIA)}",
            field="criterion",
            value=criterion,
        )
    return JobFilter(
        requested_by=requested_by, since=since, until=until, status=status, criterion=criterion
    )


def listing(
    log: RestoreJobLog,
    institution: str,
    *,
    after: str | None,
    limit: int | None,
    where: JobFilter,
) -> Sequence[RestoreJob]:
    """The jobs of `institution` that `where` keeps, newest first, after the job `after`.

    Raises:
        InvalidInputError: a limit that is not from 1 to 10,000.
        RestoreJobNotFoundError: `after` names no recorded job.
    """
    if after is not None:
        inputs.check_ids([after], field="after")
        if log.get(institution, after) is None:
            raise RestoreJobNotFoundError(after)
    if limit is not None:
        inputs.check_limit(limit, most=MAX_LISTED)
    if where.empty:  # a host's job log written before filters existed still lists
        return log.list(institution, after=after, limit=limit)
    return log.list(institution, after=after, limit=limit, where=where)


def csv_row(job: RestoreJob) -> list[str | int]:
    """The CSV row of `job`, in the order of `CSV_COLUMNS`."""
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
        job.status.value,
        job.reason,
    ]


def export_jobs(jobs: Iterable[RestoreJob], form: str, out: TextIO) -> int:
    """Write `jobs` to `out` as JSON lines (one job's JSON per line) or CSV; return how many.

    Raises:
        InvalidInputError: `form` is neither ``jsonl`` nor ``csv``.
    """
    if form not in EXPORT_FORMATS:
        raise InvalidInputError(
            f"unknown export format {quote(form)}; known: jsonl, csv", field="form", value=form
        )
    count = 0
    if form == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for job in jobs:
            writer.writerow(csv_row(job))
            count += 1
        return count
    for job in jobs:
        out.write(to_json(job) + "\n")
        count += 1
    return count
