"""The history kit keeps its guarantees: histories, criteria, policies and plans (STYLE 10).

Each strategy's docstring states what every value it draws satisfies; each test here checks
one such statement against the library. R-D1..R-D4, R-S1..R-S10, R-P1, R-P8, R-E1, I3.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from deleted_repo import (
    ALMA,
    Actor,
    ActorKind,
    ByUser,
    Criteria,
    DeletedRepository,
    EmptiedParents,
    Hierarchy,
    Policy,
    Record,
    RestorePlan,
)
from deleted_repo.testing.histories import History, ManualClock, deleted_by_rules
from deleted_repo.testing.strategies import (
    criteria,
    deletion_histories,
    hierarchies,
    policies,
    restore_plans,
)

# Every example replays a history on a repository: a modest share of the profile's examples.
FEW = settings(max_examples=max(10, settings().max_examples // 3), deadline=None)


def _all_hits(repo: DeletedRepository, search: Criteria, history: History, where: str) -> list[str]:
    requester = history.requester(where, role=repo.policy.restore_role)
    return [h.id for h in repo.search(search, requester=requester, limit=10_000).hits]


def _with_policy(hierarchy: Hierarchy = ALMA) -> st.SearchStrategy[tuple[Policy, History]]:
    return policies(hierarchy=hierarchy).flatmap(
        lambda p: st.tuples(
            st.just(p), deletion_histories(hierarchy=hierarchy, unique_fields=p.unique_fields)
        )
    )


@FEW
@given(_with_policy())
def test_histories_replay_under_any_policy(drawn: tuple[Policy, History]) -> None:
    """R-D5, I5: a history replays without error; what it deleted is deleted, the rest active."""
    policy, history = drawn
    repo, clock = history.repository(policy=policy)
    assert clock() == history.end
    for institution, records in history.catalogs.items():
        ids = [r.id for r in records]
        deleted = history.deleted(institution)
        assert set(repo.deleted.get(institution, ids)) == set(deleted)
        assert set(repo.catalog.get(institution, ids)) == set(ids) - set(deleted)


@settings(max_examples=60, deadline=None)
@given(deletion_histories(institutions=["A"], max_records=8, max_deletes=5))
def test_each_event_deletes_what_the_action_takes(history: History) -> None:
    """R-D1..R-D3: replaying gives one event per action, whose members are the action's `takes`."""
    clock = ManualClock(history.start)
    fresh = DeletedRepository.in_memory(clock=clock, hierarchy=history.hierarchy)
    events = history.replay(fresh, clock)
    assert len(events) == len(history.actions) >= 1
    for event, action in zip(events, history.actions, strict=True):
        assert (event.institution, event.actor, event.at) == (
            action.institution,
            action.actor,
            action.at,
        )
        assert event.origins == action.ids
        assert sorted(m.id for m in event.members) == sorted(action.takes)
    assert clock() == history.end


@FEW
@given(deletion_histories(max_deletes=5, span=timedelta(days=40)))
def test_history_times_increase_within_the_span(history: History) -> None:
    """Actions come in time order, strictly, and the history ends within its span."""
    times = [a.at for a in history.actions]
    assert times == sorted(times)
    assert len(set(times)) == len(times)
    assert history.start <= times[0]
    assert times[-1] <= history.end <= history.start + timedelta(days=40)
    assert 1 <= len(history.actions) <= 5


@FEW
@given(deletion_histories(institutions=["A", "B", "C"], max_records=4))
def test_histories_give_every_institution_a_catalog_of_the_same_ids(history: History) -> None:
    """R-M3: each institution has a catalog of its own, its ids those of the others' prefixes."""
    assert history.institutions == ("A", "B", "C")
    for records in history.catalogs.values():
        assert 1 <= len(records) <= 4
        assert [r.id for r in records] == [f"r{n}" for n in range(len(records))]


@given(deletion_histories(deleted_by=st.just(Actor.job("J7")), max_deletes=3))
def test_histories_take_actors_from_the_strategy_given(history: History) -> None:
    """R-D4: every action is by an actor the `deleted_by` strategy drew."""
    assert {a.actor for a in history.actions} == {Actor.job("J7")}


def test_default_histories_use_every_kind_of_actor() -> None:
    """R-D4: users, jobs and both system labels all make deletions in drawn histories."""
    seen: set[Actor] = set()

    @settings(max_examples=60, deadline=None, database=None)
    @given(deletion_histories(max_deletes=8))
    def collect(history: History) -> None:
        seen.update(a.actor for a in history.actions)

    collect()
    assert {a.kind for a in seen} == set(ActorKind)
    assert {a.id for a in seen if a.kind is ActorKind.SYSTEM} == {
        "System",
        "Electronic Inventory Creator",
    }


@FEW
@given(_with_policy().flatmap(lambda d: st.tuples(st.just(d), criteria(d[1], policy=d[0]))))
def test_criteria_find_something(drawn: tuple[tuple[Policy, History], Criteria]) -> None:
    """R-S1..R-S10: a drawn criterion finds a record once the history is replayed."""
    (policy, history), search = drawn
    repo, _ = history.repository(policy=policy)
    where = history.actions[-1].institution
    assert _all_hits(repo, search, history, where)


@FEW
@given(
    deletion_histories(institutions=["A", "B"]).flatmap(
        lambda h: st.tuples(
            st.just(h),
            st.sampled_from(sorted({a.institution for a in h.actions})).flatmap(
                lambda i: st.tuples(st.just(i), criteria(h, institution=i))
            ),
        )
    )
)
def test_criteria_find_something_in_the_institution_asked(
    drawn: tuple[History, tuple[str, Criteria]],
) -> None:
    """R-M3, R-S4: criteria for one institution find something there."""
    history, (where, search) = drawn
    repo, _ = history.repository()
    assert _all_hits(repo, search, history, where)


# Kinds with no parents: each action takes few kinds, so a user's next action often lacks the
# kind an earlier one is searched by, and a range reaching it would find nothing (R-S4).
FLAT = Hierarchy.declare(dict.fromkeys("abcdef"))


def test_criteria_by_user_name_the_users_last_action() -> None:
    """R-S4: a user's earlier action is found only through a range that ends before the next."""
    seen: list[ByUser] = []

    @settings(max_examples=150, deadline=None, database=None)
    @given(
        deletion_histories(
            hierarchy=FLAT,
            institutions=["A"],
            deleted_by=st.just(Actor.user("ana")),
            span=timedelta(days=2),
        ).flatmap(lambda h: st.tuples(st.just(h), criteria(h)))
    )
    def check(drawn: tuple[History, Criteria]) -> None:
        history, search = drawn
        if isinstance(search, ByUser):
            seen.append(search)
            repo, _ = history.repository()
            assert _all_hits(repo, search, history, history.actions[-1].institution)

    check()
    assert any(s.end is not None for s in seen)


@given(hierarchies().flatmap(lambda h: st.tuples(st.just(h), policies(hierarchy=h))))
def test_policies_are_accepted_by_a_repository_of_their_hierarchy(
    drawn: tuple[Hierarchy, Policy],
) -> None:
    """R-P7, R-S10, R-R1: a drawn policy names only its hierarchy's kinds; a repository takes it."""
    hierarchy, policy = drawn
    assert policy.checked_against(hierarchy) is policy
    repo = DeletedRepository.in_memory(
        clock=lambda: datetime(2026, 1, 1, tzinfo=UTC), hierarchy=hierarchy, policy=policy
    )
    assert repo.policy is policy


@FEW
@given(_with_policy().flatmap(lambda d: st.tuples(st.just(d), restore_plans(d[1], policy=d[0]))))
def test_plans_restore_exactly_what_they_list(
    drawn: tuple[tuple[Policy, History], RestorePlan],
) -> None:
    """R-E1, R-P8, I3: a drawn plan restores on the rebuilt repository, exactly its records."""
    (policy, history), plan = drawn
    assert all(len(b) <= policy.max_records_per_job for b in plan.batches)
    repo, _ = history.repository(policy=policy)
    requester = history.requester(plan.institution)
    result = repo.restore(plan, requester=requester)
    ids = [p.id for p in plan.records]
    assert sorted(result.restored) == sorted(ids)
    assert set(repo.catalog.get(plan.institution, ids)) == set(ids)


@given(
    deletion_histories().flatmap(
        lambda h: st.tuples(st.just(h), restore_plans(h, batches=st.just(False)))
    )
)
def test_plans_without_batches_fall_back_to_batches_over_the_cap(
    drawn: tuple[History, RestorePlan],
) -> None:
    """R-P8: under Alma's cap of 5000, a plan asked without batches has one batch."""
    _, plan = drawn
    assert len(plan.batches) <= 1


def test_deleted_by_rules_takes_emptied_parents_upward() -> None:
    """R-D3, D-1: with ``delete``, the last item takes its holding, and that its bib."""
    shelf = [
        Record("bib", "b"),
        Record("holding", "h", "b"),
        Record("item", "i", "h"),
        Record("portfolio", "p", "b"),
    ]
    active = {"b", "h", "i", "p"}
    assert deleted_by_rules(shelf, active, ["i"], EmptiedParents.RETAIN) == ["i"]
    assert deleted_by_rules(shelf, active, ["i"], EmptiedParents.DELETE) == ["i", "h"]
    assert deleted_by_rules(shelf, active - {"p"}, ["i"], EmptiedParents.DELETE) == [
        "i",
        "h",
        "b",
    ]


@given(st.from_type(Policy), st.from_type(History))
@settings(max_examples=10, deadline=None)
def test_policies_and_histories_are_registered_for_from_type(
    policy: Policy, history: History
) -> None:
    """st.from_type finds `policies` and `deletion_histories` through the entry point."""
    assert policy.checked_against(ALMA) is policy
    assert history.actions


_HISTORY = History(
    hierarchy=ALMA,
    start=datetime(2026, 1, 1, tzinfo=UTC),
    end=datetime(2026, 1, 1, tzinfo=UTC),
    catalogs={"A": ()},
    actions=(),
)


@pytest.mark.parametrize(
    ("make", "args", "kwargs"),
    [
        (deletion_histories, (), {"hierarchy": "alma"}),
        (deletion_histories, (), {"institutions": "01UNI"}),
        (deletion_histories, (), {"institutions": []}),
        (deletion_histories, (), {"institutions": ["A", "A"]}),
        (deletion_histories, (), {"institutions": ["A", ""]}),
        (deletion_histories, (), {"max_records": 0}),
        (deletion_histories, (), {"max_deletes": True}),
        (deletion_histories, (), {"span": timedelta(0)}),
        (deletion_histories, (), {"span": 30}),
        (deletion_histories, (), {"deleted_by": Actor.user("ana")}),
        (deletion_histories, (), {"start": datetime(2026, 1, 1)}),
        (criteria, ("history",), {}),
        (criteria, (_HISTORY,), {}),
        (criteria, (_HISTORY,), {"institution": "A"}),
        (policies, (), {"hierarchy": None}),
        (restore_plans, (_HISTORY,), {}),
    ],
)
def test_bad_arguments_raise_invalid_argument(
    make: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """The kit checks its arguments eagerly, in hypothesis' house style."""
    with pytest.raises(InvalidArgument):
        make(*args, **kwargs)


@given(deletion_histories(max_deletes=2))
@settings(max_examples=5, deadline=None)
def test_criteria_and_plans_refuse_a_policy_of_another_hierarchy(history: History) -> None:
    """A policy naming a kind the history's hierarchy lacks is refused at once."""
    foreign = Policy(retention={"volume": timedelta(days=1)})
    for make in (criteria, restore_plans):
        with pytest.raises(InvalidArgument):
            make(history, policy=foreign)
    with pytest.raises(InvalidArgument):
        restore_plans(history, batches=True)  # type: ignore[arg-type]
