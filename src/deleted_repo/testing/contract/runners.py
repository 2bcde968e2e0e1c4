"""The runners: every example check, the state machine, or both, on a factory of stores."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Protocol

import attrs
import hypothesis
from hypothesis import HealthCheck
from hypothesis.stateful import run_state_machine_as_test

from deleted_repo.ports import Store

from . import (
    checks_catalog,
    checks_deleted,
    checks_jobs,
    checks_lineage,
    checks_superseded,
    checks_transactions,
)
from .machine import StoreMachine
from .world import DEFAULT_WORLD, ContractWorld, Inexpressible

__all__ = [
    "EXAMPLE_CHECKS",
    "ExampleCheck",
    "Skipped",
    "run_example_checks",
    "run_state_machine",
    "run_store_contract",
]


class ExampleCheck(Protocol):
    """One example check: it takes an empty store and the world to write in."""

    def __call__(self, store: Store, world: ContractWorld = ...) -> None:
        """Check one documented behaviour of `store`.

        Raises:
            AssertionError: the store broke the promise.
            Inexpressible: the world's hierarchy cannot express what the check writes.
        """


@attrs.frozen
class Skipped:
    """An example check left out because the world's hierarchy cannot express it.

    Attributes:
        check: the check's name in `EXAMPLE_CHECKS`.
        reason: what the hierarchy lacks.
    """

    check: str
    reason: str


EXAMPLE_CHECKS: Mapping[str, ExampleCheck] = MappingProxyType(
    {
        name: getattr(module, name)
        for module in (
            checks_catalog,
            checks_deleted,
            checks_superseded,
            checks_lineage,
            checks_jobs,
            checks_transactions,
        )
        for name in module.__all__
    }
)
"""Every example check of the contract, by name; each takes an empty store and a world.

Each check's docstring states the behaviour it checks. Run one on its own to parametrize a test
suite by check: ``EXAMPLE_CHECKS["find_pages_never_skip_or_repeat"](make_store(), world)``
(call the world's `reset` first if it has one). A check that the world's hierarchy cannot
express raises `Inexpressible`, which pytest reports as a skip.
"""


def run_example_checks(
    make_store: Callable[[], Store], *, world: ContractWorld = DEFAULT_WORLD
) -> tuple[Skipped, ...]:
    """Run every check of `EXAMPLE_CHECKS`, each on a new store from `make_store`.

    Args:
        make_store: returns a new, empty store; called once per check, after `world.reset`.
        world: the institutions, hierarchy and records to write (default: the library's own).

    Returns:
        The checks left out because the world's hierarchy cannot express them, by name;
        none for a hierarchy with a kind two levels below a top-level kind.

    Raises:
        AssertionError: a check failed; the message names the check and the broken promise.
    """
    skipped = []
    for name, check in EXAMPLE_CHECKS.items():
        world.fresh()
        try:
            check(make_store(), world)
        except Inexpressible as e:
            skipped.append(Skipped(name, str(e)))
        except AssertionError as e:
            raise AssertionError(f"store contract check {name!r} failed: {e}") from e
    return tuple(skipped)


def run_state_machine(
    make_store: Callable[[], Store],
    *,
    max_examples: int = 50,
    step_count: int = 25,
    settings: hypothesis.settings | None = None,
    world: ContractWorld = DEFAULT_WORLD,
) -> None:
    """Drive stores from `make_store` with random port calls and compare every read with a model.

    The writes are catalog adds and removes, events added one or two at a time (often deleting
    ids already deleted, which supersedes them), deleted records removed, and restore jobs
    added, many of them refused (a duplicate id, an id in the wrong state), in two
    institutions, some inside transactions that are nested or raise midway. After each write
    every id's state, superseded deletions included, is read back; the other steps read
    through every read method (search with random filters, paging and cursors, the last event,
    children, fields, superseded deletions, jobs) and compare with the model.

    Args:
        make_store: returns a new, empty store; called once per example, after `world.reset`.
        max_examples: how many random sequences of steps to run.
        step_count: the most steps in one sequence.
        settings: hypothesis settings to start from (default: the current profile);
            `max_examples` and `step_count` override theirs, and there is no deadline.
        world: the institutions, hierarchy and records to write (default: the library's own).

    Raises:
        AssertionError: the store broke a promise; hypothesis prints the shrunk steps.
    """
    factory, described = make_store, world

    class StoreContract(StoreMachine):
        make_store = staticmethod(factory)
        world = described

    run_state_machine_as_test(
        StoreContract,
        settings=hypothesis.settings(
            settings,
            max_examples=max_examples,
            stateful_step_count=step_count,
            deadline=None,
            suppress_health_check=[
                *(() if settings is None else settings.suppress_health_check),
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
                HealthCheck.data_too_large,
            ],
        ),
    )


def run_store_contract(
    make_store: Callable[[], Store],
    *,
    max_examples: int = 50,
    step_count: int = 25,
    settings: hypothesis.settings | None = None,
    world: ContractWorld = DEFAULT_WORLD,
) -> tuple[Skipped, ...]:
    """Run the whole store contract against stores from `make_store`.

    First every example check (`run_example_checks`), then the state machine
    (`run_state_machine`), both in `world`.

    Args:
        make_store: returns a new, empty `deleted_repo.ports.Store`; it is called many times.
        max_examples: how many random sequences the state machine runs.
        step_count: the most steps in one sequence.
        settings: hypothesis settings for the state machine to start from (default: the
            current profile).
        world: the institutions, hierarchy and records to write (default: the library's own:
            Alma's hierarchy and free-form JSON data). A host whose catalog has fixed columns
            describes them here (`ContractWorld`).

    Returns:
        The example checks left out because the world's hierarchy cannot express them.

    Raises:
        AssertionError: the store broke a promise of `deleted_repo.ports`.

    Example:
        >>> from deleted_repo.stores.memory import MemoryStore
        >>> run_store_contract(MemoryStore, max_examples=2, step_count=5)
        ()
    """
    skipped = run_example_checks(make_store, world=world)
    run_state_machine(
        make_store,
        max_examples=max_examples,
        step_count=step_count,
        settings=settings,
        world=world,
    )
    return skipped
