"""The schema versions of the SQL store's tables, and the steps from each to the next (D-49).

A database records its version in ``deleted_repo_schema_version`` (one row); one with our
tables but no such table is at version 0, the layout before versions were recorded. A store
refuses to work on tables at another version than `SCHEMA_VERSION` (`check`), and `upgrade`
applies the steps the tables lack, in order, in the caller's transaction.

To add a step: write a function ``(connection, schema) -> None`` that turns the tables of the
last version into those of the next, then append it to `STEPS`; `SCHEMA_VERSION` follows. A
step names the tables as they stood at its version, not through `schema.metadata` (which is
always the newest layout), so that it still does the same thing after later steps change them.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deleted_repo.errors import SchemaVersionError
from deleted_repo.stores.sql import lineage_upgrade
from deleted_repo.stores.sql.codec import job_of
from deleted_repo.stores.sql.schema import (
    Micros,
    Text,
    deleted,
    metadata,
    metadata_for,
    schema_version,
)

__all__ = ["SCHEMA_VERSION", "STEPS", "Step", "check", "create", "found_version", "upgrade"]

Step = Callable[[Connection, str | None], None]
"""One migration: the connection (inside a transaction) and the schema of the tables."""


def _add_superseded(conn: Connection, schema: str | None) -> None:
    """0 -> 1: the table of superseded deletions (R-D6), as version 1 defined it."""
    frozen = sa.MetaData(naming_convention=metadata.naming_convention)
    table = sa.Table(
        "deleted_repo_superseded",
        frozen,
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("institution", Text, nullable=False),
        sa.Column("id", Text, nullable=False),
        sa.Column("kind", Text, nullable=False),
        sa.Column("parent_id", Text, nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("role", Text, nullable=False),
        sa.Column("origin_id", Text, nullable=False),
        sa.Column("lineage", sa.JSON, nullable=False),
        sa.Column("event_id", Text, nullable=False),
        sa.Column("actor_kind", Text, nullable=False),
        sa.Column("actor_id", Text, nullable=False),
        sa.Column("deleted_at", Micros, nullable=False),
        sa.Column("superseded_by", Text, nullable=False),
        schema=schema,
    )
    sa.Index("ix_deleted_repo_superseded_id", table.c.institution, table.c.id, table.c.seq)
    table.create(conn, checkfirst=True)


def _add_job_filter_columns(conn: Connection, schema: str | None) -> None:
    """1 -> 2: the job log's filter columns (D-42), filled from each job's JSON body."""
    table = sa.Table(
        "deleted_repo_restore_job",
        sa.MetaData(),
        sa.Column("institution", Text, primary_key=True),
        sa.Column("id", Text, primary_key=True),
        sa.Column("body", sa.JSON, nullable=False),
        schema=schema,
    )
    have = {c["name"] for c in sa.inspect(conn).get_columns(table.name, schema=schema)}
    added = [(n, d) for n, d in _JOB_FILTER_COLUMNS if n not in have]
    if not added:
        return
    prepare = conn.dialect.identifier_preparer
    name = prepare.format_table(table)
    for column, default in added:
        conn.exec_driver_sql(
            f"ALTER TABLE {name} ADD COLUMN {prepare.quote(column)} "
            f"{Text.compile(dialect=conn.dialect)} NOT NULL DEFAULT '{default}'"
        )
    filled = sa.table(
        table.name, *(sa.column(n) for n in ("institution", "id", "requested_by", "status",
        "criterion")), schema=schema
    )  # fmt: skip
    update = (
        sa.update(filled)
        .where(filled.c.institution == sa.bindparam("i"), filled.c.id == sa.bindparam("j"))
        .values(
            requested_by=sa.bindparam("requested_by"),
            status=sa.bindparam("status"),
            criterion=sa.bindparam("criterion"),
        )
    )
    rows = conn.execute(sa.select(table.c.institution, table.c.id, table.c.body)).all()
    for start in range(0, len(rows), _BATCH):
        values = []
        for institution, ident, body in rows[start : start + _BATCH]:
            job = job_of(body)
            values.append(
                {
                    "i": institution,
                    "j": ident,
                    "requested_by": job.requested_by,
                    "status": job.status.value,
                    "criterion": type(job.criteria).__name__,
                }
            )
        conn.execute(update, values)


_JOB_FILTER_COLUMNS = (("requested_by", ""), ("status", "restored"), ("criterion", ""))
"""The job log's filter columns as version 2 added them, with their defaults."""

_BATCH = 1_000
"""Rows a migration updates per statement."""

STEPS: tuple[Step, ...] = (_add_superseded, _add_job_filter_columns, lineage_upgrade.upgrade)
"""The steps in order: ``STEPS[n]`` turns version n into version n + 1."""

SCHEMA_VERSION = len(STEPS)
"""The schema version of this code's tables (2: the job log with its filter columns; 3: lineages
kept as shared links, D-36)."""


def _version_table(schema: str | None) -> sa.TableClause:
    return sa.table(schema_version.name, sa.column("version", sa.Integer), schema=schema)


def _recorded(conn: Connection, schema: str | None) -> list[int] | None:
    """The versions the version table holds (one, normally), or None without the table."""
    if not sa.inspect(conn).has_table(schema_version.name, schema=schema):
        return None
    return list(conn.execute(sa.select(_version_table(schema).c.version)).scalars())


def _where(schema: str | None) -> str:
    return "" if schema is None else f" in schema {schema!r}"


def _refusal(
    found: int | None, schema: str | None, *, unrecorded: bool = False
) -> SchemaVersionError:
    """The `SchemaVersionError` for tables at `found` rather than `SCHEMA_VERSION`."""
    where = _where(schema)
    if unrecorded:
        message = (
            f"the deleted_repo tables{where} record no single schema version: "
            "record it with SqlStore.create_schema() or 'deleted-repo init'"
        )
    elif found is None:
        message = (
            f"there are no deleted_repo tables{where}: "
            "create them with SqlStore.create_schema() or 'deleted-repo init'"
        )
    elif found < SCHEMA_VERSION:
        message = (
            f"the deleted_repo tables{where} are at schema version {found}, and this code "
            f"needs version {SCHEMA_VERSION}: upgrade them with SqlStore.upgrade() or "
            "'deleted-repo upgrade'"
        )
    else:
        message = (
            f"the deleted_repo tables{where} are at schema version {found}, newer than this "
            f"code's version {SCHEMA_VERSION}: use the release of deleted_repo that made them, "
            "or a newer one"
        )
    return SchemaVersionError(message, found=found, expected=SCHEMA_VERSION)


def found_version(conn: Connection, schema: str | None) -> int | None:
    """The schema version of the tables: 0 before versions were recorded, None with no tables.

    Raises:
        SchemaVersionError: the version table holds no row, or several.
    """
    versions = _recorded(conn, schema)
    if versions is None:
        return 0 if sa.inspect(conn).has_table(deleted.name, schema=schema) else None
    if len(versions) != 1:
        raise _refusal(None, schema, unrecorded=True)
    return versions[0]


def check(conn: Connection, schema: str | None) -> None:
    """Refuse tables at another version than `SCHEMA_VERSION` (D-49): two small reads.

    Raises:
        SchemaVersionError: there are no tables, or they are at another version, or record
            no single version.
    """
    found = found_version(conn, schema)
    if found != SCHEMA_VERSION:
        raise _refusal(found, schema)


def _stamp(conn: Connection, schema: str | None) -> None:
    """Record `SCHEMA_VERSION` as the one version of the tables."""
    metadata_for(schema).tables[_qualified(schema)].create(conn, checkfirst=True)
    table = _version_table(schema)
    conn.execute(sa.delete(table))
    conn.execute(sa.insert(table).values(version=SCHEMA_VERSION))


def _qualified(schema: str | None) -> str:
    return schema_version.name if schema is None else f"{schema}.{schema_version.name}"


def _apply(conn: Connection, schema: str | None, found: int) -> None:
    """Run the steps from `found` to `SCHEMA_VERSION`; refuse tables newer than the code."""
    if found > SCHEMA_VERSION:
        raise _refusal(found, schema)
    for step in STEPS[found:]:
        step(conn, schema)


def upgrade(conn: Connection, schema: str | None) -> int:
    """Bring the tables to `SCHEMA_VERSION`; nothing to do when they are there already.

    Returns:
        The version the tables were at.

    Raises:
        SchemaVersionError: there are no tables, or they record no single version, or they
            are newer than the code.
    """
    found = found_version(conn, schema)
    if found is None:
        raise _refusal(None, schema)
    _apply(conn, schema, found)
    if found < SCHEMA_VERSION:
        _stamp(conn, schema)
    return found


def create(conn: Connection, schema: str | None, *, catalog: bool) -> None:
    """Create the tables missing, upgrading older ones first, and record `SCHEMA_VERSION` (D-50).

    A version table without a row is taken for tables the host's own migrations made from
    `metadata_for`, at this code's version.

    Raises:
        SchemaVersionError: the tables are newer than the code, or record several versions.
    """
    versions = _recorded(conn, schema)
    if versions is None:
        found = found_version(conn, schema)
        if found is not None:
            _apply(conn, schema, found)
    elif len(versions) > 1:
        raise _refusal(None, schema, unrecorded=True)
    elif versions:
        _apply(conn, schema, versions[0])
    metadata_for(schema, catalog=catalog).create_all(conn)
    _stamp(conn, schema)
