"""Reminders delivered as messages nobody asked for, through the connector stand-in, exactly once."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import DELIVERER
from bot.rules.profile import load_profile
from bot.storage.db import create_engine_for, session_factory
from bot.storage.models import NudgeRow, StaffRow
from bot.storage.repositories import MAX_ATTEMPTS
from bot.sweep import sweep
from tests.e2e.conftest import NOW, Teams, card_of, texts


def run_sweep(database_url: str) -> int:
    engine = create_engine_for(database_url)
    with session_factory(engine)() as session:
        queued = sweep(session, load_profile("devon"), NOW)
        session.commit()
    engine.dispose()
    return len(queued)


def outbox(database_url: str) -> list[NudgeRow]:
    engine = create_engine_for(database_url)
    with session_factory(engine)() as session:
        rows = list(session.scalars(select(NudgeRow)))
    engine.dispose()
    return rows


async def test_queued_reminders_reach_each_person_once_with_a_button_for_the_job(
    teams: Teams, database_url: str
) -> None:
    await teams.say("aad-p1", "help")  # the bot learns where to reach Priya and Sam
    await teams.say("aad-s1", "help")
    before = {conversation: len(teams.connector.to(conversation)) for conversation in ("conv-aad-p1", "conv-aad-s1")}
    assert run_sweep(database_url) > 0
    report = await teams.app[DELIVERER].deliver()
    assert report.sent >= 2
    reminders = teams.connector.to("conv-aad-p1")[before["conv-aad-p1"] :]
    headings = [texts(card_of(r))[0] for r in reminders]
    assert "Due today: Record the session" in headings
    recording = next(card_of(r) for r in reminders if texts(card_of(r))[0] == "Due today: Record the session")
    assert [a["title"] for a in recording["actions"]] == ["Mark as recorded", "What is due"]
    digest = [texts(card_of(r)) for r in teams.connector.to("conv-aad-s1")[before["conv-aad-s1"] :]]
    assert [t[0] for t in digest if t[0].startswith("Overdue today")] == ["Overdue today, for you and your team"]

    again = await teams.app[DELIVERER].deliver()
    assert (again.sent, again.failed) == (0, 0)
    assert run_sweep(database_url) == 0  # the same stages are not queued twice
    [pressed] = await teams.say("aad-p1", value=recording["actions"][0]["data"])
    assert pressed["text"].startswith("Marked as recorded")


async def test_someone_who_never_installed_or_removed_the_bot_is_marked_unreachable_and_not_retried(
    teams: Teams, database_url: str
) -> None:
    await teams.say("aad-p2", "help")
    teams.connector.refuse.add("conv-aad-p2")  # Nia removes the bot
    run_sweep(database_url)
    report = await teams.app[DELIVERER].deliver()
    assert report.unreachable >= 2  # Nia (403) and people who never said hello, such as Morgan
    engine = create_engine_for(database_url)
    with session_factory(engine)() as session:
        gone = {row.id for row in session.scalars(select(StaffRow).where(StaffRow.unreachable_since.is_not(None)))}
    engine.dispose()
    assert {"p2", "m1"} <= gone
    for row in outbox(database_url):
        if row.recipient_id in {"p2", "m1"}:
            assert (row.sent_at, row.attempts) == (None, MAX_ATTEMPTS)
    assert (await teams.app[DELIVERER].deliver()).unreachable == 0  # not tried again
