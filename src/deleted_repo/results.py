"""What the facade's restore and purge return."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from deleted_repo.jobs import RestoreJob

__all__ = ["ListenerFailure", "PurgeReport", "RestoreResult"]


@attrs.frozen
class ListenerFailure:
    """A listener or subscriber that raised when told of a change; the change stands (R-E4).

    Attributes:
        listener: the listener's name.
        job_id: the restore job it was told about (for a deletion, the deletion event's id;
            "" for a purge).
        error_type: the class name of the exception it raised.
        error: the exception's message.
        event_type: the class name of the event it was told (``"Restored"``...).
    """

    listener: str
    job_id: str
    error_type: str
    error: str
    event_type: str = "Restored"


@attrs.frozen
class RestoreResult:
    """What a restore did: one job per batch executed, and any listener that failed.

    Attributes:
        jobs: the restore jobs recorded, in order.
        listener_failures: listeners that raised; their restores were not undone.
        deferred: True when the store ran inside a transaction the repository did not open:
            the listeners were not told yet; call `DeletedRepository.dispatch` after that
            transaction commits, or `discard` after it rolls back (D-41).
    """

    jobs: tuple[RestoreJob, ...]
    listener_failures: tuple[ListenerFailure, ...] = ()
    deferred: bool = False

    @property
    def restored(self) -> tuple[str, ...]:
        """Every id restored, parents before children."""
        return tuple(i for job in self.jobs for i in job.restored)


@attrs.frozen
class PurgeReport:
    """What a purge removed for good (R-R1).

    Attributes:
        at: when it ran.
        ids: the purged ids, sorted.
        counts: purged records per kind.
    """

    at: datetime
    ids: tuple[str, ...]
    counts: Mapping[str, int]
