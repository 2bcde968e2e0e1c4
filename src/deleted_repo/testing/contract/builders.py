"""The values the contract writes: records, deletion events, restore jobs and instants.

Times are written in three time zones on purpose: a store must compare instants, not clock
readings, and give back what it was given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from deleted_repo.jobs import Outcome, RecordOutcome, RestoreJob
from deleted_repo.model import Actor, DeletedRecord, DeletionEvent, MemberRole, Record
from deleted_repo.search import ById, Criteria

if TYPE_CHECKING:
    from .world import ContractWorld

__all__ = [
    "AWAY",
    "HOME",
    "MINUS_FIVE_THIRTY",
    "PLUS_TWO",
    "RICH_DATA",
    "T0",
    "US",
    "event",
    "instant",
    "job",
    "tree",
]

HOME = "01HOME"
"""The institution most of the contract writes in."""

AWAY = "02AWAY"
"""A second institution, to check that nothing crosses institutions (R-M3)."""

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
"""The instant the contract's times are counted from."""

US = timedelta(microseconds=1)
"""One microsecond: the finest difference a store must keep."""

PLUS_TWO = timezone(timedelta(hours=2))
"""A time zone east of UTC."""

MINUS_FIVE_THIRTY = timezone(-timedelta(hours=5, minutes=30))
"""A time zone west of UTC, off the hour."""

RICH_DATA: dict[str, Any] = {
    "title": 'Ünïcödé ☃ 𝄞 — "quoted" \\ back\'slash',
    "empty": "",
    "int": 42,
    "big": 2**53 + 1,
    "negative": -7,
    "float": 0.1,
    "yes": True,
    "no": False,
    "none": None,
    "list": [1, "two", [3.5, None], {"k": "v"}],
    "map": {"nested": {"deeper": [], "zero": 0}},
}
"""Record data holding every kind of JSON value, for round trips in a free-form world."""


def instant(minutes: float = 0, tz: timezone = UTC) -> datetime:
    """The instant `minutes` after `T0`, written in the time zone `tz`."""
    return (T0 + timedelta(minutes=minutes)).astimezone(tz)


def tree(world: ContractWorld, prefix: str = "") -> list[Record]:
    """Two top records, parents first: one with a middle record and two leaves, one with another.

    In Alma's world: a bib "b1" with a holding "h1" and items "i1" and "i2" (lookup values of
    variants 1 and 2), and a bib "b2" with a portfolio "p1".

    Raises:
        Inexpressible: the world's hierarchy cannot hold that tree.
    """
    k, p, r = world.kinds(), prefix, world.record
    return [
        r(k.top, f"{p}b1", None, 1),
        r(k.middle, f"{p}h1", f"{p}b1", 1),
        r(k.leaf, f"{p}i1", f"{p}h1", 1),
        r(k.leaf, f"{p}i2", f"{p}h1", 2),
        r(k.top, f"{p}b2", None, 2),
        r(k.beside, f"{p}p1", f"{p}b2", 3),
    ]


def event(
    event_id: str,
    records: Sequence[Record],
    *,
    actor: Actor | None = None,
    at: datetime = T0,
    institution: str | None = None,
    world: ContractWorld | None = None,
) -> DeletionEvent:
    """An event deleting `records`: those whose parent is not among them are its origins.

    Args:
        event_id: the event's id.
        records: the records it deletes.
        actor: who deleted them (default: the user "ana").
        at: when.
        institution: where (default: the world's home).
        world: the world written in (default: the library's own).
    """
    if institution is None:
        institution = HOME if world is None else world.home
    by_id = {r.id: r for r in records}
    actor = actor if actor is not None else Actor.user("ana")
    members = []
    for r in records:
        chain: list[str] = []
        parent = r.parent_id
        while parent is not None and parent not in chain:
            chain.append(parent)
            parent = by_id[parent].parent_id if parent in by_id else None
        inside = [c for c in chain if c in by_id]
        members.append(
            DeletedRecord(
                record=r,
                role=MemberRole.CASCADE if inside else MemberRole.ORIGIN,
                origin_id=inside[-1] if inside else r.id,
                lineage=tuple(chain),
                event_id=event_id,
                institution=institution,
                actor=actor,
                deleted_at=at,
            )
        )
    return DeletionEvent(
        id=event_id,
        institution=institution,
        actor=actor,
        at=at,
        origins=[m.id for m in members if m.role is MemberRole.ORIGIN],
        members=members,
    )


def job(
    job_id: str,
    at: datetime = T0,
    *,
    world: ContractWorld,
    institution: str | None = None,
    criteria: Criteria | None = None,
) -> RestoreJob:
    """A restore job with one restored and one excluded record, of the world's kinds.

    Args:
        job_id: the job's id.
        at: when it ran.
        world: the world whose kinds the job names.
        institution: where (default: the world's home).
        criteria: the search it restored (default: the top record "b1" by id).
    """
    top = world.top
    return RestoreJob(
        id=job_id,
        institution=world.home if institution is None else institution,
        requested_by="manager",
        at=at,
        criteria=criteria if criteria is not None else ById(kind=top, id="b1"),
        batch=1,
        batches=1,
        counts={top: 1},
        outcomes=[
            RecordOutcome(id="b1", kind=top, outcome=Outcome.RESTORED),
            RecordOutcome(
                id="i9", kind=world.lookup[0], outcome=Outcome.EXCLUDED, reason="active again"
            ),
        ],
    )
