"""`Lineage`, a chain of ancestor ids that shares its tail with its parent's (R-S7, D-35)."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deleted_repo import DeletedRecord, Lineage, MemberRole
from deleted_repo.deleting import lineages
from deleted_repo.errors import InvalidInputError
from deleted_repo.lineage import EMPTY, chains
from deleted_repo.model import Record
from deleted_repo.serialization import from_json, make_converter, to_json
from tests.support import ANA, INSTITUTION, START


def test_prepend_shares_the_parents_lineage() -> None:
    """D-35: a child's lineage is its parent's id in front of its parent's lineage, not a copy."""
    bib = EMPTY
    holding = bib.prepend("b1")
    item = holding.prepend("h1")
    assert item == ("h1", "b1")
    assert item.rest is holding
    assert holding.rest is bib
    assert len(item) == 2


def test_a_lineage_reads_as_the_tuple_of_its_ids() -> None:
    """D-35: indexing, slicing, search and iteration give what the tuple gives."""
    chain = Lineage(["a", "b", "c", "b"])
    as_tuple = ("a", "b", "c", "b")
    assert list(chain) == list(as_tuple)
    assert [chain[i] for i in range(-4, 4)] == [as_tuple[i] for i in range(-4, 4)]
    assert chain[1:3] == as_tuple[1:3]
    assert list(reversed(chain)) == list(reversed(as_tuple))
    assert (chain.index("b"), chain.index("b", 2), chain.count("b")) == (1, 3, 2)
    assert "c" in chain
    assert "z" not in chain
    with pytest.raises(IndexError):
        chain[4]
    with pytest.raises(IndexError):
        chain[-5]


def test_equality_and_hash_follow_the_ids() -> None:
    """D-35: equal to a Lineage or tuple of the same ids, hashed as that tuple; not to a list."""
    shared = EMPTY.prepend("b1").prepend("h1")
    built = Lineage(("h1", "b1"))
    assert shared == built
    assert shared == ("h1", "b1")
    assert shared != ("h1",)
    assert shared != ("b1", "h1")
    assert shared != Lineage(["h1", "b2"])
    assert shared != ["h1", "b1"]
    assert hash(shared) == hash(built) == hash(("h1", "b1"))
    assert Lineage() == () == EMPTY


def test_a_lineage_is_immutable() -> None:
    """D-35: a lineage cannot be changed once built."""
    chain = Lineage(["a"])
    with pytest.raises(AttributeError):
        chain._head = "b"
    with pytest.raises(AttributeError):
        del chain._tail


def test_a_string_is_not_a_lineage() -> None:
    """D-35: a string is refused, as a collection of ids is expected."""
    with pytest.raises(InvalidInputError):
        Lineage("abc")


def test_a_deep_lineage_pickles_copies_and_serializes() -> None:
    """D-35: a chain 20,000 deep pickles, deep-copies and goes through JSON without recursing."""
    chain = EMPTY
    for n in range(20_000):
        chain = chain.prepend(f"k{n}")
    assert pickle.loads(pickle.dumps(chain)) == chain
    assert copy.deepcopy(chain) == chain
    converter = make_converter()
    assert converter.structure(converter.unstructure(chain), Lineage) == chain


def test_deleted_record_takes_any_collection_and_keeps_a_lineage() -> None:
    """D-35: DeletedRecord converts a tuple to a Lineage and keeps a Lineage it is given."""

    def entry(lineage: Iterable[str]) -> DeletedRecord:
        return DeletedRecord(
            record=Record("item", "i1", "h1"),
            role=MemberRole.CASCADE,
            origin_id="h1",
            lineage=lineage,
            event_id="e1",
            institution=INSTITUTION,
            actor=ANA,
            deleted_at=START,
        )

    given_lineage = Lineage(["h1", "b1"])
    assert entry(given_lineage).lineage is given_lineage
    assert isinstance(entry(("h1", "b1")).lineage, Lineage)
    assert entry(("h1", "b1")) == entry(given_lineage)
    assert from_json(to_json(entry(given_lineage)), DeletedRecord) == entry(given_lineage)


def _naive(parent_of: dict[str, str], start: str) -> tuple[str, ...]:
    """The chain from `start` up, stopping before an id repeats: the rule, walked plainly."""
    chain: list[str] = []
    ident: str | None = start
    while ident is not None and ident not in chain:
        chain.append(ident)
        ident = parent_of.get(ident)
    return tuple(chain)


_IDS = st.sampled_from([f"r{n}" for n in range(12)])


@given(parents=st.dictionaries(_IDS, _IDS, max_size=12), starts=st.lists(_IDS, max_size=12))
def test_chains_walk_as_the_rule_says_even_through_loops(
    parents: dict[str, str], starts: list[str]
) -> None:
    """R-S7, D-35: each chain is the walk up from its start, stopping before an id repeats.

    Parent maps are random, with loops of any length and starts inside and below them.
    """
    built = chains(starts, parents.get)
    assert {s: tuple(built[s]) for s in starts} == {s: _naive(parents, s) for s in starts}


@given(parents=st.dictionaries(_IDS, _IDS, max_size=12), members=st.sets(_IDS, max_size=8))
def test_member_lineages_are_their_parents_chains(
    parents: dict[str, str], members: set[str]
) -> None:
    """R-S7: a member's lineage is the walk up from its parent (members' own parents first)."""
    records = {i: Record("collection", i, parents.get(i)) for i in sorted(members)}
    above = {i: p for i, p in parents.items() if i not in records}
    got = lineages(records, above.get)
    merged = {i: r.parent_id for i, r in records.items() if r.parent_id is not None}
    merged.update(above)
    for ident, record in records.items():
        expected = () if record.parent_id is None else _naive(merged, record.parent_id)
        assert tuple(got[ident]) == expected


def test_a_chain_of_5000_holds_5000_links() -> None:
    """D-35: the lineages of 5,000 nested records share 4,999 links between them."""
    records = {"k0": Record("collection", "k0")}
    records.update((f"k{n}", Record("collection", f"k{n}", f"k{n - 1}")) for n in range(1, 5000))
    got = lineages(records, lambda _: None)
    seen: set[int] = set()
    for chain in got.values():
        node = chain
        while node and id(node) not in seen:
            seen.add(id(node))
            node = node.rest
    assert len(seen) == 4999
    assert got["k4999"][0] == "k4998"
    assert len(got["k4999"]) == 4999
