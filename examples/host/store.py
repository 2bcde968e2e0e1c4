"""`HostStore`: the host's catalog beside the library's deleted repository and job log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager

from sqlalchemy.engine import Connection

from deleted_repo.stores.sql import SqlStore
from examples.host.catalog import HostCatalog
from examples.host.tables import HOST_TABLES

__all__ = ["HostStore"]


class HostStore:
    """A `deleted_repo.ports.Store`: the host's catalog and the library's SQL parts, one connection.

    The deleted repository and the job log are `SqlStore`'s, on the host's connection; its
    catalog is never used. A transaction opened by the host on the connection is the one every
    port call joins, so the host's writes and the library's commit or roll back together.

    Args:
        connection: the host's connection.
        schema: the schema of every table (PostgreSQL); None for the connection's own.
    """

    def __init__(self, connection: Connection, *, schema: str | None = None) -> None:
        self._sql = SqlStore(connection, schema=schema)
        self.catalog = HostCatalog(connection, HOST_TABLES, schema=schema)
        self.deleted = self._sql.deleted
        self.jobs = self._sql.jobs

    def transaction(self) -> AbstractContextManager[None]:
        """See `deleted_repo.ports.Store.transaction`: `SqlStore`'s, on the host's connection."""
        return self._sql.transaction()

    def index_fields(self, fields: Mapping[str, Sequence[str]]) -> None:
        """See `deleted_repo.ports.Store.index_fields`: the deleted repository's index.

        The host's own tables index what the host chose (an item's barcode).
        """
        self._sql.index_fields(fields)
