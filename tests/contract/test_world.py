"""The contract in another world: institutions, kinds, records and reset as parameters (D-38)."""

from __future__ import annotations

import unittest

import pytest

from deleted_repo.model import Hierarchy, Record
from deleted_repo.stores.memory import MemoryStore
from deleted_repo.testing.contract import (
    EXAMPLE_CHECKS,
    ContractWorld,
    Inexpressible,
    Skipped,
    run_example_checks,
    run_state_machine,
    run_store_contract,
)

WORKS = Hierarchy.declare({"work": None, "copy": "work"})
"""Two levels: too shallow for the checks' trees of three."""

SHELVES = Hierarchy.declare({"library": None, "shelf": "library", "volume": "shelf"})


def _volume(kind: str, ident: str, parent_id: str | None, n: int) -> Record:
    """Fixed fields per kind, as a host's columns would be."""
    data = {"volume": {"mark": f"M{n}", "state": "ok"}, "shelf": {"room": f"R{n}"}}
    return Record(kind, ident, parent_id, data.get(kind, {"name": f"Library {n}"}))


SHELF_WORLD = ContractWorld(
    institutions=("UNI-A", "UNI-B"),
    hierarchy=SHELVES,
    lookup=("volume", "mark"),
    make_record=_volume,
    free_form=False,
)


def test_a_host_shaped_world_passes_on_the_reference_store() -> None:
    """Other institutions, kinds and fixed fields: the whole contract runs, nothing skipped."""
    assert run_store_contract(MemoryStore, world=SHELF_WORLD, max_examples=5, step_count=10) == ()


def test_the_reset_hook_runs_before_every_store() -> None:
    """`reset` is called once before each store the contract makes."""
    calls: list[str] = []
    made: list[str] = []

    def make() -> MemoryStore:
        made.append("store")
        assert len(calls) == len(made)
        return MemoryStore()

    world = ContractWorld(reset=lambda: calls.append("reset"))
    run_example_checks(make, world=world)
    run_state_machine(make, world=world, max_examples=3, step_count=5)
    assert len(calls) == len(made) >= len(EXAMPLE_CHECKS) + 3


def test_checks_a_shallow_hierarchy_cannot_express_are_skipped_by_name() -> None:
    """With two levels, the checks that need three are reported skipped; the others pass."""
    world = ContractWorld(hierarchy=WORKS, lookup=("copy", "mark"))
    skipped = run_example_checks(MemoryStore, world=world)
    names = {s.check for s in skipped}
    assert "jobs_are_recorded_once" not in names
    assert "latest_event_is_newest_then_last_added" not in names
    assert "catalog_get_leaves_out_missing_ids" in names
    assert all(isinstance(s, Skipped) and "'copy'" in s.reason for s in skipped)
    run_state_machine(MemoryStore, world=world, max_examples=3, step_count=10)


def test_an_inexpressible_check_is_a_pytest_skip() -> None:
    """A check run on its own in a shallow world raises a `unittest.SkipTest` (pytest skips it)."""
    world = ContractWorld(hierarchy=WORKS, lookup=("copy", "mark"))
    with pytest.raises(Inexpressible):
        EXAMPLE_CHECKS["catalog_get_leaves_out_missing_ids"](MemoryStore(), world)
    assert issubclass(Inexpressible, unittest.SkipTest)


def test_a_world_is_checked_when_made() -> None:
    """Two different institutions, a declared lookup kind and a faithful factory are required."""
    with pytest.raises(ValueError, match="two different"):
        ContractWorld(institutions=("A", "A"))
    with pytest.raises(ValueError, match="lookup kind"):
        ContractWorld(hierarchy=WORKS)
    liar = ContractWorld(make_record=lambda kind, ident, parent, n: Record(kind, "other"))
    with pytest.raises(ValueError, match="make_record"):
        liar.record("bib", "b1")


def test_the_default_world_is_alma_s() -> None:
    """Unchanged for today's callers: Alma's bib, holding and item, and the two institutions."""
    kinds = ContractWorld().kinds()
    assert (kinds.top, kinds.middle, kinds.leaf, kinds.beside) == (
        "bib",
        "holding",
        "item",
        "portfolio",
    )
    assert ContractWorld().institutions == ("01HOME", "02AWAY")
