"""The SQL store's row codec, and the keys of data values both stores index by."""

from __future__ import annotations

import json
import math
from typing import Any, cast

import pytest

from deleted_repo import Record, StorageError
from deleted_repo.stores.keys import LONGEST_KEY, field_key, hashable
from deleted_repo.stores.sql import SqlStore
from deleted_repo.stores.sql.codec import decode, encode, encode_data
from tests.support import INSTITUTION as HOME

from .test_sql_store import event

PLAIN: list[dict[str, Any]] = [{}, {"title": "a"}, {"n": 1, "x": [1, 2]}, {"k": {}}, {}]
CUT_INSIDE: list[dict[str, Any]] = [{"title": "a}, {b"}, {"t": "c"}]
NESTED: list[dict[str, Any]] = [{"parts": [{"n": 1}, {"n": 2}]}, {"t": "c"}]


def records(datas: list[dict[str, Any]]) -> list[Record]:
    return [Record("bib", f"b{n}", None, d) for n, d in enumerate(datas)]


@pytest.mark.parametrize("datas", [PLAIN, CUT_INSIDE, NESTED], ids=["plain", "cut", "nested"])
def test_data_encoded_together_is_each_record_s_own(datas: list[dict[str, Any]]) -> None:
    """R-M1: a batch's data, encoded in one call, gives each record the text it would alone."""
    texts = list(encode_data(records(datas)))
    assert texts == [encode(d, "x") for d in datas]
    assert [json.loads(t) for t in texts] == datas


def test_the_record_whose_data_is_not_json_is_named_when_reached() -> None:
    """R-M1: in a batch, the records before one JSON cannot hold are encoded, then it fails.

    A record refuses such data when built; a host can still put it in the dict afterwards.
    """
    batch = records([{"t": "a"}, {"x": [1, 2]}])
    cast("dict[str, Any]", batch[1].data)["x"] = {1, 2}
    texts = encode_data(batch)
    assert next(texts) == '{"t": "a"}'
    with pytest.raises(StorageError, match="b1"):
        next(texts)


@pytest.mark.parametrize(
    ("text", "value"),
    [('{"a": [1, "é"]}', {"a": [1, "é"]}), (' {"a": 1}\n', {"a": 1}), ("[]", [])],
)
def test_decode_reads_what_json_loads_reads(text: str, value: object) -> None:
    """R-M1: a JSON column's text decodes as `json.loads` decodes it, spaces around included."""
    assert decode(text) == value


def test_decode_passes_values_the_driver_decoded() -> None:
    """R-M1: psycopg gives JSON columns decoded: they pass unchanged."""
    data = {"a": 1}
    assert decode(data) is data


def test_equal_values_share_a_field_key() -> None:
    """R-S10: 1, 1.0 and True are one key, as Python finds them equal; "1" is another."""
    assert field_key(1) == field_key(1.0) == field_key(True)
    assert field_key("1") != field_key(1)
    assert field_key(None) not in {field_key(0), field_key(""), None}


def test_values_with_no_field_key() -> None:
    """R-S10: lists, mappings, tuples and NaN have no key; tuples are hashable all the same."""
    for value in ([1], {"a": 1}, (1, 2), math.nan):
        assert field_key(value) is None
    assert hashable((1, 2))
    assert hashable(math.nan)
    assert not hashable([1])


def test_long_field_keys_are_hashed() -> None:
    """R-S10: a key longer than the index holds becomes a fixed-length digest, still distinct."""
    long_a, long_b = "a" * (LONGEST_KEY + 1), "a" * LONGEST_KEY + "b"
    key_a, key_b = field_key(long_a), field_key(long_b)
    assert key_a is not None
    assert key_b is not None
    assert len(key_a) <= LONGEST_KEY
    assert key_a != key_b


@pytest.mark.parametrize("datas", [PLAIN, CUT_INSIDE, NESTED], ids=["plain", "cut", "nested"])
def test_data_added_together_reads_back_per_record(
    store: SqlStore, datas: list[dict[str, Any]]
) -> None:
    """R-M1: records added and deleted in one call each read back their own data."""
    added = records(datas)
    store.catalog.add(HOME, added)
    assert {i: r.data for i, r in store.catalog.get(HOME, [r.id for r in added]).items()} == {
        r.id: r.data for r in added
    }
    gone = [Record("item", f"d{n}", None, d) for n, d in enumerate(datas)]
    store.deleted.add_events([event("e1", gone)])
    found = store.deleted.get(HOME, [r.id for r in gone])
    assert {i: d.record.data for i, d in found.items()} == {r.id: r.data for r in gone}
