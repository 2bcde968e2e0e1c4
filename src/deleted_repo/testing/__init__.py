"""Helpers for host applications' tests: hypothesis strategies, the store contract, agreement.

- `deleted_repo.testing.strategies`: strategies for catalogs, actors, hierarchies, policies,
  deletion histories (`deleted_repo.testing.histories`), criteria and restore plans;
- `deleted_repo.testing.contract`: the store contract, port by port;
- `deleted_repo.testing.agreement`: `run_agreement`, which checks that a repository over a
  host's store answers as one over the in-memory store does, and `run_set_agreement`, which
  checks that a store's set-based restores answer as its ports do (D-55).

`run_agreement` and `run_set_agreement` are importable from here too. They are loaded on first
use: hypothesis imports this package while it is itself being imported (its entry point,
`_hypothesis_hook`), so nothing here may import hypothesis at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deleted_repo.testing.agreement import run_agreement, run_set_agreement

__all__ = ["run_agreement", "run_set_agreement"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from deleted_repo.testing import agreement  # noqa: PLC0415 (see above)

        return getattr(agreement, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
