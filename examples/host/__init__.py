"""An example host: an ILS with its own tables for bibs, holdings and items.

It keeps its catalog in its own SQLAlchemy tables (`tables`), reads and writes them through a
`deleted_repo.ports.Catalog` adapter (`catalog.HostCatalog`), and holds that catalog beside the
library's deleted repository and job log on one connection (`store.HostStore`). Its deletions
are captured in its own transaction by `deleted_repo.stores.sql.Capture`, and `world.host_world`
describes it to the store contract. Run ``python -m examples.host`` for a walk-through.
"""

from examples.host.catalog import HostCatalog
from examples.host.store import HostStore
from examples.host.tables import HOST_HIERARCHY, HOST_TABLES, bibs, create_tables, holdings, items
from examples.host.world import host_record, host_world

__all__ = [
    "HOST_HIERARCHY",
    "HOST_TABLES",
    "HostCatalog",
    "HostStore",
    "bibs",
    "create_tables",
    "holdings",
    "host_record",
    "host_world",
    "items",
]
