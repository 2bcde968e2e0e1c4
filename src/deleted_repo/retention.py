"""Retention: what a purge removes for good (R-R1).

Expiry itself is one cutoff, `Policy.expiry_cutoff`, which planning and restoring use too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from deleted_repo.model import count_kinds
from deleted_repo.policy import Policy
from deleted_repo.reads import StateReader
from deleted_repo.results import PurgeReport
from deleted_repo.search import Query, Window

__all__ = ["purge_report", "purge_set"]

_MICROSECOND = timedelta(microseconds=1)


def purge_set(
    state: StateReader, institution: str, policy: Policy, now: datetime
) -> dict[str, str]:
    """The deleted records past their kind's retention at `now`, and the deleted records below.

    D-27: the records below a purged one go with it, since they could never come back without
    it (I1).

    Returns:
        The kind of each record to purge, by id.
    """
    doomed: dict[str, str] = {}
    for kind in sorted(policy.retention):
        cutoff = policy.expiry_cutoff(kind, now)
        if cutoff is None or cutoff == datetime.min.replace(tzinfo=cutoff.tzinfo):
            continue
        # Expired means deleted strictly before the cutoff; the window's end is inclusive.
        window = Window(start=None, end=cutoff - _MICROSECOND)
        for e in state.deleted.find(Query(institution=institution, kind=kind, window=window)):
            doomed[e.id] = e.kind
    frontier = list(doomed)
    while frontier:
        below = [c for c in state.deleted.children(institution, frontier) if c.id not in doomed]
        doomed.update({c.id: c.kind for c in below})
        frontier = [c.id for c in below]
    return doomed


def purge_report(
    state: StateReader, institution: str, policy: Policy, now: datetime
) -> PurgeReport:
    """What a purge at `now` removes (`purge_set`), as the report the purge returns (R-R1)."""
    doomed = purge_set(state, institution, policy, now)
    return PurgeReport(at=now, ids=tuple(sorted(doomed)), counts=count_kinds(doomed.values()))
