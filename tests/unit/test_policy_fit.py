"""A policy names only the kinds its hierarchy declares (R-M1, R-P6, R-P7)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deleted_repo import ALMA, DeletedRepository, Hierarchy, InvalidInputError, Policy
from deleted_repo.stores.memory import MemoryStore
from tests.support import Clock

FOLIO = Hierarchy.declare({"instance": None, "holdings": "instance", "item": "holdings"})


@pytest.mark.parametrize(
    ("policy", "field", "kind"),
    [
        (Policy(retention={"files": timedelta(days=90)}), "retention", "files"),
        (Policy(unique_fields={"itme": ["barcode"]}), "unique_fields", "itme"),
        (Policy(searchable_fields={"items": ["barcode"]}), "searchable_fields", "items"),
    ],
    ids=["retention", "unique", "searchable"],
)
def test_a_misspelt_kind_is_refused_when_the_repository_is_built(
    policy: Policy, field: str, kind: str
) -> None:
    """R-P6, R-P7: a typo would silently turn a rule off, so it names its field and kind."""
    with pytest.raises(InvalidInputError, match=kind) as caught:
        DeletedRepository(MemoryStore(), clock=Clock(), policy=policy)
    assert (caught.value.field, caught.value.value) == (field, kind)


def test_the_default_policy_fits_any_hierarchy() -> None:
    """R-M1: without a policy, Alma's defaults apply to the kinds the hierarchy declares."""
    repo = DeletedRepository(MemoryStore(), clock=Clock(), hierarchy=FOLIO)
    assert repo.policy.retention == {}
    assert repo.policy.unique_fields == {"item": ("barcode",)}
    assert DeletedRepository(MemoryStore(), clock=Clock()).policy == Policy()
    assert ALMA.kinds.keys() >= Policy().retention.keys()
