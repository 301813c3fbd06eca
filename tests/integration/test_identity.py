"""Who someone is, looked up once a minute: the turns after a conversation's first skip the database,
linking a Teams identity forgets what was kept, and a new conversation is written down at once."""

from __future__ import annotations

from sqlalchemy import update

from bot.clock import SystemClock
from bot.domain import ConversationReference
from bot.rules.facts import World
from bot.rules.profile import load_profile
from bot.service import Companion
from bot.storage.db import create_engine_for, session_factory
from bot.storage.models import StaffRow
from bot.storage.repositories import StaffRepository
from bot.storage.world import import_world
from tests.builders import MANAGER, SUPERVISOR, worker

HERE = ConversationReference("https://teams.test/", "tenant", "a:one")
THERE = ConversationReference("https://teams.test/", "tenant", "a:two")


def companion(url: str, *, demo: bool = False) -> Companion:
    sessions = session_factory(create_engine_for(url))
    with sessions() as session:
        import_world(session, World(staff=(MANAGER, SUPERVISOR, worker())))
        StaffRepository(session).link_teams_identity("p1", "aad-p1")
        session.commit()
    return Companion(sessions=sessions, profile=load_profile("devon"), clock=SystemClock(), demo=demo)


def rename(url: str, name: str) -> None:
    with session_factory(create_engine_for(url))() as session:
        session.execute(update(StaffRow).where(StaffRow.id == "p1").values(name=name))
        session.commit()


def conversation_of(url: str) -> str | None:
    with session_factory(create_engine_for(url))() as session:
        reference = StaffRepository(session).get_conversation("p1")
        return reference.conversation_id if reference else None


async def test_a_known_person_is_not_looked_up_again_within_the_minute(sqlite_url: str) -> None:
    bot = companion(sqlite_url)
    first = await bot.identify("aad-p1", HERE)
    rename(sqlite_url, "Renamed elsewhere")
    assert await bot.identify("aad-p1", HERE) == first  # kept, so the database was not asked
    assert conversation_of(sqlite_url) == "a:one"


async def test_a_new_conversation_is_looked_up_and_written_at_once(sqlite_url: str) -> None:
    bot = companion(sqlite_url)
    await bot.identify("aad-p1", HERE)
    rename(sqlite_url, "Renamed elsewhere")
    moved = await bot.identify("aad-p1", THERE)
    assert moved is not None and moved.name == "Renamed elsewhere"
    assert conversation_of(sqlite_url) == "a:two"


async def test_someone_not_set_up_is_asked_about_every_time(sqlite_url: str) -> None:
    bot = companion(sqlite_url)
    assert await bot.identify("aad-new", HERE) is None
    with session_factory(create_engine_for(sqlite_url))() as session:
        StaffRepository(session).link_teams_identity("s1", "aad-new")
        session.commit()
    found = await bot.identify("aad-new", HERE)
    assert found is not None and found.id == "s1"


async def test_trying_the_demo_as_someone_else_forgets_who_they_were(sqlite_url: str) -> None:
    bot = companion(sqlite_url, demo=True)
    before = await bot.identify("aad-p1", HERE)
    assert before is not None and before.id == "p1"
    chosen = (await bot.demo_people())[-1]
    await bot.try_as("aad-p1", chosen.id)
    after = await bot.identify("aad-p1", HERE)
    assert after is not None and after.id == chosen.id != "p1"
