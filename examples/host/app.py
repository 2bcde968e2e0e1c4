"""The walk-through: an ILS deletes a bib in its own tables, then a manager restores it.

Run it from the repository's root: ``python -m examples.host``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deleted_repo import Actor, ByField, ById, DeletedRepository, Requester
from deleted_repo.stores.sql import Capture
from examples.host.store import HostStore
from examples.host.tables import HOST_HIERARCHY, HOST_TABLES, bibs, create_tables, holdings, items

__all__ = ["INSTITUTION", "delete_bib", "main", "shelve"]

INSTITUTION = "01UNI"
"""The institution of the walk-through."""


def shelve(connection: Connection) -> None:
    """The host catalogues a bib with a holding and two items, with its own INSERTs."""
    with connection.begin():
        connection.execute(
            sa.insert(bibs),
            [{"institution": INSTITUTION, "id": "991", "title": "Moby Dick", "author": "Melville"}],
        )
        connection.execute(
            sa.insert(holdings),
            [
                {
                    "institution": INSTITUTION,
                    "id": "221",
                    "bib_id": "991",
                    "location": "Stacks",
                    "call_number": "PS2384 .M6",
                }
            ],
        )
        connection.execute(
            sa.insert(items),
            [
                {"institution": INSTITUTION, "id": i, "holding_id": "221", "barcode": b}
                for i, b in (("231", "B-1"), ("232", "B-2"))
            ],
        )


def delete_bib(connection: Connection, bib_id: str) -> None:
    """The host's own delete of a bib: its items, its holdings, then the bib."""
    held = sa.select(holdings.c.id).where(
        holdings.c.institution == INSTITUTION, holdings.c.bib_id == bib_id
    )
    connection.execute(
        sa.delete(items).where(items.c.institution == INSTITUTION, items.c.holding_id.in_(held))
    )
    connection.execute(
        sa.delete(holdings).where(
            holdings.c.institution == INSTITUTION, holdings.c.bib_id == bib_id
        )
    )
    connection.execute(
        sa.delete(bibs).where(bibs.c.institution == INSTITUTION, bibs.c.id == bib_id)
    )


def _rows(connection: Connection) -> int:
    with connection.begin():
        return sum(
            connection.scalar(sa.select(sa.func.count()).select_from(t)) or 0
            for t in (bibs, holdings, items)
        )


def main() -> None:
    """Delete a bib in the host's transaction, capture it, then find, plan and restore it."""
    now = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    engine = sa.create_engine("sqlite://")
    with engine.connect() as connection:
        create_tables(connection)
        shelve(connection)
        repo = DeletedRepository(HostStore(connection), clock=lambda: now, hierarchy=HOST_HIERARCHY)
        capture = Capture(repo, HOST_TABLES)
        print(f"the host's tables hold {_rows(connection)} rows")

        with connection.begin() as rolled_back:
            capture.delete(connection, INSTITUTION, ["991"], actor=Actor.user("jdoe"))
            rolled_back.rollback()
        recorded = len(repo.deleted.get(INSTITUTION, ["991", "221", "231", "232"]))
        print(f"a delete the host rolled back: {_rows(connection)} rows, {recorded} recorded")

        with connection.begin():
            jdoe = Actor.user("jdoe")
            with capture.deleting(connection, INSTITUTION, ["991"], actor=jdoe) as deleted:
                delete_bib(connection, "991")
        assert deleted.event is not None
        members = ", ".join(f"{m.kind} {m.id}" for m in deleted.event.members)
        print(f"the host deleted bib 991 in its transaction; captured: {members}")
        print(f"the host's tables hold {_rows(connection)} rows")

        manager = Requester(user_id="ana", institution=INSTITUTION, roles={"Repository Manager"})
        page = repo.search(ByField(kind="item", field="barcode", value="B-2"), requester=manager)
        hit = page.hits[0]
        print(
            f"found item {hit.id} by its barcode: deleted by {hit.deleted_by} with {hit.origin_id}"
        )

        plan = repo.plan(ById(kind="bib", id="991"), requester=manager)
        print(f"the plan restores: {', '.join(p.id for p in plan.records)}")
        result = repo.restore(plan, requester=manager)
        print(f"restored {len(result.restored)} records into the host's tables")
        with connection.begin():
            title = connection.scalar(sa.select(bibs.c.title).where(bibs.c.id == "991"))
        print(f"bib 991 is back: {title!r}; the host's tables hold {_rows(connection)} rows")
    engine.dispose()


if __name__ == "__main__":
    main()
