"""Hypothesis' entry point: registers our strategies for `st.from_type`.

Hypothesis runs this hook while it is itself being imported, possibly because our strategies
module is importing it; so the strategies are looked up only when `st.from_type` asks for them.
"""

from __future__ import annotations

from typing import Any


def _resolve(name: str) -> Any:
    def strategy_for(_type: type) -> Any:
        from deleted_repo.testing import strategies  # noqa: PLC0415 (see the module docstring)

        return getattr(strategies, name)()

    return strategy_for


def _hypothesis_setup_hook() -> None:
    from hypothesis import strategies as st  # noqa: PLC0415 (see the module docstring)

    from deleted_repo.model import Actor, EmptiedParents, Hierarchy  # noqa: PLC0415
    from deleted_repo.policy import Policy  # noqa: PLC0415
    from deleted_repo.testing.histories import History  # noqa: PLC0415

    st.register_type_strategy(Actor, _resolve("actors"))
    st.register_type_strategy(Policy, _resolve("policies"))
    st.register_type_strategy(History, _resolve("deletion_histories"))
    st.register_type_strategy(Hierarchy, _resolve("hierarchies"))
    st.register_type_strategy(EmptiedParents, _resolve("emptied_parents"))
