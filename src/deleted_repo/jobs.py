"""The audit record of a restore job (R-E3)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs

from deleted_repo.search import Criteria
from deleted_repo.validators import as_dict, as_tuple, instant_field, text_field

__all__ = ["JobFilter", "JobStatus", "Outcome", "RecordOutcome", "RestoreJob"]


class Outcome(enum.Enum):
    """What a restore job did with one record."""

    RESTORED = "restored"
    EXCLUDED = "excluded"


class JobStatus(enum.Enum):
    """What a restore attempt came to, as its audit entry records it (R-E3, D-42)."""

    RESTORED = "restored"
    """The batch committed; its records are active again."""
    REFUSED = "refused"
    """The plan or batch was refused as invalid (no such batch, over the cap); nothing changed."""
    STALE = "stale"
    """The state no longer supported the batch (R-E2), or the plan's content was not what its
    search finds now; nothing changed."""


@attrs.frozen(kw_only=True)
class RecordOutcome:
    """One record's outcome in a restore job.

    Attributes:
        id: the record.
        kind: its kind.
        outcome: restored or excluded.
        reason: why it was excluded ("" when restored).
    """

    id: str
    kind: str
    outcome: Outcome
    reason: str = ""


@attrs.frozen(kw_only=True)
class RestoreJob:
    """A restore job as recorded: who restored what, when, and with what outcome (R-E3).

    Attributes:
        id: the job id.
        institution: where it ran.
        requested_by: the user id of the requester.
        at: when the batch ran (the clock read just before its transaction).
        criteria: the search the plan was made from.
        batch: which batch of the plan this job executed, from 1.
        batches: how many batches the plan has.
        counts: the records restored, per kind.
        outcomes: each record's outcome: the batch's restored records, and on the first batch
            the plan's exclusions the planner confirms (D-33); none for a refused attempt.
        status: what the attempt came to: restored, refused or stale (D-42).
        reason: why a refused or stale attempt was turned down ("" when restored); the reason
            only, never the plan's content.
    """

    id: str = attrs.field(validator=text_field)
    institution: str = attrs.field(validator=text_field)
    requested_by: str = attrs.field(validator=text_field)
    at: datetime = attrs.field(validator=instant_field)
    criteria: Criteria
    batch: int
    batches: int
    counts: Mapping[str, int] = attrs.field(converter=as_dict)
    outcomes: tuple[RecordOutcome, ...] = attrs.field(converter=as_tuple)
    status: JobStatus = JobStatus.RESTORED
    reason: str = ""

    @property
    def restored(self) -> tuple[str, ...]:
        """The ids this job restored, parents before children."""
        return tuple(o.id for o in self.outcomes if o.outcome is Outcome.RESTORED)


@attrs.frozen(kw_only=True)
class JobFilter:
    """Which restore jobs a listing keeps; every filter given must match (R-E3, D-42).

    Attributes:
        requested_by: only jobs of this user.
        since: only jobs run at or after this instant.
        until: only jobs run at or before this instant.
        status: only jobs with this status.
        criterion: only jobs whose criteria are of this type, by class name (``"ById"``), as
            their JSON's ``"by"`` tag names it.
    """

    requested_by: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    status: JobStatus | None = None
    criterion: str | None = None

    @property
    def empty(self) -> bool:
        """Whether the filter keeps every job."""
        return self == JobFilter()

    def matches(self, job: RestoreJob) -> bool:
        """Whether `job` passes every filter given."""
        return (
            (self.requested_by is None or job.requested_by == self.requested_by)
            and (self.since is None or job.at >= self.since)
            and (self.until is None or job.at <= self.until)
            and (self.status is None or job.status is self.status)
            and (self.criterion is None or type(job.criteria).__name__ == self.criterion)
        )
