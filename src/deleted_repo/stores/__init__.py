"""Storage adapters: `memory` (reference) and `sql` (SQLite, PostgreSQL), sharing `keys`."""
