"""The model: kinds and hierarchy, identifiers, records (R-M1, R-M2)."""

from __future__ import annotations

import attrs
import pytest

from deleted_repo import (
    ALMA,
    ByField,
    ById,
    DeletedRepository,
    Hierarchy,
    HierarchyError,
    InvalidInputError,
    MemberRole,
    Record,
    Requester,
    UnknownKindError,
    is_alma_id,
)
from tests.support import ANA, INSTITUTION, Clock, repository

# R-M1: kinds and hierarchy


@pytest.mark.parametrize(
    ("kind", "parents", "top_level", "label", "id_label"),
    [
        ("bib", set(), True, "All Titles", "MMS ID"),
        ("holding", {"bib"}, False, "Holding", "MMS ID of the holding"),
        ("item", {"holding"}, False, "Physical Items", "Item ID"),
        ("portfolio", {"bib"}, False, "Electronic Portfolios", "Portfolio ID"),
        ("representation", {"bib"}, False, "Digital Representations", "Representation PID"),
        (
            "remote_representation",
            {"bib"},
            False,
            "Digital Remote Representations",
            "Remote Representation PID",
        ),
        ("file", {"representation"}, False, "Digital Files", "File PID"),
        ("collection", {"collection"}, True, "Collections", "Collection PID"),
    ],
)
def test_the_alma_preset_declares_each_kind(
    kind: str, parents: set[str], top_level: bool, label: str, id_label: str
) -> None:
    """R-M1: Alma's preset gives each kind its parent kinds, find type and id label."""
    spec = ALMA.spec(kind)
    assert (set(spec.parents), spec.top_level, spec.label, spec.id_label) == (
        parents,
        top_level,
        label,
        id_label,
    )


def test_the_alma_preset_has_exactly_eight_kinds() -> None:
    """R-M1: the preset declares the eight kinds of Alma's table and no other."""
    assert len(ALMA.kinds) == 8


@pytest.mark.parametrize(
    ("record", "parent_kind"),
    [
        (Record("item", "i", "h"), "holding"),
        (Record("holding", "h", "b"), "bib"),
        (Record("file", "f", "r"), "representation"),
        (Record("collection", "c", "p"), "collection"),
        (Record("collection", "c"), None),
        (Record("bib", "b"), None),
    ],
)
def test_the_hierarchy_accepts_allowed_parents(record: Record, parent_kind: str | None) -> None:
    """R-M1: a record may stand under a parent of an allowed kind, or alone if top-level."""
    ALMA.check_parent(record, parent_kind)


@pytest.mark.parametrize(
    ("record", "parent_kind"),
    [
        (Record("item", "i", "b"), "bib"),
        (Record("file", "f", "b"), "bib"),
        (Record("bib", "b", "c"), "collection"),
        (Record("holding", "h"), None),
        (Record("item", "i", "h"), None),
    ],
    ids=["item-under-bib", "file-under-bib", "bib-under-collection", "orphan", "missing-parent"],
)
def test_the_hierarchy_refuses_other_parents(record: Record, parent_kind: str | None) -> None:
    """R-M1: a parent of a kind not allowed, or a missing required parent, is refused."""
    with pytest.raises(HierarchyError):
        ALMA.check_parent(record, parent_kind)


def test_an_undeclared_kind_is_refused_with_the_known_kinds() -> None:
    """R-M1: asking the hierarchy about a kind it does not declare names the known kinds."""
    with pytest.raises(UnknownKindError) as caught:
        ALMA.spec("book")
    assert caught.value.kind == "book"
    assert caught.value.known == tuple(sorted(ALMA.kinds))


def test_a_host_declares_its_own_hierarchy() -> None:
    """R-M1: `Hierarchy.declare` builds instance -> holdings -> item from parent names."""
    folio = Hierarchy.declare({"instance": None, "holdings": "instance", "item": "holdings"})
    assert {name: (set(s.parents), s.top_level) for name, s in folio.kinds.items()} == {
        "instance": (set(), True),
        "holdings": ({"instance"}, False),
        "item": ({"holdings"}, False),
    }


def test_a_declared_hierarchy_refuses_unknown_parent_kinds() -> None:
    """R-M1: a kind whose parent kind is not declared is refused."""
    with pytest.raises(HierarchyError):
        Hierarchy.declare({"instance": None, "item": "holdings"})


FOLIO = Hierarchy.declare({"instance": None, "holdings": "instance", "item": "holdings"})
FOLIO_CATALOG = [
    Record("instance", "in-1", None, {"title": "Walden"}),
    Record("holdings", "ho-1", "in-1"),
    Record("item", "it-1", "ho-1", {"barcode": "F-1"}),
    Record("holdings", "ho-2", "in-1"),
    Record("item", "it-2", "ho-2", {"barcode": "F-2"}),
]


@pytest.fixture
def folio(clock: Clock) -> DeletedRepository:
    """A repository over the instance -> holdings -> item hierarchy, with its catalog."""
    repo = repository(clock=clock, hierarchy=FOLIO)
    repo.catalog.add(INSTITUTION, FOLIO_CATALOG)
    return repo


def test_a_custom_hierarchy_cascades_downward(folio: DeletedRepository) -> None:
    """R-M1, R-D2: deleting an instance deletes its holdings and items in one event."""
    event = folio.delete(INSTITUTION, ["in-1"], actor=ANA)
    assert {m.id for m in event.members} == {r.id for r in FOLIO_CATALOG}
    assert folio.catalog.get(INSTITUTION, [r.id for r in FOLIO_CATALOG]) == {}


def test_a_custom_hierarchy_deletes_emptied_parents(folio: DeletedRepository) -> None:
    """R-M1, R-D3: the last item takes its holdings along; the instance keeps its other one."""
    event = folio.delete(INSTITUTION, ["it-2"], actor=ANA, emptied_parents="delete")
    assert {m.id: m.role for m in event.members} == {
        "it-2": MemberRole.ORIGIN,
        "ho-2": MemberRole.EMPTIED_PARENT,
    }


def test_a_custom_hierarchy_empties_up_to_the_top(folio: DeletedRepository) -> None:
    """R-M1, R-D3: once every item is gone, the last one takes holdings and instance along."""
    folio.delete(INSTITUTION, ["it-2"], actor=ANA, emptied_parents="delete")
    event = folio.delete(INSTITUTION, ["it-1"], actor=ANA, emptied_parents="delete")
    assert {m.id: m.role for m in event.members} == {
        "it-1": MemberRole.ORIGIN,
        "ho-1": MemberRole.EMPTIED_PARENT,
        "in-1": MemberRole.EMPTIED_PARENT,
    }


def test_a_custom_hierarchy_is_searchable(folio: DeletedRepository, manager: Requester) -> None:
    """R-M1, R-S3, R-S7: a deleted item of a custom hierarchy is found with its parent chain."""
    folio.delete(INSTITUTION, ["in-1"], actor=ANA)
    hits = folio.search(ById(kind="item", id="it-2"), requester=manager).hits
    assert [(h.id, h.origin_id, h.parent_ids) for h in hits] == [("it-2", "in-1", ("ho-2", "in-1"))]


def test_a_custom_hierarchy_finds_items_by_barcode(
    folio: DeletedRepository, manager: Requester
) -> None:
    """R-M1, R-S10: the policy's searchable barcode works for the custom kind "item" too."""
    folio.delete(INSTITUTION, ["it-1"], actor=ANA)
    hits = folio.search(ByField(kind="item", field="barcode", value="F-1"), requester=manager).hits
    assert [h.id for h in hits] == ["it-1"]


def test_a_custom_hierarchy_refuses_alma_kinds(
    folio: DeletedRepository, manager: Requester
) -> None:
    """R-M1: a kind of Alma's preset is unknown to a host hierarchy that does not declare it."""
    with pytest.raises(UnknownKindError):
        folio.search(ById(kind="bib", id="in-1"), requester=manager)


def test_a_custom_hierarchy_keeps_its_own_parent_rules(folio: DeletedRepository) -> None:
    """R-M1: recording an item directly under an instance breaks the custom hierarchy."""
    with pytest.raises(HierarchyError):
        folio.record_deletion(INSTITUTION, [Record("item", "it-9", "in-1")], actor=ANA)


# R-M2: identifiers


@pytest.mark.parametrize(
    "value",
    [
        "991234567890123456",
        "221234567890001234",
        "231234567890001234",
        "531234567890001234",
        "121234567890001234",
        "131234567890001234",
        "811234567890001234",
    ],
)
def test_alma_shaped_ids_are_recognised(value: str) -> None:
    """R-M2: digits with a known two-digit type code and an institution code are Alma ids."""
    assert is_alma_id(value)


@pytest.mark.parametrize(
    "value",
    [
        "bib-1",
        "",
        "991",
        "981234567890123456",
        "99123456789012345x",
        "٩٩١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦",
        " 991234567890123456",
        991234567890123456,
        None,
    ],
    ids=[
        "text",
        "empty",
        "too-short",
        "unknown-type-code",
        "letter",
        "non-ascii-digits",
        "space",
        "integer",
        "none",
    ],
)
def test_other_values_are_not_alma_ids(value: object) -> None:
    """R-M2: anything not of Alma's shape is told apart, without raising."""
    assert not is_alma_id(value)  # type: ignore[arg-type]


def test_the_alma_id_shape_is_never_required(repo: DeletedRepository) -> None:
    """R-M2: records with opaque non-Alma ids are deleted like any other."""
    repo.catalog.add(
        INSTITUTION, [Record("bib", "urn:bib/1"), Record("holding", "h#1", "urn:bib/1")]
    )
    event = repo.delete(INSTITUTION, ["urn:bib/1"], actor=ANA)
    assert {m.id for m in event.members} == {"urn:bib/1", "h#1"}


def test_a_record_copies_its_data() -> None:
    """R-M1, R-D1: a record's data is its own copy; later changes to the host's dict do not leak."""
    data = {"title": "Walden"}
    record = Record("bib", "b", None, data)
    data["title"] = "Changed"
    assert record.data == {"title": "Walden"}


def test_a_record_keeps_any_host_data() -> None:
    """R-M1: the data mapping holds whatever fields the host stores."""
    record = Record("item", "i", "h", {"barcode": "B", "copies": 2, "notes": ["a", None]})
    assert record.data == {"barcode": "B", "copies": 2, "notes": ["a", None]}


def test_a_trusted_record_equals_the_checked_one() -> None:
    """D-52: `Record.trusted` builds the same value as the constructor, equal and hashed alike."""
    data = {"title": "T", "n": [1, {"a": None}]}
    trusted = Record.trusted("bib", "b1", None, dict(data))
    checked = Record("bib", "b1", None, data)
    assert trusted == checked
    assert hash(trusted) == hash(checked)
    assert repr(trusted) == repr(checked)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        trusted.id = "b2"  # type: ignore[misc]


def test_a_trusted_record_is_not_checked_again() -> None:
    """D-52: only stores use it, for values they checked on write; it does not check them."""
    assert Record.trusted("bib", "", None, {}).id == ""
    with pytest.raises(InvalidInputError):
        Record("bib", "", None, {})
