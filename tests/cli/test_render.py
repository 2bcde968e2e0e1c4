"""How the command line words values: times, counts and criteria."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from deleted_repo import Actor, ByRange, BySystem
from deleted_repo.cli.render import actor_text, counts_text, describe, plural, stamp


def test_times_show_in_utc() -> None:
    """A time given with another offset is shown in UTC, as every stored time is."""
    paris = timezone(timedelta(hours=1))
    assert stamp(datetime(2026, 1, 31, 9, 30, tzinfo=paris)) == "2026-01-31 08:30:00"
    assert stamp(None) == "-"


def test_counts_and_plurals() -> None:
    """Counts per kind in one line, with thousands separators; one record, two records."""
    assert counts_text({"bib": 1, "item": 5000}) == "bib 1, item 5,000"
    assert counts_text({}) == "none"
    assert (plural(1, "record"), plural(2, "record")) == ("1 record", "2 records")


def test_criteria_and_actors_in_words() -> None:
    """R-D4: a search and who deleted, as the deleted repository page words them."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert describe(ByRange(kind="item", start=start, end=start)) == (
        "item records deleted from 2026-01-01 00:00:00 to 2026-01-01 00:00:00"
    )
    assert describe(BySystem(kind="portfolio")) == "portfolio records deleted by system processes"
    assert actor_text(Actor.job("J1")) == "job J1"
    assert actor_text(Actor.system("Electronic Inventory Creator")) == (
        "Electronic Inventory Creator"
    )
