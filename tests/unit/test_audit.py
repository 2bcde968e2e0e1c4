"""The audit answers questions: every attempt, filters, exports (R-E3, D-42)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import attrs
import pytest

from deleted_repo import (
    ById,
    ByRange,
    DeletedRepository,
    InvalidInputError,
    JobStatus,
    RestoreJob,
    RestorePlan,
    StalePlanError,
    from_json,
    to_json,
)
from deleted_repo.audit import CSV_COLUMNS, export_jobs
from deleted_repo.stores.sql.codec import job_body, job_of
from tests.support import ANA, BIB_1, INSTITUTION, START, Clock, manager_of, repository, seeded

BOB = attrs.evolve(manager_of(INSTITUTION), user_id="bob")
ANNA = attrs.evolve(manager_of(INSTITUTION), user_id="anna")


def history(clock: Clock) -> tuple[DeletedRepository, list[RestoreJob]]:
    """Anna restores by id, then Bob by range an hour later, then Bob's plan goes stale."""
    repo = seeded(repository(clock=clock), records=BIB_1)
    repo.delete(INSTITUTION, ["itm-1"], actor=ANA)
    repo.delete(INSTITUTION, ["itm-2"], actor=ANA)
    by_id = repo.plan(ById(kind="item", id="itm-1"), requester=ANNA)
    (first,) = repo.restore(by_id, requester=ANNA).jobs
    clock.advance(hours=1)
    by_range = ByRange(kind="item", start=START, end=START + timedelta(days=1))
    plan = repo.plan(by_range, requester=BOB)
    (second,) = repo.restore(plan, requester=BOB).jobs
    clock.advance(hours=1)
    with pytest.raises(StalePlanError):
        repo.restore(plan, requester=BOB)
    (stale,) = repo.restore_jobs(requester=BOB, status=JobStatus.STALE)
    return repo, [stale, second, first]


def test_every_attempt_is_listed_newest_first() -> None:
    """R-E3, D-42: restored jobs and the stale attempt, newest first, each with its status."""
    repo, jobs = history(Clock())
    assert list(repo.restore_jobs(requester=BOB)) == jobs
    stale, second, first = jobs
    assert [j.status for j in jobs] == [JobStatus.STALE, JobStatus.RESTORED, JobStatus.RESTORED]
    assert (stale.requested_by, stale.criteria, stale.batch) == ("bob", second.criteria, 1)
    assert (stale.outcomes, dict(stale.counts)) == ((), {})
    assert stale.reason == "these records are no longer deleted as planned"
    assert (first.reason, second.reason) == ("", "")


@pytest.mark.parametrize(
    ("filters", "kept"),
    [
        ({"requested_by": "anna"}, [2]),
        ({"requested_by": "bob"}, [0, 1]),
        ({"status": "stale"}, [0]),
        ({"status": JobStatus.RESTORED}, [1, 2]),
        ({"status": "refused"}, []),
        ({"criterion": "ById"}, [2]),
        ({"criterion": "ByRange"}, [0, 1]),
        ({"since": START + timedelta(hours=1)}, [0, 1]),
        ({"until": START + timedelta(hours=1)}, [1, 2]),
        ({"since": START + timedelta(minutes=1), "until": START + timedelta(hours=1)}, [1]),
        ({"requested_by": "bob", "status": "restored", "criterion": "ByRange"}, [1]),
    ],
)
def test_restore_jobs_filter(filters: dict[str, object], kept: list[int]) -> None:
    """R-E3, D-42: by requester, time range (inclusive), outcome and criterion, combined."""
    repo, jobs = history(Clock())
    found = repo.restore_jobs(requester=BOB, **filters)  # type: ignore[arg-type]
    assert list(found) == [jobs[i] for i in kept]


def test_filtered_pages_follow_on() -> None:
    """R-E3: `after` and `limit` page a filtered list."""
    repo, jobs = history(Clock())
    first = repo.restore_jobs(requester=BOB, requested_by="bob", limit=1)
    rest = repo.restore_jobs(requester=BOB, requested_by="bob", after=first[0].id)
    assert [*first, *rest] == jobs[:2]


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "lost"},
        {"criterion": "ByNothing"},
        {"requested_by": ""},
        {"since": START.replace(tzinfo=None)},
    ],
    ids=repr,
)
def test_a_malformed_filter_is_refused(filters: dict[str, object]) -> None:
    """D-42: a filter that cannot match by construction is refused, not silently empty."""
    repo = repository()
    with pytest.raises(InvalidInputError):
        repo.restore_jobs(requester=BOB, **filters)  # type: ignore[arg-type]


def test_a_forged_plan_never_writes_its_exclusions() -> None:
    """R-E3, D-33, D-42: a refused forged plan's entry holds its reason, not the plan's content."""
    repo = seeded(repository(), records=BIB_1)
    repo.delete(INSTITUTION, ["itm-1"], actor=ANA)
    plan = repo.plan(ById(kind="item", id="itm-1"), requester=ANNA)
    body = json.loads(to_json(plan))
    body["excluded"] = [{"id": "FORGED", "kind": "bib", "cause": "expired", "detail": "FORGED"}]
    body["records"][0]["record"]["data"] = {"barcode": "FORGED"}
    forged = from_json(json.dumps(body), RestorePlan)
    with pytest.raises(StalePlanError):
        repo.restore(forged, requester=ANNA)
    (entry,) = repo.restore_jobs(requester=ANNA)
    assert entry.status is JobStatus.STALE
    assert "FORGED" not in to_json(entry)
    assert entry.outcomes == ()


def test_exports_hold_every_job_as_json_lines_and_csv() -> None:
    """R-E3: JSON lines read back as the jobs; CSV has one row per job with status and reason."""
    _, jobs = history(Clock())
    lines = io.StringIO()
    assert export_jobs(jobs, "jsonl", lines) == 3
    assert [from_json(line, RestoreJob) for line in lines.getvalue().splitlines()] == jobs
    table = io.StringIO()
    assert export_jobs(jobs, "csv", table) == 3
    rows = list(csv.DictReader(io.StringIO(table.getvalue())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["id"], r["status"], r["restored"]) for r in rows] == [
        (jobs[0].id, "stale", "0"),
        (jobs[1].id, "restored", "1"),
        (jobs[2].id, "restored", "1"),
    ]
    assert rows[0]["reason"] == jobs[0].reason
    assert json.loads(rows[2]["criteria"]) == {"by": "ById", "kind": "item", "id": "itm-1"}
    with pytest.raises(InvalidInputError):
        export_jobs(jobs, "xml", io.StringIO())


def test_a_job_stored_before_statuses_reads_back_as_restored() -> None:
    """D-42: a job's JSON without status or reason, as older versions stored it, reads back."""
    _, jobs = history(Clock())
    body = job_body(jobs[1])
    del body["status"], body["reason"]
    assert job_of(body) == jobs[1]
