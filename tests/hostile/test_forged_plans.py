"""Plans edited as JSON or made under another policy, restored on every store (R-P4, R-E2, R-E3).

The hypothesis property of `test_api` samples these among many other calls; here each edit that
an attacker would try first is run on purpose, so that a regression shows on every run. Each
restore either is refused, changing nothing but adding its one audit entry (D-42), or does only
what a plan made now under the repository's own policy does, and records only the exclusions
that plan finds. A refusal's entry records its reason, never the plan's exclusions.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from deleted_repo import ById, DeletedRepoError, RestorePlan, from_json, to_json

from .conftest import Backend
from .test_api import check_restore, honest_plan
from .world import MANAGER, POLICIES, only_audited, repository, seed, snapshot

TARGET = ById(kind="item", id="i2")
"""An item whose holding was deleted in an earlier event than the item: the block case."""


def forged_exclusion(body: dict[str, Any]) -> None:
    body["excluded"] = [{"id": "b1", "kind": "bib", "cause": "expired", "detail": "x" * 1_000_000}]


def no_exclusions(body: dict[str, Any]) -> None:
    body["excluded"] = []


def untouched(body: dict[str, Any]) -> None:
    del body


EDITS = {"forged exclusion": forged_exclusion, "no exclusions": no_exclusions, "none": untouched}


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize(
    ("made_under", "restored_under"),
    [("block", "block"), ("default", "block"), ("block", "default")],
)
def test_an_edited_or_foreign_plan_restores_only_what_an_honest_plan_does(
    backend: Backend, made_under: str, restored_under: str, edit: str
) -> None:
    """R-P4, R-E2, R-E3: a forged or foreign plan is refused, or does what an honest one does."""
    store = backend.fresh()
    repo = seed(store, POLICIES[restored_under])
    plan = repository(store, POLICIES[made_under]).plan(TARGET, requester=MANAGER)
    body = json.loads(to_json(plan))
    EDITS[edit](body)
    handed = from_json(json.dumps(body), RestorePlan)
    honest = honest_plan(repo, handed, MANAGER)
    before = snapshot(store, backend.dump, [])
    try:
        result = repo.restore(handed, requester=MANAGER)
    except DeletedRepoError as e:
        only_audited(before, snapshot(store, backend.dump, []), e)
        return
    check_restore(repo, result, honest, backend.sql)
