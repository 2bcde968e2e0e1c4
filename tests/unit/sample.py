"""A small sample catalog shared by the delete, plan and restore tests.

Two bibs with inventory below them and two nested collections, the actors who delete them,
and a helper that puts the catalog in a repository. The records are lists so that tests may
slice and extend them; treat them as read-only.
"""

from __future__ import annotations

from collections.abc import Sequence

from deleted_repo import Actor, DeletedRepository, Record

INSTITUTION = "01UNI"
"""The institution the sample catalog lives in (the one `conftest.manager` manages)."""

ANA = Actor.user("ana")
"""The user who makes most of the deletions."""

BO = Actor.user("bo")
"""A second user, for deletions that must be told apart from Ana's."""

BIB_1 = [
    Record("bib", "bib-1", None, {"title": "Moby Dick"}),
    Record("holding", "hol-1", "bib-1", {"call_number": "PS2384 .M6"}),
    Record("item", "itm-1", "hol-1", {"barcode": "B-1", "title": "Moby Dick v.1"}),
    Record("item", "itm-2", "hol-1", {"barcode": "B-2"}),
    Record("holding", "hol-2", "bib-1", {"call_number": "PS2384 .M6 c.2"}),
    Record("item", "itm-3", "hol-2", {"barcode": "B-3"}),
    Record("portfolio", "por-1", "bib-1", {"title": "Moby Dick online"}),
    Record("representation", "rep-1", "bib-1", {"label": "Scans", "handle": "hdl-1"}),
    Record("file", "fil-1", "rep-1", {"file_name": "p1.tif"}),
    Record("file", "fil-2", "rep-1", {"file_name": "p2.tif"}),
    Record("remote_representation", "rrp-1", "bib-1", {"label": "Remote scans"}),
]
"""A bib with every kind of inventory below it.

Items carry unique barcodes B-1..B-3 and the representation the handle ``hdl-1``, for the
conflict tests (R-P7); only barcodes are unique under the default policy.
"""

BIB_2 = [
    Record("bib", "bib-2", None, {"title": "Walden"}),
    Record("holding", "hol-3", "bib-2"),
    Record("item", "itm-4", "hol-3", {"barcode": "B-4"}),
]
"""A bib with one holding holding one item: deleting the item may empty both (R-D3)."""

COLLECTIONS = [
    Record("collection", "col-1", None, {"title": "Rare books"}),
    Record("collection", "col-2", "col-1", {"title": "Whaling"}),
]
"""Two collections, the second nested in the first."""

CATALOG = BIB_1 + BIB_2 + COLLECTIONS
"""The whole sample catalog, every parent before its children."""

ALL_IDS = [r.id for r in CATALOG]
"""The ids of the whole sample catalog, in catalog order."""


def seeded(
    repo: DeletedRepository,
    institution: str = INSTITUTION,
    records: Sequence[Record] = CATALOG,
) -> DeletedRepository:
    """Add `records` (by default the whole sample catalog) to `institution`; return `repo`."""
    repo.catalog.add(institution, records)
    return repo
