"""Random catalogs, random delete sequences: the deletion rules and invariants always hold.

R-D2, R-D3, R-D5, R-M4, I1, I5, R-S3, R-S7.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deleted_repo import (
    ById,
    DeletedRepository,
    EmptiedParents,
    MemberRole,
    Record,
    RecordNotFoundError,
)
from deleted_repo.testing.strategies import actors, catalogs, emptied_parents
from tests.support import INSTITUTION, MANAGER, Clock, repository


class _Catalog:
    """What the generated catalog says: parents, children and each record's chain of parents."""

    def __init__(self, records: list[Record]) -> None:
        self.by_id = {r.id: r for r in records}
        self.children: dict[str, list[str]] = {r.id: [] for r in records}
        for r in records:
            if r.parent_id is not None:
                self.children[r.parent_id].append(r.id)

    def chain(self, ident: str) -> tuple[str, ...]:
        """The ids above `ident`, nearest first."""
        out = []
        parent = self.by_id[ident].parent_id
        while parent is not None:
            out.append(parent)
            parent = self.by_id[parent].parent_id
        return tuple(out)

    def expected_roles(
        self, targets: list[str], active: set[str], emptied: EmptiedParents
    ) -> dict[str, MemberRole]:
        """The records a delete of `targets` takes, with their roles (R-D2, R-D3)."""
        roles = dict.fromkeys(targets, MemberRole.ORIGIN)
        frontier = list(targets)
        while frontier:
            below = [
                c for p in frontier for c in self.children[p] if c in active and c not in roles
            ]
            roles.update(dict.fromkeys(below, MemberRole.CASCADE))
            frontier = below
        while emptied is EmptiedParents.DELETE:
            parents = {self.by_id[i].parent_id for i in roles} - {None} - roles.keys()
            emptied_now = {
                p
                for p in parents
                if p is not None
                and p in active
                and all(c not in active or c in roles for c in self.children[p])
            }
            if not emptied_now:
                break
            roles.update(dict.fromkeys(emptied_now, MemberRole.EMPTIED_PARENT))
        return roles


def _state(repo: DeletedRepository, ids: Collection[str]) -> tuple[object, object]:
    return repo.catalog.get(INSTITUTION, ids), repo.deleted.get(INSTITUTION, ids)


def _check_invariants(
    repo: DeletedRepository, catalog: _Catalog, active: set[str], deleted: set[str]
) -> None:
    ids = list(catalog.by_id)
    in_catalog = repo.catalog.get(INSTITUTION, ids)
    in_repository = repo.deleted.get(INSTITUTION, ids)
    # R-M4 / I5: every id is active or deleted, never both; and the state is the expected one.
    assert set(in_catalog) == active
    assert set(in_repository) == deleted
    assert not active & deleted
    # I1: no active record stands under a record that is not active.
    for record in in_catalog.values():
        assert record.parent_id is None or record.parent_id in in_catalog
    # R-S3, R-S7: each deleted record is found by its id, with its original chain of parents.
    for ident, entry in in_repository.items():
        assert entry.record == catalog.by_id[ident]
        hits = repo.search(ById(kind=entry.kind, id=ident), requester=MANAGER).hits
        assert [h.id for h in hits] == [ident]
        assert hits[0].parent_ids == catalog.chain(ident)


@given(catalogs(min_size=1, max_size=25), st.data())
def test_random_delete_sequences_keep_every_rule(
    records: list[Record], data: st.DataObject
) -> None:
    """R-D2, R-D3, R-D5, R-M4, I1, I5: after every delete, good or refused, the state is right.

    A good delete takes exactly the records below its origins, plus emptied parents when asked
    (R-D2, R-D3). A delete naming an id not active (already deleted) raises naming it and changes
    nothing (R-D5). After every step each id is active or deleted, never both (R-M4, I5), no active
    record has a parent that is not active (I1), and each deleted record is found by id with its
    chain of parents (R-S3, R-S7).
    """
    clock = Clock()
    repo = repository(clock=clock)
    repo.catalog.add(INSTITUTION, records)
    catalog = _Catalog(records)
    ids = sorted(catalog.by_id)
    active, deleted = set(ids), set[str]()
    for _ in range(data.draw(st.integers(min_value=1, max_value=8), label="steps")):
        targets = data.draw(
            st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True), label="targets"
        )
        actor = data.draw(actors(), label="actor")
        emptied = data.draw(emptied_parents(), label="emptied_parents")
        clock.now += timedelta(minutes=data.draw(st.integers(0, 90), label="minutes"))
        not_active = tuple(t for t in targets if t not in active)
        if not_active:
            before = _state(repo, ids)
            with pytest.raises(RecordNotFoundError) as caught:
                repo.delete(INSTITUTION, targets, actor=actor, emptied_parents=emptied)
            assert caught.value.ids == not_active
            assert _state(repo, ids) == before
        else:
            expected = catalog.expected_roles(targets, active, emptied)
            event = repo.delete(INSTITUTION, targets, actor=actor, emptied_parents=emptied)
            assert {m.id: m.role for m in event.members} == expected
            assert {(m.actor, m.deleted_at) for m in event.members} == {(actor, clock.now)}
            active -= expected.keys()
            deleted |= expected.keys()
        _check_invariants(repo, catalog, active, deleted)
