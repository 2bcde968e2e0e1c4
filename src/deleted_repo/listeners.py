"""Telling the rest of the host what a restore did (R-E4)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from deleted_repo.errors import InvalidInputError, quote
from deleted_repo.jobs import RestoreJob
from deleted_repo.model import Record
from deleted_repo.results import ListenerFailure

__all__ = ["Listener", "Listeners"]

log = logging.getLogger("deleted_repo")

Listener = Callable[[RestoreJob, Sequence[Record]], None]
"""Called after a restore job commits, with the job and the records it reinstated (R-E4)."""


class Listeners:
    """The listeners of a repository, called in the order they were added (D-26)."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def add(self, listener: Listener) -> None:
        """Add `listener`.

        Raises:
            InvalidInputError: `listener` is not callable.
        """
        if not callable(listener):
            raise InvalidInputError(
                f"a listener must be callable, got {quote(listener)}", field="listener"
            )
        self._listeners.append(listener)

    def notify(self, job: RestoreJob, records: Sequence[Record]) -> list[ListenerFailure]:
        """Call every listener with `job` and `records`; report those that raise.

        A listener that raises is logged on the ``deleted_repo`` logger at WARNING level; the
        others are still called, and the restore stands.
        """
        failures = []
        for listener in self._listeners:
            try:
                listener(job, records)
            except Exception as e:
                name = getattr(listener, "__qualname__", repr(listener))
                log.warning("restore listener %s failed for job %s", name, job.id, exc_info=e)
                failures.append(ListenerFailure(name, job.id, type(e).__name__, str(e)))
        return failures
