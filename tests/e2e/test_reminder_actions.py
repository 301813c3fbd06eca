"""The buttons on a reminder, over HTTP: supervision held, remind me tomorrow, this is wrong; and a press on a
reminder that is no longer due, which says so and changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.app import DELIVERER, SWEEPER
from bot.clock import StoppedClock
from bot.storage.models import AuditRow, SessionRow
from tests.e2e.conftest import NOW, Teams, card_of, connected, rows, texts
from tests.e2e.test_journal import press
from tests.e2e.test_urgent import show_card


def reminders(teams: Teams, conversation: str) -> list[dict[str, Any]]:
    return [card_of(r) for r in teams.connector.to(conversation) if r.get("attachments")]


def reminder_with(teams: Teams, conversation: str, title: str) -> dict[str, Any]:
    return next(
        card for card in reminders(teams, conversation) if title in [a["title"] for a in card.get("actions", [])]
    )


async def swept(teams: Teams) -> None:
    for teams_id in ("aad-p1", "aad-p2", "aad-s1", "aad-m1"):
        await teams.say(teams_id, "help")
    await teams.app[SWEEPER].tick()


async def test_supervision_held_on_a_reminder_records_the_session_and_the_old_reminder_goes_stale(
    sqlite_url: str,
) -> None:
    async with connected(sqlite_url, clock=StoppedClock(NOW)) as teams:
        await swept(teams)
        card = next(c for c in reminders(teams, "conv-aad-p1") if texts(c)[0] == "Overdue: Case discussion")
        assert "Supervision held" in [a["title"] for a in card["actions"]]
        case = texts(card)[1].split(",")[0].removeprefix("Case ")
        held = show_card(card, "Supervision held")
        [future] = await press(teams, held, "Save", {"held_on": "2026-11-26"})
        assert future["text"].startswith("That date is still to come")
        [nonsense] = await press(teams, held, "Save", {"held_on": "25/11/2026 please"})
        assert nonsense["text"].startswith("Please choose the date")
        sessions_before = len(rows(sqlite_url, SessionRow))

        [noted] = await press(teams, held, "Save", {"held_on": "2026-11-25"})
        assert (
            texts(card_of(noted))[0] == "Noted: case discussion held on Wednesday 25 November 2026. Please write it up."
        )
        assert len(rows(sqlite_url, SessionRow)) == sessions_before + 1

        # The same reminder's buttons now say it is no longer due, and change nothing.
        [stale] = await press(teams, card, f"Discuss case {case}")
        assert stale["text"] == "That is no longer due, so nothing was changed. Type due to see what is."
        [again] = await press(teams, held, "Save", {"held_on": "2026-11-25"})
        assert again["text"].startswith("That is no longer due")
        assert len(rows(sqlite_url, SessionRow)) == sessions_before + 1


async def test_remind_me_tomorrow_brings_the_same_reminder_back_at_the_start_of_the_next_working_day(
    sqlite_url: str,
) -> None:
    clock = StoppedClock(NOW)
    async with connected(sqlite_url, clock=clock) as teams:
        await swept(teams)
        card = reminder_with(teams, "conv-aad-p1", "Remind me tomorrow")
        [reply] = await press(teams, card, "Remind me tomorrow")
        assert reply["text"] == "I will remind you again Thursday 26 November 2026, 09:00."
        [twice] = await press(teams, card, "Remind me tomorrow")
        assert twice["text"] == "You will already be reminded again Thursday 26 November 2026, 09:00."
        count = len(reminders(teams, "conv-aad-p1"))
        await teams.app[DELIVERER].deliver()
        assert len(reminders(teams, "conv-aad-p1")) == count  # not today
        clock.moment = NOW + timedelta(hours=20, minutes=59)  # 08:59 on Thursday
        await teams.app[DELIVERER].deliver()
        assert len(reminders(teams, "conv-aad-p1")) == count
        clock.moment = NOW + timedelta(hours=21)  # 09:00
        await teams.app[DELIVERER].deliver()
        back = [c for c in reminders(teams, "conv-aad-p1")[count:] if texts(c)[:2] == texts(card)[:2]]
        assert len(back) == 1


async def test_this_is_wrong_tells_the_supervisor_what_to_put_right(sqlite_url: str) -> None:
    async with connected(sqlite_url, clock=StoppedClock(NOW)) as teams:
        await swept(teams)
        card = reminder_with(teams, "conv-aad-p1", "This is wrong")
        wrong = show_card(card, "This is wrong")
        [empty] = await press(teams, wrong, "Send", {"what": "  "})
        assert empty["text"].startswith("Please say what is wrong")
        [sent] = await press(teams, wrong, "Send", {"what": "This session was recorded on Monday"})
        assert sent["text"] == "Thank you. I have told Sam Okafor, who can put it right."
        await teams.app[DELIVERER].settle()
        told = reminders(teams, "conv-aad-s1")[-1]
        assert texts(told)[0] == "Priya Shah says a reminder is wrong"
        assert "What is wrong: This session was recorded on Monday" in texts(told)
        assert any(a.action == "report a wrong reminder" and a.actor == "p1" for a in rows(sqlite_url, AuditRow))


async def test_a_reminder_for_someone_else_cannot_be_pressed(sqlite_url: str) -> None:
    async with connected(sqlite_url, clock=StoppedClock(NOW)) as teams:
        await swept(teams)
        card = reminder_with(teams, "conv-aad-p1", "Remind me tomorrow")
        [refused] = await press(teams, card, "Remind me tomorrow", as_who="aad-p2")
        assert refused["text"] == "That reminder was for someone else, so nothing was changed."
        assert any(a.action == "press reminder" and a.outcome == "refused" for a in rows(sqlite_url, AuditRow))
