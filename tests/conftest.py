"""Shared fixtures: real databases. SQLite is a file in a temporary folder; PostgreSQL is a
database of its own on the server in DATABASE_TEST_URL, created for the test and dropped after."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from bot.storage.db import migrate, scratch_postgres

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_server() -> str:
    """The PostgreSQL server the tests make their databases on."""
    return os.environ.get("DATABASE_TEST_URL") or DEFAULT_POSTGRES


def _postgres_unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL not reachable ({reason}); set DATABASE_TEST_URL to run these tests")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite database in a file of its own."""
    url = f"sqlite:///{tmp_path / 'companion.db'}"
    migrate(url)
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database of its own, dropped afterwards."""
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(scratch_postgres(postgres_server(), "companion_test"))
        except OperationalError as error:
            _postgres_unavailable(str(error.orig).strip().splitlines()[0] if error.orig else str(error))
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that uses this runs once on SQLite and once on PostgreSQL."""
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return url
