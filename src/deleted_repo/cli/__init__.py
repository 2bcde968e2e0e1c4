"""The operator command line ``deleted-repo`` (extra ``cli``: click and rich).

It runs the library's rules on a SQL database (SQLite or PostgreSQL) for the people who operate
a deleted repository: search, preview and run restores, audit restore jobs, purge, and a demo
on a sample institution. The library itself never imports this package.
"""

from __future__ import annotations

import sys

_EXTRA = frozenset({"click", "rich", "sqlalchemy"})

try:
    from .app import cli
    from .commands import init, plan, purge, restore, search, show, upgrade
    from .demo import demo
    from .jobs import jobs
except ModuleNotFoundError as e:  # pragma: no cover (the tests install the extra)
    if e.name not in _EXTRA:
        raise
    _missing: str | None = e.name
else:
    _missing = None
    for _command in (init, upgrade, search, show, plan, restore, jobs, purge, demo):
        cli.add_command(_command)

__all__ = ["cli", "main"]


def main() -> None:
    """Run ``deleted-repo`` with the process's arguments and exit with its status."""
    if _missing is not None:  # pragma: no cover (the tests install the extra)
        print(
            f"error: the command line needs the 'cli' extra ({_missing} is not installed): "
            "pip install 'deleted-repo[cli]'",
            file=sys.stderr,
        )
        sys.exit(2)
    cli.main(prog_name="deleted-repo")
