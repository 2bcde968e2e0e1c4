"""The SQL job log: filters are conditions of one query; older tables are upgraded (D-42)."""

from __future__ import annotations

import sqlalchemy as sa

from deleted_repo import ById, JobFilter, JobStatus, Record
from deleted_repo.stores.sql import SCHEMA_VERSION, SqlStore
from tests.sql.conftest import Database, counted
from tests.support import ANA, INSTITUTION, MANAGER, repository


def test_a_filtered_listing_is_one_query(db: Database, store: SqlStore) -> None:
    """D-42: whatever the filters, listing jobs sends one statement (batch-first)."""
    repo = repository(store)
    repo.catalog.add(INSTITUTION, [Record("bib", f"b{n}") for n in range(5)])
    for n in range(5):
        repo.delete(INSTITUTION, [f"b{n}"], actor=ANA)
        repo.restore(repo.plan(ById(kind="bib", id=f"b{n}"), requester=MANAGER), requester=MANAGER)
    where = JobFilter(requested_by=MANAGER.user_id, status=JobStatus.RESTORED, criterion="ById")
    with counted(db.engine) as statements:
        listed = store.jobs.list(INSTITUTION, where=where)
    assert len(listed) == 5
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_upgrade_adds_and_fills_the_filter_columns(db: Database, store: SqlStore) -> None:
    """D-42, D-50: upgrading version 1 adds the filter columns, filled from each job's JSON."""
    repo = repository(store)
    repo.catalog.add(INSTITUTION, [Record("bib", "b1")])
    repo.delete(INSTITUTION, ["b1"], actor=ANA)
    (job,) = repo.restore(
        repo.plan(ById(kind="bib", id="b1"), requester=MANAGER), requester=MANAGER
    ).jobs
    table = (
        "deleted_repo_restore_job"
        if db.schema is None
        else f'"{db.schema}".deleted_repo_restore_job'
    )
    version = table.replace("restore_job", "schema_version")
    with db.engine.begin() as conn:  # back to the tables of version 1
        for column in ("requested_by", "status", "criterion"):
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.exec_driver_sql(f"UPDATE {version} SET version = 1")
    with db.engine.connect() as conn:
        names = {
            c["name"]
            for c in sa.inspect(conn).get_columns("deleted_repo_restore_job", schema=db.schema)
        }
    assert "status" not in names
    store = SqlStore(db.engine, schema=db.schema)
    assert store.upgrade() == 1
    assert store.upgrade() == SCHEMA_VERSION  # a second run finds nothing to do
    assert store.jobs.list(INSTITUTION, where=JobFilter(requested_by=MANAGER.user_id)) == [job]
    assert store.jobs.list(INSTITUTION, where=JobFilter(criterion="ById")) == [job]
    assert store.jobs.list(INSTITUTION, where=JobFilter(criterion="ByUser")) == []
    assert store.jobs.list(INSTITUTION, where=JobFilter(status=JobStatus.RESTORED)) == [job]
