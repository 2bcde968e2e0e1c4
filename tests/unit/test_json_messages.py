"""Bad JSON names what is wrong with it (R-P9)."""

from __future__ import annotations

import pytest

from deleted_repo import ById, Criteria, InvalidInputError, from_json, to_json


def test_criteria_read_back_as_the_union_with_their_type() -> None:
    """R-P9: `from_json(text, Criteria)` gives the criterion, and type-checks as one."""
    criteria: Criteria = from_json(to_json(ById(kind="bib", id="991")), Criteria)
    assert criteria == ById(kind="bib", id="991")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('{"by": "ById", "kind": "bib"}', "required field missing @ $.id"),
        ('{"by": "ByRange", "kind": "bib", "start": 5}', "$.start"),
        ('{"by": "ByRange", "kind": "bib", "start": 5}', "required field missing @ $.end"),
        ('{"by": "Nope", "kind": "bib"}', "unknown criterion 'Nope'"),
    ],
)
def test_bad_criteria_json_names_the_field(text: str, named: str) -> None:
    """A missing or bad field is named by its path; an unknown criterion by its tag."""
    with pytest.raises(InvalidInputError) as caught:
        from_json(text, Criteria)
    assert named in str(caught.value)
    assert caught.value.field == "json"
