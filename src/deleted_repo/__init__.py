"""deleted_repo: a repository of deleted catalog records, with safe, planned restores.

Host code uses `DeletedRepository`; the names below are its whole public face.
"""

from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

from deleted_repo.checks import Exclusion, ExclusionCause
from deleted_repo.deleting import Deletion
from deleted_repo.errors import (
    CapExceededError,
    ConflictError,
    DeletedRepoError,
    HierarchyError,
    IntegrityError,
    InvalidInputError,
    InvalidPlanError,
    InvalidRangeError,
    NotAuthorizedError,
    NotFoundError,
    PlanningError,
    RecordNotFoundError,
    RestoreJobNotFoundError,
    SchemaVersionError,
    StalePlanError,
    StorageError,
    UnknownActorError,
    UnknownKindError,
)
from deleted_repo.events import (
    Deleted,
    Event,
    Purged,
    Restored,
    RestoreRefused,
    RestoreStale,
)
from deleted_repo.executing import Progress
from deleted_repo.jobs import JobFilter, JobStatus, Outcome, RecordOutcome, RestoreJob
from deleted_repo.lineage import Lineage
from deleted_repo.model import (
    ALMA,
    ALMA_SYSTEM_LABELS,
    Actor,
    ActorKind,
    DeletedRecord,
    DeletionEvent,
    EmptiedParents,
    Hierarchy,
    KindSpec,
    MemberRole,
    Record,
    Requester,
    Superseded,
    is_alma_id,
)
from deleted_repo.planner import (
    PlannedRecord,
    Reason,
    ReasonKind,
    RestorePlan,
    plan_restore,
)
from deleted_repo.policy import AncestorPolicy, ConflictPolicy, Policy
from deleted_repo.results import ListenerFailure, PurgeReport, RestoreResult
from deleted_repo.search import (
    Brief,
    ByField,
    ById,
    ByJob,
    ByRange,
    BySystem,
    ByUser,
    Criteria,
    SearchPage,
    Window,
)
from deleted_repo.serialization import configure_converter, from_json, make_converter, to_json
from deleted_repo.service import DeletedRepository

try:
    __version__ = _version("deleted-repo")
except _PackageNotFoundError:  # pragma: no cover (running from a source tree)
    __version__ = "0.0.0"

__all__ = [
    "ALMA",
    "ALMA_SYSTEM_LABELS",
    "Actor",
    "ActorKind",
    "AncestorPolicy",
    "Brief",
    "ByField",
    "ById",
    "ByJob",
    "ByRange",
    "BySystem",
    "ByUser",
    "CapExceededError",
    "ConflictError",
    "ConflictPolicy",
    "Criteria",
    "Deleted",
    "DeletedRecord",
    "DeletedRepoError",
    "DeletedRepository",
    "Deletion",
    "DeletionEvent",
    "EmptiedParents",
    "Event",
    "Exclusion",
    "ExclusionCause",
    "Hierarchy",
    "HierarchyError",
    "IntegrityError",
    "InvalidInputError",
    "InvalidPlanError",
    "InvalidRangeError",
    "JobFilter",
    "JobStatus",
    "KindSpec",
    "Lineage",
    "ListenerFailure",
    "MemberRole",
    "NotAuthorizedError",
    "NotFoundError",
    "Outcome",
    "PlannedRecord",
    "PlanningError",
    "Policy",
    "Progress",
    "PurgeReport",
    "Purged",
    "Reason",
    "ReasonKind",
    "Record",
    "RecordNotFoundError",
    "RecordOutcome",
    "Requester",
    "RestoreJob",
    "RestoreJobNotFoundError",
    "RestorePlan",
    "RestoreRefused",
    "RestoreResult",
    "RestoreStale",
    "Restored",
    "SchemaVersionError",
    "SearchPage",
    "StalePlanError",
    "StorageError",
    "Superseded",
    "UnknownActorError",
    "UnknownKindError",
    "Window",
    "__version__",
    "configure_converter",
    "from_json",
    "is_alma_id",
    "make_converter",
    "plan_restore",
    "to_json",
]
