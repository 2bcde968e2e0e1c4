"""The state machine: random port calls on a store, every read compared with the `Model`.

Small pools of ids, times and labels make collisions, ties and refusals common; deleted ids
are often deleted again, so histories where ids come back (R-D6) are common too.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from deleted_repo.errors import IntegrityError, RecordNotFoundError
from deleted_repo.jobs import JobFilter, JobStatus
from deleted_repo.model import DeletedRecord, DeletionEvent, Record, Superseded
from deleted_repo.ports import Store
from deleted_repo.search import ById, ByRange, ByUser, Criteria, Query, Window
from deleted_repo.testing.strategies import actors, catalogs

from .builders import MINUS_FIVE_THIRTY, PLUS_TWO, US, event, instant, job
from .expect import Abort, by_id, fail, ids_of, paged, same, same_in_order
from .model import Model, Refusal, Shelf
from .world import DEFAULT_WORLD, ContractWorld

__all__ = ["StoreMachine"]

_MOSTLY = st.sampled_from([True, True, True, False])
_VARIANTS = st.integers(0, 3)
_EVENT_IDS = st.integers(0, 19).map(lambda n: f"e{n}")
_JOB_IDS = st.integers(0, 5).map(lambda n: f"j{n}")
_ZONES = st.sampled_from([UTC, PLUS_TWO, MINUS_FIVE_THIRTY])
_TIMES = st.builds(
    lambda minutes, micros, tz: instant(minutes, tz) + micros * US,
    st.integers(0, 4),
    st.sampled_from([0, 0, 1, 999_999]),
    _ZONES,
)
_JSON: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False, width=32)
    | st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text("abcxyz", max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


def _criteria(world: ContractWorld) -> st.SearchStrategy[Criteria]:
    """Criteria of the world's kinds, for the restore jobs written."""
    return st.one_of(
        st.builds(
            ById, kind=st.sampled_from(sorted(world.hierarchy.kinds)), id=st.sampled_from(["b1"])
        ),
        st.builds(
            lambda start, minutes: ByRange(
                kind=world.lookup[0], start=start, end=start + timedelta(minutes=minutes)
            ),
            _TIMES,
            st.integers(0, 90),
        ),
        st.builds(ByUser, kind=st.just(world.top), user_id=st.sampled_from(["ana", "bo"])),
    )


def _values(world: ContractWorld) -> list[Any]:
    """The lookup values of data variants 0 to 3, and one no record holds."""
    return [*(world.value(n) for n in range(4)), "zz"]


_FILTERS = st.builds(
    JobFilter,
    requested_by=st.none() | st.sampled_from(["ana", "bo"]),
    since=st.none() | _TIMES,
    until=st.none() | _TIMES,
    status=st.none() | st.sampled_from(JobStatus),
    criterion=st.none() | st.sampled_from(["ById", "ByRange", "ByUser"]),
)


def _mostly(data: st.DataObject) -> bool:
    """True three times in four."""
    return data.draw(_MOSTLY)


@st.composite
def _batches_of_records(draw: st.DrawFn, world: ContractWorld) -> list[Record]:
    """A few records that fit the world's hierarchy, parents first, of data variants 0 to 3.

    In a free-form world, one of them now and then holds an extra field of any JSON value.
    """
    prefix = draw(st.sampled_from("abcdefgh"))
    shapes = draw(
        catalogs(
            hierarchy=world.hierarchy, min_size=1, max_size=4, id_prefix=prefix, unique_fields={}
        )
    )
    records = [world.record(r.kind, r.id, r.parent_id, draw(_VARIANTS)) for r in shapes]
    if world.free_form and draw(st.booleans()):
        at = draw(st.integers(0, len(records) - 1))
        extra = draw(_JSON)
        records[at] = attrs.evolve(records[at], data={**records[at].data, "extra": extra})
    return records


def _near(times: Sequence[datetime]) -> st.SearchStrategy[datetime | None]:
    """A bound: none, any time, or one of `times` or a microsecond either side of one."""
    close = [t + d * US for t in times for d in (-1, 0, 1)]
    return st.none() | st.sampled_from(close) | _TIMES if close else st.none() | _TIMES


@st.composite
def _queries(
    draw: st.DrawFn,
    world: ContractWorld,
    institution: str,
    entries: Sequence[DeletedRecord],
    ids: Sequence[str],
) -> Query:
    """Queries with up to two filters and a window; most aim at a deleted record, so they hit."""
    seed = None
    if entries:
        seed = draw(st.sampled_from(entries)) if draw(_MOSTLY) else None
    filters = draw(
        st.sets(st.sampled_from(["ids", "event_ids", "actor", "actor_kind", "field"]), max_size=2)
    )
    some_ids = draw(st.frozensets(st.sampled_from(ids), max_size=2))
    some_events = draw(st.frozensets(_EVENT_IDS, max_size=2))
    if seed is None:
        kind = draw(st.sampled_from(sorted(world.hierarchy.kinds)))
        actor = draw(actors())
        value = draw(st.sampled_from(_values(world)))
    else:
        kind, actor = seed.kind, seed.actor
        some_ids, some_events = some_ids | {seed.id}, some_events | {seed.event_id}
        value = seed.record.data.get(world.field, "zz")
    bounds = _near([] if seed is None else [seed.deleted_at])
    return Query(
        institution=institution,
        kind=kind,
        ids=some_ids if "ids" in filters else None,
        event_ids=some_events if "event_ids" in filters else None,
        actor=actor if "actor" in filters else None,
        actor_kind=actor.kind if "actor_kind" in filters else None,
        field=(world.field, value) if "field" in filters else None,
        window=Window(start=draw(bounds), end=draw(bounds)),
    )


class StoreMachine(RuleBasedStateMachine):
    """Drives a store from `make_store` through the ports and compares every read with `Model`.

    Subclass it with `make_store` set to run it (`deleted_repo.testing.contract.run_state_machine`
    does).
    """

    make_store: ClassVar[Callable[[], Store]]
    world: ClassVar[ContractWorld] = DEFAULT_WORLD

    def __init__(self) -> None:
        super().__init__()
        self.world.fresh()
        self.store = type(self).make_store()
        home, away = self.world.institutions
        self.institutions = st.sampled_from([home, home, away])
        self.model = Model()
        self.known: set[str] = {"zz"}
        self.fresh = 0

    # Writes: each draws its arguments, asks the model for the outcome, then compares.

    @staticmethod
    def _compare(expected: Refusal, what: str, write: Callable[[], None]) -> None:
        try:
            write()
        except (IntegrityError, RecordNotFoundError) as e:
            if expected is None:
                raise AssertionError(
                    f"{what} raised {type(e).__name__} ({e}); the ports say it succeeds"
                ) from e
            if not isinstance(e, expected):
                raise AssertionError(
                    f"{what} raised {type(e).__name__} ({e}); expected {expected.__name__}"
                ) from e
            return
        if expected is not None:
            fail(f"{what} succeeded; expected {expected.__name__}")

    def _institution(self, data: st.DataObject, holding: Callable[[Shelf], Collection[Any]]) -> str:
        """An institution, mostly one where `holding` of its model shelf is not empty."""
        busy = [name for name in self.world.institutions if holding(self.model.shelf(name))]
        if busy and _mostly(data):
            return data.draw(st.sampled_from(busy))
        return data.draw(self.institutions)

    def _pick(self, data: st.DataObject, pool: Collection[str]) -> list[str]:
        """A few distinct ids, mostly from `pool`, now and then one outside it."""
        choices = sorted(pool)
        picked: list[str] = []
        if choices:
            picked = data.draw(
                st.lists(st.sampled_from(choices), min_size=1, max_size=3, unique=True)
            )
        if not picked or not _mostly(data):
            outside = sorted(self.known - set(pool)) or ["zz"]
            picked.append(data.draw(st.sampled_from(outside)))
        return picked

    def _catalog_add(self, data: st.DataObject) -> None:
        institution = data.draw(self.institutions)
        records = data.draw(_batches_of_records(self.world))
        if data.draw(st.booleans()):
            # A new record first, so that a refused batch has something an adapter might
            # write before it notices the clash.
            self.fresh += 1
            records = [self.world.record(self.world.top, f"new{self.fresh}"), *records]
        self.known.update(r.id for r in records)
        self._compare(
            self.model.catalog_add(institution, records),
            f"catalog.add({institution!r}, {records!r})",
            lambda: self.store.catalog.add(institution, records),
        )

    def _catalog_remove(self, data: st.DataObject) -> None:
        institution = self._institution(data, lambda shelf: shelf.catalog)
        ids = self._pick(data, self.model.shelf(institution).catalog)
        self._compare(
            self.model.catalog_remove(institution, ids),
            f"catalog.remove({institution!r}, {ids!r})",
            lambda: self.store.catalog.remove(institution, ids),
        )

    def _again(
        self, data: st.DataObject, institution: str, earlier: Sequence[DeletedRecord]
    ) -> list[Record]:
        """Records under one or two ids already deleted, with new data: they supersede (R-D6).

        The ids are deleted in the model's `institution`, or by `earlier` events of the call.
        """
        held = {e.id: e.record for e in self.model.shelf(institution).deleted.values()}
        held.update((e.id, e.record) for e in earlier if e.institution == institution)
        if not held:
            return []
        ids = data.draw(
            st.lists(st.sampled_from(sorted(held)), min_size=1, max_size=2, unique=True)
        )
        again = []
        for ident in ids:
            self.fresh += 1
            old = held[ident]
            kind, parent = (old.kind, old.parent_id) if _mostly(data) else (self.world.top, None)
            again.append(self.world.record(kind, ident, parent, data.draw(st.integers(0, 7))))
        return again

    def _add_events(self, data: st.DataObject) -> None:
        events: list[DeletionEvent] = []
        for _ in range(data.draw(st.sampled_from([1, 1, 1, 2]))):
            institution = self._institution(data, lambda shelf: shelf.deleted)
            records = data.draw(_batches_of_records(self.world))
            if _mostly(data):
                again = self._again(data, institution, [m for e in events for m in e.members])
                taken = {r.id for r in again}
                records = [*again, *(r for r in records if r.id not in taken)]
            self.known.update(r.id for r in records)
            events.append(
                event(
                    data.draw(_EVENT_IDS),
                    records,
                    actor=data.draw(actors()),
                    at=data.draw(_TIMES),
                    institution=institution,
                )
            )
        summary = [(e.institution, e.id, [m.id for m in e.members]) for e in events]
        self._compare(
            self.model.add_events(events),
            f"deleted.add_events(institution, event id, member ids: {summary})",
            lambda: self.store.deleted.add_events(events),
        )

    def _deleted_remove(self, data: st.DataObject) -> None:
        institution = self._institution(data, lambda shelf: shelf.deleted)
        ids = self._pick(data, self.model.shelf(institution).deleted)
        self._compare(
            self.model.deleted_remove(institution, ids),
            f"deleted.remove({institution!r}, {ids!r})",
            lambda: self.store.deleted.remove(institution, ids),
        )

    def _job_add(self, data: st.DataObject) -> None:
        recorded = attrs.evolve(
            job(
                data.draw(_JOB_IDS),
                data.draw(_TIMES),
                world=self.world,
                institution=data.draw(self.institutions),
            ),
            criteria=data.draw(_criteria(self.world)),
            requested_by=data.draw(st.sampled_from(["ana", "bo"])),
            status=data.draw(st.sampled_from(JobStatus)),
        )
        self._compare(
            self.model.job_add(recorded),
            f"jobs.add({recorded!r})",
            lambda: self.store.jobs.add(recorded),
        )

    def _write(self, data: st.DataObject) -> None:
        writes = [
            self._catalog_add,
            self._catalog_remove,
            self._add_events,
            self._deleted_remove,
            self._job_add,
        ]
        data.draw(st.sampled_from(writes))(data)

    @rule(data=st.data())
    def catalog_add(self, data: st.DataObject) -> None:
        """Add a few records to the catalog; refused when one is already active."""
        self._catalog_add(data)

    @precondition(lambda self: any(self.model.shelf(i).catalog for i in self.world.institutions))
    @rule(data=st.data())
    def catalog_remove(self, data: st.DataObject) -> None:
        """Remove a few ids from the catalog; refused when one is not active."""
        self._catalog_remove(data)

    @rule(data=st.data())
    def add_events(self, data: st.DataObject) -> None:
        """Record one or two events, often deleting ids again; refused on a recorded event id."""
        self._add_events(data)

    @precondition(lambda self: any(self.model.shelf(i).deleted for i in self.world.institutions))
    @rule(data=st.data())
    def deleted_remove(self, data: st.DataObject) -> None:
        """Remove a few deleted records; refused when one is not deleted."""
        self._deleted_remove(data)

    @rule(data=st.data())
    def job_add(self, data: st.DataObject) -> None:
        """Record a restore job; refused when its id is recorded."""
        self._job_add(data)

    @rule(
        data=st.data(),
        writes=st.integers(1, 3),
        nested=st.booleans(),
        abort=st.sampled_from([None, "outer", "inner"]),
    )
    def transaction(
        self, data: st.DataObject, writes: int, nested: bool, abort: str | None
    ) -> None:
        """Run a few writes in a transaction, maybe partly nested, maybe raising midway."""
        before = self.model.copy()
        try:
            with self.store.transaction():
                for n in range(writes):
                    if nested and n == writes - 1:
                        with self.store.transaction():
                            self._write(data)
                            self.check_every_record()
                            if abort == "inner":
                                raise Abort
                    else:
                        self._write(data)
                        self.check_every_record()
                if abort is not None:
                    raise Abort
        except Abort:
            self.model = before

    # Reads: each compares the store with the model.

    @invariant()
    def check_every_record(self) -> None:
        """Every id ever used is active, deleted or superseded exactly as the model says."""
        ids = sorted(self.known)
        for institution in self.world.institutions:
            self._compare_superseded(institution, ids)
            same(
                dict(self.store.catalog.get(institution, ids)),
                self.model.catalog_get(institution, ids),
                f"catalog.get({institution!r}, {ids})",
            )
            same(
                dict(self.store.deleted.get(institution, ids)),
                self.model.deleted_get(institution, ids),
                f"deleted.get({institution!r}, {ids})",
            )

    def _compare_superseded(self, institution: str, ids: Sequence[str]) -> None:
        got: dict[str, list[Superseded]] = {
            i: list(held) for i, held in self.store.deleted.superseded(institution, ids).items()
        }
        expected = self.model.superseded(institution, ids)
        what = f"deleted.superseded({institution!r}, {list(ids)})"
        same(sorted(got), sorted(expected), f"{what} (ids)")
        for ident, held in expected.items():
            same([s.by for s in got[ident]], [s.by for s in held], f"{what}[{ident!r}] (by)")
            same(got[ident], held, f"{what}[{ident!r}] (in full)")

    @precondition(lambda self: any(self.model.shelf(i).superseded for i in self.world.institutions))
    @rule(data=st.data())
    def superseded(self, data: st.DataObject) -> None:
        """The superseded deletions of a few ids, mostly ids that have some (R-D6)."""
        institution = self._institution(data, lambda shelf: shelf.superseded)
        held = {s.entry.id for s in self.model.shelf(institution).superseded}
        self._compare_superseded(institution, self._pick(data, held))

    @rule(data=st.data())
    def children(self, data: st.DataObject) -> None:
        """Children of a few ids, in the catalog and in the deleted repository."""
        institution = data.draw(self.institutions)
        parents = self._pick(data, self.known)
        same(
            by_id(self.store.catalog.children(institution, parents)),
            by_id(self.model.catalog_children(institution, parents)),
            f"catalog.children({institution!r}, {parents})",
        )
        same(
            by_id(self.store.deleted.children(institution, parents)),
            by_id(self.model.deleted_children(institution, parents)),
            f"deleted.children({institution!r}, {parents})",
        )

    @rule(data=st.data())
    def find_by_field(self, data: st.DataObject) -> None:
        """The catalog's holders of a few lookup values."""
        institution = data.draw(self.institutions)
        kinds = sorted(self.world.hierarchy.kinds)
        kind = data.draw(st.sampled_from([self.world.lookup[0]] * len(kinds) + kinds))
        values = data.draw(st.lists(st.sampled_from(_values(self.world)), max_size=3, unique=True))
        field = self.world.field
        got = dict(self.store.catalog.find_by_field(institution, kind, field, values))
        holders = self.model.catalog_holders(institution, kind, field, values)
        what = f"catalog.find_by_field({institution!r}, {kind!r}, {field!r}, {values})"
        same(sorted(got), sorted(holders), f"{what} (values found)")
        for value, ident in got.items():
            if ident not in holders[value]:
                fail(f"{what} gave {ident!r} for {value!r}; holders: {sorted(holders[value])}")

    @precondition(lambda self: any(self.model.shelf(i).deleted for i in self.world.institutions))
    @rule(data=st.data())
    def find(self, data: st.DataObject) -> None:
        """A search with random filters: all of it, then page by page, then after any cursor."""
        institution = self._institution(data, lambda shelf: shelf.deleted)
        entries = by_id(list(self.model.shelf(institution).deleted.values()))
        query = data.draw(_queries(self.world, institution, entries, sorted(self.known)))
        expected = self.model.find(query)
        same_in_order(self.store.deleted.find(query), expected, f"deleted.find({query!r})")
        limit = data.draw(st.integers(1, 3))
        seen = paged(self.store, query, limit, most=len(expected))
        same(ids_of(seen), ids_of(expected), f"paging deleted.find({query!r}) {limit} at a time")
        hit = data.draw(st.sampled_from(expected)) if expected else None
        if hit is not None and _mostly(data):
            at = hit.deleted_at + data.draw(st.sampled_from([0, 0, -1, 1])) * US
            cursor = (at, data.draw(st.sampled_from([hit.id, "", f"{hit.id}~", "zz"])))
        else:
            cursor = (data.draw(_TIMES), data.draw(st.sampled_from(["", "a0", "b1", "zz"])))
        same_in_order(
            self.store.deleted.find(query, after=cursor),
            self.model.find(query, after=cursor),
            f"deleted.find({query!r}, after={cursor!r})",
        )

    @precondition(lambda self: any(self.model.shelf(i).events for i in self.world.institutions))
    @rule(data=st.data())
    def latest_event(self, data: st.DataObject) -> None:
        """The actor's latest event with records left, and whether the actor ever deleted."""
        institution = self._institution(data, lambda shelf: shelf.events)
        events = self.model.shelf(institution).events
        seed = data.draw(st.sampled_from(events)) if events and _mostly(data) else None
        actor = seed.actor if seed is not None else data.draw(actors())
        bounds = _near([] if seed is None else [seed.at])
        window = Window(start=data.draw(bounds), end=data.draw(bounds))
        same(
            self.store.deleted.latest_event(institution, actor, window),
            self.model.latest_event(institution, actor, window),
            f"deleted.latest_event({institution!r}, {actor}, {window})",
        )
        same(
            self.store.deleted.has_actor(institution, actor),
            self.model.has_actor(institution, actor),
            f"deleted.has_actor({institution!r}, {actor})",
        )

    @rule(data=st.data())
    def jobs(self, data: st.DataObject) -> None:
        """Read back a job, and list the jobs after one of them, unfiltered and filtered."""
        institution = data.draw(self.institutions)
        job_id = data.draw(_JOB_IDS)
        same(
            self.store.jobs.get(institution, job_id),
            self.model.job_get(institution, job_id),
            f"jobs.get({institution!r}, {job_id!r})",
        )
        order = self.model.job_list(institution)
        seen = data.draw(st.none() | st.sampled_from(order)) if order else None
        after = None if seen is None else seen.id
        limit = data.draw(st.none() | st.integers(1, 3))
        same_in_order(
            self.store.jobs.list(institution, after=after, limit=limit),
            self.model.job_list(institution, after=after, limit=limit),
            f"jobs.list({institution!r}, after={after!r}, limit={limit})",
        )
        where = data.draw(_FILTERS)
        same_in_order(
            self.store.jobs.list(institution, after=after, limit=limit, where=where),
            self.model.job_list(institution, after=after, limit=limit, where=where),
            f"jobs.list({institution!r}, after={after!r}, limit={limit}, where={where})",
        )
