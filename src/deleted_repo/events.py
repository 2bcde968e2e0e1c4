"""What changed, told to the host: typed events, their subscribers, and one log record each.

Every change of state, and every restore attempt turned down, is one event (R-E4, D-43).
`Dispatcher` sends events to subscribers only once what they describe is committed: at once
when the repository's own transaction committed, or, when the store ran inside a transaction
the repository did not open, when the host calls `Dispatcher.dispatch` after its commit (D-41).
Each event is also logged, once, when it happens (`log_event`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from deleted_repo.errors import InvalidInputError, quote
from deleted_repo.jobs import RestoreJob
from deleted_repo.model import DeletionEvent, Record, count_kinds
from deleted_repo.results import ListenerFailure, PurgeReport

__all__ = [
    "Deleted",
    "Dispatcher",
    "Event",
    "Listener",
    "Purged",
    "RestoreRefused",
    "RestoreStale",
    "Restored",
    "Subscriber",
    "joins_open_transaction",
    "log_event",
]

log = logging.getLogger("deleted_repo")


@attrs.frozen
class Deleted:
    """Records were deleted, or a deletion the host made was recorded (R-D1).

    Attributes:
        event: the deletion event recorded.
    """

    event: DeletionEvent


@attrs.frozen
class Restored:
    """One batch of a restore committed (R-E4).

    Attributes:
        job: its restore job.
        records: the records it made active again, parents before children.
    """

    job: RestoreJob
    records: tuple[Record, ...]


@attrs.frozen
class Purged:
    """Deleted records were removed for good (R-R1).

    Attributes:
        institution: where.
        requested_by: who purged.
        report: what went.
    """

    institution: str
    requested_by: str
    report: PurgeReport


@attrs.frozen
class RestoreRefused:
    """A restore attempt was refused as invalid; nothing changed but its audit entry (D-42).

    Attributes:
        job: the audit entry recorded (status refused, with its reason).
    """

    job: RestoreJob


@attrs.frozen
class RestoreStale:
    """A restore attempt was refused as stale (R-E2); nothing changed but its audit entry.

    Attributes:
        job: the audit entry recorded (status stale, with its reason).
    """

    job: RestoreJob


Event = Deleted | Restored | Purged | RestoreRefused | RestoreStale
"""Any one event."""

Subscriber = Callable[[Event], None]
"""Called with each event, once it is committed (D-41)."""

Listener = Callable[[RestoreJob, Sequence[Record]], None]
"""Called after a restore job commits, with the job and the records it reinstated (R-E4)."""


def joins_open_transaction(store: object) -> bool:
    """Whether a transaction opened on `store` now would join one already open (D-41).

    A store tells through an optional ``in_transaction()`` method; a store without one is taken
    to commit its own transactions, as before the method existed.
    """
    probe = getattr(store, "in_transaction", None)
    return bool(probe()) if callable(probe) else False


def _name(fn: object) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


class _RestoreListener:
    """A restore listener of the older API, as a subscriber to `Restored` events."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self.__qualname__ = _name(listener)

    def __call__(self, event: Event) -> None:
        if isinstance(event, Restored) and event.records:  # a job restoring nothing (D-20)
            self.listener(event.job, event.records)


class _Pending(threading.local):
    events: list[Event]

    def __init__(self) -> None:
        self.events = []


class Dispatcher:
    """A repository's subscribers and the events each thread holds back (D-26, D-41).

    Subscribers are called in the order they were added; events made inside a transaction the
    repository did not open wait, per thread, until the host commits and calls `dispatch`.
    """

    def __init__(self, store: object = None) -> None:
        self._store = store
        self._subscribers: list[Subscriber] = []
        self._pending = _Pending()

    def held_back(self) -> bool:
        """Whether events made now wait for `dispatch`.

        They do when the store is inside a transaction the repository did not open (D-41).
        """
        return joins_open_transaction(self._store)

    def subscribe(self, subscriber: Subscriber) -> None:
        """Add `subscriber`, told every event.

        Raises:
            InvalidInputError: `subscriber` is not callable.
        """
        if not callable(subscriber):
            raise InvalidInputError(
                f"a subscriber must be callable, got {quote(subscriber)}", field="subscriber"
            )
        self._subscribers.append(subscriber)

    def add_listener(self, listener: Listener) -> None:
        """Add a restore listener, told each committed restore job and its records (R-E4).

        Raises:
            InvalidInputError: `listener` is not callable.
        """
        if not callable(listener):
            raise InvalidInputError(
                f"a listener must be callable, got {quote(listener)}", field="listener"
            )
        self._subscribers.append(_RestoreListener(listener))

    def emit(self, events: Iterable[Event], *, deferred: bool) -> list[ListenerFailure]:
        """Log `events`, then send them now, or hold them for `dispatch` when `deferred`."""
        events = list(events)
        for event in events:
            log_event(event)
        if deferred:
            self._pending.events.extend(events)
            return []
        return self.send(events)

    def pending(self) -> tuple[Event, ...]:
        """The events this thread holds back, oldest first."""
        return tuple(self._pending.events)

    def dispatch(self) -> list[ListenerFailure]:
        """Send the events this thread holds back, and forget them."""
        events, self._pending.events = self._pending.events, []
        return self.send(events)

    def discard(self) -> tuple[Event, ...]:
        """Forget the events this thread holds back, unsent; return them."""
        events, self._pending.events = self._pending.events, []
        return tuple(events)

    def send(self, events: Iterable[Event]) -> list[ListenerFailure]:
        """Call every subscriber with each event; report those that raise.

        A subscriber that raises is logged on the ``deleted_repo`` logger at WARNING level;
        the others are still called, and the change stands.
        """
        failures = []
        for event in events:
            for subscriber in self._subscribers:
                try:
                    subscriber(event)
                except Exception as e:
                    name, about = _name(subscriber), _subject(event)
                    log.warning("listener %s failed for %s", name, about, exc_info=e)
                    failures.append(
                        ListenerFailure(name, about, type(e).__name__, str(e), type(event).__name__)
                    )
        return failures


def _subject(event: Event) -> str:
    """The id an event is about: its job's or its deletion event's; "" for a purge."""
    if isinstance(event, Deleted):
        return event.event.id
    if isinstance(event, Purged):
        return ""
    return event.job.id


def _fields(event: Event) -> dict[str, Any]:
    """The structured fields of an event's log record: ids counted, never listed (D-44)."""
    if isinstance(event, Deleted):
        e = event.event
        kinds = count_kinds(m.record.kind for m in e.members)
        return {
            "operation": "delete",
            "institution": e.institution,
            "actor": str(e.actor),
            "event_id": e.id,
            "records": len(e.members),
            "counts": kinds,
            "outcome": "deleted",
        }
    if isinstance(event, Purged):
        return {
            "operation": "purge",
            "institution": event.institution,
            "actor": event.requested_by,
            "records": len(event.report.ids),
            "counts": dict(event.report.counts),
            "outcome": "purged",
        }
    job = event.job
    return {
        "operation": "restore",
        "institution": job.institution,
        "actor": job.requested_by,
        "job_id": job.id,
        "batch": job.batch,
        "batches": job.batches,
        "records": len(job.restored),
        "counts": dict(job.counts),
        "outcome": job.status.value,
        "reason": job.reason,
    }


def log_event(event: Event) -> None:
    """Log one record for `event` on the ``deleted_repo`` logger, its fields in ``extra``.

    INFO for changes, WARNING for refused and stale restore attempts (D-44).
    """
    level = logging.INFO if isinstance(event, Deleted | Restored | Purged) else logging.WARNING
    if not log.isEnabledFor(level):
        return  # counting a large event's kinds is not free
    fields = _fields(event)
    reason = fields.get("reason")
    log.log(
        level,
        "%s %s in %s: %d records by %s%s",
        fields["operation"],
        fields["outcome"],
        fields["institution"],
        fields["records"],
        fields["actor"],
        f" ({reason})" if reason else "",
        extra=fields,
    )
