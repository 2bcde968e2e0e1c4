"""The audit record of a restore job (R-E3)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs

from deleted_repo.search import Criteria
from deleted_repo.validators import as_dict, as_tuple, instant_field, text_field

__all__ = ["Outcome", "RecordOutcome", "RestoreJob"]


class Outcome(enum.Enum):
    """What a restore job did with one record."""

    RESTORED = "restored"
    EXCLUDED = "excluded"


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
            the plan's exclusions.
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

    @property
    def restored(self) -> tuple[str, ...]:
        """The ids this job restored, parents before children."""
        return tuple(o.id for o in self.outcomes if o.outcome is Outcome.RESTORED)
