"""The public agreement runner passes for our SQL stores and fails for a broken one.

`deleted_repo.testing.agreement.run_agreement` replays random deletion histories on a store
and on the in-memory reference, comparing every answer (R-S8, R-P9, R-E1, R-E3, I5).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import Phase, settings

from deleted_repo import DeletedRepoError, Hierarchy, Policy
from deleted_repo.stores.memory import MemoryStore
from deleted_repo.testing import run_agreement
from deleted_repo.testing.agreement import compare
from tests.support import Wrapped

from .conftest import StoreFactory, scaled

# A failure found is reported at once: shrinking one costs minutes on a busy machine.
NO_SHRINK = settings(database=None, phases=[Phase.explicit, Phase.generate])


def test_sqlite_agrees_with_the_reference(sqlite_file_stores: StoreFactory) -> None:
    """Random histories on a SQLite file answer exactly as on the in-memory store."""
    run_agreement(sqlite_file_stores, max_examples=scaled(3))


@pytest.mark.postgres
def test_postgres_agrees_with_the_reference(postgres_stores: StoreFactory) -> None:
    """Random histories on PostgreSQL answer exactly as on the in-memory store."""
    run_agreement(postgres_stores, max_examples=scaled(5))


def test_a_host_hierarchy_and_policy_agree(sqlite_memory_stores: StoreFactory) -> None:
    """The runner takes the host's hierarchy and a fixed policy (R-M1)."""
    folio = Hierarchy.declare({"instance": None, "holdings": "instance", "item": "holdings"})
    policy = Policy(
        retention={}, max_records_per_job=2, searchable_fields={"item": ["title", "barcode"]}
    )
    run_agreement(sqlite_memory_stores, hierarchy=folio, policy=policy, max_examples=scaled(5))


def _drop_last_hit(name: str, call: Any) -> Any:
    found = call()
    return found[:-1] if name == "deleted.find" and found else found


def test_a_store_that_drops_a_hit_fails() -> None:
    """A store whose search loses its last hit is caught, naming the search that disagreed."""
    with pytest.raises(AssertionError, match=r"search\(.*the stores disagree"):
        run_agreement(lambda: Wrapped(hook=_drop_last_hit), max_examples=10, settings=NO_SHRINK)


def _later_jobs_first(name: str, call: Any) -> Any:
    found = call()
    return list(reversed(found)) if name == "jobs.list" and len(found) > 1 else found


def test_a_store_that_lists_jobs_out_of_order_fails() -> None:
    """A job log read back oldest first is caught, once two restores ran (R-E3)."""
    with pytest.raises(AssertionError, match=r"restore_jobs\(\): the stores disagree"):
        run_agreement(
            lambda: Wrapped(hook=_later_jobs_first),
            policy=Policy(),
            max_examples=60,
            settings=NO_SHRINK,
        )


def test_the_reference_agrees_with_itself() -> None:
    """Two in-memory stores always agree: the runner raises nothing of its own."""
    run_agreement(MemoryStore, max_examples=10, settings=settings(database=None))


def test_compare_names_both_answers() -> None:
    """A disagreement names the call and what each repository answered."""
    with pytest.raises(AssertionError) as caught:
        compare("delete", {"reference": None, "host": DeletedRepoError("boom")})
    assert str(caught.value) == (
        "delete: the stores disagree\n  reference: null\n  host: DeletedRepoError "
    )
