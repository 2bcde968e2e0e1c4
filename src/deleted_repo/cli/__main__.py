"""``python -m deleted_repo.cli``: the same as the ``deleted-repo`` command."""

from deleted_repo.cli import main

main()
