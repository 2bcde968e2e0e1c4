"""The restore-job log of the SQL store."""

from __future__ import annotations

import sqlalchemy as sa

from deleted_repo.errors import IntegrityError
from deleted_repo.jobs import JobFilter, RestoreJob
from deleted_repo.stores.keys import micros
from deleted_repo.stores.sql.codec import encode, job_body, job_of
from deleted_repo.stores.sql.database import Database
from deleted_repo.stores.sql.schema import restore_job

__all__ = ["SqlJobLog"]


class SqlJobLog:
    """The restore-job log of a `SqlStore` (`deleted_repo.ports.RestoreJobLog`).

    Args:
        database: the store's database.
    """

    def __init__(self, database: Database) -> None:
        self._db = database

    def add(self, job: RestoreJob) -> None:
        """See `deleted_repo.ports.RestoreJobLog.add`."""
        db = self._db
        # The body as our encoder writes it, without SQLAlchemy's JSON processing: a job's
        # outcomes are as many as its records.
        row = (
            job.institution,
            job.id,
            micros(job.at),
            encode(job_body(job), job.id),
            job.requested_by,
            job.status.value,
            type(job.criteria).__name__,
        )
        try:
            with db.session(write=True) as conn:
                db.insert_many(conn, restore_job, [row])
        except IntegrityError as e:
            raise IntegrityError(f"restore job {job.id!r} is already recorded") from e

    def get(self, institution: str, job_id: str) -> RestoreJob | None:
        """See `deleted_repo.ports.RestoreJobLog.get`."""
        db = self._db
        j = restore_job
        with db.session(write=False) as conn:
            body = db.execute(
                conn, sa.select(j.c.body).where(j.c.institution == institution, j.c.id == job_id)
            ).scalar()
        return None if body is None else job_of(body)

    def list(
        self,
        institution: str,
        *,
        after: str | None = None,
        limit: int | None = None,
        where: JobFilter | None = None,
    ) -> list[RestoreJob]:
        """See `deleted_repo.ports.RestoreJobLog.list`.

        An `after` that names no recorded job is ignored: the list starts from the newest. The
        filters are conditions of the one query.
        """
        db = self._db
        j = restore_job
        conditions: list[sa.ColumnElement[bool]] = [j.c.institution == institution]
        if where is not None:
            conditions.extend(_filtered(where))
        with db.session(write=False) as conn:
            if after is not None:
                at = db.execute(
                    conn,
                    sa.select(j.c.at).where(j.c.institution == institution, j.c.id == after),
                ).scalar()
                if at is not None:
                    conditions.append(j.c.at <= at)
                    conditions.append(sa.or_(j.c.at < at, j.c.id > after))
            statement = sa.select(j.c.body).where(*conditions).order_by(j.c.at.desc(), j.c.id)
            if limit is not None:
                statement = statement.limit(limit)
            bodies = db.execute(conn, statement).scalars().all()
        return [job_of(body) for body in bodies]


def _filtered(where: JobFilter) -> list[sa.ColumnElement[bool]]:
    """The conditions of `where` on the jobs table."""
    j = restore_job
    conditions: list[sa.ColumnElement[bool]] = []
    if where.requested_by is not None:
        conditions.append(j.c.requested_by == where.requested_by)
    if where.since is not None:
        conditions.append(j.c.at >= micros(where.since))
    if where.until is not None:
        conditions.append(j.c.at <= micros(where.until))
    if where.status is not None:
        conditions.append(j.c.status == where.status.value)
    if where.criterion is not None:
        conditions.append(j.c.criterion == where.criterion)
    return conditions
