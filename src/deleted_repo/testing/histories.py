"""Deletion histories: catalogs and the delete actions made on them, as one frozen value.

`deletion_histories` (in `deleted_repo.testing.strategies`) draws `History` values; a host's
test replays one on a repository over its own store (`History.replay`, or `History.repository`
for a fresh one) and then searches, plans and restores as its users would.

A history knows, for each action, every id that action deletes (`DeleteAction.takes`). That is
worked out by a plain model of the deletion rules written here (R-D2, R-D3, D-1), sharing no
code with `deleted_repo.deleting`, so that a test comparing the two can fail (D-46).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

from deleted_repo.model import (
    ALMA,
    Actor,
    DeletionEvent,
    EmptiedParents,
    Hierarchy,
    Record,
    Requester,
)
from deleted_repo.policy import Policy
from deleted_repo.ports import Store
from deleted_repo.service import DeletedRepository

__all__ = [
    "HISTORY_START",
    "DeleteAction",
    "History",
    "ManualClock",
    "deleted_by_rules",
]

HISTORY_START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
"""The time a drawn history starts at, unless it is told another."""


class ManualClock:
    """A clock that tells the time it was last set to: what a replayed history runs on.

    Attributes:
        now: the time the clock tells; set it to move the clock.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        """The time the clock is set to."""
        return self.now

    def __repr__(self) -> str:
        return f"ManualClock({self.now!r})"


def _ids(value: Collection[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class DeleteAction:
    """One call of `DeletedRepository.delete` in a history.

    Attributes:
        institution: where the records are.
        ids: the ids the action is asked to delete (its origins), each active when it runs.
        actor: who deletes: a user, a job, or the system under either of its labels (R-D4).
        at: when; later than every earlier action of the history.
        emptied_parents: what happens to a parent left with no active children (R-D3).
        takes: every id the action deletes (origins, what stands below them, and the emptied
            parents), as the deletion rules say (`deleted_by_rules`), in that order.
    """

    institution: str
    ids: tuple[str, ...] = attrs.field(converter=_ids)
    actor: Actor
    at: datetime
    emptied_parents: EmptiedParents
    takes: tuple[str, ...] = attrs.field(converter=_ids)


def _actions(value: Sequence[DeleteAction]) -> tuple[DeleteAction, ...]:
    return tuple(value)


def _catalogs(value: Mapping[str, Sequence[Record]]) -> dict[str, tuple[Record, ...]]:
    return {institution: tuple(records) for institution, records in value.items()}


def _counter(prefix: str) -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"{prefix}{next(numbers)}"


@attrs.frozen(kw_only=True)
class History:
    """Catalogs, and the delete actions made on them in order: valid input to the facade.

    Replaying a history on a fresh repository (`replay`) never raises: every action deletes
    only ids active at its time, and the actions' times increase.

    Attributes:
        hierarchy: the kinds the catalogs obey.
        start: the clock's time before the first action; the catalogs exist by then.
        end: the clock's time once the history is over (no earlier than the last action).
        catalogs: each institution's records, parents before children; ids may repeat across
            institutions (R-M3).
        actions: the delete actions, oldest first.
    """

    hierarchy: Hierarchy = attrs.field(repr=lambda h: "ALMA" if h == ALMA else repr(h))
    start: datetime
    end: datetime
    catalogs: Mapping[str, tuple[Record, ...]] = attrs.field(converter=_catalogs)
    actions: tuple[DeleteAction, ...] = attrs.field(converter=_actions)

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        """Show the short `repr` in hypothesis' reports, the hierarchy named when it is Alma's."""
        printer.text(repr(self))

    @property
    def institutions(self) -> tuple[str, ...]:
        """The institutions, in the order of `catalogs`."""
        return tuple(self.catalogs)

    def deleted(self, institution: str) -> dict[str, tuple[Record, DeleteAction]]:
        """What is deleted in `institution` once the history is over: id to record and action."""
        records = {r.id: r for r in self.catalogs.get(institution, ())}
        return {
            ident: (records[ident], action)
            for action in self.actions
            if action.institution == institution
            for ident in action.takes
        }

    def until(self, count: int) -> History:
        """The history of the first `count` actions, ending at the last one's time."""
        kept = self.actions[:count]
        return attrs.evolve(self, actions=kept, end=kept[-1].at if kept else self.start)

    def requester(self, institution: str, *, role: str = "Repository Manager") -> Requester:
        """A user holding `role` (by default the restore role) in `institution` (R-P1)."""
        return Requester(user_id="manager", institution=institution, roles={role})

    def replay(self, repository: DeletedRepository, clock: ManualClock) -> list[DeletionEvent]:
        """Add the catalogs to `repository`, then make each delete action at its time.

        Args:
            repository: a repository whose store holds none of the history's ids.
            clock: the clock `repository` was built with; it is left at `end`.

        Returns:
            The events recorded, one per action, in order.
        """
        for institution, records in self.catalogs.items():
            if records:
                repository.catalog.add(institution, list(records))
        events = []
        for action in self.actions:
            clock.now = action.at
            events.append(
                repository.delete(
                    action.institution,
                    action.ids,
                    actor=action.actor,
                    emptied_parents=action.emptied_parents,
                )
            )
        clock.now = self.end
        return events

    def repository(
        self, store: Store | None = None, *, policy: Policy | None = None
    ) -> tuple[DeletedRepository, ManualClock]:
        """A repository over `store` (default: a new in-memory one) with the history replayed.

        Event and job ids count up (``e1``, ``e2``, ...), so two repositories built from the
        same history are in the same state, and a plan made on one restores on the other.

        Args:
            store: an empty store.
            policy: the repository's policy (default: Alma's, for the history's hierarchy).

        Returns:
            The repository and its clock, set to `end`.
        """
        from deleted_repo.stores.memory import MemoryStore  # noqa: PLC0415 (only when asked)

        clock = ManualClock(self.start)
        repo = DeletedRepository(
            MemoryStore() if store is None else store,
            clock=clock,
            hierarchy=self.hierarchy,
            policy=policy,
            new_id=_counter("e"),
        )
        self.replay(repo, clock)
        return repo, clock


def deleted_by_rules(
    records: Sequence[Record],
    active: Collection[str],
    origins: Sequence[str],
    emptied_parents: EmptiedParents,
) -> list[str]:
    """The ids a delete of `origins` takes from a catalog, by the deletion rules alone.

    Every active record below an origin goes (R-D2); with ``delete``, a parent left with no
    active child of any kind goes too, and the rule repeats upward (R-D3, D-1).

    Args:
        records: the catalog, every record ever added, parents before children.
        active: the ids active before the delete; the origins are among them.
        origins: the ids asked for.
        emptied_parents: what happens to emptied parents.

    Returns:
        The origins, then what stands below them, then the emptied parents.
    """
    parent_of = {r.id: r.parent_id for r in records}
    children: dict[str, list[str]] = {r.id: [] for r in records}
    for r in records:
        if r.parent_id is not None:
            children[r.parent_id].append(r.id)
    taken = dict.fromkeys(origins)
    frontier = list(origins)
    while frontier:
        frontier = [c for p in frontier for c in children[p] if c in active and c not in taken]
        taken.update(dict.fromkeys(frontier))
    if emptied_parents is EmptiedParents.DELETE:
        parents = {parent_of[i] for i in taken} - {None} - taken.keys()
        while parents:
            emptied = sorted(
                p
                for p in parents
                if p is not None and all(c in taken or c not in active for c in children[p])
            )
            taken.update(dict.fromkeys(emptied))
            parents = {parent_of[p] for p in emptied} - {None} - taken.keys()
    return list(taken)
