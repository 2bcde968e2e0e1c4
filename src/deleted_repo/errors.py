"""Every exception `deleted_repo` raises.

One root, a few branches; catch as wide or as narrow as you need::

    DeletedRepoError
    ├── InvalidInputError (ValueError)       bad arguments, refused before anything is read
    │   ├── UnknownKindError                 a kind the hierarchy does not declare
    │   ├── HierarchyError                   a parent of a kind the hierarchy does not allow
    │   ├── InvalidRangeError                a date range whose start is after its end
    │   └── InvalidPlanError                 a plan that is not internally consistent (tampered)
    ├── NotFoundError (LookupError)
    │   ├── RecordNotFoundError              ids that are not in the state the operation needs
    │   ├── UnknownActorError                a user or job that never deleted anything here
    │   └── RestoreJobNotFoundError          a restore job id that was never recorded
    ├── NotAuthorizedError (PermissionError) no restore role in the institution, or a foreign plan
    ├── PlanningError                        a restore that cannot be planned or executed as asked
    │   ├── CapExceededError                 more records than one restore job may hold (R-P8)
    │   ├── ConflictError                    conflicts under the ``fail`` conflict policy (R-P7)
    │   └── StalePlanError                   the state moved since the plan was made (R-E2)
    └── StorageError                         the store failed; adapters wrap driver errors here
        ├── IntegrityError                   the store refused a write that breaks its invariants
        └── SchemaVersionError               the SQL tables are missing, older or newer

Errors carry structured attributes (the ids, the count, the cap), so callers need not parse text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def quote(value: object, most: int = 80) -> str:
    """The `repr` of `value` for a message, cut to about `most` characters.

    Messages never echo a whole input: a 10 MB argument gives a short message.
    """
    if isinstance(value, str) and len(value) > most:
        return f"{value[:most]!r}... ({len(value)} characters)"
    if isinstance(value, list | tuple | set | frozenset | dict) and len(value) > most:
        return f"<{type(value).__name__} of {len(value)} items>"
    try:
        shown = repr(value)
    except Exception:  # a hostile __repr__ must not replace the error being reported
        shown = f"<{type(value).__name__}>"
    return shown if len(shown) <= most else f"{shown[:most]}... ({len(shown)} characters)"


def show_ids(ids: Iterable[str], most: int = 5) -> str:
    """Render ids for a message: the first few, and how many more there are."""
    listed = list(ids)
    shown = ", ".join(quote(i, 40) for i in listed[:most])
    extra = len(listed) - most
    return f"{shown} and {extra} more" if extra > 0 else shown


class DeletedRepoError(Exception):
    """The root of every exception raised by `deleted_repo`.

    Attributes:
        batch: for an error raised by `DeletedRepository.restore`, the number of the batch that
            failed (from 1); None for errors raised anywhere else.
        committed: for such an error, the restore jobs of the batches that committed before it,
            in order; they stand (D-22). Empty for errors raised anywhere else.
    """

    batch: int | None = None
    committed: tuple[Any, ...] = ()


class InvalidInputError(DeletedRepoError, ValueError):
    """An argument is malformed or contradicts another; nothing was read or changed.

    Attributes:
        field: the name of the offending argument or field, when there is one.
        value: the offending value, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class UnknownKindError(InvalidInputError):
    """A record kind that the hierarchy in use does not declare.

    Attributes:
        kind: the unknown kind.
        known: the kinds the hierarchy declares, sorted.
    """

    def __init__(self, kind: str, known: Iterable[str]) -> None:
        self.kind = kind
        self.known = tuple(sorted(known))
        super().__init__(
            f"unknown record kind {quote(kind)}; known kinds: {', '.join(self.known)}",
            field="kind",
            value=kind,
        )


class HierarchyError(InvalidInputError):
    """A record whose parent breaks the hierarchy (wrong kind, or missing where one is required)."""


class InvalidRangeError(InvalidInputError):
    """A date range whose start is after its end (R-S2).

    Attributes:
        start: the start given.
        end: the end given.
    """

    def __init__(self, start: object, end: object) -> None:
        self.start = start
        self.end = end
        super().__init__(f"range start {start} is after its end {end}", field="start", value=start)


class InvalidPlanError(InvalidInputError):
    """A restore plan that is not internally consistent, for example one edited after planning."""


class NotFoundError(DeletedRepoError, LookupError):
    """Something named by the caller does not exist in the state the operation needs."""


class RecordNotFoundError(NotFoundError):
    """Ids that are not in the state the operation needs (R-D5).

    Attributes:
        ids: the offending ids, in the order given.
        state: the state they should have been in ("active" or "deleted").
    """

    def __init__(self, ids: Iterable[str], *, state: str, detail: str = "") -> None:
        self.ids = tuple(ids)
        self.state = state
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"not {state}: {show_ids(self.ids)}{suffix}")


class UnknownActorError(NotFoundError):
    """A search by a user or job that has no deletion recorded in the institution.

    Attributes:
        actor: the actor searched for.
    """

    def __init__(self, actor: object) -> None:
        self.actor = actor
        super().__init__(f"no deletion by {actor} is recorded in this institution")


class RestoreJobNotFoundError(NotFoundError):
    """A restore job id that was never recorded in the institution.

    Attributes:
        job_id: the id asked for.
    """

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"no restore job {quote(job_id)}")


class NotAuthorizedError(DeletedRepoError, PermissionError):
    """The requester lacks the restore role in the institution, or the plan is another's (R-P1).

    Attributes:
        user_id: the requester.
        institution: the institution the operation concerns.
        role: the role that was needed.
    """

    def __init__(self, user_id: str, institution: str, role: str, detail: str = "") -> None:
        self.user_id = user_id
        self.institution = institution
        self.role = role
        reason = detail or f"lacks the role {quote(role)} in institution {quote(institution)}"
        super().__init__(f"user {quote(user_id)} {reason}")


class PlanningError(DeletedRepoError):
    """A restore that cannot be planned or executed as asked."""


class CapExceededError(PlanningError):
    """A plan holds more records than one restore job may (R-P8); ask for batches instead.

    Attributes:
        count: the records the plan would restore.
        cap: the policy's limit per restore job.
    """

    def __init__(self, count: int, cap: int) -> None:
        self.count = count
        self.cap = cap
        super().__init__(
            f"the restore would bring back {count} records, over the limit of {cap} per restore "
            "job; plan it in batches"
        )


class ConflictError(PlanningError):
    """Conflicts found while planning under the ``fail`` conflict policy (R-P7).

    Attributes:
        exclusions: the conflicting records, as plan exclusions with their reasons.
    """

    def __init__(self, exclusions: Iterable[object]) -> None:
        self.exclusions = tuple(exclusions)
        ids = [getattr(e, "id", str(e)) for e in self.exclusions]
        super().__init__(f"restore refused: {len(ids)} conflicting records: {show_ids(ids)}")


class StalePlanError(PlanningError):
    """The state moved since the plan was made; nothing was changed (R-E2).

    Attributes:
        ids: the planned ids that no longer match the state.
        detail: what moved, without the ids.
    """

    def __init__(self, ids: Iterable[str], detail: str) -> None:
        self.ids = tuple(ids)
        self.detail = detail
        super().__init__(f"the plan is stale: {detail}: {show_ids(self.ids)}")


class StorageError(DeletedRepoError):
    """A store failed; the operation was rolled back. Adapters chain the driver's error."""


class IntegrityError(StorageError):
    """A store refused a write that would break its invariants (a duplicate id or event)."""


class SchemaVersionError(StorageError):
    """The SQL store's tables are not at the schema version of the code (D-49).

    Raised by the first call of a `deleted_repo.stores.sql.SqlStore` on a database whose
    tables are missing, older (upgrade them: ``SqlStore.upgrade()`` or ``deleted-repo
    upgrade``) or newer than the code's ``SCHEMA_VERSION``, or record no single version; and
    by ``SqlStore.upgrade`` on such a database, unless it is older. Nothing was read or changed.

    Attributes:
        found: the database's schema version: 0 for tables made before versions were recorded;
            None when there are no tables or no single version is recorded.
        expected: the code's schema version.
    """

    def __init__(self, message: str, *, found: int | None, expected: int) -> None:
        super().__init__(message)
        self.found = found
        self.expected = expected
