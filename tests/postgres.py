"""PostgreSQL for the tests: one server check per session, schemas of this run's own.

PostgreSQL runs when ``DELETED_REPO_POSTGRES_URL`` is set (for example
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) and is skipped otherwise; with
``DELETED_REPO_REQUIRE_POSTGRES=1`` a missing or unreachable server fails the tests instead.
Every schema a test makes is named by `new_schema` after this run, and the run drops all of
them at its end, whatever the tests left behind.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

URL_VARIABLE = "DELETED_REPO_POSTGRES_URL"
REQUIRE_VARIABLE = "DELETED_REPO_REQUIRE_POSTGRES"

RUN = f"drt_{uuid.uuid4().hex[:10]}"
"""This run's prefix for PostgreSQL schema names."""


def new_schema() -> str:
    """A schema name of this run's own, dropped at the end of the session."""
    return f"{RUN}_{uuid.uuid4().hex[:8]}"


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{REQUIRE_VARIABLE}=1, but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[sa.URL]:
    """The PostgreSQL server's URL, checked once; drops this run's schemas at the end."""
    text = os.environ.get(URL_VARIABLE, "")
    if not text:
        _unavailable(f"{URL_VARIABLE} is not set")
    url = sa.make_url(text)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as e:
        engine.dispose()
        _unavailable(
            f"PostgreSQL at {url.render_as_string()} is unreachable ({e.__class__.__name__})"
        )
    yield url
    with engine.begin() as conn:
        left = conn.exec_driver_sql(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %(run)s", {"run": RUN + "%"}
        ).scalars()
        for name in list(left):
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: sa.URL) -> Iterator[sa.Engine]:
    """An engine on the PostgreSQL server, shared by the session."""
    engine = sa.create_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_schema(postgres_url: sa.URL) -> str:
    """A schema of this session's own (see `new_schema`)."""
    return new_schema()
