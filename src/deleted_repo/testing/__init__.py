"""Helpers for host applications' tests: hypothesis strategies, the store contract, agreement.

- `deleted_repo.testing.strategies`: strategies for catalogs, actors, hierarchies, policies,
  deletion histories (`deleted_repo.testing.histories`), criteria and restore plans;
- `deleted_repo.testing.contract`: the store contract, port by port;
- `deleted_repo.testing.agreement`: `run_agreement`, which checks that a repository over a
  host's store answers as one over the in-memory store does.

`run_agreement` is importable from here too. It is loaded on first use: hypothesis imports
this package while it is itself being imported (its entry point, `_hypothesis_hook`), so
nothing here may import hypothesis at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deleted_repo.testing.agreement import run_agreement

__all__ = ["run_agreement"]


def __getattr__(name: str) -> Any:
    if name == "run_agreement":
        from deleted_repo.testing.agreement import run_agreement  # noqa: PLC0415 (see above)

        return run_agreement
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
