"""Retention: purge removes for good what is past its retention, and only that (R-R1, R-M4)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deleted_repo import (
    ById,
    ByRange,
    DeletedRepository,
    NotAuthorizedError,
    Policy,
    Requester,
)
from tests.support import ANA, CLERK, INSTITUTION, OTHER, Clock, manager_of, repository, sample

CATALOG = sample("bib-1", "hol-1", "itm-1", "por-1", "rep-1", "fil-1", "fil-2", "col-1", "col-2")
IDS = [r.id for r in CATALOG]
FILES = {"fil-1", "fil-2"}


def deleted_ids(repo: DeletedRepository) -> set[str]:
    """The ids of the deleted repository."""
    return set(repo.deleted.get(INSTITUTION, IDS))


def test_purge_removes_files_past_90_days_and_nothing_else(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-R1: by default only files older than 90 days go; every other kind is kept."""
    repo.catalog.add(INSTITUTION, CATALOG)
    repo.delete(INSTITUTION, ["bib-1", "col-1"], actor=ANA)
    clock.advance(days=91)
    report = repo.purge(requester=manager)
    assert report.ids == ("fil-1", "fil-2")
    assert dict(report.counts) == {"file": 2}
    assert report.at == clock()
    assert deleted_ids(repo) == set(IDS) - FILES


def test_purge_keeps_files_of_90_days_or_less(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-R1: a file deleted exactly 90 days ago, or 89, is still kept."""
    repo.catalog.add(INSTITUTION, CATALOG)
    repo.delete(INSTITUTION, ["fil-1"], actor=ANA)
    clock.advance(days=1)
    repo.delete(INSTITUTION, ["fil-2"], actor=ANA)
    clock.advance(days=90)
    assert repo.purge(requester=manager).ids == ("fil-1",)
    assert deleted_ids(repo) == {"fil-2"}


def test_purge_keeps_other_kinds_for_years(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-R1: with no retention configured, a bib deleted years ago is kept and restorable."""
    repo.catalog.add(INSTITUTION, CATALOG)
    repo.delete(INSTITUTION, ["col-2"], actor=ANA)
    clock.advance(days=3 * 365)
    assert repo.purge(requester=manager).ids == ()
    plan = repo.plan(ById(kind="collection", id="col-2"), requester=manager)
    assert plan.ids == ("col-2",)


def test_purged_id_is_gone(repo: DeletedRepository, clock: Clock, manager: Requester) -> None:
    """R-R1, R-M4: a purged id is neither active nor deleted, and a search by id finds nothing."""
    repo.catalog.add(INSTITUTION, CATALOG)
    repo.delete(INSTITUTION, ["fil-1"], actor=ANA)
    clock.advance(days=91)
    repo.purge(requester=manager)
    assert repo.catalog.get(INSTITUTION, ["fil-1"]) == {}
    assert repo.deleted.get(INSTITUTION, ["fil-1"]) == {}
    assert repo.search(ById(kind="file", id="fil-1"), requester=manager).hits == ()
    plan = repo.plan(ById(kind="file", id="fil-1"), requester=manager)
    assert (plan.ids, plan.excluded) == ((), ())


def test_representation_of_purged_files_comes_back_alone(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-R1, R-P6: once its files are purged, a representation comes back alone, not partial."""
    repo.catalog.add(INSTITUTION, CATALOG)
    repo.delete(INSTITUTION, ["rep-1"], actor=ANA)
    clock.advance(days=91)
    repo.purge(requester=manager)
    plan = repo.plan(ById(kind="representation", id="rep-1"), requester=manager)
    assert (plan.ids, plan.partial) == (("rep-1",), False)
    repo.restore(plan, requester=manager)
    assert set(repo.catalog.get(INSTITUTION, IDS)) == set(IDS) - FILES


def test_host_configured_retention_purges_that_kind_with_what_was_deleted_below(
    clock: Clock, manager: Requester
) -> None:
    """R-R1: a host retention for representations purges them, and the files deleted below them.

    Decision: deleted records below a purged one go with it; they could never come back.
    """
    policy = Policy(retention={"file": timedelta(days=90), "representation": timedelta(days=30)})
    repo = repository(clock=clock, policy=policy)
    repo.catalog.add(INSTITUTION, CATALOG)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    clock.advance(days=31)
    report = repo.purge(requester=manager)
    assert report.ids == ("fil-1", "fil-2", "rep-1")
    assert dict(report.counts) == {"file": 2, "representation": 1}
    assert deleted_ids(repo) == {"bib-1", "hol-1", "itm-1", "por-1"}


def test_purge_with_nothing_past_retention_changes_nothing(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-R1: a purge with nothing to remove removes nothing."""
    repo.catalog.add(INSTITUTION, CATALOG)
    repo.delete(INSTITUTION, ["bib-1"], actor=ANA)
    clock.advance(days=90)
    report = repo.purge(requester=manager)
    assert (report.ids, dict(report.counts)) == ((), {})
    assert deleted_ids(repo) == set(IDS) - {"col-1", "col-2"}


def test_purge_leaves_searches_consistent(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-R1, R-S9: purged records no longer show in searches by range."""
    repo.catalog.add(INSTITUTION, CATALOG)
    start = clock()
    repo.delete(INSTITUTION, ["rep-1"], actor=ANA)
    clock.advance(days=91)
    repo.purge(requester=manager)
    page = repo.search(ByRange(kind="file", start=start, end=clock()), requester=manager)
    assert page.hits == ()
    page = repo.search(ByRange(kind="representation", start=start, end=clock()), requester=manager)
    assert [h.id for h in page.hits] == ["rep-1"]


def test_purge_needs_the_restore_role(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-R1, R-P1: purging needs the restore role; without it nothing is purged."""
    repo.catalog.add(INSTITUTION, CATALOG)
    repo.delete(INSTITUTION, ["fil-1"], actor=ANA)
    clock.advance(days=91)
    with pytest.raises(NotAuthorizedError):
        repo.purge(requester=CLERK)
    assert deleted_ids(repo) == {"fil-1"}


def test_purge_stays_in_its_institution(
    repo: DeletedRepository, clock: Clock, manager: Requester
) -> None:
    """R-R1, R-M3: a purge by another institution's manager leaves this one's files alone."""
    repo.catalog.add(INSTITUTION, CATALOG)
    repo.delete(INSTITUTION, ["fil-1"], actor=ANA)
    clock.advance(days=91)
    assert repo.purge(requester=manager_of(OTHER)).ids == ()
    assert deleted_ids(repo) == {"fil-1"}
