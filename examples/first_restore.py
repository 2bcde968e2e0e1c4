"""A first restore: a bib is deleted with its inventory, found, previewed, and restored."""

from datetime import UTC, datetime

from deleted_repo import Actor, ById, DeletedRepository, Record, Requester


def main() -> None:
    """Delete a bib with its holding and items, then restore it as a Repository Manager."""
    now = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    repo = DeletedRepository.in_memory(clock=lambda: now)
    repo.catalog.add(
        "01UNI",
        [
            Record("bib", "991", data={"title": "Moby Dick"}),
            Record("holding", "221", parent_id="991", data={"call_number": "PS2384 .M6"}),
            Record("item", "231", parent_id="221", data={"barcode": "B-1"}),
            Record("item", "232", parent_id="221", data={"barcode": "B-2"}),
        ],
    )
    event = repo.delete("01UNI", ["991"], actor=Actor.user("jdoe"))
    print(f"deleted event {event.id[:8]}: {', '.join(m.id for m in event.members)}")

    manager = Requester(user_id="ana", institution="01UNI", roles={"Repository Manager"})
    page = repo.search(ById(kind="item", id="232"), requester=manager)
    hit = page.hits[0]
    print(f"found item {hit.id}: deleted by {hit.deleted_by}, with origin {hit.origin_id}")

    plan = repo.plan(ById(kind="bib", id="991"), requester=manager)
    print("the plan restores:")
    for planned in plan.records:
        why = "; ".join(str(r) for r in planned.reasons)
        print(f"  {planned.record.kind:8} {planned.id}  ({why})")

    result = repo.restore(plan, requester=manager)
    print(f"restore job {result.jobs[0].id[:8]} restored {len(result.restored)} records")


if __name__ == "__main__":
    main()
