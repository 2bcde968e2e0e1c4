"""Hostile calls of the whole public API, on every store.

Properties, each checked for every public method of `DeletedRepository` on the in-memory,
SQLite and PostgreSQL stores:

* **tree-only**: a call returns or raises a `DeletedRepoError`; nothing else escapes (no
  `TypeError`, `OverflowError`, `UnicodeEncodeError`, `RecursionError`, driver error...).
* **nothing-changed**: a call that raises leaves the catalog and the deleted repository exactly
  as they were (R-D5, R-E1); a refused restore attempt adds exactly one audit entry, holding
  its reason and no record, and the job log is otherwise as it was (D-42).
* **what is stored reads back**: after a call that succeeds, every read of the API (search,
  brief, plan, jobs, purge) still works on that state, and every deletion it recorded reads
  back as written.
* **restores do only what an honest plan does**: a restore that succeeds, whatever plan it was
  handed (one edited as JSON, one made under another policy), restores only records that a plan
  made now under the repository's own policy restores, with their snapshots, and records only
  the exclusions that plan finds (R-P4, R-P5, R-E2, R-E3).

Any other exception is left to propagate, so hypothesis reports each defect class apart.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deleted_repo import (
    DeletedRepoError,
    DeletedRepository,
    DeletionEvent,
    Outcome,
    Requester,
    RestorePlan,
    RestoreResult,
)

from .calls import CALLS, Call, run
from .conftest import Backend, examples
from .world import (
    POLICIES,
    as_stored,
    events_read_back,
    only_audited,
    reads_back,
    seed,
    snapshot,
    strings_in,
)

HOSTILE = settings(
    max_examples=examples(10),
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)


def honest_plan(repo: DeletedRepository, plan: object, requester: object) -> RestorePlan | None:
    """The plan the repository would make now, for the search of `plan`, under its policy."""
    if not isinstance(plan, RestorePlan) or not isinstance(requester, Requester):
        return None
    if requester.institution != plan.institution:
        return None
    try:
        return repo.plan(plan.criteria, requester=requester, batches=True)
    except DeletedRepoError:
        return None


def check_restore(
    repo: DeletedRepository, result: RestoreResult, honest: RestorePlan | None, sql: bool
) -> None:
    """A restore did no more than the honest plan: its records, snapshots and exclusions."""
    restored = result.restored
    planned = {} if honest is None else {p.id: p.record for p in honest.records}
    assert set(restored) <= set(planned), (
        f"restored {sorted(set(restored) - set(planned))}, which a plan made now under the "
        f"repository's policy does not restore"
    )
    if honest is None:
        return
    back = repo.catalog.get(honest.institution, restored)
    for ident in restored:
        assert back[ident] == as_stored(planned[ident], sql), f"{ident!r} came back altered"
    found = {(e.id, e.kind, e.detail) for e in honest.excluded}
    recorded = {
        (o.id, o.kind, o.reason)
        for job in result.jobs
        for o in job.outcomes
        if o.outcome is Outcome.EXCLUDED
    }
    forged = recorded - found
    assert not forged, f"the job log records exclusions no plan finds: {sorted(forged)[:3]}"


@pytest.mark.parametrize("method", sorted(CALLS))
def test_hostile_calls(backend: Backend, method: str) -> None:
    """R-D5, R-E1..R-E3, D-42: tree-only, nothing-changed, reads back, restores stay honest."""

    @HOSTILE
    @given(call=CALLS[method], policy=st.sampled_from(sorted(POLICIES)))
    def attack(call: Call, policy: str) -> None:
        store = backend.fresh()
        repo = seed(store, POLICIES[policy])
        args, kwargs = call.resolved(repo)
        mentioned = strings_in([args, kwargs])
        before = snapshot(store, backend.dump, mentioned)
        honest = (
            honest_plan(repo, args[0], kwargs.get("requester")) if method == "restore" else None
        )
        refused: DeletedRepoError | None = None
        try:
            result: Any = run(call, repo, args, kwargs)
        except DeletedRepoError as e:
            refused = e
        if refused is not None:
            only_audited(before, snapshot(store, backend.dump, mentioned), refused)
            return
        if isinstance(result, DeletionEvent):
            result = [result]
        if isinstance(result, list) and all(isinstance(e, DeletionEvent) for e in result):
            events_read_back(repo, result, backend.sql)
        if method == "restore":
            check_restore(repo, result, honest, backend.sql)
        reads_back(repo, mentioned)

    attack()
