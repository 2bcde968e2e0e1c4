"""Deleting: which records one delete action takes, their roles, and the event it records.

The rules of R-D1..R-D5 as pure functions over a `StateReader`: the downward cascade and
emptied parents of a delete action (`cascade`), the roles of records a host deleted itself
(`member_roles`), what makes such a deletion recordable (`record_events`), each member's chain
of ancestors (`lineages`), and the event itself (`build_event`). They read in batches, one call
per hierarchy level, and never write: the facade writes the event they return.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime

import attrs

from deleted_repo.errors import HierarchyError, InvalidInputError, RecordNotFoundError, quote
from deleted_repo.inputs import check_actor, check_aware, check_ids
from deleted_repo.lineage import EMPTY, Lineage, chains
from deleted_repo.model import (
    Actor,
    DeletedRecord,
    DeletionEvent,
    EmptiedParents,
    Hierarchy,
    MemberRole,
    Record,
)
from deleted_repo.reads import StateReader

__all__ = [
    "Deletion",
    "Members",
    "Recording",
    "build_event",
    "cascade",
    "delete_event",
    "lineages",
    "member_roles",
    "prepare_recording",
    "prepare_recordings",
    "record_events",
]


@attrs.frozen
class Deletion:
    """One deletion the host has already made, for `DeletedRepository.record_deletions`.

    The fields are the arguments of `DeletedRepository.record_deletion`, and are checked as it
    checks them, when the deletion is recorded.

    Attributes:
        records: the deleted records, as they were just before deletion.
        actor: who deleted them.
        origins: the ids the action was asked to delete (default: every record whose parent is
            not among `records`).
        at: when they were deleted (default: the time of the call), timezone-aware.
    """

    records: Sequence[Record]
    actor: Actor = attrs.field(kw_only=True)
    origins: Collection[str] | None = attrs.field(default=None, kw_only=True)
    at: datetime | None = attrs.field(default=None, kw_only=True)


@attrs.frozen(kw_only=True)
class Members:
    """The records one delete action takes, each with its role and the origin it went with.

    Attributes:
        records: every record taken, by id.
        roles: each record's role (R-D1..R-D3).
        origin_of: the origin each record was deleted with (its own id for an origin).
        origins: the ids the action was asked to delete.
    """

    records: Mapping[str, Record]
    roles: Mapping[str, MemberRole]
    origin_of: Mapping[str, str]
    origins: tuple[str, ...]


def cascade(
    state: StateReader, institution: str, origins: Sequence[str], emptied: EmptiedParents
) -> Members:
    """What deleting the active records `origins` takes with them (R-D2, R-D3, R-D5).

    Every active descendant the catalog gives goes, with the role of cascade and the nearest
    origin above it, level by level; the catalog is not policed (D-4).
    With ``emptied=DELETE``, a parent left with no active child goes too (emptied parent,
    naming the smallest origin below it), and the rule repeats upward.

    Raises:
        RecordNotFoundError: an origin is not active in the institution (R-D5).
    """
    found = state.catalog.get(institution, origins)
    missing = [i for i in origins if i not in found]
    if missing:
        raise _not_active(state, institution, missing)
    records: dict[str, Record] = {i: found[i] for i in origins}
    roles = dict.fromkeys(origins, MemberRole.ORIGIN)
    origin_of = {i: i for i in origins}
    below: dict[str | None, list[Record]] = defaultdict(list)
    for r in state.descendants(institution, origins):  # one read when the catalog can (D-37)
        below[r.parent_id].append(r)
    frontier: Collection[str] = origins
    while frontier:
        step = []
        taken = (c for p in frontier for c in below.get(p, ()))
        for child in sorted(taken, key=lambda r: r.id):
            parent = child.parent_id
            if child.id not in records and parent is not None:
                records[child.id] = child
                roles[child.id] = MemberRole.CASCADE
                origin_of[child.id] = origin_of[parent]
                step.append(child.id)
        frontier = step
    if emptied is EmptiedParents.DELETE:
        _take_emptied_parents(state, institution, records, roles, origin_of)
    return Members(records=records, roles=roles, origin_of=origin_of, origins=tuple(origins))


def _take_emptied_parents(
    state: StateReader,
    institution: str,
    records: dict[str, Record],
    roles: dict[str, MemberRole],
    origin_of: dict[str, str],
) -> None:
    """Add the parents left with no active child, level by level (R-D3).

    D-1: a parent is emptied only when it has no active child of any kind; it names the
    smallest origin below it.
    """
    parents = {r.parent_id for r in records.values() if r.parent_id and r.parent_id not in records}
    while parents:
        kept = {
            c.parent_id for c in state.catalog.children(institution, parents) if c.id not in records
        }
        emptied = sorted(parents - kept)
        found = state.catalog.get(institution, emptied)
        below: dict[str, list[str]] = defaultdict(list)
        for r in records.values():
            if r.parent_id is not None and r.parent_id in found:
                below[r.parent_id].append(origin_of[r.id])
        for ident in emptied:
            if ident in found:
                records[ident] = found[ident]
                roles[ident] = MemberRole.EMPTIED_PARENT
                origin_of[ident] = min(below[ident])
        parents = {
            r.parent_id for r in found.values() if r.parent_id and r.parent_id not in records
        }


def _not_active(state: StateReader, institution: str, missing: list[str]) -> RecordNotFoundError:
    deleted = state.deleted.get(institution, missing)
    detail = (
        "already deleted"
        if len(deleted) == len(missing)
        else ("unknown in this institution" if not deleted else "unknown or already deleted")
    )
    return RecordNotFoundError(missing, state="active", detail=detail)


def member_roles(
    by_id: Mapping[str, Record], origins: Sequence[str]
) -> tuple[dict[str, MemberRole], dict[str, str]]:
    """The roles of records a host deleted in one action, given its origins (R-D1, D-2, D-3).

    Records below an origin are cascade and name the nearest origin above; records above an
    origin are emptied parents and name the smallest origin below.

    Raises:
        InvalidInputError: a record neither an origin nor above or below one.
    """
    roles = dict.fromkeys(origins, MemberRole.ORIGIN)
    origin_of = {o: o for o in origins}
    chosen = frozenset(origins)
    # A record's nearest origin above is its parent's, unless the parent is an origin: each walk
    # stops at the first record already answered, so the whole pass is linear.
    nearest: dict[str, str | None] = {}
    for ident, record in by_id.items():
        if ident in chosen:
            continue
        parent = record.parent_id
        if ident in nearest:
            above = nearest[ident]
        elif parent in chosen and parent in by_id:  # the common case, without a walk's sets
            above = nearest[ident] = parent
        elif parent in nearest:
            above = nearest[ident] = nearest[parent]
        else:
            above = _walk_up(parent, by_id, chosen, nearest)
            nearest[ident] = above
        if above is not None:
            roles[ident], origin_of[ident] = MemberRole.CASCADE, above
    for ident in sorted(origins):
        parent = by_id[ident].parent_id
        on_walk = {ident}
        while parent is not None and parent in by_id and parent not in on_walk:
            on_walk.add(parent)
            if parent not in roles:
                roles[parent], origin_of[parent] = MemberRole.EMPTIED_PARENT, ident
            parent = by_id[parent].parent_id
    unrelated = sorted(set(by_id) - roles.keys())
    if unrelated:
        raise InvalidInputError(
            f"records neither an origin nor above or below one: {unrelated}",
            field="origins",
            value=unrelated,
        )
    return roles, origin_of


def _walk_up(
    parent: str | None,
    by_id: Mapping[str, Record],
    chosen: Collection[str],
    nearest: dict[str, str | None],
) -> str | None:
    """The nearest origin at or above `parent` among `by_id`, noting it for the ids walked."""
    walked: list[str] = []
    on_walk: set[str] = set()
    above = None
    while parent is not None and parent in by_id and parent not in on_walk:
        if parent in chosen:
            above = parent
            break
        if parent in nearest:
            above = nearest[parent]
            break
        walked.append(parent)
        on_walk.add(parent)
        parent = by_id[parent].parent_id
    nearest.update(dict.fromkeys(walked, above))
    return above


@attrs.frozen(kw_only=True)
class Recording:
    """One host-made deletion with its arguments checked, before the state is read.

    Attributes:
        members: the records with their roles and origins.
        actor: who deleted them.
        at: when.
    """

    members: Members
    actor: Actor
    at: datetime


def prepare_recording(
    records: object,
    actor: object,
    origins: object,
    at: object,
    now: Callable[[], datetime],
) -> Recording:
    """Check one deletion's arguments and give its records their roles; read nothing (R-D1).

    Args:
        records: the deleted records, as they were just before deletion.
        actor: who deleted them.
        origins: the ids the action was asked to delete; None: every record whose parent is
            not among `records`.
        at: when they were deleted; None: `now()`.
        now: returns the time of the call.

    Raises:
        InvalidInputError: malformed arguments, or a record neither an origin nor above or
            below one.
    """
    checked_actor = check_actor(actor)
    if isinstance(records, Record) or not isinstance(records, Iterable):
        raise InvalidInputError("records must be a sequence of Record", field="records")
    listed = list(records)
    for r in listed:
        if not isinstance(r, Record):
            raise InvalidInputError(f"not a Record: {quote(r)}", field="records", value=r)
    by_id = {r.id: r for r in listed}
    if not by_id or len(by_id) != len(listed):
        # A `Record`'s id is checked text already: only emptiness and repeats are left (D-56).
        check_ids([r.id for r in listed], field="records")
    when = now() if at is None else check_aware(at, "at")
    chosen = (
        [i for i, r in by_id.items() if r.parent_id not in by_id]
        if origins is None
        else check_ids(origins, field="origins")
    )
    strangers = [i for i in chosen if i not in by_id]
    if strangers:
        raise InvalidInputError(
            f"origins not among the records: {strangers}", field="origins", value=strangers
        )
    roles, origin_of = member_roles(by_id, chosen)
    members = Members(records=by_id, roles=roles, origin_of=origin_of, origins=tuple(chosen))
    return Recording(members=members, actor=checked_actor, at=when)


def prepare_recordings(
    deletions: object, now: Callable[[], datetime]
) -> tuple[list[Recording], InvalidInputError | None]:
    """Check many deletions' arguments in order, up to the first that is malformed.

    Returns:
        The checked deletions before the first malformed one, and that one's error (None when
        all are well formed). The deletions before it are still to be checked against the
        state: one of them may fail first.

    Raises:
        InvalidInputError: `deletions` is not a collection of `Deletion`.
    """
    if isinstance(deletions, Deletion) or not isinstance(deletions, Iterable):
        raise InvalidInputError(
            f"deletions must be a collection of Deletion, got {quote(deletions)}",
            field="deletions",
            value=deletions,
        )
    listed = list(deletions)
    for d in listed:
        if not isinstance(d, Deletion):
            raise InvalidInputError(f"not a Deletion: {quote(d)}", field="deletions", value=d)
    read: list[datetime] = []

    def once() -> datetime:
        if not read:
            read.append(now())
        return read[0]

    recordings = []
    for d in listed:
        try:
            recordings.append(prepare_recording(d.records, d.actor, d.origins, d.at, once))
        except InvalidInputError as e:
            return recordings, e
    return recordings, None


def record_events(
    state: StateReader,
    institution: str,
    recordings: Sequence[Recording],
    hierarchy: Hierarchy,
    new_id: Callable[[], str],
) -> list[DeletionEvent]:
    """Check each host-made deletion in turn against the state as the earlier ones leave it.

    The state is read once for the whole batch: the records and their outside parents, the
    active children of the records, then the ancestors of the parents, level by level.

    Returns:
        One event per recording, in order.

    Raises:
        RecordNotFoundError: a record still active (D-30); one already deleted is deleted again,
            superseding its older deletion (R-D6).
        InvalidInputError: an active record would be left under a deleted one (I1).
        HierarchyError: a record whose parent breaks the hierarchy, or records that are each
            other's ancestors.
        UnknownKindError: a kind the hierarchy does not declare.
    """
    ids = list(dict.fromkeys(i for rec in recordings for i in rec.members.records))
    wanted = set(ids)
    for rec in recordings:
        own = rec.members.records
        wanted.update(p for r in own.values() if (p := r.parent_id) is not None and p not in own)
    active = state.catalog.get(institution, wanted)
    deleted = state.deleted.get(institution, wanted)
    below: dict[str, list[str]] = defaultdict(list)
    for child in state.catalog.children(institution, ids):
        if child.parent_id is not None:
            below[child.parent_id].append(child.id)
    known: dict[str, Record] = dict(active)
    known.update((i, d.record) for i, d in deleted.items())
    known.update(state.ancestors(institution, known, looked=wanted))
    earlier: dict[str, Record] = {}
    events = []
    for rec in recordings:
        own = rec.members.records
        _check_recordable(own, hierarchy, active.keys(), below)

        def record_of(ident: str, own: Mapping[str, Record] = own) -> Record | None:
            # Outside this deletion, a record is one of the earlier deletions' or the state's.
            return own.get(ident) or earlier.get(ident) or known.get(ident)

        for r in own.values():
            above = None if r.parent_id is None else record_of(r.parent_id)
            hierarchy.check_parent(r, None if above is None else above.kind)
        lineage_of = lineages(own, lambda i: None if (r := record_of(i)) is None else r.parent_id)
        events.append(
            build_event(
                rec.members,
                lineage_of,
                event_id=new_id(),
                institution=institution,
                actor=rec.actor,
                at=rec.at,
            )
        )
        earlier.update(own)
    return events


def _check_recordable(
    by_id: Mapping[str, Record],
    hierarchy: Hierarchy,
    active: Collection[str],
    below: Mapping[str, list[str]],
) -> None:
    """Refuse a deletion whose records are still active or would orphan active ones.

    A record already deleted may be deleted again: the new deletion supersedes it (R-D6, D-34).
    """
    acyclic: set[str] = set()  # records whose chain leaves `by_id` without a loop
    for r in by_id.values():
        hierarchy.spec(r.kind)
        parent = r.parent_id
        if parent is None or parent not in by_id or parent in acyclic:  # no walk: the common case
            acyclic.add(r.id)
            continue
        seen = {r.id}
        while parent is not None and parent in by_id and parent not in acyclic:
            if parent in seen:
                raise HierarchyError(f"records {sorted(seen)} are each other's ancestors")
            seen.add(parent)
            parent = by_id[parent].parent_id
        acyclic |= seen
    still = sorted(i for i in by_id if i in active)
    if still:
        raise RecordNotFoundError(
            still, state="removed", detail="still active; remove them, or call delete()"
        )
    orphans = sorted(c for i in by_id for c in below.get(i, ()))
    if orphans:
        raise InvalidInputError(
            f"active records would be left under deleted ones: {orphans}",
            field="records",
            value=orphans,
        )


def lineages(
    records: Mapping[str, Record], parent_of: Callable[[str], str | None]
) -> dict[str, Lineage]:
    """Each record's chain of ancestor ids, nearest first (R-S7).

    `parent_of` gives the parent of any id above the records (None at the top or when
    unknown). A chain that loops stops before repeating an id. A record's lineage is its
    parent's id in front of its parent's lineage, shared: linear in time and space (D-35).
    """

    def parent(ident: str) -> str | None:
        record = records.get(ident)
        return record.parent_id if record is not None else parent_of(ident)

    built = chains((p for r in records.values() if (p := r.parent_id) is not None), parent)
    return {
        ident: EMPTY if r.parent_id is None else built[r.parent_id] for ident, r in records.items()
    }


def build_event(
    members: Members,
    lineage_of: Mapping[str, Lineage],
    *,
    event_id: str,
    institution: str,
    actor: Actor,
    at: datetime,
) -> DeletionEvent:
    """The deletion event of `members` (R-D1): members parents first, then by id."""
    order = sorted(members.records, key=lambda i: (len(lineage_of[i]), i))
    return DeletionEvent.trusted(  # built here from its own header: not checked again (D-56)
        id=event_id,
        institution=institution,
        actor=actor,
        at=at,
        origins=tuple(members.origins),
        members=tuple(
            DeletedRecord(
                record=members.records[i],
                role=members.roles[i],
                origin_id=members.origin_of[i],
                lineage=lineage_of[i],
                event_id=event_id,
                institution=institution,
                actor=actor,
                deleted_at=at,
            )
            for i in order
        ),
    )


def delete_event(  # noqa: PLR0917 (one call, from the facade, in the order the rule reads)
    state: StateReader,
    institution: str,
    origins: Sequence[str],
    actor: Actor,
    at: datetime,
    emptied: EmptiedParents,
    event_id: str,
) -> DeletionEvent:
    """The event of deleting the active records `origins` and what goes with them (R-D1..R-D5).

    Raises:
        RecordNotFoundError: an origin is not active in the institution (R-D5).
    """
    members = cascade(state, institution, origins, emptied)
    above = state.ancestors(institution, members.records)
    lineage_of = lineages(
        members.records, lambda i: None if (r := above.get(i)) is None else r.parent_id
    )
    return build_event(
        members, lineage_of, event_id=event_id, institution=institution, actor=actor, at=at
    )
