"""The in-memory reference store: every port, indexed for every search, with real transactions.

`MemoryStore` holds a catalog, a deleted repository and a restore-job log that share one
transaction boundary. Every search goes through an index (by id, event, actor, job, institution
and kind by deletion time, secondary field), so its cost grows with the hits, not the store;
the indexes by time, actor and event are kept in search order, so a page of hits costs what it
returns, wherever its cursor is. Transactions keep an undo journal: if the block raises, every
write in it is reversed. docs/performance.md gives the figures at a million records.

It is not thread-safe: use it from one thread at a time.
"""

from deleted_repo.stores.memory.catalog import MemoryCatalog
from deleted_repo.stores.memory.deleted import MemoryDeletedStore
from deleted_repo.stores.memory.store import MemoryJobLog, MemoryStore

__all__ = ["MemoryCatalog", "MemoryDeletedStore", "MemoryJobLog", "MemoryStore"]
