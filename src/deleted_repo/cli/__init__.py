"""The operator command line ``deleted-repo`` (extra ``cli``: click and rich).

It runs the library's rules on a SQL database (SQLite or PostgreSQL) for the people who operate
a deleted repository: search, preview and run restores, audit restore jobs, purge, and a demo
on a sample institution. The library itself never imports this package.
"""

from __future__ import annotations

from .app import cli
from .commands import init, plan, purge, restore, search, show
from .demo import demo
from .jobs import jobs

__all__ = ["cli", "main"]

for _command in (init, search, show, plan, restore, jobs, purge, demo):
    cli.add_command(_command)


def main() -> None:
    """Run ``deleted-repo`` with the process's arguments and exit with its status."""
    cli.main(prog_name="deleted-repo")
