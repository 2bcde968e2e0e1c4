"""The `deleted-repo` command group: global options, the database session and exit codes.

Every command works through a `deleted_repo.DeletedRepository` over a
`deleted_repo.stores.sql.SqlStore`, so the rules apply exactly as through the library. Errors
become one line on stderr and an exit status:

* 0: success.
* 1: refused: not authorised, a stale plan, over the cap, a conflict, nothing found, or a
  restore that was not confirmed.
* 2: bad input: a malformed option or argument (`deleted_repo.InvalidInputError`).
* 3: the database failed or is not usable (`deleted_repo.StorageError`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import attrs
import click
import sqlalchemy as sa

from deleted_repo.errors import DeletedRepoError, InvalidInputError, StorageError
from deleted_repo.model import Requester
from deleted_repo.policy import Policy
from deleted_repo.serialization import from_json
from deleted_repo.service import DeletedRepository
from deleted_repo.stores.sql import SqlStore, metadata
from deleted_repo.stores.sql.schema import CATALOG_TABLES

__all__ = [
    "DEFAULT_DB",
    "EXIT_BAD_INPUT",
    "EXIT_REFUSED",
    "EXIT_STORAGE",
    "CliGroup",
    "Session",
    "cli",
    "database_url",
    "exit_code",
    "fail",
    "session",
]

DEFAULT_DB = "deleted_repo.sqlite3"
"""The database used when neither ``--db`` nor ``DELETED_REPO_DB`` names one."""

DEFAULT_ROLE = "Repository Manager"

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2
EXIT_STORAGE = 3


def exit_code(error: DeletedRepoError) -> int:
    """The exit status of the command line for one of the library's errors.

    Storage errors are 3 and bad input is 2; everything else (not authorised, not found, a
    plan refused: over the cap, a conflict, stale) is a refusal, 1.
    """
    if isinstance(error, StorageError):
        return EXIT_STORAGE
    if isinstance(error, InvalidInputError):
        return EXIT_BAD_INPUT
    return EXIT_REFUSED


def fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    """Stop the command with ``error: message`` on stderr and exit status `code`."""
    raise _Failure(message, code)


class _Failure(Exception):
    """A command's refusal: its message and exit status."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class CliGroup(click.Group):
    """A click group whose errors are one line on stderr, with the documented exit status."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line, turning every error into one line and an exit status."""
        code = 0
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
        except _Failure as e:
            click.echo(f"error: {e}", err=True)
            code = e.code
        except click.exceptions.Abort:
            click.echo("error: interrupted", err=True)
            code = EXIT_REFUSED
        except click.UsageError as e:
            hint = ""
            if e.ctx is not None:
                hint = f" (see '{e.ctx.command_path} --help')"
            click.echo(f"error: {e.format_message()}{hint}", err=True)
            code = EXIT_BAD_INPUT
        except click.ClickException as e:
            click.echo(f"error: {e.format_message()}", err=True)
            code = e.exit_code
        except DeletedRepoError as e:
            click.echo(f"error: {e}", err=True)
            code = exit_code(e)
        if not standalone_mode:
            return code
        sys.exit(code)


def database_url(text: str) -> sa.URL:
    """The SQLAlchemy URL of ``--db``: a URL as given, or a path to a SQLite file.

    Raises:
        InvalidInputError: `text` is neither a database URL nor a path.
    """
    if not text:
        raise InvalidInputError("--db must not be empty", field="db", value=text)
    if "://" not in text:
        return sa.URL.create("sqlite", database=str(Path(text).expanduser().resolve()))
    try:
        return sa.make_url(text)
    except sa.exc.ArgumentError as e:
        raise InvalidInputError(f"not a database URL: {text!r}", field="db", value=text) from e


@attrs.define
class Session:
    """What every command shares: the database, the requester and the policy.

    Nothing connects until a command asks for the store; the engine is disposed of when the
    command ends.

    Attributes:
        db: the ``--db`` value.
        schema: the PostgreSQL schema of the tables, or None.
        user: the requester's user id, when given.
        institution: the requester's institution, when given.
        role: the requester's role.
        policy_file: a JSON file holding the `deleted_repo.Policy` to apply, when given.
    """

    db: str
    schema: str | None
    user: str | None
    institution: str | None
    role: str
    policy_file: Path | None
    _engine: sa.Engine | None = None
    _repo: DeletedRepository | None = None

    @property
    def url(self) -> sa.URL:
        """The database's URL."""
        return database_url(self.db)

    @property
    def shown_url(self) -> str:
        """The database's URL for messages, without its password."""
        return self.url.render_as_string(hide_password=True)

    def engine(self) -> sa.Engine:
        """The engine of the database (created once)."""
        if self._engine is None:
            url = self.url
            if self.schema is not None and url.get_backend_name() != "postgresql":
                fail("--schema applies to PostgreSQL databases only", EXIT_BAD_INPUT)
            try:
                self._engine = sa.create_engine(url)
            except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as e:
                fail(f"cannot use the database {self.shown_url}: {e}", EXIT_BAD_INPUT)
            except ModuleNotFoundError as e:
                fail(
                    f"the driver for {url.get_backend_name()} is not installed ({e.name}); "
                    "for PostgreSQL install deleted-repo[postgres]",
                    EXIT_BAD_INPUT,
                )
        return self._engine

    def store(self, *, require_schema: bool = True, catalog: bool = True) -> SqlStore:
        """A store on the database; unless `require_schema` is false, its tables must exist.

        The store checks the tables' schema version on its first call (D-49).

        Args:
            require_schema: whether the database must exist and hold the tables.
            catalog: whether the catalog's tables must be among them.

        Raises:
            StorageError: the database is missing, unreachable, or has no tables yet (or not
                the catalog's, when `catalog`).
        """
        url = self.url
        if (
            require_schema
            and url.get_backend_name() == "sqlite"
            and url.database not in (None, "", ":memory:")
            and not Path(url.database).exists()
        ):
            raise StorageError(f"no database at {url.database}; create it with 'deleted-repo init'")
        store = SqlStore(self.engine(), schema=self.schema)
        if require_schema:
            self._check_tables(catalog=catalog)
        return store

    def _check_tables(self, *, catalog: bool) -> None:
        try:
            present = set(sa.inspect(self.engine()).get_table_names(schema=self.schema))
        except sa.exc.SQLAlchemyError as e:
            detail = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
            raise StorageError(f"cannot open the database {self.shown_url}: {detail}") from e
        where = f" (schema {self.schema!r})" if self.schema else ""
        if not present & set(metadata.tables):
            raise StorageError(
                f"the database {self.shown_url}{where} has no deleted_repo tables; "
                "create them with 'deleted-repo init'"
            )
        if catalog and not present >= CATALOG_TABLES:
            raise StorageError(
                f"the database {self.shown_url}{where} has no deleted_repo catalog tables, "
                "which the command line needs; create them with 'deleted-repo init'"
            )

    def policy(self) -> Policy:
        """The policy of ``--policy``, or the default one.

        Raises:
            InvalidInputError: the file does not hold a valid policy.
        """
        if self.policy_file is None:
            return Policy()
        try:
            text = self.policy_file.read_text(encoding="utf-8")
        except OSError as e:
            fail(f"cannot read the policy file {self.policy_file}: {e.strerror}", EXIT_BAD_INPUT)
        try:
            return from_json(text, Policy)
        except InvalidInputError as e:
            raise InvalidInputError(
                f"the policy file {self.policy_file} does not hold a valid policy: {e}",
                field="policy",
            ) from e

    def requester(self) -> Requester:
        """The requester of ``--user``, ``--institution`` and ``--role``."""
        if not self.user:
            fail("no user: give --user or set DELETED_REPO_USER", EXIT_BAD_INPUT)
        if not self.institution:
            fail(
                "no institution: give --institution or set DELETED_REPO_INSTITUTION",
                EXIT_BAD_INPUT,
            )
        return Requester(user_id=self.user, institution=self.institution, roles={self.role})

    def repository(self) -> DeletedRepository:
        """The repository over the database's store, with the policy and the real UTC clock."""
        if self._repo is None:
            policy = self.policy()
            self._repo = DeletedRepository(self.store(), clock=_utc_now, policy=policy)
        return self._repo

    def close(self) -> None:
        """Close the database's connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        self._repo = None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def session(ctx: click.Context) -> Session:
    """The `Session` of the running command line."""
    found = ctx.find_object(Session)
    if found is None:  # pragma: no cover (every command runs under the group)
        raise click.UsageError("no session: run the commands through 'deleted-repo'")
    return found


@click.group(cls=CliGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar="DELETED_REPO_DB",
    default=DEFAULT_DB,
    show_default=True,
    metavar="URL",
    help="Database URL (sqlite:///..., postgresql+psycopg://...) or path to a SQLite file. "
    "[env: DELETED_REPO_DB]",
)
@click.option(
    "--schema",
    envvar="DELETED_REPO_SCHEMA",
    default=None,
    help="PostgreSQL schema of the tables. [env: DELETED_REPO_SCHEMA]",
)
@click.option(
    "--user",
    envvar="DELETED_REPO_USER",
    default=None,
    help="Your user id, recorded on restore jobs. [env: DELETED_REPO_USER]",
)
@click.option(
    "--institution",
    envvar="DELETED_REPO_INSTITUTION",
    default=None,
    help="The institution you act in. [env: DELETED_REPO_INSTITUTION]",
)
@click.option(
    "--role",
    envvar="DELETED_REPO_ROLE",
    default=DEFAULT_ROLE,
    show_default=True,
    help="The role you hold in the institution. [env: DELETED_REPO_ROLE]",
)
@click.option(
    "--policy",
    "policy_file",
    envvar="DELETED_REPO_POLICY",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file of the policy (window, retention, cap, ...). [env: DELETED_REPO_POLICY]",
)
@click.version_option(package_name="deleted-repo")
@click.pass_context
def cli(
    ctx: click.Context,
    *,
    db: str,
    schema: str | None,
    user: str | None,
    institution: str | None,
    role: str,
    policy_file: Path | None,
) -> None:
    """Search, plan and restore deleted catalog records; audit restore jobs; purge.

    Run 'deleted-repo demo' first to see every rule at work on a sample institution.
    """
    state = Session(
        db=db,
        schema=schema or None,
        user=user or None,
        institution=institution or None,
        role=role,
        policy_file=policy_file,
    )
    ctx.obj = state
    ctx.call_on_close(state.close)
