"""The demo's sample institution: a catalog of every kind and two years of deletions.

`build_sample` fills an empty repository through the facade, the way a host captures deletions
in bulk: `DeletedRepository.record_deletions` with backdated times, and `delete` where a
cascade matters. It is deterministic: the same seed, size and time give the same records.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from deleted_repo import DeletedRepository, Deletion
from deleted_repo.model import ALMA_SYSTEM_LABELS, Actor, ActorKind, Record

__all__ = ["DEFAULT_TITLES", "INSTITUTION", "Sample", "Scenarios", "build_sample"]

INSTITUTION = "01DEMO_INST"
DEFAULT_TITLES = 21_000
"""Titles in the default sample: over 10,000 records of every kind, about 120,000 in all."""

_INST_CODE = "4021"
_TYPE_CODES = {
    "bib": "99",
    "holding": "22",
    "item": "23",
    "portfolio": "53",
    "representation": "12",
    "remote_representation": "12",
    "file": "13",
    "collection": "81",
}
STAFF = ("cwilliams", "dnguyen", "efischer", "gokafor", "hsato", "ilarsen", "kpatel", "lrossi")
_WORDS = (
    "Northern Rivers",
    "Silent Cities",
    "Early Maps",
    "Lost Letters",
    "Small Gardens",
    "Distant Shores",
    "Old Bridges",
    "Winter Songs",
    "Hidden Valleys",
    "Paper Ships",
    "Glass Towers",
    "Open Roads",
)
_FORMS = ("A History of", "Notes on", "The Book of", "Studies in", "Voices from", "Atlas of")


@attrs.frozen(kw_only=True)
class Scenarios:
    """The records each step of the demo's walkthrough works on.

    Attributes:
        whole_bib: a bib deleted with its inventory three days ago, by asmith.
        withdrawn_item: an item of that bib withdrawn in an earlier event, by bwhite.
        walden_item: one of four items of a title deleted whole ten days ago, by mlopez.
        last_action_user: a user with three delete actions, 30, 8 and 2 days ago.
        dedup_job: a job that deleted whole titles 50 days ago, one event each.
        old_bib: a bib deleted at `old_at`, 400 days ago: outside the search window.
        old_at: when `old_bib` was deleted.
        expired_representation: a representation deleted with its files 120 days ago.
        conflict_item: an item withdrawn 30 days ago whose barcode an active item holds now.
        conflict_barcode: that barcode.
        conflict_holder: the active item that holds it.
        weeding_job: a job that deleted holdings with their items 200 days ago.
        weeding_records: the records the weeding job deleted.
        stale_user: a user whose last action, yesterday, withdrew six items.
        colleague: the user who restores one of them while a plan waits.
    """

    whole_bib: str
    withdrawn_item: str
    walden_item: str
    last_action_user: str
    dedup_job: str
    old_bib: str
    old_at: datetime
    expired_representation: str
    conflict_item: str
    conflict_barcode: str
    conflict_holder: str
    weeding_job: str
    weeding_records: int
    stale_user: str
    colleague: str


@attrs.frozen(kw_only=True)
class Sample:
    """What `build_sample` made.

    Attributes:
        now: the time the history is relative to.
        active: active records per kind.
        deleted: deleted records per kind.
        events: deletion events recorded.
        actors: deletion events per kind of actor ("user", "job", and each system label).
        scenarios: the records the walkthrough uses.
    """

    now: datetime
    active: Mapping[str, int]
    deleted: Mapping[str, int]
    events: int
    actors: Mapping[str, int]
    scenarios: Scenarios


class _Builder:
    """Makes records and the deletions of the history, before anything is stored."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.numbers = itertools.count(1)
        self.barcodes = itertools.count(1)
        self.records: list[Record] = []
        self.children: dict[str, list[Record]] = defaultdict(list)
        self.deleted: set[str] = set()
        self.history: list[Deletion] = []

    def new(self, kind: str, parent: Record | None = None, **data: object) -> Record:
        ident = f"{_TYPE_CODES[kind]}{next(self.numbers):08d}{_INST_CODE}"
        record = Record(kind, ident, None if parent is None else parent.id, data)
        self.records.append(record)
        if parent is not None:
            self.children[parent.id].append(record)
        return record

    def item(self, holding: Record, barcode: str | None = None) -> Record:
        code = barcode or f"390100{next(self.barcodes):07d}"
        return self.new("item", holding, barcode=code, description="")

    def ago(self, days: float, seconds: int = 0) -> datetime:
        return self.now - timedelta(days=days, seconds=seconds)

    def subtree(self, record: Record) -> list[Record]:
        """The record and its descendants not deleted yet, parents first."""
        found, frontier = [], [record]
        while frontier:
            r = frontier.pop()
            if r.id in self.deleted:
                continue
            found.append(r)
            frontier.extend(reversed(self.children[r.id]))
        return found

    def delete(
        self,
        records: Sequence[Record],
        actor: Actor,
        at: datetime,
        origins: Iterable[str] | None = None,
    ) -> None:
        self.history.append(
            Deletion(records, actor=actor, at=at, origins=None if origins is None else [*origins])
        )
        self.deleted.update(r.id for r in records)

    def title(self, name: str | None = None) -> Record:
        """A bib with a random mix of physical, electronic and digital inventory."""
        rng = self.rng
        words = name or f"{rng.choice(_FORMS)} {rng.choice(_WORDS)}, vol. {rng.randint(1, 40)}"
        bib = self.new("bib", title=words, year=rng.randint(1850, 2025))
        physical = rng.random() < 0.55
        if physical:
            for _ in range(2 if rng.random() < 0.1 else 1):
                holding = self.new("holding", bib, call_number=f"PS{rng.randint(100, 3999)}")
                for _ in range(rng.randint(1, 2)):
                    self.item(holding)
        if rng.random() < 0.5:
            self.new("portfolio", bib, title=f"{words} (online)")
        if rng.random() < 0.5:
            rep = self.new("representation", bib, label="Scans")
            for page in range(rng.randint(1, 3)):
                self.new("file", rep, file_name=f"p{page + 1:03d}.tif")
        if rng.random() < 0.5:
            self.new("remote_representation", bib, label="Remote scans")
        return bib

    def physical(self, name: str, items: int) -> tuple[Record, Record, list[Record]]:
        bib = self.new("bib", title=name, year=1900)
        holding = self.new("holding", bib, call_number="PS1000")
        return bib, holding, [self.item(holding) for _ in range(items)]


_WEEDING, _DEDUP, _OLD_JOB = "J-WEED-2026-02", "J-DEDUP-2026-05", "J-CLEANUP-2024-11"

_Unit = tuple[list[Record], list[str]]
"""Records deleted together, and the origins among them."""


def _job_history(b: _Builder, whole: list[Record], kept: list[Record], titles: int) -> int:
    """Deletions by jobs: whole titles, and a weeding of holdings; return the weeded count."""
    dedup_count, old_count = max(1, titles // 500), max(1, titles // 1000)
    for i, bib in enumerate(whole[:dedup_count]):
        b.delete(b.subtree(bib), Actor.job(_DEDUP), b.ago(50, -60 * i))
    for i, bib in enumerate(whole[dedup_count : dedup_count + old_count]):
        b.delete(b.subtree(bib), Actor.job(_OLD_JOB), b.ago(500, -60 * i))
    holdings = [h for bib in kept for h in b.children[bib.id] if h.kind == "holding"]
    b.rng.shuffle(holdings)
    target, weeded = int(titles * 0.27), 0
    for i, holding in enumerate(holdings):
        if weeded >= target:
            break
        records = b.subtree(holding)
        b.delete(records, Actor.job(_WEEDING), b.ago(200, -i))
        weeded += len(records)
    return weeded


def _partial_history(b: _Builder, kept: list[Record]) -> list[_Unit]:
    """Deletions inside titles that stay: system processes now, users' units for later."""
    rng = b.rng
    units: list[_Unit] = []
    system: list[Record] = []
    for bib in kept:
        for child in b.children[bib.id]:
            if child.id in b.deleted:
                continue
            if child.kind in ("portfolio", "remote_representation") and rng.random() < 0.09:
                system.append(child)
            elif child.kind in ("holding", "representation") and rng.random() < 0.03:
                units.append((b.subtree(child), [child.id]))
            else:
                leaves = b.children[child.id]
                units.extend(([leaf], [leaf.id]) for leaf in leaves if rng.random() < 0.07)
    timed = sorted(((b.ago(rng.uniform(1, 700)), r) for r in system), key=lambda pair: pair[0])
    for i, (at, record) in enumerate(timed):
        b.delete([record], Actor.system(ALMA_SYSTEM_LABELS[i % 2]), at)
    return units


def _random_history(b: _Builder, bibs: list[Record], titles: int) -> int:
    """Decide the random part of the history; return the records the weeding job deleted."""
    rng = b.rng
    whole: list[Record] = []
    kept: list[Record] = []
    for bib in bibs:
        (whole if rng.random() < 0.04 else kept).append(bib)
    weeded = _job_history(b, whole, kept, titles)
    skip = max(1, titles // 500) + max(1, titles // 1000)
    units = [(b.subtree(bib), [bib.id]) for bib in whole[skip:]]
    units.extend(_partial_history(b, kept))
    rng.shuffle(units)
    while units:
        size = rng.randint(1, 6)
        action, units = units[:size], units[size:]
        days = rng.uniform(1, 365) if rng.random() < 0.8 else rng.uniform(366, 700)
        b.delete(
            [r for records, _ in action for r in records],
            Actor.user(rng.choice(STAFF)),
            b.ago(days),
            [o for _, origins in action for o in origins],
        )
    return weeded


def _collections(b: _Builder, titles: int) -> None:
    """Nested collections, a few of them deleted with what they hold."""
    rng = b.rng
    for top in range(max(2, titles // 210)):
        root = b.new("collection", title=f"Special collection {top + 1}")
        for sub in range(10):
            middle = b.new("collection", root, title=f"Series {top + 1}.{sub + 1}")
            for leaf in range(9):
                b.new("collection", middle, title=f"File {top + 1}.{sub + 1}.{leaf + 1}")
            if rng.random() < 0.05:
                b.delete(
                    b.subtree(middle), Actor.user(rng.choice(STAFF)), b.ago(rng.uniform(1, 700))
                )


def _shared_barcodes(b: _Builder, stable: list[Record]) -> None:
    """New items that took the barcodes of withdrawn ones."""
    if not stable:
        return
    withdrawn = [
        r
        for d in b.history
        if d.actor.kind is ActorKind.USER
        for r in d.records
        if r.kind == "item" and r.parent_id not in b.deleted
    ]
    for i, item in enumerate(withdrawn[::20]):
        b.item(stable[i % len(stable)], barcode=str(item.data["barcode"]))


def build_sample(
    repo: DeletedRepository,
    *,
    clock: Callable[[datetime], None],
    now: datetime,
    titles: int = DEFAULT_TITLES,
    seed: int = 2026,
    progress: Callable[[str], None] = lambda _: None,
) -> Sample:
    """Fill an empty repository with the sample institution.

    Args:
        repo: a repository over an empty store.
        clock: sets the time the repository's clock returns (for the deletions made through
            `DeletedRepository.delete`); left at `now` on return.
        now: the time the history is relative to.
        titles: the number of random titles (bibs) in the catalog.
        seed: the seed of the random choices.
        progress: told what is being done, step by step.
    """
    b = _Builder(random.Random(seed), now)
    progress("cataloguing titles, inventory and collections")
    bibs = [b.title() for _ in range(titles)]
    _collections(b, titles)
    weeded = _random_history(b, bibs, titles)
    stable = [r for r in b.records if r.kind == "holding" and r.id not in b.deleted]
    _shared_barcodes(b, stable[: max(10, titles // 20)])

    moby, _, moby_items = b.physical("Moby-Dick; or, The Whale", 3)
    b.new("portfolio", moby, title="Moby-Dick (online)")
    walden, _, walden_items = b.physical("Walden; or, Life in the Woods", 4)
    b.delete(b.subtree(walden), Actor.user("mlopez"), b.ago(10))
    jdoe = [b.physical(name, 4)[2] for name in ("Leaves of Grass", "The Scarlet Letter", "Emma")]
    for days, items in ((30, jdoe[0][:3]), (8, jdoe[1]), (2, jdoe[2][:2])):
        b.delete(items, Actor.user("jdoe"), b.ago(days))
    ulysses = b.physical("Ulysses", 2)[0]
    b.delete(b.subtree(ulysses), Actor.user("hsato"), b.ago(400))
    letters = b.new("bib", title="Letters of Emily Dickinson", year=1894)
    rep = b.new("representation", letters, label="Manuscript scans")
    files = [b.new("file", rep, file_name=f"letter{n}.tif") for n in (1, 2, 3)]
    b.delete([rep, *files], Actor.user("dnguyen"), b.ago(120))
    _, _, gatsby_items = b.physical("The Great Gatsby", 2)
    b.delete([gatsby_items[0]], Actor.user("kpatel"), b.ago(30))
    _, tender, _ = b.physical("Tender Is the Night", 1)
    barcode = str(gatsby_items[0].data["barcode"])
    holder = b.item(tender, barcode=barcode)
    _, _, cabin_items = b.physical("Uncle Tom's Cabin", 8)
    b.delete(cabin_items[:6], Actor.user("rkumar"), b.ago(1))

    active = [r for r in b.records if r.id not in b.deleted]
    progress(f"adding {len(active):,} active records to the catalog")
    with repo.store.transaction():
        for start in range(0, len(active), 20_000):
            repo.catalog.add(INSTITUTION, active[start : start + 20_000])
    history = sorted(b.history, key=lambda d: d.at or now)
    deleted = sum(len(d.records) for d in history)
    progress(f"recording {len(history):,} deletions of {deleted:,} records")
    for start in range(0, len(history), 2_000):
        repo.record_deletions(INSTITUTION, history[start : start + 2_000])

    # A copy withdrawn, then the whole title deleted in another event: a cascade, so through
    # `delete`, with the clock set back.
    clock(b.ago(14))
    events = [repo.delete(INSTITUTION, [moby_items[2].id], actor=Actor.user("bwhite"))]
    clock(b.ago(3))
    events.append(repo.delete(INSTITUTION, [moby.id], actor=Actor.user("asmith")))
    clock(now)

    kinds = Counter(r.kind for r in b.records)
    gone = Counter(r.kind for d in history for r in d.records)
    gone.update(m.kind for e in events for m in e.members)
    actors = Counter(
        d.actor.id if d.actor.kind is ActorKind.SYSTEM else d.actor.kind.value for d in history
    )
    actors["user"] += len(events)
    return Sample(
        now=now,
        active={k: kinds[k] - gone[k] for k in sorted(kinds)},
        deleted={k: gone[k] for k in sorted(kinds)},
        events=len(history) + len(events),
        actors=dict(sorted(actors.items())),
        scenarios=Scenarios(
            whole_bib=moby.id,
            withdrawn_item=moby_items[2].id,
            walden_item=walden_items[1].id,
            last_action_user="jdoe",
            dedup_job=_DEDUP,
            old_bib=ulysses.id,
            old_at=b.ago(400),
            expired_representation=rep.id,
            conflict_item=gatsby_items[0].id,
            conflict_barcode=barcode,
            conflict_holder=holder.id,
            weeding_job=_WEEDING,
            weeding_records=weeded,
            stale_user="rkumar",
            colleague="tmeyer",
        ),
    )
