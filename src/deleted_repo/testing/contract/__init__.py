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

The factory is called many times, once per example check and once per state-machine example;
each call must return a `deleted_repo.ports.Store` that holds nothing (a new database, or
emptied tables). The contract writes in two institutions, ``"01HOME"`` and ``"02AWAY"``, and its
data are JSON values (strings without NUL characters). A broken promise raises `AssertionError`
naming the method, its arguments, what was expected and what came back.

The parts: `builders` (the values written), `checks_catalog`, `checks_deleted`,
`checks_superseded`, `checks_lineage`, `checks_jobs` and `checks_transactions` (the example
checks, by port),
`model` (the plain model, written from the ports' docstrings and sharing no code with any
store), `machine` (the state machine) and `runners`.

This package needs hypothesis (the ``hypothesis`` extra).
"""

from __future__ import annotations

from .builders import AWAY, HOME
from .runners import EXAMPLE_CHECKS, run_example_checks, run_state_machine, run_store_contract

__all__ = [
    "AWAY",
    "EXAMPLE_CHECKS",
    "HOME",
    "run_example_checks",
    "run_state_machine",
    "run_store_contract",
]
