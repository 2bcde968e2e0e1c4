"""An independent model of RULES.md, by brute force, for the restore state machine.

It keeps the catalog, the deleted repository and the deletion events as plain dictionaries and
answers every question by walking all of them, straight from the rules' wording: which records a
delete takes (R-D2, R-D3), which records a search finds (R-S1..R-S5, R-S10), what a plan must
restore and exclude (R-P3..R-P8), what a purge removes (R-R1). It shares no code with the planner
or the stores; it only uses the library's value types to speak the same language.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from deleted_repo import (
    Actor,
    ActorKind,
    AncestorPolicy,
    ByField,
    ById,
    ByJob,
    ByRange,
    BySystem,
    ByUser,
    CapExceededError,
    ConflictError,
    ConflictPolicy,
    Criteria,
    EmptiedParents,
    ExclusionCause,
    Policy,
    ReasonKind,
    Record,
    UnknownActorError,
)

CONFLICTS = {ExclusionCause.ACTIVE_AGAIN, ExclusionCause.UNIQUE_CONFLICT}


@attrs.frozen(kw_only=True)
class Deleted:
    """A record in the deleted repository: its snapshot and its deletion."""

    record: Record
    event: str
    at: datetime
    actor: Actor


@attrs.frozen(kw_only=True)
class Event:
    """A deletion event: who, when, in which order it was recorded, and what it deleted."""

    id: str
    actor: Actor
    at: datetime
    seq: int
    members: frozenset[str]


@attrs.frozen(kw_only=True)
class Expected:
    """What a plan must be, or the error planning must raise.

    Attributes:
        ids: the records the plan restores.
        reasons: why each is in it (target, deleted with a target, ancestor).
        excluded: each record left out, with its cause.
        partial: whether an expired record is left out.
        error: the error class planning must raise instead, if any.
        count: for a refusal over the cap, the count the error gives.
    """

    ids: frozenset[str] = frozenset()
    reasons: Mapping[str, ReasonKind] = attrs.field(factory=dict)
    excluded: Mapping[str, ExclusionCause] = attrs.field(factory=dict)
    partial: bool = False
    error: type[Exception] | None = None
    count: int = 0


class Model:
    """The state of one institution, kept by brute force from the rules."""

    def __init__(self, policy: Policy, catalog: Iterable[Record], now: datetime) -> None:
        self.policy = policy
        self.now = now
        self.active: dict[str, Record] = {r.id: r for r in catalog}
        self.deleted: dict[str, Deleted] = {}
        self.superseded: dict[str, list[Deleted]] = {}
        self.gone: set[str] = set()
        self.events: dict[str, Event] = {}
        self._seq = itertools.count(1)

    # Deleting (R-D1..R-D3)

    def children(self, ident: str) -> set[str]:
        """The active children of `ident`."""
        return {r.id for r in self.active.values() if r.parent_id == ident}

    def delete_set(self, ids: Collection[str], emptied: EmptiedParents) -> set[str]:
        """Every record a delete of `ids` takes: the ids, all below them, emptied parents."""
        members = set(ids)
        while grown := {r.id for r in self.active.values() if r.parent_id in members} - members:
            members |= grown
        if emptied is EmptiedParents.DELETE:
            while True:
                parents = {
                    p
                    for m in members
                    if (p := self.active[m].parent_id) is not None and p not in members
                }
                empty = {p for p in parents if self.children(p) <= members}
                if not empty:
                    break
                members |= empty
        return members

    def delete(self, members: Collection[str], actor: Actor, event_id: str) -> None:
        """Move `members` from the catalog to the deleted repository as one event."""
        for ident in members:
            record = self.active.pop(ident)
            if ident in self.deleted:  # R-D6: the newer deletion supersedes the older
                self.superseded.setdefault(ident, []).append(self.deleted[ident])
            self.deleted[ident] = Deleted(record=record, event=event_id, at=self.now, actor=actor)
        self.events[event_id] = Event(
            id=event_id,
            actor=actor,
            at=self.now,
            seq=next(self._seq),
            members=frozenset(members),
        )

    # Searching (R-S1..R-S5, R-S10)

    def remaining(self, event: Event) -> set[str]:
        """The records of `event` still deleted."""
        return {m for m in event.members if m in self.deleted and self.deleted[m].event == event.id}

    def hits(self, criteria: Criteria, events: Collection[str] | None = None) -> list[str] | None:
        """The ids a search finds, newest first then by id; None for an unknown user or job.

        With `events` (a plan's, D-32), a search by user keeps to them instead of the user's
        last action now.
        """
        earliest = self.now - self.policy.search_window
        kind = criteria.kind

        def inside(at: datetime, start: datetime | None, end: datetime | None) -> bool:
            low = earliest if start is None else max(start, earliest)
            return low <= at and (end is None or at <= end)

        found: Iterable[str]
        if isinstance(criteria, ById):
            found = [criteria.id] if criteria.id in self.deleted else []
        elif isinstance(criteria, ByField):
            found = [
                i
                for i, d in self.deleted.items()
                if d.record.data.get(criteria.field) == criteria.value
            ]
        elif isinstance(criteria, ByRange):
            found = [
                i for i, d in self.deleted.items() if inside(d.at, criteria.start, criteria.end)
            ]
        elif isinstance(criteria, ByUser | ByJob):
            actor = (
                Actor.user(criteria.user_id)
                if isinstance(criteria, ByUser)
                else Actor.job(criteria.job_id)
            )
            if not any(e.actor == actor for e in self.events.values()):
                return None
            start, end = (
                (criteria.start, criteria.end) if isinstance(criteria, ByUser) else (None, None)
            )
            candidates = [
                e
                for e in self.events.values()
                if e.actor == actor and inside(e.at, start, end) and self.remaining(e)
            ]
            if isinstance(criteria, ByUser) and events is not None:
                picked = [e for e in candidates if e.id in events]
            elif isinstance(criteria, ByUser):
                picked = sorted(candidates, key=lambda e: (e.at, e.seq))[-1:]
            else:
                picked = candidates
            found = [i for e in picked for i in self.remaining(e)]
        else:
            assert isinstance(criteria, BySystem)
            found = [
                i
                for i, d in self.deleted.items()
                if d.actor.kind is ActorKind.SYSTEM and inside(d.at, criteria.start, criteria.end)
            ]
        chosen = {i for i in found if self.deleted[i].record.kind == kind}
        return sorted(sorted(chosen), key=lambda i: self.deleted[i].at, reverse=True)

    # Planning (R-P3..R-P8)

    def up(self, ident: str) -> tuple[list[str], bool]:
        """The deleted ancestors of a deleted record, nearest first, and if a gone one ends them.

        A gone parent is neither active nor deleted (purged). An active parent ends the chain,
        even if an older snapshot of its id is still deleted (D-15).
        """
        chain: list[str] = []
        parent = self.deleted[ident].record.parent_id
        while parent is not None and parent in self.deleted and parent not in self.active:
            chain.append(parent)
            parent = self.deleted[parent].record.parent_id
        return chain, parent is not None and parent not in self.active

    def unique_values(self, record: Record) -> list[tuple[str, str, Any]]:
        """The (kind, field, value) of each unique field `record` holds."""
        return [
            (record.kind, field, record.data[field])
            for field in self.policy.unique_fields.get(record.kind, ())
            if record.data.get(field) is not None
        ]

    def active_clash(self, record: Record) -> bool:
        """Whether an active record other than `record` holds one of its unique values."""
        mine = set(self.unique_values(record))
        return any(
            r.id != record.id and mine & set(self.unique_values(r)) for r in self.active.values()
        )

    def plan(self, criteria: Criteria, *, batches: bool) -> Expected:
        """What planning `criteria` must give, straight from R-P3..R-P8."""
        targets = self.hits(criteria)
        if targets is None:
            return Expected(error=UnknownActorError)
        event = {i: d.event for i, d in self.deleted.items()}
        chains = {i: self.up(i) for i in self.deleted}
        primary = set(targets) | {
            d
            for d in self.deleted
            if any(t in targets and event[t] == event[d] for t in chains[d][0])
        }
        closure = primary | {a for p in primary for a in chains[p][0]}
        direct = {
            i: cause
            for i in sorted(closure)
            if (cause := self._direct_cause(i, primary, chains[i])) is not None
        }
        fail = self.policy.on_conflict is ConflictPolicy.FAIL
        if fail and CONFLICTS & set(direct.values()):
            return Expected(error=ConflictError)
        kept, excluded = self._settle(closure, primary, direct, chains)
        holders: dict[tuple[str, str, Any], list[str]] = {}
        for ident in kept:
            for key in self.unique_values(self.deleted[ident].record):
                holders.setdefault(key, []).append(ident)
        losers = {i for ids in holders.values() for i in sorted(ids)[1:]}
        if losers:
            if fail:
                return Expected(error=ConflictError)
            direct.update(dict.fromkeys(losers, ExclusionCause.UNIQUE_CONFLICT))
            kept, excluded = self._settle(closure, primary, direct, chains)
        if len(kept) > self.policy.max_records_per_job and not batches:
            return Expected(error=CapExceededError, count=len(kept))
        reasons = {
            i: ReasonKind.TARGET
            if i in targets
            else ReasonKind.DELETED_WITH
            if i in primary
            else ReasonKind.ANCESTOR
            for i in kept
        }
        return Expected(
            ids=frozenset(kept),
            reasons=reasons,
            excluded=excluded,
            partial=ExclusionCause.EXPIRED in excluded.values(),
        )

    def _direct_cause(
        self, ident: str, primary: set[str], up: tuple[list[str], bool]
    ) -> ExclusionCause | None:
        """Why a record of the closure cannot come back on its own account, first cause first."""
        entry = self.deleted[ident]
        chain, orphan = up
        blocking = self.policy.ancestors_from_other_events is AncestorPolicy.BLOCK
        if orphan and not chain:
            return ExclusionCause.ANCESTOR_GONE
        if (
            blocking
            and ident in primary
            and any(a not in primary and self.deleted[a].event != entry.event for a in chain)
        ):
            return ExclusionCause.BLOCKED_BY_ANCESTOR
        if self.policy.expires(entry.record.kind, entry.at, self.now):
            return ExclusionCause.EXPIRED
        if ident in self.active:
            return ExclusionCause.ACTIVE_AGAIN
        if self.active_clash(entry.record):
            return ExclusionCause.UNIQUE_CONFLICT
        return None

    @staticmethod
    def _settle(
        closure: set[str],
        primary: set[str],
        direct: Mapping[str, ExclusionCause],
        chains: Mapping[str, tuple[list[str], bool]],
    ) -> tuple[set[str], dict[str, ExclusionCause]]:
        """Spread exclusions down (R-P7), then drop ancestors no kept record needs."""
        excluded = {
            i: direct.get(i, ExclusionCause.ANCESTOR_EXCLUDED)
            for i in closure
            if i in direct or any(a in direct for a in chains[i][0])
        }
        kept = primary - excluded.keys()
        needed = kept | {a for k in kept for a in chains[k][0]}
        for ident in closure - primary - excluded.keys() - needed:
            excluded[ident] = ExclusionCause.NOT_NEEDED
        return needed, excluded

    # Restoring and purging (R-E1, R-R1)

    def restore(self, ids: Iterable[str]) -> None:
        """Move `ids` from the deleted repository back to the catalog, as they were."""
        for ident in ids:
            self.active[ident] = self.deleted.pop(ident).record

    def purge(self) -> set[str]:
        """Remove for good every deleted record past its retention, and what was deleted below."""
        doomed = {
            i for i, d in self.deleted.items() if self.policy.expires(d.record.kind, d.at, self.now)
        }
        doomed |= {i for i in self.deleted if doomed & set(self.up(i)[0])}
        for ident in doomed:
            del self.deleted[ident]
        self.gone |= doomed
        return doomed
