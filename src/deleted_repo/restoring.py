"""Restoring: whether a batch of a plan may still run, and the job that records it.

`check_fresh` holds a batch to the state as it is now, inside the restore's transaction: the
same checks planning turned into exclusions (`deleted_repo.checks`) here refuse the batch as
stale (R-E2). `batch_job` is the audit record of a batch (R-E3). Both are pure: they read
through a `StateReader` and take the time as a value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from deleted_repo.checks import (
    Exclusion,
    ExclusionCause,
    active_again,
    expired_at,
    other_event_ancestors,
    unique_conflicts,
)
from deleted_repo.errors import InvalidPlanError, PlanningError, StalePlanError, UnknownActorError
from deleted_repo.jobs import Outcome, RecordOutcome, RestoreJob
from deleted_repo.model import DeletedRecord, Hierarchy, count_kinds
from deleted_repo.planner import PlannedRecord, ReasonKind, RestorePlan, plan_restore
from deleted_repo.policy import AncestorPolicy, Policy
from deleted_repo.ports import SetRestores
from deleted_repo.reads import StateReader
from deleted_repo.search import query_for

__all__ = ["Rules", "batch_job", "batch_of", "check_fresh", "confirmed_exclusions"]


@attrs.frozen
class Rules:
    """What a restore is checked against: the state, and the rules as the repository has them.

    Attributes:
        state: read access to the catalog and the deleted repository.
        hierarchy: the kinds and their parents.
        policy: the rules' numbers and switches.
    """

    state: StateReader
    hierarchy: Hierarchy
    policy: Policy


_STALE = {
    ExclusionCause.EXPIRED: "these records are now past their retention",
    ExclusionCause.ACTIVE_AGAIN: "these ids are active again",
    ExclusionCause.UNIQUE_CONFLICT: "a unique field of these records is held by another",
}


def batch_of(plan: RestorePlan, number: int, policy: Policy) -> tuple[PlannedRecord, ...]:
    """The records of batch `number` of `plan`, within the policy's cap now (D-23).

    A plan that restores nothing has one, empty, batch (D-20).

    Raises:
        InvalidPlanError: there is no such batch, or it holds more records than the cap.
    """
    planned = plan.batch(number) if plan.batches or number != 1 else ()
    cap = policy.max_records_per_job
    if len(planned) > cap:
        raise InvalidPlanError(
            f"batch {number} holds {len(planned)} records, over the cap of {cap}", field="plan"
        )
    return planned


def check_fresh(
    plan: RestorePlan,
    planned: Sequence[PlannedRecord],
    rules: Rules,
    now: datetime,
    set_based: SetRestores | None = None,
) -> None:
    """Refuse a batch the state no longer supports (R-P2, R-E2, D-21).

    The plan's search must still find the batch's targets, so that a plan edited after planning
    cannot restore what its search never found. Every planned record must still be deleted, in
    the same event, with the same snapshot, within its retention, and free of conflicts; its
    parent must be active or in the batch.

    With `set_based` (the store's capability, D-53), the store compares the planned records
    with what it holds, and no deleted record is read back; the checks, their order and their
    words are the same.

    Raises:
        StalePlanError: the first of these that fails, naming its records.
    """
    state, hierarchy, policy = rules.state, rules.hierarchy, rules.policy
    institution = plan.institution
    ids = [p.id for p in planned]
    _check_policy(plan, ids, policy)
    records = [p.record for p in planned]
    targets = {p.id for p in planned for r in p.reasons if r.kind is ReasonKind.TARGET}
    found = _found_targets(plan, targets, state=state, hierarchy=hierarchy, policy=policy, now=now)
    times = _as_planned(institution, planned, found, state, set_based)
    moved = [i for i in ids if i not in times]
    if moved:
        raise StalePlanError(moved, "these records are no longer deleted as planned")
    lost = sorted(targets - found.keys())
    if lost:
        raise StalePlanError(lost, "the plan's search no longer finds these targets")
    for problems in (
        expired_at(((r.id, r.kind, times[r.id]) for r in records), policy, now),
        active_again(records, state.catalog, institution),
        unique_conflicts(records, state.catalog, institution, policy),
    ):
        if problems:
            raise StalePlanError([e.id for e in problems], _STALE[problems[0].cause])
    inside = set(ids)
    needed = {p for r in records if (p := r.parent_id) is not None and p not in inside}
    waiting = sorted(needed - state.catalog.get(institution, needed).keys())
    if waiting:
        raise StalePlanError(
            waiting, "their parents are not active yet; run the earlier batches first"
        )


def _as_planned(
    institution: str,
    planned: Sequence[PlannedRecord],
    found: Mapping[str, DeletedRecord],
    state: StateReader,
    set_based: SetRestores | None,
) -> Mapping[str, datetime]:
    """For each planned record deleted now as planned (event and snapshot), its deletion time."""
    if set_based is not None:
        return set_based.deleted_as_planned(institution, [(p.record, p.event_id) for p in planned])
    # The search has read the targets it finds: read only the other records.
    ids = [p.record.id for p in planned]
    others = state.deleted.get(institution, [i for i in ids if i not in found])
    current = {**others, **found}
    return {
        i: e.deleted_at
        for i, p in zip(ids, planned, strict=True)
        if (e := current.get(i)) is not None
        and (e.record is p.record or e.record == p.record)  # a store may hand back the same
        and e.event_id == p.event_id
    }


def _check_policy(plan: RestorePlan, ids: Sequence[str], policy: Policy) -> None:
    """Refuse a batch the repository's policy would not have planned (R-P4).

    Under ``block``, a record needing an ancestor deleted in another event is refused, whatever
    the policy the plan was made under, or if it was written by hand.
    """
    if policy.ancestors_from_other_events is not AncestorPolicy.BLOCK:
        return
    nodes = {
        p.id: (
            p.record.parent_id,
            p.event_id,
            any(r.kind is not ReasonKind.ANCESTOR for r in p.reasons),
        )
        for p in plan.records
    }
    inside = set(ids)
    blocked = sorted({i for i, _ in other_event_ancestors(nodes, nodes) if i in inside})
    if blocked:
        raise StalePlanError(
            blocked,
            "the policy blocks restoring records whose ancestor was deleted in another event; "
            "plan again",
        )


def _found_targets(
    plan: RestorePlan,
    targets: set[str],
    *,
    state: StateReader,
    hierarchy: Hierarchy,
    policy: Policy,
    now: datetime,
) -> dict[str, DeletedRecord]:
    """The batch's targets that the plan's search finds now, by id."""
    if not targets:
        return {}
    try:
        events = None if plan.events is None else frozenset(plan.events)
        query = query_for(
            plan.criteria, state.deleted, plan.institution, hierarchy, policy, now, None, events
        )
    except UnknownActorError as e:
        raise StalePlanError(sorted(targets), f"its search fails now ({e})") from e
    wanted = targets if query.ids is None else targets & query.ids
    return {e.id: e for e in state.deleted.find(attrs.evolve(query, ids=frozenset(wanted)))}


def confirmed_exclusions(plan: RestorePlan, rules: Rules, now: datetime) -> tuple[Exclusion, ...]:
    """The plan's exclusions that planning its search again now also finds (R-E3, D-33).

    A plan is a value its holder can edit: its `excluded` list is not evidence. The audit
    records only the exclusions the planner confirms against the state, each with the
    planner's own words; the others are left out.
    """
    if not plan.excluded:
        return ()
    state, hierarchy, policy = rules.state, rules.hierarchy, rules.policy
    events = None if plan.events is None else frozenset(plan.events)
    try:
        query = query_for(
            plan.criteria, state.deleted, plan.institution, hierarchy, policy, now, None, events
        )
        again = plan_restore(
            state.deleted.find(query),
            state=state,
            criteria=plan.criteria,
            institution=plan.institution,
            requested_by=plan.requested_by,
            policy=policy,
            now=now,
            batches=True,
            events=events,
        )
    except (PlanningError, UnknownActorError):
        return ()
    claimed = {(e.id, e.cause) for e in plan.excluded}
    return tuple(e for e in again.excluded if (e.id, e.cause) in claimed)


def batch_job(
    plan: RestorePlan,
    number: int,
    planned: Sequence[PlannedRecord],
    rules: Rules,
    *,
    job_id: str,
    requested_by: str,
    at: datetime,
) -> RestoreJob:
    """The restore job that records batch `number` of `plan` (R-E3), run at `at` (D-25).

    Its outcomes are the batch's restored records, parents first, then, on the first batch,
    the plan's exclusions that `confirmed_exclusions` confirms (D-22, D-33).
    """
    excluded = confirmed_exclusions(plan, rules, at) if number == 1 else ()
    restored = [
        RecordOutcome(id=p.id, kind=p.record.kind, outcome=Outcome.RESTORED) for p in planned
    ]
    left_out = [
        RecordOutcome(id=e.id, kind=e.kind, outcome=Outcome.EXCLUDED, reason=e.detail)
        for e in excluded
    ]
    return RestoreJob(
        id=job_id,
        institution=plan.institution,
        requested_by=requested_by,
        at=at,
        criteria=plan.criteria,
        batch=number,
        batches=max(len(plan.batches), 1),
        counts=count_kinds(p.record.kind for p in planned),
        outcomes=restored + left_out,
    )
