"""Reminders delivered as messages nobody asked for, through the connector stand-in, exactly once."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import DELIVERER
from bot.rules.profile import load_profile
from bot.storage.db import create_engine_for, session_factory
from bot.storage.models import NudgeRow, StaffRow
from bot.storage.repositories import MAX_ATTEMPTS
from bot.sweep import sweep
from tests.e2e.conftest import NOW, Teams, card_of, rows, texts

ROOT = Path(__file__).resolve().parents[2]


def run_sweep(database_url: str) -> int:
    engine = create_engine_for(database_url)
    with session_factory(engine)() as session:
        queued = sweep(session, load_profile("devon"), NOW)
        session.commit()
    engine.dispose()
    return len(queued)


def outbox(database_url: str) -> list[NudgeRow]:
    return rows(database_url, NudgeRow)


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
    assert [a["title"] for a in recording["actions"]] == ["Mark as recorded", "Remind me tomorrow", "This is wrong"]
    digest = [texts(card_of(r)) for r in teams.connector.to("conv-aad-s1")[before["conv-aad-s1"] :]]
    assert [t[0] for t in digest if t[0].startswith("Overdue today")] == ["Overdue today, for you and your team"]

    again = await teams.app[DELIVERER].deliver()
    assert (again.sent, again.failed) == (0, 0)
    assert run_sweep(database_url) == 0  # the same stages are not queued twice
    [pressed] = await teams.say("aad-p1", value=recording["actions"][0]["data"])
    assert pressed["text"].startswith("Marked as recorded")


async def test_someone_who_removed_the_bot_is_not_retried_and_someone_not_yet_installed_is_retried(
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
    removed = [row for row in outbox(database_url) if row.recipient_id == "p2"]
    never_installed = [row for row in outbox(database_url) if row.recipient_id == "m1"]
    assert removed and all((r.sent_at, r.attempts) == (None, MAX_ATTEMPTS) for r in removed)  # given up
    assert never_installed and all((r.sent_at, r.attempts) == (None, 1) for r in never_installed)  # tried again
    await teams.app[DELIVERER].deliver()
    assert all(r.attempts == MAX_ATTEMPTS for r in outbox(database_url) if r.recipient_id == "p2")
    assert all(r.attempts == 2 for r in outbox(database_url) if r.recipient_id == "m1")


async def test_one_tick_of_the_sweeper_queues_and_delivers(teams: Teams, database_url: str) -> None:
    from bot.app import SWEEPER

    await teams.say("aad-p1", "help")
    first = await teams.app[SWEEPER].tick()
    assert first.queued > 0 and first.delivered.sent >= 1
    second = await teams.app[SWEEPER].tick()
    assert (second.queued, second.delivered.sent) == (0, 0)


async def test_the_bot_sweeps_at_once_on_start_and_then_at_the_configured_interval(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    from aiohttp.test_utils import TestServer

    from bot.app import SCHEDULER, create_app
    from bot.clock import StoppedClock
    from bot.config import Settings

    app = create_app(Settings(database_url=sqlite_url, sweep_every=120), clock=StoppedClock(NOW))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        job = app[SCHEDULER].get_job("sweep")
        assert job.trigger.interval.total_seconds() == 120
        assert job.max_instances == 1
        # Straight away, to catch up after downtime, not two minutes later. (The scheduler times its runs by the
        # real clock, so the job's next run time says nothing about the bot's clock.)
        caplog.set_level(logging.INFO, logger="bot.scheduler")
        for _ in range(500):
            if any(record.getMessage().startswith("Sweep:") for record in caplog.records):
                break
            await asyncio.sleep(0.01)
        assert [r.getMessage() for r in caplog.records if r.name == "bot.scheduler"] == [
            "Sweep: 0 reminders queued, 0 sent, 0 failed, 0 unreachable"
        ]
    finally:
        await server.close()
    assert not app[SCHEDULER].running


async def test_a_sweep_run_by_hand_as_of_a_chosen_moment_sends_what_it_queued(teams: Teams, database_url: str) -> None:
    await teams.say("aad-p1", "help")  # the bot learns where to reach Priya
    before = len(teams.connector.to("conv-aad-p1"))
    command = [sys.executable, "-m", "bot", "sweep", "--send", "--now", NOW.isoformat(), "--database", database_url]
    process = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    reminders = teams.connector.to("conv-aad-p1")[before:]
    assert "Due today: Record the session" in [texts(card_of(r))[0] for r in reminders]
    report = r"Queued (\d+) reminders; sent (\d+), 0 could not be sent yet, (\d+) could not reach the person.\n"
    said = re.fullmatch(report, out.decode())
    assert said, out.decode()
    queued, sent, unreachable = map(int, said.groups())
    assert sent == len(reminders) == sum(1 for nudge in outbox(database_url) if nudge.sent_at is not None)
    assert queued > sent and unreachable > 0  # people who never talked to the bot cannot be reached yet
    again = await asyncio.create_subprocess_exec(*command, cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(again.communicate(), timeout=120)
    assert out.decode().startswith("Queued 0 reminders; sent 0, 0 could not be sent yet")
    assert len(teams.connector.to("conv-aad-p1")) == before + len(reminders)
