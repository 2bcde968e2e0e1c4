"""The values of the domain: records, the hierarchy, actors, deletion events, the policy.

Everything here is a frozen attrs value with no behaviour that reads or writes state.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

import attrs

from deleted_repo.errors import (
    HierarchyError,
    InvalidInputError,
    NotAuthorizedError,
    UnknownKindError,
    quote,
)
from deleted_repo.validators import check_data, check_duration, check_instant, check_text

__all__ = [
    "ALMA",
    "ALMA_SYSTEM_LABELS",
    "Actor",
    "ActorKind",
    "AncestorPolicy",
    "ConflictPolicy",
    "DeletedRecord",
    "DeletionEvent",
    "EmptiedParents",
    "Hierarchy",
    "KindSpec",
    "MemberRole",
    "Policy",
    "Record",
    "Requester",
    "count_kinds",
    "is_alma_id",
]


E = TypeVar("E", bound=enum.Enum)


def _non_empty(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_text(value, attribute.name)


def _optional_non_empty(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _non_empty(instance, attribute, value)


def _aware(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_instant(value, attribute.name)


def _data(value: Mapping[str, Any]) -> dict[str, Any]:
    return check_data(value)


def _names(value: object, field: str) -> frozenset[str]:
    """The frozenset of the storable, non-empty strings of the collection `value`."""
    return frozenset(check_text(v, field) for v in _collection(value, field))


def _parents(value: Iterable[str]) -> frozenset[str]:
    return _names(value, "parents")


def _roles(value: Iterable[str]) -> frozenset[str]:
    return _names(value, "roles")


def _title_fields(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(check_text(f, "title_fields") for f in _collection(value, "title_fields"))


def _collection(value: object, field: str | None = None) -> Iterable[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidInputError(
            f"{field or 'value'} must be a collection, got {quote(value)}", field=field, value=value
        )
    return value


def _tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    if type(value) is tuple or type(value) is list:  # the common case, without an ABC check
        return tuple(value)
    return tuple(_collection(value))


def _dict(value: Mapping[Any, Any]) -> dict[Any, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"expected a mapping, got {quote(value)}", value=value)
    return dict(value)


def _instance_of(cls: type) -> Any:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, cls):
            raise InvalidInputError(
                f"{attribute.name} must be a {cls.__name__}, got {quote(value)}",
                field=attribute.name,
                value=value,
            )

    return check


def _id_tuple(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise InvalidInputError(
            f"expected a collection of ids, got the string {quote(value)}", field="ids", value=value
        )
    return tuple(value)


@attrs.frozen
class Record:
    """A catalog record: what is active in the catalog, and what a deletion snapshots (R-M1).

    Attributes:
        kind: the record's kind, declared by the hierarchy ("bib", "item", ...).
        id: an opaque, non-empty id, unique across kinds within an institution (R-M2).
        parent_id: the id of the parent record, or None for a top-level record.
        data: whatever the host stores (title, barcode, ...); JSON-compatible values.
    """

    kind: str = attrs.field(validator=_non_empty)
    id: str = attrs.field(validator=_non_empty)
    parent_id: str | None = attrs.field(default=None, validator=_optional_non_empty)
    data: Mapping[str, Any] = attrs.field(factory=dict, converter=_data, hash=False)


@attrs.frozen(kw_only=True)
class KindSpec:
    """One kind of record and where it may stand in the hierarchy (R-M1).

    Attributes:
        name: the kind ("bib", "holding", ...).
        parents: the kinds that may be this kind's parent.
        top_level: whether a record of this kind may have no parent.
        label: the name staff see, for example the find type "Physical Items".
        id_label: what the id is called, for example "Item ID".
        title_fields: data fields tried in order for the brief view's title (R-S7).
    """

    name: str = attrs.field(validator=_non_empty)
    parents: frozenset[str] = attrs.field(default=frozenset(), converter=_parents)
    top_level: bool = attrs.field(default=True, validator=_instance_of(bool))
    label: str = ""
    id_label: str = "ID"
    title_fields: tuple[str, ...] = attrs.field(default=("title", "label"), converter=_title_fields)

    def __attrs_post_init__(self) -> None:
        if not self.parents and not self.top_level:
            raise HierarchyError(f"kind {quote(self.name)} has no parent kind and is not top-level")


@attrs.frozen
class Hierarchy:
    """Which kind may be the parent of which: data, not code (R-M1).

    Use `ALMA` for Alma's hierarchy, or `Hierarchy.declare` for your own.

    Attributes:
        kinds: every kind, by name.
    """

    kinds: Mapping[str, KindSpec] = attrs.field(converter=_dict)

    def __attrs_post_init__(self) -> None:
        if not self.kinds:
            raise HierarchyError("a hierarchy needs at least one kind")
        for name, spec in self.kinds.items():
            if not isinstance(spec, KindSpec):
                raise HierarchyError(
                    f"kind {quote(name)} is declared by {quote(spec)}, not a KindSpec"
                )
            if name != spec.name:
                raise HierarchyError(f"kind {quote(spec.name)} is filed under {quote(name)}")
            unknown = spec.parents - self.kinds.keys()
            if unknown:
                raise HierarchyError(
                    f"kind {quote(name)} names unknown parent kinds {sorted(unknown)}"
                )
        if not any(spec.top_level for spec in self.kinds.values()):
            raise HierarchyError("a hierarchy needs at least one top-level kind")

    @classmethod
    def declare(cls, parents: Mapping[str, str | Iterable[str | None] | None]) -> Hierarchy:
        """Build a hierarchy from each kind's parent kind(s).

        A kind mapped to None is top-level. A kind mapped to several parent kinds may stand
        under any of them; None among them means it may also stand alone, and its own name
        means it nests (Alma's collections: ``{"collection": ["collection", None]}``).

        Example:
            >>> h = Hierarchy.declare(
            ...     {"instance": None, "holdings": "instance", "item": "holdings"}
            ... )
            >>> sorted(h.kinds)
            ['holdings', 'instance', 'item']
            >>> Hierarchy.declare({"collection": ["collection", None]}).spec("collection").top_level
            True
        """
        specs = {}
        for name, parent in _dict(parents).items():
            check_text(name, "kind")
            if parent is None:
                options: list[str | None] = [None]
            elif isinstance(parent, str):
                options = [parent]
            else:
                options = list(_collection(parent, f"parents of {name}"))
            kinds = frozenset(check_text(k, f"parents of {name}") for k in options if k is not None)
            specs[name] = KindSpec(name=name, parents=kinds, top_level=None in options or not kinds)
        return cls(specs)

    def spec(self, kind: str) -> KindSpec:
        """Return the declaration of `kind`.

        Raises:
            UnknownKindError: the hierarchy does not declare `kind`.
        """
        try:
            return self.kinds[kind]
        except KeyError:
            raise UnknownKindError(kind, self.kinds) from None

    def check_parent(self, record: Record, parent_kind: str | None) -> None:
        """Check that `record` may stand under a parent of `parent_kind` (None: no parent).

        Raises:
            UnknownKindError: the record's kind is not declared.
            HierarchyError: the parent's kind is not allowed, or a required parent is missing.
        """
        spec = self.spec(record.kind)
        if parent_kind is None:
            if record.parent_id is not None:
                raise HierarchyError(
                    f"record {quote(record.id)} names parent {quote(record.parent_id)}, "
                    "which does not exist"
                )
            if not spec.top_level:
                raise HierarchyError(f"{record.kind} {quote(record.id)} needs a parent")
        elif parent_kind not in spec.parents:
            raise HierarchyError(
                f"{record.kind} {quote(record.id)} cannot stand under a {parent_kind} "
                f"({quote(record.parent_id)}); "
                f"allowed parent kinds: {sorted(spec.parents) or 'none'}"
            )


def _alma() -> Hierarchy:
    def kind(name: str, parents: Iterable[str], label: str, id_label: str, **kw: Any) -> KindSpec:
        parents = frozenset(parents)
        return KindSpec(
            name=name,
            parents=parents,
            top_level=kw.pop("top_level", not parents),
            label=label,
            id_label=id_label,
            **kw,
        )

    specs = [
        kind("bib", [], "All Titles", "MMS ID"),
        kind(
            "holding",
            ["bib"],
            "Holding",
            "MMS ID of the holding",
            title_fields=("call_number", "title", "label"),
        ),
        kind(
            "item",
            ["holding"],
            "Physical Items",
            "Item ID",
            title_fields=("title", "description", "barcode"),
        ),
        kind("portfolio", ["bib"], "Electronic Portfolios", "Portfolio ID"),
        kind("representation", ["bib"], "Digital Representations", "Representation PID"),
        kind(
            "remote_representation",
            ["bib"],
            "Digital Remote Representations",
            "Remote Representation PID",
        ),
        kind(
            "file",
            ["representation"],
            "Digital Files",
            "File PID",
            title_fields=("label", "file_name", "title"),
        ),
        kind("collection", ["collection"], "Collections", "Collection PID", top_level=True),
    ]
    return Hierarchy({s.name: s for s in specs})


ALMA: Hierarchy = _alma()
"""Alma's hierarchy of eight kinds (R-M1): the default everywhere a hierarchy is taken."""

_ALMA_TYPE_CODES = frozenset({"99", "22", "23", "53", "12", "13", "81"})


def is_alma_id(value: str) -> bool:
    """Tell whether `value` has the shape of an Alma id (R-M2): offered, never required.

    An Alma id is digits only, starts with a two-digit type code (99 bib, 22 holding, 23 item,
    53 portfolio, 12 representation, 13 file, 81 collection) and ends with a four-digit
    institution code.

    Example:
        >>> is_alma_id("991234567890123456"), is_alma_id("bib-1")
        (True, False)
    """
    return (
        isinstance(value, str)
        and value.isascii()
        and value.isdigit()
        and len(value) >= 7
        and value[:2] in _ALMA_TYPE_CODES
    )


class ActorKind(enum.Enum):
    """Who deleted: a staff user, a job, or an internal system process (R-D4)."""

    USER = "user"
    JOB = "job"
    SYSTEM = "system"


ALMA_SYSTEM_LABELS: tuple[str, str] = ("System", "Electronic Inventory Creator")
"""The two labels Alma shows for its internal process; both mean the same thing (R-D4)."""


@attrs.frozen(order=True)
class Actor:
    """Who performed a deletion (R-D4): build one with `user`, `job` or `system`.

    Attributes:
        kind: user, job or system process.
        id: the user id, the job id, or the system process's label.
    """

    kind: ActorKind = attrs.field(validator=_instance_of(ActorKind))
    id: str = attrs.field(validator=_non_empty)

    @classmethod
    def user(cls, user_id: str) -> Actor:
        """A staff user, by user id."""
        return cls(ActorKind.USER, user_id)

    @classmethod
    def job(cls, job_id: str) -> Actor:
        """A job, by job id."""
        return cls(ActorKind.JOB, job_id)

    @classmethod
    def system(cls, label: str = ALMA_SYSTEM_LABELS[0]) -> Actor:
        """An internal system process; every label means the same process (R-D4)."""
        return cls(ActorKind.SYSTEM, label)

    def __str__(self) -> str:
        return f"{self.kind.value} {self.id!r}"


class MemberRole(enum.Enum):
    """Why a record is in a deletion event (R-D1..R-D3)."""

    ORIGIN = "origin"
    """The action was asked to delete it."""
    CASCADE = "cascade"
    """It stood below an origin (R-D2)."""
    EMPTIED_PARENT = "emptied_parent"
    """It was left with no active children and the action said to delete such parents (R-D3)."""


class EmptiedParents(enum.Enum):
    """What a delete does with a parent left with no active children (R-D3)."""

    RETAIN = "retain"
    DELETE = "delete"


@attrs.frozen(kw_only=True)
class DeletedRecord:
    """One record of a deletion event, as the deleted repository holds it.

    Attributes:
        record: the snapshot of the record (data and parent id) at the moment of deletion.
        role: origin, deleted below an origin, or emptied parent.
        origin_id: the origin this record was deleted with (its own id when it is an origin).
        lineage: the ids of its ancestors at deletion, nearest first (R-S7's chain of parents).
        event_id: the deletion event.
        institution: the institution of the event.
        actor: who deleted it.
        deleted_at: when, timezone-aware.
    """

    record: Record
    role: MemberRole
    origin_id: str
    lineage: tuple[str, ...] = attrs.field(converter=_tuple)
    event_id: str
    institution: str
    actor: Actor
    deleted_at: datetime

    @property
    def id(self) -> str:
        """The record's id."""
        return self.record.id

    @property
    def kind(self) -> str:
        """The record's kind."""
        return self.record.kind


@attrs.frozen(kw_only=True)
class DeletionEvent:
    """One delete action and every record it deleted (R-D1).

    Attributes:
        id: the event id.
        institution: the institution the records belong to (R-M3).
        actor: who deleted (R-D4).
        at: when, timezone-aware.
        origins: the ids the action was asked to delete.
        members: every deleted record, parents before children.
    """

    id: str = attrs.field(validator=_non_empty)
    institution: str = attrs.field(validator=_non_empty)
    actor: Actor
    at: datetime = attrs.field(validator=_aware)
    origins: tuple[str, ...] = attrs.field(converter=_id_tuple)
    members: tuple[DeletedRecord, ...] = attrs.field(converter=_tuple)

    def __attrs_post_init__(self) -> None:
        if not self.origins:
            raise InvalidInputError("a deletion event needs at least one origin", field="origins")
        ids = [m.id for m in self.members]
        if len(set(ids)) != len(ids):
            raise InvalidInputError("a deletion event lists a record twice", field="members")
        by_id = {m.id: m for m in self.members}
        for origin in self.origins:
            member = by_id.get(origin)
            if member is None or member.role is not MemberRole.ORIGIN:
                raise InvalidInputError(
                    f"origin {quote(origin)} is not a member of the event with the origin role",
                    field="origins",
                    value=origin,
                )
        for m in self.members:
            if (m.event_id, m.institution, m.actor, m.deleted_at) != (
                self.id,
                self.institution,
                self.actor,
                self.at,
            ):
                raise InvalidInputError(
                    f"member {quote(m.id)} disagrees with its event's header", field="members"
                )


class AncestorPolicy(enum.Enum):
    """What a plan does with a target whose ancestor was deleted in another event (R-P4)."""

    INCLUDE = "include"
    """Restore the ancestor too, with a note in the plan (default)."""
    BLOCK = "block"
    """Exclude the target, naming the ancestor to restore first."""


class ConflictPolicy(enum.Enum):
    """What a plan does with a conflicting record (R-P7)."""

    EXCLUDE = "exclude"
    """Exclude the record, its planned descendants and the ancestors kept for it (default)."""
    FAIL = "fail"
    """Refuse the whole plan."""


def _duration(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_duration(value, attribute.name)


def _retention(value: Mapping[str, timedelta]) -> dict[str, timedelta]:
    return {
        check_text(kind, "retention"): check_duration(keep, f"retention of {kind}")
        for kind, keep in _dict(value).items()
    }


def _fields(value: Mapping[str, Iterable[str]], field: str) -> dict[str, tuple[str, ...]]:
    """Per kind, the tuple of its data field names, in order, each once."""
    found = {}
    for kind, names in _dict(value).items():
        where = f"{field} of {check_text(kind, field)}"
        found[kind] = tuple(dict.fromkeys(check_text(n, where) for n in _collection(names, where)))
    return found


def _unique_fields(value: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    return _fields(value, "unique_fields")


def _searchable_fields(value: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    return _fields(value, "searchable_fields")


def _choice(cls: type[E], value: object, field: str) -> E:
    """The member of the enum `cls` that `value` is or names."""
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in cls)
        raise InvalidInputError(
            f"{field} must be one of {choices}, got {quote(value)}", field=field, value=value
        ) from None


def _ancestor_policy(value: object) -> AncestorPolicy:
    return _choice(AncestorPolicy, value, "ancestors_from_other_events")


def _conflict_policy(value: object) -> ConflictPolicy:
    return _choice(ConflictPolicy, value, "on_conflict")


def _positive_int(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidInputError(
            f"{attribute.name} must be a positive integer, got {quote(value)}", field=attribute.name
        )


@attrs.frozen(kw_only=True)
class Policy:
    """Every number and switch of the rules, with Alma's values as defaults.

    Attributes:
        search_window: how far back searches by range, user and job see (R-S2): 365 days.
        retention: how long deleted records of a kind are kept (R-P6, R-R1); kinds not named are
            kept until the host names them. Default: files, 90 days.
        max_records_per_job: the most records one restore job may hold (R-P8): 5000.
        ancestors_from_other_events: include or block targets whose ancestor was deleted in
            another event (R-P4).
        on_conflict: exclude conflicting records, or fail the plan (R-P7).
        restore_role: the role needed to search, plan and restore (R-P1).
        unique_fields: per kind, data fields no two active records may share (R-P7).
        searchable_fields: per kind, data fields a search may look deleted records up by (R-S10).
    """

    DEFAULT_RETENTION: ClassVar[Mapping[str, timedelta]] = {"file": timedelta(days=90)}

    search_window: timedelta = attrs.field(default=timedelta(days=365), validator=_duration)
    retention: Mapping[str, timedelta] = attrs.field(
        factory=lambda: dict(Policy.DEFAULT_RETENTION), converter=_retention
    )
    max_records_per_job: int = attrs.field(default=5000, validator=_positive_int)
    ancestors_from_other_events: AncestorPolicy = attrs.field(
        default=AncestorPolicy.INCLUDE,
        converter=_ancestor_policy,
    )
    on_conflict: ConflictPolicy = attrs.field(
        default=ConflictPolicy.EXCLUDE, converter=_conflict_policy
    )
    restore_role: str = attrs.field(default="Repository Manager", validator=_non_empty)
    unique_fields: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=lambda: {"item": ("barcode",)}, converter=_unique_fields
    )
    searchable_fields: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=lambda: {"item": ("barcode",)}, converter=_searchable_fields
    )

    def authorize(self, requester: Requester) -> str:
        """The institution `requester` acts in, if they hold the restore role there (R-P1).

        D-28: the requester is trusted as given; the host authenticates it.

        Raises:
            InvalidInputError: `requester` is not a `Requester`.
            NotAuthorizedError: the requester lacks the restore role.
        """
        if not isinstance(requester, Requester):
            raise InvalidInputError(
                f"requester must be of type Requester, got {quote(requester)}",
                field="requester",
                value=requester,
            )
        if self.restore_role not in requester.roles:
            raise NotAuthorizedError(requester.user_id, requester.institution, self.restore_role)
        return requester.institution

    def indexed_fields(self) -> dict[str, tuple[str, ...]]:
        """The data fields a store should index, per kind: the unique and the searchable ones."""
        fields: dict[str, tuple[str, ...]] = {}
        for source in (self.unique_fields, self.searchable_fields):
            for kind, names in source.items():
                fields[kind] = tuple(dict.fromkeys((*fields.get(kind, ()), *names)))
        return fields

    def expiry_cutoff(self, kind: str, now: datetime) -> datetime | None:
        """The retention cutoff of `kind` at `now`: records deleted before it are expired.

        None when the kind is kept for good. Planning, restoring and purging all measure
        retention through this one cutoff (R-P6, R-R1).
        """
        keep = self.retention.get(kind)
        if keep is None:
            return None
        try:
            return now - keep
        except OverflowError:  # a retention reaching before year 1: nothing can be that old
            return None

    def expires(self, kind: str, deleted_at: datetime, now: datetime) -> bool:
        """Tell whether a `kind` record deleted at `deleted_at` is past its retention at `now`.

        A record is expired when strictly more than its retention has passed (D-18).
        """
        cutoff = self.expiry_cutoff(kind, now)
        return cutoff is not None and deleted_at < cutoff


@attrs.frozen(kw_only=True)
class Requester:
    """The person asking to search, plan or restore, and the roles they hold (R-P1).

    Attributes:
        user_id: who is asking.
        institution: the institution they act in (R-M3).
        roles: the roles they hold in that institution.
    """

    user_id: str = attrs.field(validator=_non_empty)
    institution: str = attrs.field(validator=_non_empty)
    roles: frozenset[str] = attrs.field(factory=frozenset, converter=_roles)


def count_kinds(kinds: Iterable[str]) -> dict[str, int]:
    """Count records per kind, sorted by kind: the counts plans and jobs report."""
    return dict(sorted(Counter(kinds).items()))
