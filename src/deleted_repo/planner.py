"""Restore planning: from the deleted targets and the state, the exact plan of a restore.

`plan_restore` is pure: it reads the state only through the catalog and deleted-store ports it
is given, in batches (one call per hierarchy level, never one per record), takes the time as a
value, and returns an immutable `RestorePlan` (R-P2..R-P9).
"""

from __future__ import annotations

import enum
import operator
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import attrs

from deleted_repo.checks import (
    CONFLICTS,
    Exclusion,
    ExclusionCause,
    UniqueClash,
    active_again,
    clash_exclusions,
    expired_at,
    other_event_ancestors,
    unique_clashes,
)
from deleted_repo.errors import CapExceededError, ConflictError, InvalidPlanError, quote
from deleted_repo.model import DeletedRecord, Record, count_kinds
from deleted_repo.policy import AncestorPolicy, ConflictPolicy, Policy
from deleted_repo.reads import StateReader
from deleted_repo.search import Criteria
from deleted_repo.validators import as_dict, as_tuple, instant_field, text_field

__all__ = [
    "Exclusion",
    "ExclusionCause",
    "PlannedRecord",
    "Reason",
    "ReasonKind",
    "RestorePlan",
    "StateReader",
    "plan_restore",
]


class ReasonKind(enum.Enum):
    """Why a record is in a plan (R-P9)."""

    TARGET = "target"
    """The search matched it (R-P2)."""
    DELETED_WITH = "deleted_with"
    """It was deleted in the same event as a target above it (R-P3)."""
    ANCESTOR = "ancestor"
    """A record below it in the plan needs it (R-P4)."""


@attrs.frozen
class Reason:
    """One reason for a planned record: its kind, and the record it refers to.

    Attributes:
        kind: target, deleted with, or ancestor.
        of: for "deleted with", the target; for "ancestor", a planned record below it.
    """

    kind: ReasonKind
    of: str | None = None

    def __str__(self) -> str:
        if self.kind is ReasonKind.TARGET:
            return "target"
        label = "deleted with" if self.kind is ReasonKind.DELETED_WITH else "ancestor of"
        return f"{label} {self.of}"


@attrs.frozen(kw_only=True)
class PlannedRecord:
    """A record the plan will restore, exactly as it will come back.

    Attributes:
        record: the snapshot that will be reinstated (original id, parent and data).
        event_id: the deletion event it is in.
        deleted_at: when it was deleted.
        reasons: why it is in the plan.
        notes: remarks for the reviewer, for example an ancestor deleted in another event.
    """

    record: Record
    event_id: str
    deleted_at: datetime
    reasons: tuple[Reason, ...] = attrs.field(converter=as_tuple)
    notes: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)

    @property
    def id(self) -> str:
        """The record's id."""
        return self.record.id

    @classmethod
    def _built(
        cls,
        record: Record,
        event_id: str,
        deleted_at: datetime,
        reasons: tuple[Reason, ...],
        notes: tuple[str, ...],
    ) -> PlannedRecord:
        """The planned record `plan_restore` built, its fields given as tuples already (D-57)."""
        planned = object.__new__(cls)
        _set(planned, "record", record)
        _set(planned, "event_id", event_id)
        _set(planned, "deleted_at", deleted_at)
        _set(planned, "reasons", reasons)
        _set(planned, "notes", notes)
        return planned


_set = object.__setattr__


def _optional_ids(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(sorted(as_tuple(value)))


def _batches(value: Iterable[Iterable[str]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(batch) for batch in value)


@attrs.frozen(kw_only=True)
class RestorePlan:
    """What a restore will do, computed before anything changes (R-P9).

    A plan is an immutable value: the same state, criteria and clock give an equal plan, and it
    survives a JSON round trip (`deleted_repo.serialization`). Construction checks that it is
    internally consistent, so a plan edited by hand is refused with `InvalidPlanError`.

    Attributes:
        institution: where the records are.
        criteria: the search whose hits are the targets.
        requested_by: the user id of the requester it was planned for.
        planned_at: the time it was planned at.
        records: every record it restores, parents before children.
        excluded: every record it leaves out, with why.
        batches: the ids of `records` in execution order, cut into jobs of at most the cap;
            one batch unless batches were asked for.
        counts: the planned records per kind.
        partial: whether expired records are left out (R-P6).
        events: the events the search resolved as the user's last action (R-S4), which the
            restore holds it to (D-32); None for searches that resolve no events.
    """

    institution: str = attrs.field(validator=text_field)
    criteria: Criteria
    requested_by: str = attrs.field(validator=text_field)
    planned_at: datetime = attrs.field(validator=instant_field)
    records: tuple[PlannedRecord, ...] = attrs.field(converter=as_tuple)
    excluded: tuple[Exclusion, ...] = attrs.field(converter=as_tuple)
    batches: tuple[tuple[str, ...], ...] = attrs.field(converter=_batches)
    counts: Mapping[str, int] = attrs.field(converter=as_dict)
    partial: bool = False
    events: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_ids)

    @classmethod
    def _built(cls, **values: Any) -> RestorePlan:
        """The plan `plan_restore` just built, without checking its consistency again (D-57).

        Only the planner calls it, with every field given already converted; the fields'
        validators still run. A plan from anyone else, JSON included, goes through the
        constructor, which checks it.
        """
        plan = object.__new__(cls)
        for field in attrs.fields(cls):
            _set(plan, field.name, values[field.name])
        attrs.validate(plan)
        return plan

    def __attrs_post_init__(self) -> None:
        ids = [p.id for p in self.records]
        if len(set(ids)) != len(ids):
            raise InvalidPlanError("a plan lists a record twice", field="records")
        if [i for batch in self.batches for i in batch] != ids:
            raise InvalidPlanError(
                "a plan's batches do not list its records in order", field="batches"
            )
        if any(not batch for batch in self.batches):
            raise InvalidPlanError("a plan has an empty batch", field="batches")
        seen: set[str] = set()
        planned = set(ids)
        for p in self.records:
            parent = p.record.parent_id
            if parent in planned and parent not in seen:
                raise InvalidPlanError(
                    f"record {quote(p.id)} comes before its parent {quote(parent)}",
                    field="records",
                    value=p.id,
                )
            seen.add(p.id)
        if dict(self.counts) != count_kinds(p.record.kind for p in self.records):
            raise InvalidPlanError("a plan's counts do not match its records", field="counts")
        if set(ids) & {e.id for e in self.excluded}:
            raise InvalidPlanError("a plan both restores and excludes a record", field="excluded")
        by_id = {p.id: p for p in self.records}
        for p in self.records:
            if not p.reasons or not all(_backed(p, r, by_id) for r in p.reasons):
                shown = [str(r) for r in p.reasons]
                raise InvalidPlanError(
                    f"record {quote(p.id)} has no reason this plan backs: {shown}",
                    field="records",
                    value=p.id,
                )

    @property
    def ids(self) -> tuple[str, ...]:
        """The ids the plan restores, parents before children."""
        return tuple(p.id for p in self.records)

    @property
    def total(self) -> int:
        """How many records the plan restores."""
        return len(self.records)

    def batch(self, number: int) -> tuple[PlannedRecord, ...]:
        """The planned records of batch `number` (from 1), parents before children.

        Raises:
            InvalidPlanError: there is no such batch.
        """
        if not 1 <= number <= len(self.batches):
            raise InvalidPlanError(
                f"batch {number} does not exist; the plan has {len(self.batches)}",
                field="batch",
                value=number,
            )
        if len(self.batches) == 1:
            return self.records  # the one batch lists every record, in order (checked)
        wanted = set(self.batches[number - 1])
        return tuple(p for p in self.records if p.id in wanted)


def _backed(p: PlannedRecord, reason: Reason, by_id: Mapping[str, PlannedRecord]) -> bool:
    """Whether the plan itself backs `reason` for `p` (R-P3, R-P4).

    Deleted with X: the parent is planned, in the same event, as a target or deleted with one,
    and X is a planned target of that event. Ancestor of X: X is planned and stands right below.
    """
    if reason.kind is ReasonKind.TARGET:
        return reason.of is None
    if reason.of is None or (of := by_id.get(reason.of)) is None:
        return False
    if reason.kind is ReasonKind.ANCESTOR:
        return of.record.parent_id == p.id
    parent = by_id.get(p.record.parent_id or "")
    return (
        parent is not None
        and parent.event_id == p.event_id == of.event_id
        and any(r.kind is not ReasonKind.ANCESTOR for r in parent.reasons)
        and any(r.kind is ReasonKind.TARGET for r in of.reasons)
    )


_TARGET = Reason(ReasonKind.TARGET)


class _Entry(Protocol):
    """What planning reads of a deleted record: a `DeletedRecord`, or a `_Below`."""

    @property
    def record(self) -> Record: ...
    @property
    def event_id(self) -> str: ...
    @property
    def deleted_at(self) -> datetime: ...
    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...


class _Below:
    """A deleted record below the targets, as the store's set-based read gives it (D-59)."""

    __slots__ = ("deleted_at", "event_id", "record")

    def __init__(self, record: Record, event_id: str, deleted_at: datetime) -> None:
        self.record = record
        self.event_id = event_id
        self.deleted_at = deleted_at

    @property
    def id(self) -> str:
        """The record's id."""
        return self.record.id

    @property
    def kind(self) -> str:
        """The record's kind."""
        return self.record.kind


class _Candidate:
    """A record the closure found, with its one reason, whose kind never changes once found.

    Reasons are values: candidates deleted with one target share one.
    """

    __slots__ = ("entry", "notes", "primary", "reason")

    def __init__(self, entry: _Entry, reason: Reason) -> None:
        self.entry = entry
        self.reason = reason
        self.notes: list[str] = []
        self.primary = reason.kind is not ReasonKind.ANCESTOR
        """Whether it is in the plan in its own right, not only as someone's ancestor."""


def plan_restore(
    targets: Sequence[DeletedRecord],
    *,
    state: StateReader,
    criteria: Criteria,
    institution: str,
    requested_by: str,
    policy: Policy,
    now: datetime,
    batches: bool = False,
    events: Collection[str] | None = None,
) -> RestorePlan:
    """Plan the restore of `targets` (the hits of `criteria`, all pages) (R-P2..R-P9).

    The plan holds each target, its same-event deleted descendants (R-P3) and its deleted
    ancestors, never siblings (R-P4), minus expired records (R-P6), conflicts (R-P7) and what
    they take with them; exactly that closure (R-P5).

    Args:
        targets: the deleted records the search matched.
        state: read access to the catalog and the deleted repository.
        criteria: the search, kept in the plan.
        institution: the institution of every target.
        requested_by: the requester's user id, kept in the plan.
        policy: the rules' numbers and switches.
        now: the planning time; retention is measured against it.
        batches: cut a plan over the cap into ordered batches instead of refusing it.
        events: the events the search resolved (R-S4), kept in the plan.

    Raises:
        ConflictError: a conflict under the ``fail`` policy.
        CapExceededError: more records than the cap, and batches were not asked for.
    """
    found = _Closure(state, institution, policy, now)
    found.add_targets(targets)
    found.add_descendants()
    found.add_ancestors()
    found.check_expiry()
    found.check_conflicts()
    fail = policy.on_conflict is ConflictPolicy.FAIL
    if fail and (conflicts := found.conflicts()):
        raise ConflictError(conflicts)
    order, excluded = found.settle()
    if found.check_claims(order):
        if fail:
            raise ConflictError(found.conflicts())
        order, excluded = found.settle()
    found.explain(order)
    records = [found.planned(i) for i in order]
    cap = policy.max_records_per_job  # D-19: what the plan restores counts, cut parents first
    if len(records) > cap and not batches:
        raise CapExceededError(len(records), cap)
    return RestorePlan._built(  # consistent by construction: not checked again (D-57)
        institution=institution,
        criteria=criteria,
        requested_by=requested_by,
        planned_at=now,
        records=tuple(records),
        excluded=tuple(excluded),
        batches=tuple(tuple(order[i : i + cap]) for i in range(0, len(order), cap)),
        counts=count_kinds(p.record.kind for p in records),
        partial=any(e.cause is ExclusionCause.EXPIRED for e in excluded),
        events=_optional_ids(events),
    )


_by_id = operator.attrgetter("record.id")
"""A deleted record's id, as a sort key."""


class _Closure:
    """The records a restore would bring back, and those excluded directly, as they are found."""

    def __init__(self, state: StateReader, institution: str, policy: Policy, now: datetime) -> None:
        self.state = state
        self.institution = institution
        self.policy = policy
        self.now = now
        self.found: dict[str, _Candidate] = {}
        self.direct: dict[str, Exclusion] = {}
        self.claims: list[UniqueClash] = []

    def _exclude(
        self, entry: _Entry, cause: ExclusionCause, detail: str, related: str | None = None
    ) -> None:
        if entry.id not in self.direct:
            self.direct[entry.id] = Exclusion(
                id=entry.id, kind=entry.kind, cause=cause, detail=detail, related=related
            )

    def add_targets(self, targets: Sequence[DeletedRecord]) -> None:
        for t in sorted(targets, key=lambda e: e.id):
            self.found[t.id] = _Candidate(t, _TARGET)

    def add_descendants(self) -> None:
        """Walk down level by level, keeping children deleted in the same event (R-P3)."""
        found = self.found
        root = {i: Reason(ReasonKind.DELETED_WITH, i) for i in found}  # the reason below it
        frontier = {i: c.entry.event_id for i, c in found.items()}
        below = self._below(frontier)
        while frontier:
            children: Sequence[_Entry] = (
                self.state.deleted.children(self.institution, list(frontier))
                if below is None
                else [c for p in frontier for c in below.get(p, ())]
            )
            step: dict[str, str] = {}
            for child in sorted(children, key=_by_id):
                parent = child.record.parent_id
                event = child.event_id
                if parent is None or event != frontier.get(parent):
                    continue
                ident = child.record.id
                if ident in root:
                    continue
                reason = root[ident] = root[parent]
                found[ident] = _Candidate(child, reason)
                step[ident] = event
            frontier = step

    def _below(self, roots: Mapping[str, str]) -> dict[str, list[_Entry]] | None:
        """Per parent, the records below `roots` the store reads in one call (D-59).

        None when the store offers no such read: the walk then reads children level by level.
        """
        offered = self.state.set_based
        if offered is None or not roots:
            return None
        below: dict[str, list[_Entry]] = defaultdict(list)
        for record, event_id, deleted_at in offered.deleted_below(self.institution, roots):
            if record.parent_id is not None:
                below[record.parent_id].append(_Below(record, event_id, deleted_at))
        return below

    def add_ancestors(self) -> None:
        """Walk up level by level: active parents stop the walk, deleted ones join (R-P4).

        D-15: a parent whose id is active again counts as active. D-14: a parent neither active
        nor deleted excludes the records below it.
        """
        outside: dict[str, bool] = {}  # parent id -> active (True) or gone (False)
        waiting = self._waiting(self.found.values())
        while waiting:
            unknown = sorted(set(waiting) - outside.keys())
            active = self.state.catalog.get(self.institution, unknown)
            deleted = self.state.deleted.get(self.institution, unknown)
            joined = []
            for parent_id in sorted(waiting):
                below = sorted(waiting[parent_id], key=lambda c: c.entry.id)
                parent = deleted.get(parent_id)
                if parent_id in active or outside.get(parent_id):
                    outside[parent_id] = True
                elif parent is None:
                    outside[parent_id] = False
                    for child in below:
                        self._exclude(
                            child.entry,
                            ExclusionCause.ANCESTOR_GONE,
                            f"its parent {parent_id} is neither active nor deleted",
                            parent_id,
                        )
                else:
                    candidate = _Candidate(parent, Reason(ReasonKind.ANCESTOR, below[0].entry.id))
                    self.found[parent_id] = candidate
                    joined.append(candidate)
            waiting = self._waiting(joined)
        self._check_other_events()

    def _waiting(self, candidates: Iterable[_Candidate]) -> dict[str, list[_Candidate]]:
        waiting: dict[str, list[_Candidate]] = defaultdict(list)
        for c in candidates:
            parent = c.entry.record.parent_id
            if parent is not None and parent not in self.found:
                waiting[parent].append(c)
        return waiting

    def _other_events(self, ids: Collection[str]) -> Iterator[tuple[str, str]]:
        """Pair each record of `ids` with its ancestors of another event, nearest first."""
        found = self.found
        if all(found[i].primary for i in ids):
            return iter(())  # only an ancestor in for others' sake pairs (D-13)
        nodes = {}
        for i in ids:
            c = found[i]
            nodes[i] = (c.entry.record.parent_id, c.entry.event_id, c.primary)
        return other_event_ancestors(nodes, ids)

    def _check_other_events(self) -> None:
        """Under the ``block`` policy, exclude records needing an ancestor of another event."""
        if self.policy.ancestors_from_other_events is not AncestorPolicy.BLOCK:
            return
        for ident, parent in self._other_events(self.found.keys()):
            above = self.found[parent].entry
            self._exclude(
                self.found[ident].entry,
                ExclusionCause.BLOCKED_BY_ANCESTOR,
                f"its ancestor {parent} was deleted in another event ({above.event_id}); "
                f"restore {parent} first",
                parent,
            )

    def explain(self, order: list[str]) -> None:
        """Name a planned record in each ancestor's reason, and note ancestors of other events.

        Only planned records are named, so no reason or note points at an excluded record.
        """
        planned = set(order)
        found = self.found
        ancestors = [i for i in order if not found[i].primary]
        for ident in order:
            found[ident].notes.clear()
        if ancestors:
            below: dict[str, str] = {}  # each planned parent's lowest planned child
            for ident in order:
                parent = found[ident].entry.record.parent_id
                if parent in planned and (parent not in below or ident < below[parent]):
                    below[parent] = ident
            for ident in ancestors:
                c = found[ident]
                if c.reason.of != below[ident]:
                    c.reason = Reason(ReasonKind.ANCESTOR, below[ident])
        for ident, parent in self._other_events(planned):
            above = self.found[parent]
            if not above.notes:
                above.notes.append(
                    f"deleted in another event ({above.entry.event_id}) than {ident}"
                )

    def check_expiry(self) -> None:
        entries = ((c.entry.id, c.entry.kind, c.entry.deleted_at) for c in self.found.values())
        for e in expired_at(entries, self.policy, self.now):
            self.direct.setdefault(e.id, e)

    def conflicts(self) -> list[Exclusion]:
        """The conflicts found so far, by id: what the ``fail`` policy refuses (R-P7)."""
        return sorted((e for e in self.direct.values() if e.cause in CONFLICTS), key=lambda e: e.id)

    def check_conflicts(self) -> None:
        """Find ids active again and unique values active records hold (R-P7)."""
        records = [self.found[i].entry.record for i in sorted(self.found)]
        for e in active_again(records, self.state.catalog, self.institution):
            self.direct.setdefault(e.id, e)
        clashes = unique_clashes(records, self.state.catalog, self.institution, self.policy)
        # What every found record claims: `check_claims` finds it again when all are planned.
        self.claims = [c for c in clashes if c.planned]
        self._exclude_clashes([c for c in clashes if not c.planned], records)

    def check_claims(self, order: list[str]) -> bool:
        """Exclude records whose unique value a record the plan restores holds too (R-P7).

        D-16: only records the plan would restore claim values, the lowest id first; a record
        excluded for another reason claims nothing. Returns whether any was excluded.
        """
        records = [self.found[i].entry.record for i in sorted(order)]
        if len(order) == len(self.found):  # the records `check_conflicts` looked at (D-58)
            return self._exclude_clashes(self.claims, records)
        clashes = unique_clashes(records, self.state.catalog, self.institution, self.policy)
        return self._exclude_clashes([c for c in clashes if c.planned], records)

    def _exclude_clashes(self, clashes: list[UniqueClash], records: list[Record]) -> bool:
        found = clash_exclusions(clashes, records)
        for e in found:
            self.direct.setdefault(e.id, e)
        return bool(found)

    def settle(self) -> tuple[list[str], list[Exclusion]]:
        """Spread exclusions down and drop unneeded ancestors; order the rest parents first."""
        found, direct = self.found, self.direct
        tops: list[str] = []
        children: dict[str, list[str]] = {}
        for ident in sorted(found):
            parent = found[ident].entry.record.parent_id
            if parent is None or parent not in found:
                tops.append(ident)
            elif (below := children.get(parent)) is None:
                children[parent] = [ident]
            else:
                below.append(ident)
        excluded: dict[str, Exclusion] = {}
        kept: list[str] = []
        stack: list[tuple[str, str | None]] = [(i, None) for i in reversed(tops)]
        while stack:
            ident, blocked_by = stack.pop()
            if ident in direct:
                excluded[ident] = direct[ident]
                blocked_by = ident
            elif blocked_by is not None:
                excluded[ident] = Exclusion(
                    id=ident,
                    kind=found[ident].entry.kind,
                    cause=ExclusionCause.ANCESTOR_EXCLUDED,
                    detail=f"its ancestor {blocked_by} is excluded",
                    related=blocked_by,
                )
            else:
                kept.append(ident)
            if (below := children.get(ident)) is not None:
                stack.extend([(c, blocked_by) for c in reversed(below)])
        needed = self._needed(kept)
        order = [i for i in kept if i in needed]
        for ident in kept:
            if ident not in needed:
                c = self.found[ident]
                excluded[ident] = Exclusion(
                    id=ident,
                    kind=c.entry.kind,
                    cause=ExclusionCause.NOT_NEEDED,
                    detail=f"only {c.reason.of} needed it, and it is excluded",
                    related=c.reason.of,
                )
        return order, [excluded[i] for i in sorted(excluded)]

    def _needed(self, kept: list[str]) -> set[str]:
        needed: set[str] = set()
        for ident in kept:
            if not self.found[ident].primary:
                continue
            current: str | None = ident
            while current is not None and current in self.found and current not in needed:
                needed.add(current)
                current = self.found[current].entry.record.parent_id
        return needed

    def planned(self, ident: str) -> PlannedRecord:
        c = self.found[ident]
        entry = c.entry
        notes = tuple(c.notes) if c.notes else ()
        reasons = (c.reason,)
        return PlannedRecord._built(entry.record, entry.event_id, entry.deleted_at, reasons, notes)
