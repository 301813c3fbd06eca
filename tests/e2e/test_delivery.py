"""Delivery under pressure, through the connector stand-in: Teams says slow down, the sender is killed half
way, two workers share one PostgreSQL, a person removes the bot. Every message still arrives once."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from datetime import timedelta

from bot.app import ADAPTER, DELIVERER, SWEEPER
from bot.clock import StoppedClock
from bot.delivery import Deliverer, Pacing
from bot.messages import REPORT, message_for
from bot.rules.profile import load_profile
from bot.storage.db import create_engine_for, session_factory
from bot.storage.models import NudgeRow
from bot.storage.repositories import OutboxRepository
from tests.e2e.conftest import NOW, Teams, card_of, connected, rows, texts

PEOPLE = {"p1": "conv-aad-p1", "s1": "conv-aad-s1", "m1": "conv-aad-m1"}


async def hello(teams: Teams) -> None:
    for conversation in PEOPLE.values():
        await teams.say(conversation.removeprefix("conv-"), "help")


def queue(database_url: str, per_person: int) -> list[int]:
    """`per_person` reports for each of p1, s1 and m1, queued as any message is."""
    engine = create_engine_for(database_url)
    with session_factory(engine)() as session:
        outbox = OutboxRepository(session)
        ids = [
            outbox.enqueue(
                REPORT,
                f"{person}-{n}",
                "wrong",
                person,
                NOW,
                {"reporter": "A colleague", "kind": "recording", "subject": f"S-{n}", "what": f"message {person}-{n}"},
                NOW,
            )
            for person in PEOPLE
            for n in range(per_person)
        ]
        session.commit()
    engine.dispose()
    return [i for i in ids if i is not None]


def outbox(database_url: str) -> list[NudgeRow]:
    return rows(database_url, NudgeRow)


def arrived(teams: Teams) -> Counter[str]:
    """How many times each queued report arrived."""
    found: Counter[str] = Counter()
    for activity in teams.connector.sent:
        for attachment in activity.get("attachments") or []:
            for text in texts(attachment["content"]):
                if text.startswith("What is wrong: message "):
                    found[text.removeprefix("What is wrong: message ")] += 1
    return found


def expected(per_person: int) -> Counter[str]:
    return Counter({f"{person}-{n}": 1 for person in PEOPLE for n in range(per_person)})


async def test_a_burst_of_too_many_requests_is_waited_out_and_every_message_arrives_once_paced(
    sqlite_url: str,
) -> None:
    async with connected(sqlite_url, clock=StoppedClock(NOW)) as teams:
        await hello(teams)
        queue(sqlite_url, 4)
        pacing = Pacing(per_second=100, per_conversation_gap=0.1, first_wait=0.05, longest_wait=0.5)
        teams.app[DELIVERER].pacing = pacing
        teams.connector.throttle, teams.connector.retry_after = 5, "1"
        report = await teams.app[DELIVERER].deliver()
        assert (report.sent, report.failed, report.retried) == (12, 0, 5)
        assert arrived(teams) == expected(4)
        assert all(row.sent_at is not None for row in outbox(sqlite_url))
        for conversation in PEOPLE.values():
            times = [a["_at"] for a in teams.connector.to(conversation)][-4:]  # the four reports, after "help"
            # Slots are 0.1 s apart when sending starts; arrival adds a little network jitter either way.
            assert all(later - earlier >= 0.05 for earlier, later in itertools.pairwise(times)), times
            for throttled_conversation, when in teams.connector.throttled:
                if throttled_conversation == conversation:  # nothing more went there until Retry-After had passed
                    assert all(t >= when + 0.95 or t <= when for t in times)


async def test_a_sender_killed_between_claiming_and_marking_loses_nothing_and_sends_nothing_twice(
    sqlite_url: str,
) -> None:
    clock = StoppedClock(NOW)
    async with connected(sqlite_url, clock=clock) as teams:
        await hello(teams)
        queue(sqlite_url, 3)
        pacing = Pacing(per_second=100, per_conversation_gap=0.5, conversations_at_once=1)
        teams.app[DELIVERER].pacing = pacing
        sending = asyncio.create_task(teams.app[DELIVERER].deliver())
        while sum(row.sent_at is not None for row in outbox(sqlite_url)) < 1:
            await asyncio.sleep(0.01)
        sending.cancel()  # killed while waiting to send the next ones (one may be on its way: it finishes)
        await asyncio.gather(sending, return_exceptions=True)
        await asyncio.sleep(0.3)
        rows = outbox(sqlite_url)
        sent = sum(r.sent_at is not None for r in rows)
        assert 1 <= sent < 9
        assert sum(r.sent_at is None and r.claimed_at is not None for r in rows) == 9 - sent  # claimed, never sent
        assert sum(arrived(teams).values()) == sent  # whatever reached Teams is marked sent

        restarted = Deliverer(
            adapter=teams.app[ADAPTER],
            sessions=teams.app[DELIVERER].sessions,
            clock=clock,
            card_for=message_for(load_profile("devon")),
            name="restarted",
            pacing=Pacing(per_second=100, per_conversation_gap=0.01),
        )
        assert (await restarted.deliver()).sent == 0  # the claims still look alive
        clock.moment = NOW + timedelta(minutes=11)
        assert (await restarted.deliver()).sent == 9 - sent
        assert arrived(teams) == expected(3)


async def test_two_workers_on_one_postgresql_each_send_every_message_once(postgres_url: str) -> None:
    async with connected(postgres_url, clock=StoppedClock(NOW)) as teams:
        await hello(teams)
        queue(postgres_url, 10)
        workers = []
        for name in ("worker-1", "worker-2"):
            engine = create_engine_for(postgres_url)
            workers.append(
                Deliverer(
                    adapter=teams.app[ADAPTER],
                    sessions=session_factory(engine),
                    clock=StoppedClock(NOW),
                    card_for=message_for(load_profile("devon")),
                    name=name,
                    pacing=Pacing(per_second=500, per_conversation_gap=0.005),
                )
            )

        async def drain(worker: Deliverer) -> int:
            total = 0
            while (report := await worker.deliver(limit=2)).sent or report.failed:
                total += report.sent
                await asyncio.sleep(0)
            return total

        counts = await asyncio.gather(*(drain(worker) for worker in workers))
        assert sum(counts) == 30 and all(count > 0 for count in counts)
        assert arrived(teams) == expected(10)
        assert {row.claimed_by for row in outbox(postgres_url)} == {"worker-1", "worker-2"}
        for worker in workers:
            worker.sessions.kw["bind"].dispose()


async def test_someone_who_removed_the_bot_is_named_on_their_supervisors_digest(sqlite_url: str) -> None:
    clock = StoppedClock(NOW)
    async with connected(sqlite_url, clock=clock) as teams:
        await hello(teams)
        await teams.say("aad-p2", "help")
        teams.connector.refuse.add("conv-aad-p2")  # Nia removes the companion
        await teams.app[SWEEPER].tick()
        clock.moment = NOW + timedelta(days=1)  # Thursday: the next digest
        await teams.app[SWEEPER].tick()
        digests = [
            texts(card_of(a))
            for a in teams.connector.to("conv-aad-s1")
            if a.get("attachments") and texts(card_of(a))[0] == "Overdue today, for you and your team"
        ]
        assert len(digests) == 2
        assert not any(line.startswith("Not getting reminders") for line in digests[0])
        assert "Nia Evans" in digests[1][digests[1].index(next(t for t in digests[1] if t.startswith("Not getting"))) :]


async def test_everything_due_goes_in_one_call_however_many_rounds_it_takes(sqlite_url: str) -> None:
    async with connected(sqlite_url) as teams:
        await hello(teams)
        queue(sqlite_url, 3)
        teams.app[DELIVERER].pacing = Pacing(per_second=100, per_conversation_gap=0.01)
        report = await teams.app[DELIVERER].deliver_all(limit=2)  # five rounds: 2, 2, 2, 2 and the last 1
        assert (report.sent, report.failed, report.unreachable) == (9, 0, 0)
        assert arrived(teams) == expected(3)
        assert (await teams.app[DELIVERER].deliver_all(limit=2)).sent == 0


async def test_a_message_that_cannot_go_is_tried_once_a_sweep_not_once_a_round(sqlite_url: str) -> None:
    async with connected(sqlite_url) as teams:
        await teams.say("aad-p1", "help")  # only Priya has talked to the bot; Sam and Morgan cannot be reached yet
        queue(sqlite_url, 2)
        teams.app[DELIVERER].pacing = Pacing(per_second=100, per_conversation_gap=0.01)
        report = await teams.app[DELIVERER].deliver_all(limit=2)
        assert (report.sent, report.unreachable) == (2, 4)
        assert all(row.attempts == 1 for row in outbox(sqlite_url) if row.recipient_id != "p1")  # not used up
        assert (await teams.app[DELIVERER].deliver_all(limit=2)).unreachable == 4  # the next sweep tries again
        assert all(row.attempts == 2 for row in outbox(sqlite_url) if row.recipient_id != "p1")
