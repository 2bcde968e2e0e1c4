"""The restore checks: what keeps a deleted record from coming back, one predicate each.

Planning turns what these find into a plan's exclusions (R-P6, R-P7); a restore turns them into
a stale-plan refusal when the state moved since planning (R-E2). Each check reads the state in
one batch, whatever the number of records.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from deleted_repo.errors import quote
from deleted_repo.model import DeletedRecord, Record
from deleted_repo.policy import Policy
from deleted_repo.reads import CatalogReads

__all__ = [
    "CONFLICTS",
    "Exclusion",
    "ExclusionCause",
    "UniqueClash",
    "active_again",
    "clash_exclusions",
    "expired",
    "expired_at",
    "other_event_ancestors",
    "unique_clashes",
    "unique_conflicts",
]


class ExclusionCause(enum.Enum):
    """Why a record the restore would otherwise bring back is left out."""

    EXPIRED = "expired"
    """Past its kind's retention (R-P6)."""
    ACTIVE_AGAIN = "active_again"
    """Its id is active again (R-P7)."""
    UNIQUE_CONFLICT = "unique_conflict"
    """A unique field's value is now held by an active record, or by another planned one (R-P7)."""
    BLOCKED_BY_ANCESTOR = "blocked_by_ancestor"
    """An ancestor was deleted in another event and the policy blocks (R-P4)."""
    ANCESTOR_GONE = "ancestor_gone"
    """Its parent is neither active nor deleted (purged): it would be an orphan (I1)."""
    ANCESTOR_EXCLUDED = "ancestor_excluded"
    """A record above it is excluded, so it cannot come back (R-P7)."""
    NOT_NEEDED = "not_needed"
    """An ancestor that was in the plan only for records now excluded (R-P7)."""


CONFLICTS = frozenset({ExclusionCause.ACTIVE_AGAIN, ExclusionCause.UNIQUE_CONFLICT})
"""The causes the ``fail`` conflict policy turns into a failed plan (D-17)."""


@attrs.frozen(kw_only=True)
class Exclusion:
    """A record left out of the plan, and why.

    Attributes:
        id: the record.
        kind: its kind.
        cause: the reason, as a value.
        detail: the reason in words, naming the records involved.
        related: the other record involved (the ancestor to restore first, the active holder of
            a barcode, the excluded ancestor), when there is one.
    """

    id: str
    kind: str
    cause: ExclusionCause
    detail: str
    related: str | None = None


def expired(entries: Iterable[DeletedRecord], policy: Policy, now: datetime) -> list[Exclusion]:
    """The `entries` past their kind's retention at `now` (R-P6, D-18)."""
    return expired_at(((e.id, e.kind, e.deleted_at) for e in entries), policy, now)


def expired_at(
    entries: Iterable[tuple[str, str, datetime]], policy: Policy, now: datetime
) -> list[Exclusion]:
    """The (id, kind, deletion time) `entries` past their kind's retention at `now` (R-P6)."""
    found = []
    cutoffs: dict[str, datetime | None] = {}  # one cutoff a kind, as `Policy.expires` measures
    for ident, kind, deleted_at in entries:
        if kind in cutoffs:
            cutoff = cutoffs[kind]
        else:
            cutoff = cutoffs[kind] = policy.expiry_cutoff(kind, now)
        if cutoff is not None and deleted_at < cutoff:
            days = policy.retention[kind].days
            found.append(
                Exclusion(
                    id=ident,
                    kind=kind,
                    cause=ExclusionCause.EXPIRED,
                    detail=f"deleted at {deleted_at.isoformat()}, past the retention of "
                    f"{days} days for {kind} records",
                )
            )
    return found


def active_again(
    records: Sequence[Record], catalog: CatalogReads, institution: str
) -> list[Exclusion]:
    """The `records` whose id is active again, by id (R-P7)."""
    by_id = {r.id: r for r in records}
    return [
        Exclusion(
            id=ident,
            kind=by_id[ident].kind,
            cause=ExclusionCause.ACTIVE_AGAIN,
            detail=f"id {ident} is active again",
            related=ident,
        )
        for ident in sorted(catalog.get(institution, list(by_id)))
    ]


@attrs.frozen
class UniqueClash:
    """A record whose unique field's value another record holds (R-P7).

    Attributes:
        id: the record that cannot come back.
        field: the unique field.
        value: the value held twice.
        holder: the other record.
        planned: whether the holder is another record of the same restore, not an active one.
    """

    id: str
    field: str
    value: Any
    holder: str
    planned: bool


def unique_clashes(
    records: Sequence[Record], catalog: CatalogReads, institution: str, policy: Policy
) -> list[UniqueClash]:
    """Find the `records` whose unique value an active or an earlier one of `records` holds.

    One catalog look-up per kind and unique field, whatever the number of records (R-P7, D-16).
    Missing and null values are not checked.
    """
    unique = policy.unique_fields
    by_kind: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        if unique.get(r.kind):
            by_kind[r.kind].append(r)
    clashes = []
    for kind, group in sorted(by_kind.items()):
        for field in unique[kind]:
            held = [(r, value) for r in group if _hashable(value := r.data.get(field))]
            values = {value for _, value in held}
            active = catalog.find_by_field(institution, kind, field, values)
            claimed: dict[Any, str] = {}
            for r, value in held:
                owner = active.get(value)
                if owner is not None and owner != r.id:
                    clashes.append(UniqueClash(r.id, field, value, owner, planned=False))
                elif value in claimed:
                    clashes.append(UniqueClash(r.id, field, value, claimed[value], planned=True))
                else:
                    claimed[value] = r.id
    return clashes


def unique_conflicts(
    records: Sequence[Record],
    catalog: CatalogReads,
    institution: str,
    policy: Policy,
    *,
    planned: bool | None = None,
) -> list[Exclusion]:
    """The `records` whose unique value another holds, as exclusions (R-P7).

    Args:
        records: the records that would come back, in the order that claims values.
        catalog: where the active holders are looked up.
        institution: the institution of the records.
        policy: names the unique fields.
        planned: only clashes with an active holder (False), only those with an earlier one
            of `records` (True), or both (None).
    """
    clashes = unique_clashes(records, catalog, institution, policy)
    if planned is not None:
        clashes = [c for c in clashes if c.planned is planned]
    return clash_exclusions(clashes, records)


def clash_exclusions(clashes: Iterable[UniqueClash], records: Sequence[Record]) -> list[Exclusion]:
    """The `clashes` among `records` as exclusions, in their order (R-P7)."""
    clashes = list(clashes)
    if not clashes:
        return []
    by_id = {r.id: r for r in records}
    found = []
    for clash in clashes:
        where = "planned" if clash.planned else "active"
        found.append(
            Exclusion(
                id=clash.id,
                kind=by_id[clash.id].kind,
                cause=ExclusionCause.UNIQUE_CONFLICT,
                detail=f"{clash.field} {quote(clash.value)} is also held by {where} record "
                f"{clash.holder}",
                related=clash.holder,
            )
        )
    return found


def other_event_ancestors(
    nodes: Mapping[str, tuple[str | None, str, bool]], ids: Iterable[str]
) -> Iterator[tuple[str, str]]:
    """Pair each of `ids` with its ancestors in `nodes` deleted in another event (R-P4).

    `nodes` gives, per record of a plan, its parent id, its event and whether it is in the plan
    in its own right (a target, or deleted with one). D-13: only ancestors in the plan for
    others' sake count; one in it in its own right is restored anyway. Pairs come by id, each
    record's ancestors nearest first.
    """
    for ident in sorted(ids):
        parent, event, primary = nodes[ident]
        if not primary:
            continue
        while parent is not None and parent in nodes:
            above, above_event, above_primary = nodes[parent]
            if not above_primary and above_event != event:
                yield ident, parent
            parent = above


def _hashable(value: object) -> bool:
    if value is None:
        return False
    try:
        hash(value)
    except TypeError:
        return False
    return True


def by_cause(exclusions: Iterable[Exclusion]) -> Mapping[ExclusionCause, list[str]]:
    """The ids of `exclusions`, grouped by cause."""
    grouped: dict[ExclusionCause, list[str]] = defaultdict(list)
    for e in exclusions:
        grouped[e.cause].append(e.id)
    return grouped
