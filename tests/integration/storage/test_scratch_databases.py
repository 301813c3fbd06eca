"""Scratch PostgreSQL databases for tests and benchmarks: a fresh migrated one, or a copy of another."""

from __future__ import annotations

from datetime import date

from sqlalchemy import create_engine, make_url, select, text, update

from bot.demo import demo_world
from bot.storage.db import create_engine_for, scratch_postgres, session_factory
from bot.storage.models import StaffRow
from bot.storage.world import import_world
from tests.conftest import postgres_server


def _names(url: str) -> list[str]:
    engine = create_engine_for(url)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(StaffRow.name).order_by(StaffRow.id)))
    finally:
        engine.dispose()


def _exists(server: str, name: str) -> bool:
    admin = create_engine(server)
    try:
        with admin.connect() as connection:
            found = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            return found.scalar() is not None
    finally:
        admin.dispose()


def test_a_copy_holds_what_its_template_held_and_goes_when_done_with(postgres_url: str) -> None:
    engine = create_engine_for(postgres_url)
    with session_factory(engine)() as session:
        import_world(session, demo_world(date(2026, 11, 25)))
        session.commit()
    engine.dispose()
    names = _names(postgres_url)
    assert names  # the template holds people
    server = postgres_server()
    template = make_url(postgres_url).database
    assert template is not None

    with scratch_postgres(server, "companion_test_copy", template=template) as copy:
        name = make_url(copy).database
        assert name is not None and name != template
        assert _names(copy) == names
        engine = create_engine_for(copy)
        with engine.begin() as connection:  # the copy is its own: a change there leaves the template as it was
            connection.execute(update(StaffRow).values(name="Changed"))
        engine.dispose()
        assert _names(postgres_url) == names

    assert not _exists(server, name)
    assert _exists(server, template)
