"""How the command line shows values: rich tables and trees for people, JSON for scripts."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from deleted_repo import PurgeReport, RestoreResult
from deleted_repo.jobs import Outcome, RestoreJob
from deleted_repo.model import ALMA, Actor, ActorKind, Hierarchy
from deleted_repo.planner import PlannedRecord, RestorePlan
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
)
from deleted_repo.search import title as record_title

__all__ = [
    "actor_text",
    "brief_table",
    "console",
    "counts_text",
    "describe",
    "hits_table",
    "job_view",
    "jobs_table",
    "plan_view",
    "plural",
    "purge_view",
    "restore_view",
    "stamp",
]


_PIPE_WIDTH = 120


def console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr) that does not highlight numbers on its own.

    Output to a terminal takes the terminal's width; output to a file or a pipe takes
    ``COLUMNS`` when set, else 120 columns, wide enough for the tables.
    """
    out = Console(stderr=stderr, highlight=False)
    if not out.is_terminal and not os.environ.get("COLUMNS"):
        out.width = _PIPE_WIDTH
    return out


def stamp(at: datetime | None) -> str:
    """A time as the tables show it: UTC, to the second."""
    return "-" if at is None else at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def actor_text(actor: Actor) -> str:
    """Who deleted, as the deleted repository page shows it."""
    if actor.kind is ActorKind.JOB:
        return f"job {actor.id}"
    return actor.id


def plural(count: int, noun: str) -> str:
    """``1 record``, ``2 records``, with thousands separators."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def counts_text(counts: dict[str, int] | Iterable[tuple[str, int]]) -> str:
    """Counts per kind in one line: ``bib 1, holding 1, item 2``."""
    pairs = counts.items() if isinstance(counts, dict) else counts
    return ", ".join(f"{kind} {count:,}" for kind, count in pairs) or "none"


def describe(criteria: Criteria) -> str:
    """A criterion in words."""
    match criteria:
        case ById(id=ident):
            what = f"with id {ident}"
        case ByField(field=name, value=value):
            what = f"whose {name} is {value!r}"
        case ByRange(start=start, end=end):
            what = f"deleted from {stamp(start)} to {stamp(end)}"
        case ByUser(user_id=user):
            what = f"of the last delete action of {user}"
        case ByJob(job_id=job):
            what = f"deleted by job {job}"
        case BySystem():
            what = "deleted by system processes"
    return f"{criteria.kind} records {what}"


def hits_table(page: SearchPage, *, title: str | None = None) -> Table:
    """One page of search hits, newest first."""
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("kind")
    table.add_column("id", overflow="fold")
    table.add_column("title", overflow="fold", max_width=40)
    table.add_column("deleted at", no_wrap=True)
    table.add_column("deleted by", overflow="fold")
    table.add_column("origin", overflow="fold")
    table.add_column("parents", overflow="fold")
    for hit in page.hits:
        origin = "(origin)" if hit.is_origin else f"{hit.origin_id} ({hit.role.value})"
        table.add_row(
            hit.kind,
            hit.id,
            hit.title,
            stamp(hit.deleted_at),
            actor_text(hit.deleted_by),
            origin,
            " > ".join(hit.parent_ids),
        )
    return table


def brief_table(hit: Brief) -> Table:
    """The brief, read-only view of one deleted record (R-S7)."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    rows = [
        ("kind", hit.kind),
        ("id", hit.id),
        ("title", hit.title or "-"),
        ("deleted at", stamp(hit.deleted_at)),
        ("deleted by", actor_text(hit.deleted_by)),
        ("event", hit.event_id),
        ("origin", hit.origin_id),
        ("role", hit.role.value),
        ("parents", " > ".join(hit.parent_ids) or "-"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def _node_label(planned: PlannedRecord, hierarchy: Hierarchy) -> Text:
    label = Text()
    label.append(f"{planned.record.kind} ", style="bold")
    label.append(planned.id)
    title = record_title(planned.record, hierarchy)
    if title:
        label.append(f" {title!r}", style="italic")
    label.append(" - " + "; ".join(str(r) for r in planned.reasons), style="green")
    for note in planned.notes:
        label.append(f" ({note})", style="yellow")
    return label


def plan_view(plan: RestorePlan, *, hierarchy: Hierarchy = ALMA, show: int = 50) -> RenderableType:
    """A plan as a tree: parents before children with reasons, then exclusions and counts.

    Args:
        plan: the plan.
        hierarchy: gives the records' titles.
        show: the most records and exclusions listed (0 for all); the rest are counted.
    """
    limit = show if show > 0 else len(plan.records) + len(plan.excluded)
    root = Tree(Text(f"Restore plan: {describe(plan.criteria)}", style="bold"))
    restores = root.add(Text(f"restores {plural(plan.total, 'record')}", style="bold green"))
    planned = {p.id for p in plan.records}
    children: dict[str | None, list[PlannedRecord]] = defaultdict(list)
    for p in plan.records:
        parent = p.record.parent_id
        children[parent if parent in planned else None].append(p)
    shown = 0
    stack: list[tuple[Tree, PlannedRecord]] = [(restores, p) for p in reversed(children[None])]
    while stack and shown < limit:
        branch, p = stack.pop()
        node = branch.add(_node_label(p, hierarchy))
        shown += 1
        stack.extend((node, c) for c in reversed(children[p.id]))
    if shown < plan.total:
        restores.add(Text(f"... and {plan.total - shown:,} more", style="dim"))
    if plan.excluded:
        excluded = root.add(
            Text(f"excludes {plural(len(plan.excluded), 'record')}", style="bold red")
        )
        for e in plan.excluded[:limit]:
            label = Text()
            label.append(f"{e.kind} ", style="bold")
            label.append(e.id)
            label.append(f" - {e.cause.value}: {e.detail}", style="red")
            excluded.add(label)
        if len(plan.excluded) > limit:
            excluded.add(Text(f"... and {len(plan.excluded) - limit:,} more", style="dim"))
    summary = Text()
    summary.append(f"counts: {counts_text(dict(plan.counts))}\n")
    if plan.batches:
        sizes = ", ".join(f"{len(b):,}" for b in plan.batches)
        summary.append(f"batches: {len(plan.batches)} ({sizes} records)\n")
    else:
        summary.append("batches: none (nothing to restore)\n")
    summary.append(f"planned at: {stamp(plan.planned_at)}")
    if plan.partial:
        summary.append("\npartial: expired records are left out", style="bold yellow")
    return Group(root, summary)


def restore_view(result: RestoreResult) -> Table:
    """The restore jobs a restore recorded, one row each."""
    table = Table(title=f"Restored {plural(len(result.restored), 'record')}", title_justify="left")
    table.add_column("job", overflow="fold")
    table.add_column("batch", justify="right")
    table.add_column("restored", overflow="fold")
    table.add_column("excluded", justify="right")
    for job in result.jobs:
        excluded = sum(1 for o in job.outcomes if o.outcome is Outcome.EXCLUDED)
        table.add_row(
            job.id,
            f"{job.batch}/{job.batches}",
            counts_text(dict(job.counts)),
            str(excluded),
        )
    return table


def jobs_table(jobs: Sequence[RestoreJob]) -> Table:
    """Restore jobs, newest first."""
    table = Table(title=plural(len(jobs), "restore job"), title_justify="left")
    table.add_column("job", overflow="fold")
    table.add_column("at", no_wrap=True)
    table.add_column("by", overflow="fold")
    table.add_column("criteria", overflow="fold")
    table.add_column("batch", justify="right")
    table.add_column("restored", overflow="fold")
    table.add_column("excluded", justify="right")
    table.add_column("status", overflow="fold")
    for job in jobs:
        excluded = sum(1 for o in job.outcomes if o.outcome is Outcome.EXCLUDED)
        table.add_row(
            job.id,
            stamp(job.at),
            job.requested_by,
            describe(job.criteria),
            f"{job.batch}/{job.batches}",
            counts_text(dict(job.counts)),
            str(excluded),
            job.status.value if not job.reason else f"{job.status.value}: {job.reason}",
        )
    return table


def job_view(job: RestoreJob) -> RenderableType:
    """One restore job: its header, then each record's outcome."""
    header = Table(show_header=False, box=None, pad_edge=False)
    header.add_column(style="bold")
    header.add_column(overflow="fold")
    for name, value in (
        ("job", job.id),
        ("institution", job.institution),
        ("requested by", job.requested_by),
        ("at", stamp(job.at)),
        ("criteria", describe(job.criteria)),
        ("batch", f"{job.batch} of {job.batches}"),
        ("restored", counts_text(dict(job.counts))),
        ("status", job.status.value),
        *((("reason", job.reason),) if job.reason else ()),
    ):
        header.add_row(name, value)
    outcomes = Table(title="outcomes", title_justify="left")
    outcomes.add_column("kind")
    outcomes.add_column("id", overflow="fold")
    outcomes.add_column("outcome")
    outcomes.add_column("reason", overflow="fold")
    for o in job.outcomes:
        outcomes.add_row(o.kind, o.id, o.outcome.value, o.reason)
    return Group(header, outcomes)


def purge_view(report: PurgeReport, *, dry_run: bool) -> RenderableType:
    """What a purge removed, or, for a dry run, would remove."""
    if not report.ids:
        return Text("nothing to purge")
    verb = "would purge" if dry_run else "purged"
    heading = Text(f"{verb} {plural(len(report.ids), 'record')}", style="bold")
    table = Table()
    table.add_column("kind")
    table.add_column("records", justify="right")
    for kind, count in report.counts.items():
        table.add_row(kind, f"{count:,}")
    if not dry_run:
        return Group(heading, table)
    return Group(heading, table, Text("ids: " + ", ".join(report.ids), overflow="fold"))
