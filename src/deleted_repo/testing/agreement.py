"""The agreement runner: a host's store answers exactly as the in-memory reference store.

`run_agreement` drives two repositories alike, one over the host's store and one over
`deleted_repo.stores.memory.MemoryStore`, with random deletion histories
(`deleted_repo.testing.strategies.deletion_histories`) and random policies, and compares
every answer: each delete's event and, after it, the state of every id; after some actions
and after the last, searches by criteria that find something (`criteria`), read page by page,
the plans of those searches, restores (whole or one batch) of these plans or of older ones,
stale by then, the restore-job log, and the state of every id again. An
answer is the value serialized (`to_json`) or the type and ids of the error raised; event and
job ids count up in each repository, so equal histories give equal answers.

A host that wrote its own store proves it with one call::

    >>> from deleted_repo.stores.memory import MemoryStore
    >>> from deleted_repo.testing.agreement import run_agreement
    >>> run_agreement(MemoryStore, max_examples=3)

A disagreement raises `AssertionError` naming the call and both answers; hypothesis shrinks
the history first and prints its draws. This module needs hypothesis (the ``hypothesis``
extra).

`run_set_agreement` holds a store's set-based restores (`deleted_repo.ports.SetRestores`) to
its own ports (D-55): it drives the same histories through two stores of one kind, one used
with its capability and one through `BasePorts`, which hides it, restores plans edited after
planning too (`FORGERIES`), and compares errors by their messages as well.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

import hypothesis
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from deleted_repo.errors import DeletedRepoError
from deleted_repo.model import ALMA, DeletionEvent, Hierarchy, Record
from deleted_repo.planner import RestorePlan
from deleted_repo.policy import Policy
from deleted_repo.ports import Catalog, DeletedStore, RestoreJobLog, Store
from deleted_repo.search import Criteria
from deleted_repo.serialization import from_json, to_json
from deleted_repo.service import DeletedRepository
from deleted_repo.stores.memory import MemoryStore
from deleted_repo.testing.histories import DeleteAction, History, ManualClock
from deleted_repo.testing.strategies import criteria, deletion_histories, policies

__all__ = [
    "FORGERIES",
    "REFERENCE",
    "BasePorts",
    "compare",
    "render",
    "run_agreement",
    "run_set_agreement",
]

REFERENCE = "reference"
"""The name under which the runner files the repository over the in-memory store."""

MAX_PAGES = 30
"""The most pages of one search the runner reads."""


def render(value: object, *, messages: bool = False) -> str:
    """What repositories must agree on: `value` serialized, or an error's type and ids (D-48).

    With `messages`, an error's message too (D-55).
    """
    if isinstance(value, DeletedRepoError):
        ids = getattr(value, "ids", None)
        text = f"{type(value).__name__} {sorted(ids) if ids is not None else ''}"
        return f"{text} {value}" if messages else text
    return to_json(value)


def compare(what: str, outcomes: Mapping[str, object], *, messages: bool = False) -> None:
    """Check that every repository's outcome of the call `what` renders alike (`render`).

    Args:
        what: the call, for the message.
        outcomes: by repository name, what the call returned or the `DeletedRepoError` it
            raised; the first is the one the others are held to.
        messages: compare errors' messages too.

    Raises:
        AssertionError: an outcome differs from the first, naming both.
    """
    rendered = {name: render(value, messages=messages) for name, value in outcomes.items()}
    first, expected = next(iter(rendered.items()))
    for name, text in rendered.items():
        if text != expected:
            raise AssertionError(
                f"{what}: the stores disagree\n  {first}: {expected}\n  {name}: {text}"
            )


def _counter(prefix: str) -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"{prefix}{next(numbers)}"


def _add(repo: DeletedRepository, *, institution: str, records: Sequence[Record]) -> None:
    repo.catalog.add(institution, list(records))


def _delete(repo: DeletedRepository, *, action: DeleteAction) -> DeletionEvent:
    return repo.delete(
        action.institution, action.ids, actor=action.actor, emptied_parents=action.emptied_parents
    )


class BasePorts:
    """`store` seen through its three ports, transaction and field index only (D-55).

    Whatever optional capability the store has (`deleted_repo.ports.SetRestores`,
    ``in_transaction``) is hidden, so a repository over it takes the generic path.

    Attributes:
        base: the store wrapped.
    """

    def __init__(self, base: Store) -> None:
        self.base = base

    @property
    def catalog(self) -> Catalog:
        """The base store's catalog."""
        return self.base.catalog

    @property
    def deleted(self) -> DeletedStore:
        """The base store's deleted repository."""
        return self.base.deleted

    @property
    def jobs(self) -> RestoreJobLog:
        """The base store's job log."""
        return self.base.jobs

    def transaction(self) -> AbstractContextManager[None]:
        """The base store's transaction."""
        return self.base.transaction()

    def index_fields(self, fields: Mapping[str, Sequence[str]]) -> None:
        """Tell the base store which fields to index."""
        self.base.index_fields(fields)


def _forge_data(body: dict[str, Any], k: int) -> None:
    body["records"][k]["record"]["data"]["forged"] = True


def _forge_event(body: dict[str, Any], k: int) -> None:
    body["records"][k]["event_id"] = "forged-event"


def _forge_time(body: dict[str, Any], k: int) -> None:
    body["records"][k]["deleted_at"] = body["planned_at"]


def _forge_parent(body: dict[str, Any], k: int) -> None:
    body["records"][k]["record"]["parent_id"] = None


def _forge_exclusions(body: dict[str, Any], k: int) -> None:
    del k
    body["excluded"] = []


FORGERIES: dict[str, Callable[[dict[str, Any], int], None]] = {
    "data": _forge_data,
    "event": _forge_event,
    "deletion time": _forge_time,
    "parent": _forge_parent,
    "no exclusions": _forge_exclusions,
}
"""Edits of a plan's JSON, each to its `k`-th planned record, that `run_set_agreement` tries."""


def _forged(plan: RestorePlan, edit: str, k: int) -> RestorePlan:
    """`plan` with the edit `edit` made to its JSON, or `plan` when the edit is no plan."""
    body = json.loads(to_json(plan))
    if not body["records"]:
        return plan
    FORGERIES[edit](body, k % len(body["records"]))
    try:
        return from_json(json.dumps(body), RestorePlan)
    except DeletedRepoError:
        return plan


class _Pair:
    """The reference repository and the host's, on one clock, driven alike.

    With `strict`, errors are compared by their messages too, and restored plans may be forged.
    """

    def __init__(
        self, history: History, policy: Policy, stores: tuple[Store, Store], *, strict: bool
    ) -> None:
        self.history = history
        self.policy = policy
        self.strict = strict
        self.clock = ManualClock(history.start)
        self.plans: list[dict[str, Any]] = []
        self.repos = {
            name: DeletedRepository(
                store,
                clock=self.clock,
                hierarchy=history.hierarchy,
                policy=policy,
                new_id=_counter("e"),
            )
            for name, store in zip((REFERENCE, "host"), stores, strict=True)
        }

    def each(self, what: str, call: Callable[[DeletedRepository], Any]) -> dict[str, Any]:
        """Make `call` on each repository, compare the outcomes, and return them by name."""
        outcomes: dict[str, Any] = {}
        for name, repo in self.repos.items():
            try:
                outcomes[name] = call(repo)
            except DeletedRepoError as e:
                outcomes[name] = e
        compare(what, outcomes, messages=self.strict)
        return outcomes

    def replay(self, data: st.DataObject) -> None:
        """Replay the history alike; check now and then, and once it is over."""
        history = self.history
        for institution, records in history.catalogs.items():
            self.each(
                f"catalog.add({institution!r}, {len(records)} records)",
                functools.partial(_add, institution=institution, records=records),
            )
        for number, action in enumerate(history.actions, start=1):
            self.clock.now = action.at
            self.each(
                f"action {number}: delete({action.institution!r}, {list(action.ids)}, "
                f"actor={action.actor}, emptied_parents={action.emptied_parents.value})",
                functools.partial(_delete, action=action),
            )
            self.same_records()
            if number < len(history.actions) and data.draw(
                st.booleans(), label=f"check after action {number}"
            ):
                self.check(data, history.until(number))
        self.clock.now = history.end
        self.check(data, history)

    def check(self, data: st.DataObject, history: History) -> None:
        """Search, plan and maybe restore alike, then compare the job log and every id."""
        places = sorted({a.institution for a in history.actions})
        institution = data.draw(st.sampled_from(places), label="institution")
        for _ in range(data.draw(st.integers(1, 2), label="searches")):
            search = data.draw(
                criteria(history, institution=institution, policy=self.policy), label="criteria"
            )
            self.search(data, institution, search)
            self.plan_and_restore(data, institution, search)
        requester = history.requester(institution, role=self.policy.restore_role)
        self.each("restore_jobs()", lambda repo: list(repo.restore_jobs(requester=requester)))
        self.same_records()

    def search(self, data: st.DataObject, institution: str, search: Criteria) -> None:
        """Read every page of `search` alike (R-S8)."""
        limit = data.draw(st.integers(1, 4), label="page size")
        requester = self.history.requester(institution, role=self.policy.restore_role)
        cursor: str | None = None
        for number in range(1, MAX_PAGES + 1):
            pages = self.each(
                f"search({search!r}), page {number} of {limit} hits",
                functools.partial(
                    DeletedRepository.search,
                    criteria=search,
                    requester=requester,
                    cursor=cursor,
                    limit=limit,
                ),
            )
            page = pages[REFERENCE]
            if isinstance(page, DeletedRepoError) or page.next_cursor is None:
                return
            cursor = page.next_cursor

    def plan_and_restore(self, data: st.DataObject, institution: str, search: Criteria) -> None:
        """Plan `search` alike, then maybe restore a plan alike: this one or an older one.

        Each repository restores its own plan. An older plan may be stale by now, and must be
        refused alike (R-E1, R-E2).
        """
        requester = self.history.requester(institution, role=self.policy.restore_role)
        batches = data.draw(st.booleans(), label="batches")
        plans = self.each(
            f"plan({search!r}, batches={batches})",
            lambda repo: repo.plan(search, requester=requester, batches=batches),
        )
        if isinstance(plans[REFERENCE], RestorePlan):
            self.plans.append(plans)
        if not self.plans or not data.draw(st.booleans(), label="restore"):
            return
        chosen = self.plans[-1 - data.draw(st.integers(0, len(self.plans) - 1), label="plan age")]
        plan = chosen[REFERENCE]
        # Strict runs also ask for a batch past the last, refused as invalid.
        last = max(1, len(plan.batches)) + self.strict
        batch = data.draw(st.none() | st.integers(1, last), label="batch")
        own = {id(self.repos[name]): made for name, made in chosen.items()}
        restore_at = self.clock.now
        if self.strict:
            edit = data.draw(st.none() | st.sampled_from(sorted(FORGERIES)), label="forgery")
            if edit is not None:
                k = data.draw(st.integers(0, 50), label="forged record")
                own = {key: _forged(made, edit, k) for key, made in own.items()}
            restore_at = self.disturb(data, plan)
        before, self.clock.now = self.clock.now, restore_at
        try:
            self.restore(plan, own, batch)
        finally:
            self.clock.now = before

    def disturb(self, data: st.DataObject, plan: RestorePlan) -> datetime:
        """Change the state under `plan`, so that its restore meets a refusal; when to restore.

        One of: nothing; a planned record active again, or a record holding one of its unique
        values (R-P7); or the restore run once the longest retention has passed (R-P6).
        """
        how = data.draw(
            st.sampled_from(["none", "expire", "active again", "unique clash"]), label="disturb"
        )
        if how == "expire":
            longest = max(self.policy.retention.values(), default=timedelta(0))
            return self.clock.now + longest + timedelta(days=1)
        if not plan.records:
            return self.clock.now
        chosen = plan.records[data.draw(st.integers(0, len(plan.records) - 1), label="whose")]
        record = chosen.record
        if how == "unique clash":
            fields = self.policy.unique_fields.get(record.kind, ())
            held = [f for f in fields if f in record.data]
            if not held:
                return self.clock.now
            clash = {held[0]: record.data[held[0]]}
            record = Record(record.kind, f"clash-{record.id}", record.parent_id, clash)
        if how != "none":
            self.each(
                f"catalog.add({plan.institution!r}, [{record.id!r}])",
                functools.partial(_add, institution=plan.institution, records=[record]),
            )
        return self.clock.now

    def restore(self, plan: RestorePlan, own: Mapping[int, RestorePlan], batch: int | None) -> None:
        """Restore each repository's own version of `plan` (or `batch` of it), alike."""
        self.each(
            f"restore(plan of {plan.criteria!r} in {plan.institution!r}, batch={batch})",
            lambda repo: (
                repo.restore(
                    own[id(repo)],
                    requester=self.history.requester(
                        plan.institution, role=self.policy.restore_role
                    ),
                    batch=batch,
                ).jobs
            ),
        )

    def same_records(self) -> None:
        """Every id of the history is active, deleted or superseded alike (I5, R-D6)."""
        for institution, records in self.history.catalogs.items():
            ids = [r.id for r in records]

            def read(repo: DeletedRepository, i: str = institution, ids: list[str] = ids) -> object:
                found = (
                    repo.catalog.get(i, ids),
                    repo.deleted.get(i, ids),
                    repo.deleted.superseded(i, ids),
                )
                return tuple(dict(sorted(m.items())) for m in found)

            self.each(f"the records of {institution!r}", read)


def run_agreement(
    make_store: Callable[[], Store],
    *,
    hierarchy: Hierarchy = ALMA,
    policy: Policy | None = None,
    max_examples: int = 25,
    max_deletes: int = 6,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that a repository over stores from `make_store` answers as the reference does.

    For each example: draw a policy (unless one is given) and a deletion history that fits
    it, replay it on both repositories, and compare every answer (see the module docstring).

    Args:
        make_store: returns a new, empty `deleted_repo.ports.Store`; called once per example.
        hierarchy: the kinds of the histories (default: Alma's).
        policy: the policy of both repositories (default: drawn by `policies`).
        max_examples: how many histories to run.
        max_deletes: the most delete actions in one history.
        settings: hypothesis settings to start from (default: the current profile);
            `max_examples` overrides theirs, and there is no deadline.

    Raises:
        AssertionError: the repositories disagree; the message names the call and both
            answers, and hypothesis prints the shrunk draws.
    """
    _run(
        lambda: (MemoryStore(), make_store()),
        hierarchy=hierarchy,
        policy=policy,
        max_examples=max_examples,
        max_deletes=max_deletes,
        settings=settings,
        strict=False,
    )


def run_set_agreement(
    make_stores: Callable[[], tuple[Store, Store]],
    *,
    hierarchy: Hierarchy = ALMA,
    policy: Policy | None = None,
    max_examples: int = 25,
    max_deletes: int = 6,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that a store's set-based restores answer exactly as its ports do (D-53, D-55).

    `make_stores` returns two new, empty, independent stores of one kind. The first is used as
    it is, through its `deleted_repo.ports.SetRestores` capability; the second through
    `BasePorts`, which hides the capability. Both are driven as `run_agreement` drives its
    pair, and restored plans are sometimes forged (`FORGERIES`) first, so that every refusal
    is reached; plans, outcomes, errors (with their messages) and the audit must be equal.

    Args:
        make_stores: the two stores, called once per example.
        hierarchy: see `run_agreement`.
        policy: see `run_agreement`.
        max_examples: see `run_agreement`.
        max_deletes: see `run_agreement`.
        settings: see `run_agreement`.

    Raises:
        AssertionError: the two paths disagree; the message names the call and both answers.
    """

    def both() -> tuple[Store, Store]:
        with_it, without = make_stores()
        return BasePorts(without), with_it

    _run(
        both,
        hierarchy=hierarchy,
        policy=policy,
        max_examples=max_examples,
        max_deletes=max_deletes,
        settings=settings,
        strict=True,
    )


def _run(
    make_stores: Callable[[], tuple[Store, Store]],
    *,
    hierarchy: Hierarchy,
    policy: Policy | None,
    max_examples: int,
    max_deletes: int,
    settings: hypothesis.settings | None,
    strict: bool,
) -> None:
    """Drive random histories through the reference and the host's store (the pair made)."""
    if policy is not None:
        policy = policy.checked_against(hierarchy)

    @given(data=st.data())
    def agreement(data: st.DataObject) -> None:
        chosen = (
            policy
            if policy is not None
            else data.draw(policies(hierarchy=hierarchy), label="policy")
        )
        history = data.draw(
            deletion_histories(
                hierarchy=hierarchy, max_deletes=max_deletes, unique_fields=chosen.unique_fields
            ),
            label="history",
        )
        _Pair(history, chosen, make_stores(), strict=strict).replay(data)

    hypothesis.settings(
        settings,
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[
            *(() if settings is None else settings.suppress_health_check),
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )(agreement)()
