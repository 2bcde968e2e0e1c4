"""The store contract: prove that a storage adapter keeps every promise of `deleted_repo.ports`.

`run_store_contract` runs the whole contract against a factory of stores. First come example
checks of each port method's documented behaviour (`EXAMPLE_CHECKS`): search order and paging,
missing ids, refused writes that change nothing, the last-event rule, ids deleted again and
the deletions they supersede (R-D6), institutions, and transactions. Then a hypothesis state
machine drives the store through the ports with random writes (some refused, many deleting ids
again, some inside transactions that fail midway) and compares every read with a plain model
of what the ports promise.

A host that writes its own adapter proves it with one call::

    >>> from deleted_repo.stores.memory import MemoryStore
    >>> from deleted_repo.testing.contract import run_store_contract
    >>> run_store_contract(MemoryStore, max_examples=5, step_count=10)
    ()

The factory is called many times, once per example check and once per state-machine example;
each call must return a `deleted_repo.ports.Store` that holds nothing (a new database, or
emptied tables, or tables the world's `reset` emptied just before). By default the contract
writes in two institutions, ``"01HOME"`` and ``"02AWAY"``, records of Alma's kinds, and data of
any JSON value (strings without NUL characters). A host whose catalog has its own kinds and
fixed columns describes them with a `ContractWorld` (``world=``): the institutions, the
hierarchy, a factory of records that fit its columns, and a reset hook (D-38). A broken promise
raises `AssertionError` naming the method, its arguments, what was expected and what came back.

The parts: `builders` (the values written), `checks_catalog`, `checks_deleted`,
`checks_superseded`, `checks_lineage`, `checks_jobs` and `checks_transactions` (the example
checks, by port),
`model` (the plain model, written from the ports' docstrings and sharing no code with any
store), `machine` (the state machine), `world` (what the contract writes) and `runners`.

This package needs hypothesis (the ``hypothesis`` extra).
"""

from __future__ import annotations

from .builders import AWAY, HOME
from .runners import (
    EXAMPLE_CHECKS,
    ExampleCheck,
    Skipped,
    run_example_checks,
    run_state_machine,
    run_store_contract,
)
from .world import DEFAULT_WORLD, ContractWorld, Inexpressible, Kinds, RecordMaker

__all__ = [
    "AWAY",
    "DEFAULT_WORLD",
    "EXAMPLE_CHECKS",
    "HOME",
    "ContractWorld",
    "ExampleCheck",
    "Inexpressible",
    "Kinds",
    "RecordMaker",
    "Skipped",
    "run_example_checks",
    "run_state_machine",
    "run_store_contract",
]
