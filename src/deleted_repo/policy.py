"""The policy: every number and switch of the rules, with Alma's values as defaults."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import attrs

from deleted_repo.errors import InvalidInputError, NotAuthorizedError, quote, show_ids
from deleted_repo.model import Hierarchy, Requester
from deleted_repo.validators import (
    as_collection,
    as_dict,
    check_choice,
    check_duration,
    check_text,
    text_field,
)

__all__ = ["AncestorPolicy", "ConflictPolicy", "Policy"]


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
        for kind, keep in as_dict(value).items()
    }


def _fields(value: Mapping[str, Iterable[str]], field: str) -> dict[str, tuple[str, ...]]:
    """Per kind, the tuple of its data field names, in order, each once."""
    found = {}
    for kind, names in as_dict(value).items():
        where = f"{field} of {check_text(kind, field)}"
        found[kind] = tuple(
            dict.fromkeys(check_text(n, where) for n in as_collection(names, where))
        )
    return found


def _unique_fields(value: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    return _fields(value, "unique_fields")


def _searchable_fields(value: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    return _fields(value, "searchable_fields")


def _ancestor_policy(value: object) -> AncestorPolicy:
    return check_choice(AncestorPolicy, value, "ancestors_from_other_events")


def _conflict_policy(value: object) -> ConflictPolicy:
    return check_choice(ConflictPolicy, value, "on_conflict")


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
    restore_role: str = attrs.field(default="Repository Manager", validator=text_field)
    unique_fields: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=lambda: {"item": ("barcode",)}, converter=_unique_fields
    )
    searchable_fields: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=lambda: {"item": ("barcode",)}, converter=_searchable_fields
    )

    def authorize(self, requester: Requester, concerns: str | None = None) -> str:
        """The institution `requester` acts in, if they hold the restore role there (R-P1).

        D-28: the requester is trusted as given; the host authenticates it.

        Args:
            requester: who asks.
            concerns: the institution of what they ask about (a plan's), if it is given (R-M3).

        Raises:
            InvalidInputError: `requester` is not a `Requester`.
            NotAuthorizedError: the requester lacks the restore role, or acts in an institution
                other than `concerns`.
        """
        if not isinstance(requester, Requester):
            raise InvalidInputError(
                f"requester must be of type Requester, got {quote(requester)}",
                field="requester",
                value=requester,
            )
        if self.restore_role not in requester.roles:
            raise NotAuthorizedError(requester.user_id, requester.institution, self.restore_role)
        if concerns is not None and concerns != requester.institution:
            raise NotAuthorizedError(
                requester.user_id,
                requester.institution,
                self.restore_role,
                detail=f"cannot act on what belongs to institution {quote(concerns)}",
            )
        return requester.institution

    def checked_against(self, hierarchy: Hierarchy) -> Policy:
        """Return this policy if every kind it names is one `hierarchy` declares.

        A kind misspelt in `retention` would silently keep its records for good, and one in
        `unique_fields` would drop a conflict check, so they are refused.

        Raises:
            InvalidInputError: a kind the hierarchy does not declare, naming the field and kind.
        """
        for field, named in (
            ("retention", self.retention),
            ("unique_fields", self.unique_fields),
            ("searchable_fields", self.searchable_fields),
        ):
            unknown = sorted(set(named) - hierarchy.kinds.keys())
            if unknown:
                raise InvalidInputError(
                    f"{field} names kinds the hierarchy does not declare: {show_ids(unknown)}; "
                    f"known kinds: {', '.join(sorted(hierarchy.kinds))}",
                    field=field,
                    value=unknown[0],
                )
        return self

    @classmethod
    def default_for(cls, hierarchy: Hierarchy) -> Policy:
        """The default policy, less the defaults of kinds `hierarchy` does not declare."""
        default = cls()
        return attrs.evolve(
            default,
            retention={k: v for k, v in default.retention.items() if k in hierarchy.kinds},
            unique_fields={k: v for k, v in default.unique_fields.items() if k in hierarchy.kinds},
            searchable_fields={
                k: v for k, v in default.searchable_fields.items() if k in hierarchy.kinds
            },
        )

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
