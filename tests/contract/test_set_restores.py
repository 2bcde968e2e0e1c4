"""Set-based restores answer exactly as the ports do, on SQLite and PostgreSQL (D-53, D-55).

`deleted_repo.testing.agreement.run_set_agreement` drives random histories through a store
used with its `SetRestores` capability and through one of the same kind with it hidden, restores
fresh, stale and forged plans, and compares plans, outcomes, errors with their messages and the
audit (R-E1, R-E2, R-E3, R-P4).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import Phase, settings

from deleted_repo import Actor, ById, DeletedRepoError, DeletedRepository, Record, Requester
from deleted_repo.ports import SetRestores
from deleted_repo.stores.memory import MemoryStore
from deleted_repo.stores.sql import SqlStore
from deleted_repo.testing import agreement
from deleted_repo.testing.agreement import BasePorts, run_set_agreement
from tests.postgres import new_schema

from .conftest import StoreFactory, _factory, _reset, scaled

NO_SHRINK = settings(database=None, phases=[Phase.explicit, Phase.generate])

Pair = tuple[StoreFactory, StoreFactory]


def _pairs(first: StoreFactory, second: StoreFactory) -> Any:
    return lambda: (first(), second())


@pytest.fixture
def sqlite_pair(tmp_path: Path) -> Iterator[Pair]:
    """Two empty-store factories over two SQLite files."""
    engines = [sa.create_engine(f"sqlite:///{tmp_path / f'{n}.sqlite'}") for n in (1, 2)]
    yield _factory(engines[0]), _factory(engines[1])
    for engine in engines:
        engine.dispose()


def test_sqlite_set_restores_agree_with_the_ports(sqlite_pair: Pair) -> None:
    """D-55: on SQLite, both paths plan, restore, refuse and audit alike (R-E1..R-E3)."""
    run_set_agreement(_pairs(*sqlite_pair), max_examples=scaled(2))


@pytest.mark.postgres
def test_postgres_set_restores_agree_with_the_ports(
    postgres_engine: sa.Engine, postgres_schema: str
) -> None:
    """D-55: on PostgreSQL, both paths plan, restore, refuse and audit alike (R-E1..R-E3)."""
    pair = _factory(postgres_engine, postgres_schema), _factory(postgres_engine, new_schema())
    run_set_agreement(_pairs(*pair), max_examples=scaled(4))


class _IgnoresData(SqlStore):
    """A broken capability: a snapshot counts as planned whatever its data."""

    def deleted_as_planned(
        self, institution: str, planned: Sequence[tuple[Record, str]]
    ) -> dict[str, datetime]:
        current = self.deleted.get(institution, [r.id for r, _ in planned])
        return {
            r.id: e.deleted_at
            for r, event in planned
            if (e := current.get(r.id)) is not None and e.event_id == event
        }


def _disagrees(tmp_path: Path, broken: type[SqlStore], call: str) -> None:
    """`run_set_agreement` fails a `broken` SQLite store against a sound one, at `call`."""
    engines = [sa.create_engine(f"sqlite:///{tmp_path / f'{n}.sqlite'}") for n in (1, 2)]
    for engine in engines:
        SqlStore(engine).create_schema()

    def make() -> tuple[SqlStore, SqlStore]:
        for engine in engines:
            _reset(engine, None)
        return broken(engines[0]), SqlStore(engines[1])

    try:
        with pytest.raises(AssertionError, match=rf"{call}\(.*the stores disagree"):
            run_set_agreement(make, max_examples=200, settings=NO_SHRINK)
    finally:
        for engine in engines:
            engine.dispose()


def test_a_capability_that_ignores_edited_data_fails(tmp_path: Path) -> None:
    """A freshness check blind to forged data restores what the ports refuse: caught (R-E2)."""
    _disagrees(tmp_path, _IgnoresData, "restore")


class _OneLevel(SqlStore):
    """A broken capability: the roots' children only, not what lies below them."""

    def deleted_below(
        self, institution: str, roots: Mapping[str, str]
    ) -> list[tuple[Record, str, datetime]]:
        return [
            (e.record, e.event_id, e.deleted_at)
            for e in self.deleted.children(institution, list(roots))
            if e.event_id == roots[e.record.parent_id or ""]
        ]


def test_a_planning_read_that_stops_short_fails(tmp_path: Path) -> None:
    """D-59: cascades read one level deep plan less than the ports' walk: caught (R-P3)."""
    _disagrees(tmp_path, _OneLevel, "plan")


class _Counting(SqlStore):
    """A SQL store that counts the calls of its capability."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        self.calls: list[str] = []

    def deleted_below(
        self, institution: str, roots: Mapping[str, str]
    ) -> list[tuple[Record, str, datetime]]:
        self.calls.append("deleted_below")
        return super().deleted_below(institution, roots)

    def deleted_as_planned(
        self, institution: str, planned: Sequence[tuple[Record, str]]
    ) -> dict[str, datetime]:
        self.calls.append("deleted_as_planned")
        return super().deleted_as_planned(institution, planned)

    def restore_deleted(self, institution: str, records: Sequence[Record]) -> None:
        self.calls.append("restore_deleted")
        super().restore_deleted(institution, records)


def _restore_one(store: Any) -> tuple[Mapping[str, Record], Collection[str]]:
    clock = lambda: datetime.fromisoformat("2026-06-01T12:00:00+00:00")  # noqa: E731
    repo = DeletedRepository(store, clock=clock)
    records = [Record("bib", "b1", None, {"title": "T"}), Record("holding", "h1", "b1", {})]
    repo.catalog.add("01X", records)
    repo.delete("01X", ["b1"], actor=Actor.user("u"))
    manager = Requester(user_id="m", institution="01X", roles={"Repository Manager"})
    plan = repo.plan(ById(kind="bib", id="b1"), requester=manager)
    repo.restore(plan, requester=manager)
    return repo.catalog.get("01X", ["b1", "h1"]), repo.deleted.get("01X", ["b1", "h1"]).keys()


def test_the_facade_restores_through_the_capability_when_a_store_has_it() -> None:
    """D-53, D-59: `SqlStore` offers `SetRestores`; the facade plans and restores with it."""
    engine = sa.create_engine("sqlite://")
    store = _Counting(engine)
    store.create_schema()
    assert isinstance(store, SetRestores)
    assert not isinstance(BasePorts(store), SetRestores)
    assert not isinstance(MemoryStore(), SetRestores)
    active, deleted = _restore_one(store)
    assert store.calls == ["deleted_below", "deleted_as_planned", "restore_deleted"]
    assert sorted(active) == ["b1", "h1"]
    assert active["b1"].data == {"title": "T"}
    assert not deleted
    engine.dispose()


def test_the_generic_path_runs_when_the_capability_is_hidden() -> None:
    """D-55: through `BasePorts` the same restore never calls the capability."""
    engine = sa.create_engine("sqlite://")
    store = _Counting(engine)
    store.create_schema()
    active, deleted = _restore_one(BasePorts(store))
    assert store.calls == []
    assert sorted(active) == ["b1", "h1"]
    assert not deleted
    engine.dispose()


REFUSALS = (
    "no longer deleted as planned",
    "the plan's search no longer finds these targets",
    "past their retention",
    "active again",
    "a unique field of these records is held by another",
    "their parents are not active yet",
    "does not exist; the plan has",
)
"""The refusals of `check_fresh` and `batch_of` the equivalence runner must reach (R-E2)."""


def test_the_runner_reaches_every_refusal(
    sqlite_pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """D-55: forged plans and disturbed states make both paths meet each refusal (R-E2, R-P7)."""
    met: set[str] = set()
    compare = agreement.compare

    def spy(what: str, outcomes: Mapping[str, object], *, messages: bool = False) -> None:
        if what.startswith("restore(") and isinstance(outcomes["host"], DeletedRepoError):
            met.update(r for r in REFUSALS if r in str(outcomes["host"]))
        compare(what, outcomes, messages=messages)

    monkeypatch.setattr(agreement, "compare", spy)
    run_set_agreement(
        _pairs(*sqlite_pair), max_examples=120, settings=settings(database=None, derandomize=True)
    )
    assert sorted(set(REFUSALS) - met) == []
