"""Runnable examples of `deleted_repo` (run from the repository's root)."""
