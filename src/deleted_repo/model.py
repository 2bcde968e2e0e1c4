"""The values of the domain: records, the hierarchy, actors, deletion events, the policy.

Everything here is a frozen attrs value with no behaviour that reads or writes state.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from deleted_repo.errors import (
    HierarchyError,
    InvalidInputError,
    UnknownKindError,
    quote,
)
from deleted_repo.lineage import Lineage, as_lineage
from deleted_repo.validators import (
    as_collection,
    as_dict,
    as_tuple,
    check_data,
    check_instant,
    check_text,
    instant_field,
    optional_text_field,
    text_field,
)

__all__ = [
    "ALMA",
    "ALMA_SYSTEM_LABELS",
    "Actor",
    "ActorKind",
    "DeletedRecord",
    "DeletionEvent",
    "EmptiedParents",
    "Hierarchy",
    "KindSpec",
    "MemberRole",
    "Record",
    "Requester",
    "Superseded",
    "count_kinds",
    "is_alma_id",
]


_set = object.__setattr__
"""Sets a field of a frozen value: attrs' own way, used by `Record.trusted` only."""


def _data(value: Mapping[str, Any]) -> dict[str, Any]:
    return check_data(value)


def _names(value: object, field: str) -> frozenset[str]:
    """The frozenset of the storable, non-empty strings of the collection `value`."""
    return frozenset(check_text(v, field) for v in as_collection(value, field))


def _parents(value: Iterable[str]) -> frozenset[str]:
    return _names(value, "parents")


def _roles(value: Iterable[str]) -> frozenset[str]:
    return _names(value, "roles")


def _title_fields(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(check_text(f, "title_fields") for f in as_collection(value, "title_fields"))


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

    kind: str = attrs.field(validator=text_field)
    id: str = attrs.field(validator=text_field)
    parent_id: str | None = attrs.field(default=None, validator=optional_text_field)
    data: Mapping[str, Any] = attrs.field(factory=dict, converter=_data, hash=False)

    @classmethod
    def trusted(cls, kind: str, id: str, parent_id: str | None, data: dict[str, Any]) -> Record:
        """The record of values a store validated when it wrote them, without checking again (D-52).

        Only for stores reading back their own rows: every value was a `Record`'s when it was
        written, and `data` is a fresh dict of decoded JSON the caller hands over. Anything
        else goes through the constructor, which checks it.
        """
        record = object.__new__(cls)
        _set(record, "kind", kind)
        _set(record, "id", id)
        _set(record, "parent_id", parent_id)
        _set(record, "data", data)
        return record


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

    name: str = attrs.field(validator=text_field)
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

    kinds: Mapping[str, KindSpec] = attrs.field(converter=as_dict)

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
        for name, parent in as_dict(parents).items():
            check_text(name, "kind")
            if parent is None:
                options: list[str | None] = [None]
            elif isinstance(parent, str):
                options = [parent]
            else:
                options = list(as_collection(parent, f"parents of {name}"))
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
    id: str = attrs.field(validator=text_field)

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
        lineage: the ids of its ancestors at deletion, nearest first (R-S7's chain of parents):
            a `Lineage`, which shares its tail with its parent's (D-35); any collection of ids
            is taken.
        event_id: the deletion event.
        institution: the institution of the event.
        actor: who deleted it.
        deleted_at: when, timezone-aware.
    """

    record: Record
    role: MemberRole
    origin_id: str
    lineage: Lineage = attrs.field(converter=as_lineage, hash=False)
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
class Superseded:
    """An older deletion of an id, superseded when the id was deleted again (R-D6).

    Attributes:
        entry: the deleted record as that older deletion recorded it; its event still lists it.
        by: the event whose deletion of the same id superseded it.
    """

    entry: DeletedRecord
    by: str = attrs.field(validator=text_field)


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

    id: str = attrs.field(validator=text_field)
    institution: str = attrs.field(validator=text_field)
    actor: Actor
    at: datetime = attrs.field(validator=instant_field)
    origins: tuple[str, ...] = attrs.field(converter=_id_tuple)
    members: tuple[DeletedRecord, ...] = attrs.field(converter=as_tuple)

    @classmethod
    def trusted(
        cls,
        *,
        id: str,
        institution: str,
        actor: Actor,
        at: datetime,
        origins: tuple[str, ...],
        members: tuple[DeletedRecord, ...],
    ) -> DeletionEvent:
        """The event of members the core built from this very header, checked as such (D-56).

        Only for `deleting.build_event`: every member carries the event's id, institution,
        actor and time, the origins are members with the origin role, and no id is listed
        twice, by construction. The header is checked as the constructor checks it (the id
        comes from the host's `new_id`, the time from its clock); the members are not checked
        again. Anything else goes through the constructor.

        Raises:
            InvalidInputError: the id, institution or time is malformed, or no origin.
        """
        event = object.__new__(cls)
        _set(event, "id", id)
        _set(event, "institution", institution)
        _set(event, "actor", actor)
        _set(event, "at", at)
        _set(event, "origins", origins)
        _set(event, "members", members)
        check_text(id, "id")
        check_text(institution, "institution")
        check_instant(at, "at")
        event._check_origins()
        return event

    def _check_origins(self) -> None:
        if not self.origins:
            raise InvalidInputError("a deletion event needs at least one origin", field="origins")

    def __attrs_post_init__(self) -> None:
        self._check_origins()
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


@attrs.frozen(kw_only=True)
class Requester:
    """The person asking to search, plan or restore, and the roles they hold (R-P1).

    Attributes:
        user_id: who is asking.
        institution: the institution they act in (R-M3).
        roles: the roles they hold in that institution.
    """

    user_id: str = attrs.field(validator=text_field)
    institution: str = attrs.field(validator=text_field)
    roles: frozenset[str] = attrs.field(factory=frozenset, converter=_roles)


def count_kinds(kinds: Iterable[str]) -> dict[str, int]:
    """Count records per kind, sorted by kind: the counts plans and jobs report."""
    return dict(sorted(Counter(kinds).items()))
