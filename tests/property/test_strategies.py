"""The public hypothesis strategies keep the guarantees their docstrings state."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from deleted_repo import (
    ALMA,
    Actor,
    ActorKind,
    EmptiedParents,
    Hierarchy,
    Record,
)
from deleted_repo.testing.strategies import actors, catalogs, hierarchies
from tests.support import INSTITUTION, repository


def _obeys(records: list[Record], hierarchy: Hierarchy) -> None:
    seen: dict[str, Record] = {}
    for r in records:
        parent = seen.get(r.parent_id) if r.parent_id is not None else None
        assert r.parent_id is None or parent is not None, f"{r.id} comes before its parent"
        hierarchy.check_parent(r, parent.kind if parent else None)
        seen[r.id] = r


@given(catalogs())
def test_catalogs_obey_alma_with_parents_first(records: list[Record]) -> None:
    """R-M1: every generated catalog obeys Alma's hierarchy, parents before children."""
    _obeys(records, ALMA)


@given(catalogs(min_size=5, max_size=20))
def test_catalogs_have_unique_ids_and_barcodes(records: list[Record]) -> None:
    """R-M2, R-P7: ids are unique, and so are the items' barcodes (a unique field)."""
    assert len({r.id for r in records}) == len(records)
    barcodes = [r.data["barcode"] for r in records if r.kind == "item"]
    assert len(set(barcodes)) == len(barcodes)
    assert 5 <= len(records) <= 20


@given(hierarchies().flatmap(lambda h: st.tuples(st.just(h), catalogs(hierarchy=h, max_size=15))))
def test_catalogs_obey_any_generated_hierarchy(pair: tuple[Hierarchy, list[Record]]) -> None:
    """R-M1: a catalog drawn for any generated hierarchy obeys that hierarchy."""
    hierarchy, records = pair
    _obeys(records, hierarchy)


@given(catalogs(max_size=15))
def test_catalogs_are_valid_input_to_the_catalog(records: list[Record]) -> None:
    """A generated catalog can be added as is and every record then deleted."""
    repo = repository()
    repo.catalog.add(INSTITUTION, records)
    roots = [r.id for r in records if r.parent_id is None]
    if roots:
        event = repo.delete(INSTITUTION, roots, actor=Actor.user("u"))
        assert {m.id for m in event.members} == {r.id for r in records}


@given(actors(users=st.just("ana"), jobs=st.just("J9")))
def test_actors_take_user_and_job_strategies(actor: Actor) -> None:
    """R-D4: actors draw users and jobs from the strategies given, system under Alma's labels."""
    expected = {ActorKind.USER: "ana", ActorKind.JOB: "J9"}
    if actor.kind is ActorKind.SYSTEM:
        assert actor.id in {"System", "Electronic Inventory Creator"}
    else:
        assert actor.id == expected[actor.kind]


@given(st.from_type(Actor), st.from_type(Hierarchy), st.from_type(EmptiedParents))
def test_strategies_are_registered_for_from_type(
    actor: Actor, hierarchy: Hierarchy, emptied: EmptiedParents
) -> None:
    """st.from_type finds our strategies through hypothesis' entry point."""
    assert isinstance(actor, Actor)
    assert isinstance(hierarchy, Hierarchy)
    assert isinstance(emptied, EmptiedParents)


@pytest.mark.parametrize(
    ("make", "kwargs"),
    [
        (catalogs, {"min_size": -1}),
        (catalogs, {"min_size": 3, "max_size": 2}),
        (catalogs, {"hierarchy": "alma"}),
        (hierarchies, {"max_kinds": 0}),
        (actors, {"users": "ana"}),
        (actors, {"jobs": ["J1"]}),
    ],
)
def test_bad_arguments_raise_invalid_argument(make: Any, kwargs: dict[str, Any]) -> None:
    """Strategies check their arguments eagerly, in hypothesis' house style."""
    with pytest.raises(InvalidArgument):
        make(**kwargs)
