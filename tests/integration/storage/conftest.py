"""What the store's tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from bot.storage.db import create_engine_for, session_factory


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    """An open session on a migrated, empty database (SQLite, then PostgreSQL); a test file may fill it first."""
    engine = create_engine_for(database_url)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()
