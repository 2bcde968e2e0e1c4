"""The parsing of times, criteria and database URLs shared by the commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import click
import pytest

from deleted_repo import ByField, ById, ByJob, ByRange, BySystem, ByUser, InvalidInputError
from deleted_repo.cli.app import database_url
from deleted_repo.cli.options import build_criteria, parse_when
from tests.support import START


@pytest.mark.parametrize(
    ("text", "end_of_day", "expected"),
    [
        ("now", False, START),
        ("7d", False, START - timedelta(days=7)),
        ("12h", False, START - timedelta(hours=12)),
        ("2w", False, START - timedelta(weeks=2)),
        ("2026-01-31", False, datetime(2026, 1, 31, tzinfo=UTC)),
        ("2026-01-31", True, datetime(2026, 1, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2026-01-31T09:30:00", False, datetime(2026, 1, 31, 9, 30, tzinfo=UTC)),
        (
            "2026-01-31T09:30:00+02:00",
            False,
            datetime(2026, 1, 31, 9, 30, tzinfo=timezone(timedelta(hours=2))),
        ),
    ],
)
def test_parse_when(text: str, end_of_day: bool, expected: datetime) -> None:
    """Times are relative, dates (whole days, both ends included) or datetimes, UTC if naive."""
    assert parse_when(text, end_of_day=end_of_day, now=START) == expected


@pytest.mark.parametrize("text", ["soon", "7y", "2026-02-30", "31/01/2026"])
def test_parse_when_refuses_other_text(text: str) -> None:
    """Anything else is a bad parameter (exit 2)."""
    with pytest.raises(click.BadParameter, match="is not a time"):
        parse_when(text, now=START)


def _criteria(**given: object) -> object:
    options: dict[str, object] = {
        "kind": "item",
        "record_id": None,
        "start": None,
        "end": None,
        "deleted_by": None,
        "job": None,
        "system": False,
        "field": None,
    }
    options.update(given)
    return build_criteria(**options)  # type: ignore[arg-type]


def test_build_criteria_one_of_each() -> None:
    """R-S1: each option gives its criterion; a range alone is a search by range."""
    start = START - timedelta(days=3)
    assert _criteria(record_id="231") == ById(kind="item", id="231")
    assert _criteria(job="J1") == ByJob(kind="item", job_id="J1")
    assert _criteria(field=("barcode", "B-1")) == ByField(kind="item", field="barcode", value="B-1")
    assert _criteria(deleted_by="jdoe", start=start) == ByUser(
        kind="item", user_id="jdoe", start=start
    )
    assert _criteria(system=True, end=START) == BySystem(kind="item", end=START)
    assert _criteria(start=start, end=START) == ByRange(kind="item", start=start, end=START)


def test_build_criteria_range_ends_now_by_default() -> None:
    """A range given only ``--from`` ends at the current time."""
    criteria = _criteria(start=START)
    assert isinstance(criteria, ByRange)
    assert criteria.end >= START


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"kind": None, "record_id": "1"}, "Missing option '--kind'"),
        ({}, "give a criterion"),
        ({"record_id": "1", "system": True}, "not --id and --system"),
        ({"job": "J", "start": START}, "do not apply to --job"),
        ({"end": START}, "a range needs --from"),
    ],
)
def test_build_criteria_usage_errors(given: dict[str, object], message: str) -> None:
    """No criterion, two, or a range where none applies are usage errors (exit 2)."""
    with pytest.raises(click.UsageError, match=message):
        _criteria(**given)


def test_database_url_takes_urls_and_paths() -> None:
    """``--db`` is a URL, or a path to a SQLite file made absolute."""
    assert database_url("postgresql+psycopg://u@h/db").get_backend_name() == "postgresql"
    url = database_url("repo.sqlite3")
    assert url.get_backend_name() == "sqlite"
    assert url.database is not None
    assert url.database.endswith("/repo.sqlite3")
    for bad in ("", "::://"):
        with pytest.raises(InvalidInputError):
            database_url(bad)
