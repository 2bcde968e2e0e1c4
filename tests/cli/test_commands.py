"""Each command, in this process (click's runner) on a SQLite file: output, JSON, exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deleted_repo import Brief, Record, RestoreJob, RestorePlan, SearchPage, from_json
from deleted_repo.cli.app import exit_code
from deleted_repo.errors import (
    CapExceededError,
    DeletedRepoError,
    InvalidInputError,
    NotAuthorizedError,
    StorageError,
    UnknownActorError,
)
from tests.support import INSTITUTION

from .conftest import CliDatabase, invoke, seed


@pytest.fixture
def db(sqlite_cli_db: CliDatabase) -> CliDatabase:
    """A SQLite database holding the seeded history."""
    seed(sqlite_cli_db)
    return sqlite_cli_db


def _policy(tmp_path: Path, **values: object) -> str:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(values), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("options", "ids"),
    [
        (["--kind", "item", "--id", "232"], ["232"]),
        (["--kind", "item", "--from", "6d"], ["231", "233", "232"]),
        (["--kind", "item", "--deleted-by", "jdoe"], ["231"]),
        (["--kind", "bib", "--job", "J-WEED-7"], ["992"]),
        (["--kind", "portfolio", "--system"], ["531"]),
        (["--kind", "item", "--field", "barcode=B-2"], ["232"]),
    ],
    ids=["id", "range", "user", "job", "system", "field"],
)
def test_search_by_each_criterion(db: CliDatabase, options: list[str], ids: list[str]) -> None:
    """R-S1, R-S4, R-S5, R-S10, R-D4: every criterion, as JSON that reads back as a page."""
    result = invoke(db, "search", *options, "--json")
    assert result.exit_code == 0, result.stderr
    page = from_json(result.stdout, SearchPage)
    assert [h.id for h in page.hits] == ids


def test_search_prints_a_table_and_the_next_cursor(db: CliDatabase) -> None:
    """R-S8: a page shows its hits and the cursor of the next page, which continues it."""
    first = invoke(db, "search", "--kind", "item", "--from", "6d", "--limit", "2")
    assert first.exit_code == 0, first.stderr
    assert "231" in first.stdout
    assert "233" in first.stdout
    assert "232" not in first.stdout
    [cursor] = [
        line.removeprefix("next cursor: ")
        for line in first.stdout.splitlines()
        if line.startswith("next cursor: ")
    ]
    second = invoke(
        db, "search", "--kind", "item", "--from", "6d", "--limit", "2", "--cursor", cursor
    )
    assert second.exit_code == 0, second.stderr
    assert "232" in second.stdout
    assert "next cursor" not in second.stdout


def test_search_by_range_is_clipped_to_the_window(db: CliDatabase) -> None:
    """R-S2, R-S3: a range reaching past a year is clipped; the old deletion is found by id."""
    ranged = invoke(db, "search", "--kind", "bib", "--from", "60w")
    assert ranged.exit_code == 0, ranged.stderr
    assert "clipped to the search window" in ranged.stdout
    assert "996" not in ranged.stdout
    by_id = invoke(db, "search", "--kind", "bib", "--id", "996")
    assert "Emma" in by_id.stdout
    assert "hsato" in by_id.stdout


def test_search_without_hits_says_so(db: CliDatabase) -> None:
    """An empty page is not an error."""
    result = invoke(db, "search", "--kind", "collection", "--from", "1w")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("no hits: collection records deleted from")


def test_show_prints_the_brief_view(db: CliDatabase) -> None:
    """R-S7: the brief view of a deleted record, as a table and as JSON."""
    shown = invoke(db, "show", "231")
    assert shown.exit_code == 0, shown.stderr
    assert "221 > 991" in shown.stdout
    assert "jdoe" in shown.stdout
    brief = from_json(invoke(db, "show", "231", "--json").stdout, Brief)
    assert (brief.kind, brief.origin_id, brief.parent_ids) == ("item", "991", ("221", "991"))


def test_show_of_an_unknown_id_is_refused(db: CliDatabase) -> None:
    """A record that is not deleted: exit 1, one line."""
    result = invoke(db, "show", "nope")
    assert result.exit_code == 1
    assert result.stderr == "error: not deleted: 'nope'\n"


def test_plan_shows_ancestors_and_their_notes(db: CliDatabase) -> None:
    """R-P4, R-P9: an item brings its holding and bib, with why, parents first."""
    result = invoke(db, "plan", "--kind", "item", "--id", "232")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.index("bib 991") < out.index("holding 221") < out.index("item 232")
    assert "ancestor of 221" in out
    assert "deleted in another event" in out
    assert "counts: bib 1, holding 1, item 1" in out


def test_plan_shows_exclusions_and_partial(db: CliDatabase) -> None:
    """R-P6, R-P7: expired files make a plan partial; a taken barcode excludes an item."""
    partial = invoke(db, "plan", "--kind", "representation", "--id", "121")
    assert "excludes 2 records" in partial.stdout
    assert "file 131 - expired" in partial.stdout
    assert "partial: expired records are left out" in partial.stdout
    conflict = invoke(db, "plan", "--kind", "item", "--id", "238")
    assert "item 238 - unique_conflict" in conflict.stdout
    assert "held by active record 239" in conflict.stdout


def test_plan_json_and_save_read_back(db: CliDatabase, tmp_path: Path) -> None:
    """R-P9: ``--json`` and ``--save`` hold the same plan, and it reads back unchanged."""
    saved = tmp_path / "plan.json"
    result = invoke(db, "plan", "--kind", "bib", "--id", "991", "--json", "--save", str(saved))
    assert result.exit_code == 0, result.stderr
    plan = from_json(result.stdout, RestorePlan)
    assert from_json(saved.read_text(encoding="utf-8"), RestorePlan) == plan
    assert plan.ids == ("991", "221", "231")


def test_plan_over_the_cap_is_refused_unless_batched(db: CliDatabase, tmp_path: Path) -> None:
    """R-P8: over the policy's cap a plan is refused (exit 1); ``--batches`` cuts it."""
    policy = _policy(tmp_path, max_records_per_job=2)
    refused = invoke(db, "--policy", policy, "plan", "--kind", "bib", "--id", "991")
    assert refused.exit_code == 1
    assert "over the limit of 2 per restore job" in refused.stderr
    batched = invoke(db, "--policy", policy, "plan", "--kind", "bib", "--id", "991", "--batches")
    assert batched.exit_code == 0, batched.stderr
    assert "batches: 2 (2, 1 records)" in batched.stdout


def test_plan_tree_is_cut_at_show(db: CliDatabase) -> None:
    """``--show`` limits the records listed; the rest are counted."""
    result = invoke(db, "plan", "--kind", "bib", "--id", "991", "--show", "1")
    assert "bib 991" in result.stdout
    assert "holding 221 " not in result.stdout
    assert "... and 2 more" in result.stdout


def test_restore_after_confirmation(db: CliDatabase) -> None:
    """R-E1: answering yes restores the plan's records."""
    result = invoke(db, "restore", "--kind", "bib", "--id", "991", input="y\n")
    assert result.exit_code == 0, result.stderr
    assert "Restore 3 records in 1 restore job(s)?" in result.stdout
    assert "Restored 3 records" in result.stdout
    assert sorted(db.store().catalog.get(INSTITUTION, ["991", "221", "231"])) == [
        "221",
        "231",
        "991",
    ]


def test_restore_declined_changes_nothing(db: CliDatabase) -> None:
    """R-E1: a restore not confirmed exits 1 and changes nothing."""
    result = invoke(db, "restore", "--kind", "bib", "--id", "991", input="n\n")
    assert result.exit_code == 1
    assert "nothing was restored" in result.stderr
    store = db.store()
    assert store.catalog.get(INSTITUTION, ["991"]) == {}
    assert store.jobs.list(INSTITUTION) == []


def test_restore_in_batches_records_one_job_each(db: CliDatabase, tmp_path: Path) -> None:
    """R-P8, R-E3, I4: batches run in order, one restore job each, none over the cap."""
    policy = _policy(tmp_path, max_records_per_job=2)
    result = invoke(
        db, "--policy", policy, "restore", "--kind", "bib", "--id", "991", "--batches", "--yes"
    )
    assert result.exit_code == 0, result.stderr
    jobs = db.store().jobs.list(INSTITUTION)
    assert sorted((j.batch, len(j.restored)) for j in jobs) == [(1, 2), (2, 1)]


def test_restore_json_keeps_stdout_for_the_result(db: CliDatabase) -> None:
    """With ``--json`` the preview goes to stderr and stdout holds the result alone."""
    result = invoke(db, "restore", "--kind", "item", "--deleted-by", "jdoe", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    [job] = json.loads(result.stdout)["jobs"]
    assert [o["id"] for o in job["outcomes"]] == ["991", "221", "231"]
    assert "Restore plan" in result.stderr


def test_restore_refuses_a_stale_plan(db: CliDatabase, tmp_path: Path) -> None:
    """R-E2: a saved plan whose records moved is refused with exit 1 and changes nothing."""
    saved = tmp_path / "plan.json"
    invoke(db, "plan", "--kind", "item", "--id", "232", "--save", str(saved))
    invoke(db, "restore", "--kind", "bib", "--id", "991", "--yes")
    result = invoke(db, "restore", "--plan", str(saved), "--yes")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: the plan is stale")
    assert "232" in db.store().deleted.get(INSTITUTION, ["232"])


def test_restore_stops_at_a_stale_batch(db: CliDatabase, tmp_path: Path) -> None:
    """R-E2, R-P8: a batch whose records moved is refused; the batches before it stand."""
    policy = _policy(tmp_path, max_records_per_job=2)
    saved = tmp_path / "plan.json"
    args = ("--kind", "bib", "--id", "991", "--batches", "--save", str(saved))
    assert invoke(db, "--policy", policy, "plan", *args).exit_code == 0
    store = db.store()
    store.catalog.add(
        INSTITUTION, [Record("item", "299", parent_id="225", data={"barcode": "B-1"})]
    )
    result = invoke(db, "--policy", policy, "restore", "--plan", str(saved), "--yes")
    assert result.exit_code == 1
    first, refusal = result.stderr.splitlines()
    assert first.startswith("batch 1 was restored before the refusal (jobs ")
    assert refusal.startswith("error: the plan is stale")
    assert sorted(store.catalog.get(INSTITUTION, ["991", "221", "231"])) == ["221", "991"]
    assert "231" in store.deleted.get(INSTITUTION, ["231"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plan", "PLAN", "--kind", "bib", "--id", "991"], "either --plan or search criteria"),
        (["--plan", "BROKEN"], "does not hold a valid restore plan"),
        (["--plan", "MISSING"], "does not exist"),
        (["--kind", "bib"], "give a criterion"),
    ],
    ids=["plan-and-criteria", "broken-plan", "missing-plan", "no-criterion"],
)
def test_restore_bad_input(db: CliDatabase, tmp_path: Path, args: list[str], message: str) -> None:
    """Bad input to restore exits 2 with one line, and restores nothing."""
    (tmp_path / "plan.json").write_text(
        invoke(db, "plan", "--kind", "bib", "--id", "991", "--json").stdout, encoding="utf-8"
    )
    (tmp_path / "broken.json").write_text('{"records": 3}', encoding="utf-8")
    paths = {
        "PLAN": tmp_path / "plan.json",
        "BROKEN": tmp_path / "broken.json",
        "MISSING": tmp_path / "missing.json",
    }
    result = invoke(db, "restore", *(str(paths.get(a, a)) for a in args), "--yes")
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert db.store().jobs.list(INSTITUTION) == []


def _restore_as(db: CliDatabase, user: str, record_id: str, kind: str = "item") -> None:
    result = invoke(db, "--user", user, "restore", "--kind", kind, "--id", record_id, "--yes")
    assert result.exit_code == 0, result.stderr


def test_jobs_lists_newest_first_with_filters(db: CliDatabase) -> None:
    """R-E3: jobs list newest first; filters by requester and time."""
    _restore_as(db, "ana", "232")
    _restore_as(db, "bob", "233")
    listed = json.loads(invoke(db, "jobs", "--json").stdout)
    assert [j["requested_by"] for j in listed] == ["bob", "ana"]
    by_ana = json.loads(invoke(db, "jobs", "--requested-by", "ana", "--json").stdout)
    assert [j["requested_by"] for j in by_ana] == ["ana"]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert json.loads(invoke(db, "jobs", "--since", tomorrow, "--json").stdout) == []
    assert json.loads(invoke(db, "jobs", "--until", "2020-01-01", "--json").stdout) == []
    assert len(json.loads(invoke(db, "jobs", "--limit", "1", "--json").stdout)) == 1
    table = invoke(db, "jobs").stdout
    assert "2 restore jobs" in table
    assert table.index("bob") < table.index("ana")


def test_jobs_filter_by_status_and_criterion(db: CliDatabase, tmp_path: Path) -> None:
    """R-E3, D-42: a stale attempt is listed as such; --status and --criterion filter."""
    saved = tmp_path / "plan.json"
    assert invoke(db, "plan", "--kind", "item", "--id", "232", "--save", str(saved)).exit_code == 0
    assert invoke(db, "restore", "--plan", str(saved), "--yes").exit_code == 0
    assert invoke(db, "--user", "bob", "restore", "--plan", str(saved), "--yes").exit_code == 1
    [stale] = json.loads(invoke(db, "jobs", "--status", "stale", "--json").stdout)
    [restored] = json.loads(invoke(db, "jobs", "--status", "restored", "--json").stdout)
    assert (stale["requested_by"], stale["outcomes"], stale["counts"]) == ("bob", [], {})
    assert restored["requested_by"] != "bob"
    assert invoke(db, "jobs", "--status", "refused", "--json").stdout.strip() == "[]"
    assert len(json.loads(invoke(db, "jobs", "--criterion", "ById", "--json").stdout)) == 2
    assert json.loads(invoke(db, "jobs", "--criterion", "ByUser", "--json").stdout) == []
    assert "stale: these records are no longer deleted" in invoke(db, "jobs").stdout
    assert invoke(db, "jobs", "--status", "lost").exit_code == 2


def test_jobs_show_and_export(db: CliDatabase, tmp_path: Path) -> None:
    """R-E3: one job with its outcomes; every job as JSON lines, read back as jobs."""
    _restore_as(db, "ana", "991", kind="bib")
    [line] = invoke(db, "jobs", "--export", "jsonl").stdout.splitlines()
    job = from_json(line, RestoreJob)
    shown = invoke(db, "jobs", "show", job.id)
    assert shown.exit_code == 0, shown.stderr
    assert "restored" in shown.stdout
    assert "231" in shown.stdout
    assert from_json(invoke(db, "jobs", "show", job.id, "--json").stdout, RestoreJob) == job
    output = tmp_path / "jobs.jsonl"
    exported = invoke(db, "jobs", "--export", "jsonl", "--output", str(output))
    assert exported.stderr == f"exported 1 restore jobs to {output}\n"
    assert from_json(output.read_text(encoding="utf-8"), RestoreJob) == job


def test_jobs_errors(db: CliDatabase) -> None:
    """An unknown job is refused (1); ``--output`` without ``--export`` is bad input (2)."""
    unknown = invoke(db, "jobs", "show", "nope")
    assert (unknown.exit_code, unknown.stderr) == (1, "error: no restore job 'nope'\n")
    assert invoke(db, "jobs", "--output", "x.csv").exit_code == 2


def test_purge_dry_run_lists_and_keeps(db: CliDatabase) -> None:
    """R-R1: a dry run names what a purge would remove, and removes nothing."""
    result = invoke(db, "purge", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "would purge 2 records" in result.stdout
    assert "ids: 131, 132" in result.stdout
    assert sorted(db.store().deleted.get(INSTITUTION, ["131", "132"])) == ["131", "132"]


def test_purge_with_nothing_to_purge_exits_zero(sqlite_cli_db: CliDatabase) -> None:
    """R-R1: purging nothing is a success, so cron stays quiet."""
    assert invoke(sqlite_cli_db, "init").exit_code == 0
    result = invoke(sqlite_cli_db, "purge")
    assert (result.exit_code, result.stdout) == (0, "nothing to purge\n")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--user", "", "show", "231"], 2, "no user"),
        (["--institution", "", "show", "231"], 2, "no institution"),
        (["--role", "Cataloger", "show", "231"], 1, "lacks the role"),
        (["search", "--kind", "item", "--deleted-by", "nobody"], 1, "no deletion by user"),
        (["search", "--kind", "item", "--id", "1", "--job", "J"], 2, "give one criterion"),
        (["search", "--kind", "item", "--id", "1", "--to", "now"], 2, "do not apply to --id"),
        (["search", "--kind", "item", "--to", "now"], 2, "a range needs --from"),
        (["search", "--kind", "item", "--from", "soon"], 2, "is not a time"),
        (["search", "--kind", "item", "--field", "barcode"], 2, "is not NAME=VALUE"),
        (["search", "--kind", "item", "--field", "title=x"], 2, "not searchable"),
        (["search", "--kind", "item", "--from", "1d", "--cursor", "x"], 2, "not a search cursor"),
        (["search", "--kind", "nope", "--id", "1"], 2, "'nope' is not one of"),
        (["--db", "nope://", "show", "231"], 2, "cannot use the database"),
        (["--schema", "s", "show", "231"], 2, "PostgreSQL databases only"),
        (["--policy", "missing.json", "show", "231"], 2, "cannot read the policy file"),
    ],
)
def test_errors_are_one_line_with_their_exit_code(
    db: CliDatabase, args: list[str], code: int, message: str
) -> None:
    """Refused is 1, bad input is 2: one line on stderr starting with ``error:``."""
    result = invoke(db, *args)
    assert result.exit_code == code, result.stderr
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_policy_file_that_is_not_a_policy_is_bad_input(db: CliDatabase, tmp_path: Path) -> None:
    """A ``--policy`` file that does not describe a policy exits 2."""
    policy = _policy(tmp_path, max_records_per_job="many")
    result = invoke(db, "--policy", policy, "show", "231")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: the policy file {policy} does not hold a valid policy")


def test_the_requester_is_checked_before_the_database(tmp_path: Path) -> None:
    """Bad input is refused before anything is read: no user, even on a missing database."""
    db = CliDatabase("sqlite", str(tmp_path / "missing.sqlite3"), None)
    result = invoke(db, "--user", "", "search", "--kind", "item", "--id", "1")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: no user: give --user or set DELETED_REPO_USER\n",
    )


def test_an_empty_database_file_has_no_tables(sqlite_cli_db: CliDatabase) -> None:
    """A database without the tables exits 3 and names the command that creates them."""
    Path(sqlite_cli_db.db).touch()
    result = invoke(sqlite_cli_db, "jobs")
    assert result.exit_code == 3
    assert "has no deleted_repo tables; create them with 'deleted-repo init'" in result.stderr


def test_a_missing_database_file_is_a_storage_error(tmp_path: Path) -> None:
    """A SQLite file that does not exist is not created by a read: exit 3, one line."""
    path = tmp_path / "missing.sqlite3"
    result = invoke(CliDatabase("sqlite", str(path), None), "jobs")
    assert result.exit_code == 3
    assert result.stderr == f"error: no database at {path}; create it with 'deleted-repo init'\n"
    assert not path.exists()


def test_an_unreachable_database_is_a_storage_error() -> None:
    """A database server that cannot be reached exits 3 with one line."""
    db = CliDatabase("postgres", "postgresql+psycopg://nobody@127.0.0.1:1/none", None)
    result = invoke(db, "jobs")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: cannot open the database")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidInputError("x"), 2),
        (NotAuthorizedError("u", "i", "r"), 1),
        (CapExceededError(3, 2), 1),
        (UnknownActorError("user 'x'"), 1),
        (StorageError("x"), 3),
        (DeletedRepoError("x"), 1),
    ],
)
def test_exit_code_of_each_error(error: DeletedRepoError, code: int) -> None:
    """Each branch of the error tree has its documented exit status."""
    assert exit_code(error) == code


def test_version_and_help(sqlite_cli_db: CliDatabase) -> None:
    """``--version`` and ``--help`` exit 0."""
    assert "version" in invoke(sqlite_cli_db, "--version").stdout
    helped = invoke(sqlite_cli_db, "--help")
    assert helped.exit_code == 0
    assert "demo" in helped.stdout
    assert "purge" in helped.stdout
