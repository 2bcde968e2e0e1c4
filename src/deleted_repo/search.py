"""Search criteria, and the rules that turn them into store queries (R-S1..R-S10).

A criterion names the find type (`kind`) and one way to find records. `resolve` applies the
one-year window (R-S2) and returns a `Query` for the store; `query_for` adds the rules that read
the store: an unknown actor, and the user's last action (R-S4). A search's later pages reuse
what its first page resolved, through the cursor (`PageCursor`, D-31).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, get_args, overload

import attrs

from deleted_repo.errors import InvalidInputError, InvalidRangeError, UnknownActorError, quote
from deleted_repo.model import (
    Actor,
    ActorKind,
    DeletedRecord,
    Hierarchy,
    MemberRole,
    Record,
    Superseded,
)
from deleted_repo.policy import Policy
from deleted_repo.validators import instant_field, optional_instant_field, text_field

if TYPE_CHECKING:
    from deleted_repo.reads import DeletedReads

__all__ = [
    "CRITERIA",
    "Brief",
    "ByField",
    "ById",
    "ByJob",
    "ByRange",
    "BySystem",
    "ByUser",
    "Criteria",
    "Cursor",
    "PageCursor",
    "Query",
    "SearchPage",
    "Window",
    "brief",
    "history",
    "page_of",
    "query_for",
    "resolve",
    "title",
]


def _range(instance: Any, _attribute: attrs.Attribute[Any], _value: object) -> None:
    start: datetime | None = instance.start
    end: datetime | None = instance.end
    if start is not None and end is not None and start > end:
        raise InvalidRangeError(start, end)


@attrs.frozen(kw_only=True)
class ById:
    """Find the deleted record of `kind` with this id, at any age (R-S3)."""

    kind: str = attrs.field(validator=text_field)
    id: str = attrs.field(validator=text_field)


@attrs.frozen(kw_only=True)
class ByRange:
    """Find records of `kind` deleted from `start` to `end`, both inclusive (R-S1, R-S2, D-5)."""

    kind: str = attrs.field(validator=text_field)
    start: datetime = attrs.field(validator=instant_field)
    end: datetime = attrs.field(validator=[instant_field, _range])


@attrs.frozen(kw_only=True)
class ByUser:
    """Find the records of `kind` of the user's last action in the range (R-S4).

    The range is optional; without one, the whole window counts (D-6). The last action is the
    user's newest event with any record left, whatever its kind (D-10, D-11).
    """

    kind: str = attrs.field(validator=text_field)
    user_id: str = attrs.field(validator=text_field)
    start: datetime | None = attrs.field(default=None, validator=optional_instant_field)
    end: datetime | None = attrs.field(default=None, validator=[optional_instant_field, _range])


@attrs.frozen(kw_only=True)
class ByJob:
    """Find the records of `kind` deleted by every event of the job in the window (R-S5, D-6)."""

    kind: str = attrs.field(validator=text_field)
    job_id: str = attrs.field(validator=text_field)


@attrs.frozen(kw_only=True)
class BySystem:
    """Find the records of `kind` deleted by internal system processes, whatever their label (R-D4).

    D-8: like a job's, every such deletion in the range counts, not only the last one; the
    range is optional and clipped to the window like the others.
    """

    kind: str = attrs.field(validator=text_field)
    start: datetime | None = attrs.field(default=None, validator=optional_instant_field)
    end: datetime | None = attrs.field(default=None, validator=[optional_instant_field, _range])


@attrs.frozen(kw_only=True)
class ByField:
    """Find deleted records of `kind` whose snapshot has `field` equal to `value` (R-S10).

    Only fields the policy declares searchable for the kind may be used, with text values
    (D-12); no time limit applies.
    """

    kind: str = attrs.field(validator=text_field)
    field: str = attrs.field(validator=text_field)
    value: str = attrs.field(validator=text_field)


Criteria = ById | ByRange | ByUser | ByJob | BySystem | ByField
"""Any one search criterion."""

CRITERIA: tuple[type[Criteria], ...] = get_args(Criteria)
"""The criterion classes, for checks and serialization: `Criteria` is the one list of them."""

UNLIMITED: tuple[type[Criteria], ...] = (ById, ByField)
"""The criteria with no time limit (R-S3, R-S10); every other one sees only the window (R-S2)."""


@attrs.frozen(kw_only=True)
class Window:
    """The time bounds a search applied, both inclusive; None where unbounded.

    Attributes:
        start: the earliest deletion time seen.
        end: the latest deletion time seen.
        clipped: whether the range asked for started before the window and was cut (R-S2).
    """

    start: datetime | None
    end: datetime | None
    clipped: bool = False

    @property
    def empty(self) -> bool:
        """Whether no time can fall inside the window."""
        return self.start is not None and self.end is not None and self.start > self.end


@attrs.frozen(kw_only=True)
class Query:
    """What a store looks up: records of one kind in one institution, narrowed by filters.

    Attributes:
        institution: the institution searched (R-M3).
        kind: the kind of record returned.
        ids: only these ids, when given.
        event_ids: only records of these events, when given.
        actor: only records deleted by this actor, when given.
        actor_kind: only records deleted by actors of this kind, when given.
        field: only records whose snapshot has this (field, value), when given.
        window: only records deleted inside these bounds.
    """

    institution: str
    kind: str
    ids: frozenset[str] | None = None
    event_ids: frozenset[str] | None = None
    actor: Actor | None = None
    actor_kind: ActorKind | None = None
    field: tuple[str, str] | None = None
    window: Window = Window(start=None, end=None)


Cursor = tuple[datetime, str]
"""A position in search order: the deletion time and id of the last hit seen."""


def window_for(
    start: datetime | None, end: datetime | None, policy: Policy, now: datetime
) -> Window:
    """Clip a range to the search window ending at `now` (R-S2).

    Raises:
        InvalidRangeError: `start` is after `end`.
    """
    if start is not None and end is not None and start > end:
        raise InvalidRangeError(start, end)
    try:
        earliest = now - policy.search_window
    except OverflowError:  # a window reaching before year 1 sees everything
        earliest = datetime.min.replace(tzinfo=UTC)
    if start is None:
        return Window(start=earliest, end=end)
    return Window(start=max(start, earliest), end=end, clipped=start < earliest)


def resolve(
    criteria: Criteria, *, institution: str, hierarchy: Hierarchy, policy: Policy, now: datetime
) -> Query:
    """Turn `criteria` into the query a store runs, applying the window rules (R-S2, R-S3, R-S10).

    A search by user resolves to the window and actor only; the facade narrows it to the
    user's last action (R-S4).

    Raises:
        UnknownKindError: the kind is not in the hierarchy.
        InvalidInputError: not a criterion, or the field is not searchable for the kind.
        InvalidRangeError: the range is inverted.
    """
    if not isinstance(criteria, CRITERIA):
        raise InvalidInputError(
            f"not a search criterion: {quote(criteria)}", field="criteria", value=criteria
        )
    hierarchy.spec(criteria.kind)  # D-7: every criterion finds only its own kind
    base = Query(institution=institution, kind=criteria.kind)
    match criteria:
        case ById(id=ident):
            return attrs.evolve(base, ids=frozenset([ident]))
        case ByField(field=name, value=value):
            if name not in policy.searchable_fields.get(criteria.kind, ()):
                raise InvalidInputError(
                    f"field {quote(name)} is not searchable for kind {quote(criteria.kind)}; "
                    "searchable: "
                    f"{list(policy.searchable_fields.get(criteria.kind, ())) or 'none'}",
                    field="field",
                    value=name,
                )
            return attrs.evolve(base, field=(name, value))
        case ByRange(start=start, end=end):
            return attrs.evolve(base, window=window_for(start, end, policy, now))
        case ByUser(user_id=user, start=start, end=end):
            return attrs.evolve(
                base, actor=Actor.user(user), window=window_for(start, end, policy, now)
            )
        case ByJob(job_id=job):
            return attrs.evolve(
                base, actor=Actor.job(job), window=window_for(None, None, policy, now)
            )
        case BySystem(start=start, end=end):
            return attrs.evolve(
                base, actor_kind=ActorKind.SYSTEM, window=window_for(start, end, policy, now)
            )
    raise AssertionError(f"a criterion without a rule: {type(criteria).__name__}")


def query_for(  # noqa: PLR0917 (the facade and the restore check pass the same arguments)
    criteria: Criteria,
    deleted: DeletedReads,
    institution: str,
    hierarchy: Hierarchy,
    policy: Policy,
    now: datetime,
    window: Window | None = None,
    events: frozenset[str] | None = None,
) -> Query:
    """The store query of `criteria`: `resolve`, then the rules that read the store.

    A search by user or job names an actor who deleted something here (D-9); a search by user
    is narrowed to that user's last action (R-S4). A `window` or `events` given replace what
    would be resolved now, so that every page of a search sees what its first page resolved
    (D-31) and a restore what its plan resolved (D-32).

    Raises:
        UnknownActorError: a user or job that never deleted anything in the institution.
        InvalidInputError, UnknownKindError, InvalidRangeError: as `resolve`.
    """
    query = resolve(criteria, institution=institution, hierarchy=hierarchy, policy=policy, now=now)
    if query.actor is not None and not deleted.has_actor(institution, query.actor):
        raise UnknownActorError(query.actor)
    if window is not None:
        query = attrs.evolve(query, window=window)
    if events is None and isinstance(criteria, ByUser):
        assert query.actor is not None
        event = deleted.latest_event(institution, query.actor, query.window)
        events = frozenset([event] if event else [])
    return query if events is None else attrs.evolve(query, event_ids=events)


@attrs.frozen(kw_only=True)
class Brief:
    """The brief, read-only view of a deleted record (R-S6, R-S7).

    Attributes:
        kind: the record's kind.
        id: the record's id.
        title: a title or label from the snapshot ("" when it has none).
        deleted_at: when it was deleted.
        deleted_by: who deleted it.
        event_id: the deletion event.
        origin_id: the origin of that event it was deleted with (its own id for an origin).
        role: whether it was the origin, deleted below one, or an emptied parent.
        parent_ids: its chain of parent ids at deletion, nearest first.
        earlier: the events of older deletions of the same id that this one superseded,
            oldest first (R-D6); empty for a first deletion.
        superseded_by: for an older deletion (see `DeletedRepository.history`), the event that
            superseded it; None for the deletion the repository holds now.
    """

    kind: str
    id: str
    title: str
    deleted_at: datetime
    deleted_by: Actor
    event_id: str
    origin_id: str
    role: MemberRole
    parent_ids: tuple[str, ...]
    earlier: tuple[str, ...] = ()
    superseded_by: str | None = None

    @property
    def is_origin(self) -> bool:
        """Whether the delete action was asked to delete this record itself (R-S6)."""
        return self.role is MemberRole.ORIGIN


def title(record: Record, hierarchy: Hierarchy) -> str:
    """A record's title or label: its first non-empty title field of its kind (R-S7), or ""."""
    spec = hierarchy.kinds.get(record.kind)
    fields = spec.title_fields if spec is not None else ()
    return next((str(record.data[f]) for f in fields if record.data.get(f) not in (None, "")), "")


def brief(
    entry: DeletedRecord,
    hierarchy: Hierarchy,
    earlier: Sequence[Superseded] = (),
    superseded_by: str | None = None,
) -> Brief:
    """The brief view of `entry` (R-S7), titled by `title`.

    Args:
        entry: the deleted record.
        hierarchy: gives its kind's title fields.
        earlier: the older deletions of its id that it superseded, oldest first (R-D6).
        superseded_by: the event that superseded `entry`, when it is an older deletion.
    """
    return Brief(
        kind=entry.kind,
        id=entry.id,
        title=title(entry.record, hierarchy),
        deleted_at=entry.deleted_at,
        deleted_by=entry.actor,
        event_id=entry.event_id,
        origin_id=entry.origin_id,
        role=entry.role,
        parent_ids=tuple(entry.lineage),
        earlier=tuple(s.entry.event_id for s in earlier),
        superseded_by=superseded_by,
    )


@attrs.frozen(kw_only=True)
class SearchPage:
    """One page of search hits, newest first (R-S8).

    Attributes:
        hits: the brief views of this page's records.
        next_cursor: pass it back to get the next page; None on the last page.
        window: the time bounds the search applied; ``window.clipped`` tells whether the range
            asked for was cut to the one-year window (R-S2). None for searches with no time limit.
    """

    hits: tuple[Brief, ...]
    next_cursor: str | None
    window: Window | None

    @property
    def clipped(self) -> bool:
        """Whether the range asked for was cut to the search window (R-S2)."""
        return self.window is not None and self.window.clipped


def history(
    deleted: DeletedReads, institution: str, record_id: str, hierarchy: Hierarchy
) -> tuple[Brief, ...]:
    """Every deletion of `record_id` the repository keeps, as brief views (R-S7, R-D6, D-34).

    The deletion it holds now comes first, if the id is deleted, then the older deletions it
    superseded, newest first, each naming the event that superseded it.
    """
    current = deleted.get(institution, [record_id]).get(record_id)
    older = deleted.superseded(institution, [record_id]).get(record_id, ())
    views = [] if current is None else [brief(current, hierarchy, older)]
    views += [brief(s.entry, hierarchy, superseded_by=s.by) for s in reversed(older)]
    return tuple(views)


def page_of(  # noqa: PLR0917 (one call, from the facade)
    found: Sequence[DeletedRecord],
    limit: int,
    criteria: Criteria,
    query: Query,
    hierarchy: Hierarchy,
    earlier: Mapping[str, Sequence[Superseded]],
) -> SearchPage:
    """The page of the first `limit` of `found` (read with one more, to know if more follow).

    The next page's cursor carries what this search resolved: its window and events (D-31).
    `earlier` gives the older deletions of the page's ids (R-D6).
    """
    page = found[:limit]
    window = None if isinstance(criteria, UNLIMITED) else query.window
    next_cursor = None
    if len(found) > limit:
        next_cursor = PageCursor(
            search=PageCursor.digest(criteria),
            after=(page[-1].deleted_at, page[-1].id),
            window=window,
            events=query.event_ids,
        ).encode()
    return SearchPage(
        hits=tuple(brief(e, hierarchy, earlier.get(e.id, ())) for e in page),
        next_cursor=next_cursor,
        window=window,
    )


@attrs.frozen(kw_only=True)
class PageCursor:
    """Where a search's next page starts, and what its first page resolved (R-S8, D-31).

    Attributes:
        search: a digest of the criteria, so that a cursor is used only with its own search.
        after: the last hit seen: its deletion time and id.
        window: the window the first page applied; None for searches without one.
        events: the events the first page resolved (a user's last action), or None.
    """

    search: str
    after: Cursor
    window: Window | None
    events: frozenset[str] | None

    @staticmethod
    def digest(criteria: Criteria) -> str:
        """The digest of `criteria` that its cursors carry.

        It leaves out the range: the cursor carries the window the first page resolved, so a
        range given relative to now ("the last 6 days") may be given again as it is then.
        """
        fields = [
            (name, value)
            for name, value in attrs.asdict(criteria).items()
            if not isinstance(value, datetime)
        ]
        named = repr((type(criteria).__name__, fields)).encode("utf-8", "surrogatepass")
        return hashlib.sha256(named).hexdigest()[:16]

    def encode(self) -> str:
        """The cursor as an opaque, URL-safe string."""
        window = self.window
        body = {
            "s": self.search,
            "a": [_micros(self.after[0]), self.after[1]],
            "w": None
            if window is None
            else [_micros(window.start), _micros(window.end), window.clipped],
            "e": None if self.events is None else sorted(self.events),
        }
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=True)
        return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, text: object, criteria: Criteria) -> PageCursor:
        """Parse a cursor made by `encode` for a search by `criteria`.

        Raises:
            InvalidInputError: `text` is not a cursor, or is one of another search.
        """
        try:
            if not isinstance(text, str) or len(text) > _LONGEST_CURSOR:
                raise ValueError("not a cursor")
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            body = json.loads(raw.decode("ascii"))
            search, (at, ident), window, events = body["s"], body["a"], body["w"], body["e"]
            cursor = cls(
                search=_text(search),
                after=(_instant(at), _text(ident)),
                window=None
                if window is None
                else Window(
                    start=_optional_instant(window[0]),
                    end=_optional_instant(window[1]),
                    clipped=window[2] is True,
                ),
                events=None if events is None else frozenset(_text(e) for e in events),
            )
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, binascii.Error) as e:
            shown = text[:40] + "..." if isinstance(text, str) and len(text) > 40 else text
            raise InvalidInputError(
                f"not a search cursor: {quote(shown)}", field="cursor", value=shown
            ) from e
        if cursor.search != cls.digest(criteria):
            raise InvalidInputError(
                "this cursor belongs to another search: pass the criteria of its first page",
                field="cursor",
            )
        return cursor


_LONGEST_CURSOR = 64_000


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@overload
def _micros(at: datetime) -> int: ...


@overload
def _micros(at: None) -> None: ...


def _micros(at: datetime | None) -> int | None:
    return None if at is None else (at - _EPOCH) // timedelta(microseconds=1)


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("not a non-empty string")
    return value


def _instant(value: object) -> datetime:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("not a time")
    return _EPOCH + timedelta(microseconds=value)


def _optional_instant(value: object) -> datetime | None:
    return None if value is None else _instant(value)
