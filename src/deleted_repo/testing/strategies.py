"""Hypothesis strategies for host applications' property-based tests.

Values: `catalogs`, `actors`, `hierarchies`, `emptied_parents` and `policies`. Histories:
`deletion_histories` draws a `deleted_repo.testing.histories.History` (catalogs, then delete
actions on them) that is valid input to the facade; `criteria` draws searches that find
something in a history, and `restore_plans` plans of them.

Every strategy takes keyword-only options, checks them eagerly (raising hypothesis'
`InvalidArgument`), and states what it guarantees. They are registered for `st.from_type` through
hypothesis' entry point, so ``st.from_type(Actor)`` works once `deleted_repo` is installed
(and so do `Hierarchy`, `EmptiedParents`, `Policy` and `History`).

Example:
    >>> from hypothesis import given
    >>> from deleted_repo.testing.strategies import catalogs
    >>> @given(catalogs(max_size=5))
    ... def test_parents_come_first(records):
    ...     seen = set()
    ...     for r in records:
    ...         assert r.parent_id is None or r.parent_id in seen
    ...         seen.add(r.id)
    >>> test_parents_come_first()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from deleted_repo.errors import CapExceededError, InvalidInputError
from deleted_repo.model import (
    ALMA,
    ALMA_SYSTEM_LABELS,
    Actor,
    ActorKind,
    EmptiedParents,
    Hierarchy,
    Record,
)
from deleted_repo.planner import RestorePlan
from deleted_repo.policy import AncestorPolicy, ConflictPolicy, Policy
from deleted_repo.search import ByField, ById, ByJob, ByRange, BySystem, ByUser, Criteria
from deleted_repo.testing.histories import (
    HISTORY_START,
    DeleteAction,
    History,
    deleted_by_rules,
)

__all__ = [
    "actors",
    "catalogs",
    "criteria",
    "deletion_histories",
    "emptied_parents",
    "hierarchies",
    "policies",
    "restore_plans",
]

_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6)


def _check_size(min_size: int, max_size: int) -> None:
    if not isinstance(min_size, int) or min_size < 0:
        raise InvalidArgument(f"min_size={min_size!r} must be a non-negative integer")
    if not isinstance(max_size, int) or max_size < min_size:
        raise InvalidArgument(f"max_size={max_size!r} must be an integer >= min_size={min_size}")


def actors(
    *,
    users: st.SearchStrategy[str] | None = None,
    jobs: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Actor]:
    """Actors of every kind: users, jobs, and the system process under both of Alma's labels.

    Args:
        users: user ids to draw from (default: a few short names, so actors repeat).
        jobs: job ids to draw from (default: a few short names).
    """
    for name, value in (("users", users), ("jobs", jobs)):
        if value is not None and not isinstance(value, st.SearchStrategy):
            raise InvalidArgument(f"{name}={value!r} must be a strategy")
    return st.one_of(
        (users if users is not None else st.sampled_from(["ana", "bo", "cy"])).map(Actor.user),
        (jobs if jobs is not None else st.sampled_from(["J1", "J2"])).map(Actor.job),
        st.sampled_from(ALMA_SYSTEM_LABELS).map(Actor.system),
    )


def emptied_parents() -> st.SearchStrategy[EmptiedParents]:
    """Both choices a delete offers for parents left with no active children (R-D3)."""
    return st.sampled_from(EmptiedParents)


def hierarchies(*, max_kinds: int = 5) -> st.SearchStrategy[Hierarchy]:
    """Valid hierarchies: at least one top-level kind; kinds may nest under themselves.

    Args:
        max_kinds: the most kinds a hierarchy declares (at least 1).
    """
    if not isinstance(max_kinds, int) or max_kinds < 1:
        raise InvalidArgument(f"max_kinds={max_kinds!r} must be a positive integer")
    return _hierarchies(max_kinds)


@st.composite
def _hierarchies(draw: st.DrawFn, max_kinds: int) -> Hierarchy:
    names = draw(st.lists(_NAMES, min_size=1, max_size=max_kinds, unique=True))
    parents: dict[str, list[str] | None] = {names[0]: None}
    for i, name in enumerate(names[1:], start=1):
        allowed = draw(
            st.lists(st.sampled_from(names[: i + 1]), min_size=0, max_size=2, unique=True)
        )
        parents[name] = [p for p in allowed if p != name or len(allowed) > 1] or None
    return Hierarchy.declare(parents)


def catalogs(
    *,
    hierarchy: Hierarchy = ALMA,
    min_size: int = 0,
    max_size: int = 30,
    unique_fields: Mapping[str, Sequence[str]] | None = None,
    id_prefix: str = "r",
) -> st.SearchStrategy[list[Record]]:
    """Catalogs that obey `hierarchy`: lists of records, parents before children.

    Guarantees: ids are unique (``id_prefix`` followed by a number); every record's parent is an
    earlier record of a kind the hierarchy allows, or it has none and its kind is top-level;
    every record has a ``title``; the values of each unique field are distinct, so the catalog is
    valid input to `Catalog.add` and to any delete.

    Args:
        hierarchy: the kinds and their parents (default: Alma's).
        min_size: the fewest records.
        max_size: the most records.
        unique_fields: per kind, fields given distinct values (default: the policy's, an item's
            barcode).
        id_prefix: what every id starts with.
    """
    _check_size(min_size, max_size)
    if not isinstance(hierarchy, Hierarchy):
        raise InvalidArgument(f"hierarchy={hierarchy!r} must be a Hierarchy")
    fields = Policy().unique_fields if unique_fields is None else unique_fields
    tops = sorted(name for name, spec in hierarchy.kinds.items() if spec.top_level)
    if not tops:
        raise InvalidArgument("the hierarchy has no top-level kind, so no catalog can start")
    below = {
        name: sorted(k for k, spec in hierarchy.kinds.items() if name in spec.parents)
        for name in hierarchy.kinds
    }
    return _catalogs(
        min_size=min_size,
        max_size=max_size,
        fields=fields,
        tops=tops,
        below=below,
        id_prefix=id_prefix,
    )


@st.composite
def _catalogs(
    draw: st.DrawFn,
    *,
    min_size: int,
    max_size: int,
    fields: Mapping[str, Sequence[str]],
    tops: list[str],
    below: Mapping[str, list[str]],
    id_prefix: str,
) -> list[Record]:
    size = draw(st.integers(min_size, max_size))
    records: list[Record] = []
    for n in range(size):
        at = draw(st.integers(-1, len(records) - 1)) if records else -1
        parent = records[at] if at >= 0 and below[records[at].kind] else None
        kind = draw(st.sampled_from(below[parent.kind] if parent else tops))
        data: dict[str, object] = {"title": f"{kind} {n}"}
        for field in fields.get(kind, ()):
            data[field] = f"{field}-{n}"
        records.append(Record(kind, f"{id_prefix}{n}", parent.id if parent else None, data))
    return records


def _check_instant(value: object, name: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidArgument(f"{name}={value!r} must be a timezone-aware datetime")


def _check_positive(value: object, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidArgument(f"{name}={value!r} must be a positive integer")


def _check_hierarchy(hierarchy: object) -> None:
    if not isinstance(hierarchy, Hierarchy):
        raise InvalidArgument(f"hierarchy={hierarchy!r} must be a Hierarchy")


def _check_institutions(institutions: object) -> tuple[str, ...]:
    if isinstance(institutions, str) or not isinstance(institutions, Sequence):
        raise InvalidArgument(f"institutions={institutions!r} must be a sequence of names")
    names = tuple(institutions)
    if not names or len(set(names)) != len(names):
        raise InvalidArgument(f"institutions={institutions!r} must be distinct, and at least one")
    for name in names:
        if not isinstance(name, str) or not name:
            raise InvalidArgument(f"institution {name!r} must be a non-empty string")
    return names


_MICROSECOND = timedelta(microseconds=1)


def deletion_histories(
    *,
    hierarchy: Hierarchy = ALMA,
    institutions: Sequence[str] = ("01HOME", "02AWAY"),
    max_records: int = 12,
    max_deletes: int = 8,
    span: timedelta = timedelta(days=500),
    deleted_by: st.SearchStrategy[Actor] | None = None,
    unique_fields: Mapping[str, Sequence[str]] | None = None,
    start: datetime = HISTORY_START,
) -> st.SearchStrategy[History]:
    """Deletion histories: catalogs, then delete actions on them, valid input to the facade.

    Guarantees:

    - every history is valid input to the facade: `History.replay` on a repository whose
      store is empty never raises, whatever its policy;
    - each institution's catalog is drawn by `catalogs` (1 to `max_records` records, ids
      ``r0``, ``r1``, ...), so the same ids stand in every institution (R-M3);
    - there are 1 to `max_deletes` actions; each deletes 1 to 3 ids active at its time in one
      institution, by an actor of `deleted_by`, with either emptied-parent choice (R-D3);
      `DeleteAction.takes` lists what it deletes;
    - the actions' times increase strictly, from `start`; every action and the history's
      `end` are within `span` of `start`, so with the default span some deletions fall out of
      the one-year search window and digital files expire (R-S2, R-P6).

    Shrinking goes towards fewer actions and records, earlier ids, and times close together.

    Args:
        hierarchy: the kinds the catalogs obey (default: Alma's).
        institutions: the institutions, each with a catalog of its own.
        max_records: the most records in one institution's catalog.
        max_deletes: the most delete actions.
        span: the longest time from `start` to `end`.
        deleted_by: the actors who delete (default: `actors()`: users, jobs, and the system
            under both of Alma's labels).
        unique_fields: per kind, fields given distinct values (default: the default policy's
            for the hierarchy); pass the policy's when the repository's differs.
        start: the time before the first action, timezone-aware.
    """
    _check_hierarchy(hierarchy)
    names = _check_institutions(institutions)
    _check_positive(max_records, "max_records")
    _check_positive(max_deletes, "max_deletes")
    if not isinstance(span, timedelta) or span < max_deletes * _MICROSECOND:
        raise InvalidArgument(
            f"span={span!r} must be a timedelta of at least max_deletes={max_deletes} microseconds"
        )
    if deleted_by is not None and not isinstance(deleted_by, st.SearchStrategy):
        raise InvalidArgument(f"deleted_by={deleted_by!r} must be a strategy")
    _check_instant(start, "start")
    fields = Policy.default_for(hierarchy).unique_fields if unique_fields is None else unique_fields
    shelves = catalogs(hierarchy=hierarchy, min_size=1, max_size=max_records, unique_fields=fields)
    return _histories(
        hierarchy=hierarchy,
        institutions=names,
        shelves=shelves,
        max_deletes=max_deletes,
        span=span // _MICROSECOND,
        deleted_by=actors() if deleted_by is None else deleted_by,
        start=start,
    )


@st.composite
def _histories(
    draw: st.DrawFn,
    *,
    hierarchy: Hierarchy,
    institutions: tuple[str, ...],
    shelves: st.SearchStrategy[list[Record]],
    max_deletes: int,
    span: int,
    deleted_by: st.SearchStrategy[Actor],
    start: datetime,
) -> History:
    books = {institution: draw(shelves) for institution in institutions}
    active = {institution: {r.id for r in records} for institution, records in books.items()}
    gap = span // max_deletes
    at = start
    actions: list[DeleteAction] = []
    for n in range(draw(st.integers(1, max_deletes))):
        open_ = [i for i in institutions if active[i]]
        if not open_:
            break
        institution = draw(st.sampled_from(open_))
        ids = draw(
            st.lists(
                st.sampled_from(sorted(active[institution])), min_size=1, max_size=3, unique=True
            )
        )
        emptied = draw(emptied_parents())
        actor = draw(deleted_by)
        at += draw(st.integers(0 if n == 0 else 1, gap)) * _MICROSECOND
        takes = deleted_by_rules(books[institution], active[institution], ids, emptied)
        active[institution].difference_update(takes)
        actions.append(
            DeleteAction(
                institution=institution,
                ids=ids,
                actor=actor,
                at=at,
                emptied_parents=emptied,
                takes=takes,
            )
        )
    elapsed = (at - start) // _MICROSECOND
    end = at + draw(st.integers(0, span - elapsed)) * _MICROSECOND
    return History(hierarchy=hierarchy, start=start, end=end, catalogs=books, actions=actions)


def _checked_policy(policy: object, hierarchy: Hierarchy) -> Policy:
    if policy is None:
        return Policy.default_for(hierarchy)
    if not isinstance(policy, Policy):
        raise InvalidArgument(f"policy={policy!r} must be a Policy")
    try:
        return policy.checked_against(hierarchy)
    except InvalidInputError as e:
        raise InvalidArgument(f"policy does not fit the history's hierarchy: {e}") from e


def _checked_history(history: object, institution: str | None) -> tuple[History, str]:
    if not isinstance(history, History):
        raise InvalidArgument(f"history={history!r} must be a History")
    if institution is None:
        if not history.actions:
            raise InvalidArgument("the history has no delete action, so nothing can be found")
        institution = history.actions[-1].institution
    if not history.deleted(institution):
        raise InvalidArgument(f"the history deletes nothing in institution={institution!r}")
    return history, institution


def criteria(
    history: History, *, institution: str | None = None, policy: Policy | None = None
) -> st.SearchStrategy[Criteria]:
    """Criteria that find at least one record of `history` once it is over.

    Guarantee: a search with a drawn criterion, in `institution`, on a repository with
    `policy` that replayed `history` (`History.replay`), at the history's `end`, finds at
    least one record. Each criterion is aimed at one record the history deleted there: by its
    id (R-S3) or a searchable field of it (R-S10), at any age; and when its deletion is inside
    the search window (R-S2), by a range around its deletion time, by its job (R-S5), by the
    system (R-D4, D-8), or by its user, with a range that makes its action that user's last
    (R-S4, D-47). Shrinking goes towards searches by id.

    Args:
        history: the history the criteria are for.
        institution: where to search (default: the institution of the history's last action).
        policy: the repository's policy, whose window and searchable fields shape the
            criteria (default: Alma's, for the history's hierarchy).

    Raises:
        InvalidArgument: `history` is not a `History`; the history deletes nothing in
            `institution`; `policy` is not a `Policy` or names kinds the hierarchy lacks.
    """
    history, institution = _checked_history(history, institution)
    return _criteria(history, institution, _checked_policy(policy, history.hierarchy))


_AROUND = timedelta(days=3) // _MICROSECOND


def _in_window(at: datetime, now: datetime, policy: Policy) -> bool:
    try:
        return at >= now - policy.search_window
    except OverflowError:  # a window reaching before year 1 sees everything
        return True


@st.composite
def _criteria(draw: st.DrawFn, history: History, institution: str, policy: Policy) -> Criteria:
    deleted = history.deleted(institution)
    ident = draw(st.sampled_from(sorted(deleted)))
    record, action = deleted[ident]
    kind = record.kind
    fields = [
        f
        for f in policy.searchable_fields.get(kind, ())
        if isinstance(record.data.get(f), str) and record.data[f]
    ]
    ways = ["id", "field"] if fields else ["id"]
    if _in_window(action.at, history.end, policy):
        ways += ["range", action.actor.kind.value]
    way = draw(st.sampled_from(ways))
    if way == "id":
        return ById(kind=kind, id=ident)
    if way == "field":
        field = draw(st.sampled_from(fields))
        return ByField(kind=kind, field=field, value=record.data[field])
    if way == ActorKind.JOB.value:
        return ByJob(kind=kind, job_id=action.actor.id)
    return _timed(draw, way, kind, action, history)


def _timed(
    draw: st.DrawFn, way: str, kind: str, action: DeleteAction, history: History
) -> Criteria:
    """A criterion by range, system or user whose range holds the time of `action`."""
    later = [
        a.at
        for a in history.actions
        if a.at > action.at and a.actor == action.actor and a.institution == action.institution
    ]
    start = action.at - draw(st.integers(0, _AROUND)) * _MICROSECOND
    most_after = _AROUND
    if way == ActorKind.USER.value and later:
        # D-47: a user's range ends before the user's next action there, so this one is last.
        most_after = (later[0] - action.at) // _MICROSECOND - 1
    end = action.at + draw(st.integers(0, most_after)) * _MICROSECOND
    if way == "range":
        return ByRange(kind=kind, start=start, end=end)
    ranged = draw(st.booleans()) if way == ActorKind.SYSTEM.value or not later else True
    if way == ActorKind.SYSTEM.value:
        return BySystem(kind=kind, start=start, end=end) if ranged else BySystem(kind=kind)
    if not ranged:
        return ByUser(kind=kind, user_id=action.actor.id)
    return ByUser(kind=kind, user_id=action.actor.id, start=start, end=end)


_FIELDS = ("barcode", "title")


def policies(*, hierarchy: Hierarchy = ALMA) -> st.SearchStrategy[Policy]:
    """Valid policies for `hierarchy`: a repository of that hierarchy accepts every one.

    Guarantees: `Policy.checked_against` accepts each for `hierarchy` (retention, unique and
    searchable fields name only its kinds). Drawn: a search window of 1 to 730 days (R-S2);
    retention of 1 to 400 days for up to three kinds (R-P6, R-R1); a cap of 5000, or of 1 to 8
    records, so that batches and refused plans are common (R-P8); either ancestor policy
    (R-P4) and either conflict policy (R-P7); unique and searchable fields among ``barcode``
    and ``title`` for up to three kinds (R-P7, R-S10). The restore role is always
    ``"Repository Manager"``. Shrinking goes towards the default policy's switches.

    Args:
        hierarchy: the kinds the policy may name (default: Alma's).
    """
    _check_hierarchy(hierarchy)
    kinds = st.sampled_from(sorted(hierarchy.kinds))
    fields = st.dictionaries(
        kinds, st.lists(st.sampled_from(_FIELDS), min_size=1, max_size=2, unique=True), max_size=3
    )
    return st.builds(
        Policy,
        search_window=st.integers(1, 730).map(lambda d: timedelta(days=d)),
        retention=st.dictionaries(
            kinds, st.integers(1, 400).map(lambda d: timedelta(days=d)), max_size=3
        ),
        max_records_per_job=st.just(5000) | st.integers(1, 8),
        ancestors_from_other_events=st.sampled_from(AncestorPolicy),
        on_conflict=st.sampled_from(ConflictPolicy),
        unique_fields=fields,
        searchable_fields=fields,
    )


def restore_plans(
    history: History,
    *,
    institution: str | None = None,
    policy: Policy | None = None,
    batches: st.SearchStrategy[bool] | None = None,
) -> st.SearchStrategy[RestorePlan]:
    """Plans of restoring what a search by `criteria` finds, once `history` is over.

    Each plan is made by `DeletedRepository.plan` at the history's `end`, on
    ``history.repository(policy=policy)``. To restore it, build that repository again: its
    event ids are the same, so the plan is fresh there (R-E2) and restores at the clock's
    time it is left at (R-E1, I3, D-47).

    Guarantee: planning succeeds, though the targets may all be excluded (R-P4, R-P6). A plan
    is split into batches when `batches` draws True, or when it is over the cap without them
    (R-P8); a history catalogues no id again, so no conflict can refuse it (R-P7).

    Args:
        history: the history to plan on.
        institution: where to plan (default: the institution of the history's last action).
        policy: the repository's policy (default: Alma's, for the history's hierarchy).
        batches: whether to ask for batches (default: either).

    Raises:
        InvalidArgument: as `criteria`; `batches` is not a strategy.
    """
    history, institution = _checked_history(history, institution)
    checked = _checked_policy(policy, history.hierarchy)
    if batches is not None and not isinstance(batches, st.SearchStrategy):
        raise InvalidArgument(f"batches={batches!r} must be a strategy")
    return _plans(history, institution, checked, st.booleans() if batches is None else batches)


@st.composite
def _plans(
    draw: st.DrawFn,
    history: History,
    institution: str,
    policy: Policy,
    batches: st.SearchStrategy[bool],
) -> RestorePlan:
    search = draw(_criteria(history, institution, policy))
    split = draw(batches)
    repo, _ = history.repository(policy=policy)
    requester = history.requester(institution, role=policy.restore_role)
    try:
        return repo.plan(search, requester=requester, batches=split)
    except CapExceededError:
        return repo.plan(search, requester=requester, batches=True)
