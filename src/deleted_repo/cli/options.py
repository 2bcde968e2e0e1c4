"""Options shared by several commands: times, search criteria, JSON output."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

import attrs
import click

from deleted_repo.model import ALMA
from deleted_repo.search import ByField, ById, ByJob, ByRange, BySystem, ByUser, Criteria

__all__ = [
    "KINDS",
    "WHEN_HELP",
    "SearchOptions",
    "build_criteria",
    "criteria_options",
    "field_value",
    "json_option",
    "parse_when",
    "when_end",
    "when_start",
]

F = TypeVar("F", bound=Callable[..., Any])

KINDS = tuple(sorted(ALMA.kinds))
"""The find types the command line offers: the kinds of Alma's hierarchy."""

_AGO = re.compile(r"^(?P<count>\d+)(?P<unit>[whd])$")
_UNITS = {"w": "weeks", "d": "days", "h": "hours"}


WHEN_HELP = "now, 7d, 12h, 2w (ago), 2026-01-31, or 2026-01-31T09:30:00+00:00"


def parse_when(text: str, *, end_of_day: bool = False, now: datetime | None = None) -> datetime:
    """A point in time: ``now``, ``7d``/``12h``/``2w`` ago, an ISO date, or an ISO datetime.

    Times without an offset are UTC. A bare date is the start of that day, or with
    `end_of_day` its last instant, so that both ends of a range are included.

    Raises:
        click.BadParameter: `text` is none of these.
    """
    text = text.strip()
    now = now or datetime.now(UTC)
    if text == "now":
        return now
    ago = _AGO.match(text)
    if ago:
        return now - timedelta(**{_UNITS[ago["unit"]]: int(ago["count"])})
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a time: use {WHEN_HELP}") from None
    return parsed if parsed.utcoffset() is not None else parsed.replace(tzinfo=UTC)


def when_start(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    """Option callback: parse a time that starts a range (a bare date: its first instant)."""
    return None if value is None else parse_when(value)


def when_end(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    """Option callback: parse a time that ends a range (a bare date: its last instant)."""
    return None if value is None else parse_when(value, end_of_day=True)


def field_value(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> tuple[str, str] | None:
    """Option callback: split ``NAME=VALUE`` at its first ``=``."""
    if value is None:
        return None
    name, sep, wanted = value.partition("=")
    if not sep or not name or not wanted:
        raise click.BadParameter(f"{value!r} is not NAME=VALUE (for example barcode=39010012345)")
    return name, wanted


def json_option(command: F) -> F:
    """Add ``--json``: print machine-readable JSON instead of tables."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON instead of tables, for scripts."
    )(command)


@attrs.frozen(kw_only=True)
class SearchOptions:
    """The search criteria options as given: ``--kind`` and the criteria's options."""

    kind: str | None
    record_id: str | None
    start: datetime | None
    end: datetime | None
    deleted_by: str | None
    job: str | None
    system: bool
    field: tuple[str, str] | None

    @property
    def given(self) -> bool:
        """Whether any of the options was given."""
        return any(attrs.astuple(self, recurse=False))

    def criteria(self) -> Criteria:
        """The criterion the options name (see `build_criteria`)."""
        return build_criteria(**attrs.asdict(self, recurse=False))


_SEARCH_NAMES = tuple(a.name for a in attrs.fields(SearchOptions))


def criteria_options(*, required: bool = True) -> Callable[[F], F]:
    """Add the search criteria options; the command gets them as one `SearchOptions`, `asked`.

    Args:
        required: whether ``--kind`` is required (a restore may take a saved plan instead).
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def command(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name) for name in _SEARCH_NAMES}
            return fn(*args, asked=SearchOptions(**given), **kwargs)

        options = [
            click.option(
                "--kind",
                type=click.Choice(KINDS),
                required=required,
                help="The find type: the kind of record to find.",
            ),
            click.option("--id", "record_id", metavar="ID", help="Find by id (no time limit)."),
            click.option(
                "--from",
                "start",
                metavar="WHEN",
                callback=when_start,
                help=f"Deleted from this time: {WHEN_HELP}. Alone, a search by range; it also "
                "narrows --deleted-by and --system.",
            ),
            click.option(
                "--to",
                "end",
                metavar="WHEN",
                callback=when_end,
                help="Deleted until this time (default: now).",
            ),
            click.option("--deleted-by", metavar="USER", help="The user's last delete action."),
            click.option("--job", metavar="JOB", help="Every deletion of this job."),
            click.option(
                "--system",
                is_flag=True,
                help="Deletions by internal system processes (both labels).",
            ),
            click.option(
                "--field",
                metavar="NAME=VALUE",
                callback=field_value,
                help="A searchable data field, no time limit: --field barcode=39010012345.",
            ),
        ]
        decorated: Any = command
        for option in reversed(options):
            decorated = option(decorated)
        return decorated  # type: ignore[no-any-return]

    return decorate


def build_criteria(
    *,
    kind: str | None,
    record_id: str | None,
    start: datetime | None,
    end: datetime | None,
    deleted_by: str | None,
    job: str | None,
    system: bool,
    field: tuple[str, str] | None,
) -> Criteria:
    """The criterion the options name: exactly one of id, range, user, job, system or field.

    Raises:
        click.UsageError: no criterion, several, or a range where none applies.
        InvalidRangeError: a range whose start is after its end.
    """
    if kind is None:
        raise click.UsageError("Missing option '--kind'.")
    given = [
        name
        for name, value in (
            ("--id", record_id),
            ("--deleted-by", deleted_by),
            ("--job", job),
            ("--system", system),
            ("--field", field),
        )
        if value
    ]
    if len(given) > 1:
        raise click.UsageError(f"give one criterion, not {' and '.join(given)}")
    ranged = start is not None or end is not None
    if given and given[0] in ("--id", "--job", "--field") and ranged:
        raise click.UsageError(f"--from and --to do not apply to {given[0]}")
    if record_id:
        return ById(kind=kind, id=record_id)
    if job:
        return ByJob(kind=kind, job_id=job)
    if field:
        return ByField(kind=kind, field=field[0], value=field[1])
    if deleted_by:
        return ByUser(kind=kind, user_id=deleted_by, start=start, end=end)
    if system:
        return BySystem(kind=kind, start=start, end=end)
    if start is None:
        if end is not None:
            raise click.UsageError("a range needs --from")
        raise click.UsageError(
            "give a criterion: --id, --from/--to, --deleted-by, --job, --system or --field"
        )
    return ByRange(kind=kind, start=start, end=end if end is not None else datetime.now(UTC))
