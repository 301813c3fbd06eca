"""Urgent supervision end to end over HTTP: asked for, sent at once, answered, chased when ignored, closed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot import rules
from bot.app import DELIVERER, SWEEPER
from bot.clock import StoppedClock
from bot.storage.db import create_engine_for, session_factory
from bot.storage.models import AuditRow, NudgeRow, RecordRow, SessionRow, UrgentRequestRow
from bot.storage.repositories import OutboxRepository, StaffRepository
from bot.urgent import NOT_COVERED
from tests.e2e.conftest import NOW, Teams, card_of, connected, rows, texts
from tests.e2e.test_journal import press


def show_card(card: dict[str, Any], title: str) -> dict[str, Any]:
    """The card shown by an Action.ShowCard button, as if it were its own card (to press its Submit)."""
    [shown] = [action["card"] for action in card["actions"] if action["title"] == title]
    return dict(shown)


async def ask(
    teams: Teams, about: str = "Parent made threats at a visit", case: str = "C-1001"
) -> list[dict[str, Any]]:
    [form] = await teams.say("aad-p1", "urgent")
    card = card_of(form)
    assert texts(card)[0] == "Ask for urgent supervision"
    replies = await press(teams, card, "Finish", {"about": about, "case": case, "free_at": "Any time after 14:00"})
    await teams.app[DELIVERER].settle()
    return replies


def about_priya(teams: Teams, conversation: str, since: int = 0) -> list[str]:
    """Headings of the messages about Priya's urgent request in one conversation (other reminders go too)."""
    headings = [texts(card_of(r))[0] for r in teams.connector.to(conversation)[since:] if r.get("attachments")]
    return [heading for heading in headings if "Priya Shah" in heading and "rgent" in heading]


def asked(database_url: str) -> list[UrgentRequestRow]:
    """The requests made in the test (the demo team has older ones of its own)."""
    return [row for row in rows(database_url, UrgentRequestRow) if row.about]


def last_card(teams: Teams, conversation: str) -> dict[str, Any]:
    return card_of(teams.connector.to(conversation)[-1])


async def hello(teams: Teams, *people: str) -> None:
    for teams_id in people:
        await teams.say(teams_id, "help")  # the bot learns where to reach them


async def test_an_urgent_request_reaches_the_supervisor_at_once_and_is_arranged_and_closed(sqlite_url: str) -> None:
    clock = StoppedClock(NOW)  # Wednesday 25 November 2026, 12:00 in London
    async with connected(sqlite_url, clock=clock) as teams:
        await hello(teams, "aad-p1", "aad-s1", "aad-m1")
        replies = await ask(teams)
        confirmation = next(r["text"] for r in replies if r.get("text"))
        assert "gone to Sam Okafor" in confirmation
        assert "by Thursday 26 November 2026, 12:00" in confirmation
        assert "Morgan Ellis will be told" in confirmation
        assert "outside office hours" not in confirmation

        request = last_card(teams, "conv-aad-s1")
        assert texts(request)[0] == "Urgent supervision asked for by Priya Shah"
        assert "Case: C-1001" in texts(request) and "Must happen by: Thursday 26 November 2026, 12:00" in texts(request)
        assert [a["title"] for a in request["actions"]] == [
            "I can do this at…",
            "I can't, passing to…",
            "Supervision held",
        ]

        # Sam answers: today at 15:00. Priya hears at once.
        answer = show_card(request, "I can do this at…")
        [reply] = await press(teams, answer, "Send", {"meet_on": "2026-11-25", "meet_at": "15:00"}, as_who="aad-s1")
        assert reply["text"].startswith("Thank you. Priya Shah has been told you will meet Wednesday 25 November")
        await teams.app[DELIVERER].settle()
        arranged = last_card(teams, "conv-aad-p1")
        assert texts(arranged)[:2] == [
            "Your urgent supervision is arranged",
            "Sam Okafor will meet you Wednesday 25 November 2026, 15:00.",
        ]

        # Two hours on, nobody is chased: Sam answered.
        clock.moment = NOW + timedelta(hours=3)
        await teams.app[SWEEPER].tick()
        assert about_priya(teams, "conv-aad-m1") == []

        # Held at 15:00: the request closes, a session is recorded and the write-up is offered.
        held = show_card(request, "Supervision held")
        [closed] = await press(teams, held, "Save", {"held_on": "2026-11-25", "held_at": "15:00"}, as_who="aad-s1")
        closing = card_of(closed)
        assert texts(closing)[0].startswith("Closed: urgent supervision held Wednesday 25 November 2026, 15:00")
        assert [a["title"] for a in closing["actions"]] == ["Write up the session", "Discuss case C-1001"]
        [row] = asked(sqlite_url)
        assert row.closed_at is not None and row.acknowledged_by == "s1" and row.session_id is not None
        session = next(s for s in rows(sqlite_url, SessionRow) if s.id == row.session_id)
        assert (session.kind, session.supervisee_id, session.supervisor_id) == ("urgent", "p1", "s1")

        # Pressing held again changes nothing.
        [again] = await press(teams, held, "Save", {"held_on": "2026-11-25", "held_at": "15:00"}, as_who="aad-s1")
        assert again["text"].startswith("That request was already closed")

        # The write-up is the record of that same session, not a second one.
        [form] = await press(teams, closing, "Write up the session", as_who="aad-s1")
        assert texts(card_of(form))[0] == "Personal supervision record"
        sessions_before = len(rows(sqlite_url, SessionRow))
        await teams.app[SWEEPER].tick()
        clock.moment = NOW + timedelta(days=2)
        await teams.app[SWEEPER].tick()
        assert len(rows(sqlite_url, SessionRow)) == sessions_before
        assert about_priya(teams, "conv-aad-m1") == []  # held in time: the line manager never heard of it


async def test_an_ignored_request_goes_to_the_line_manager_after_two_hours_and_both_hear_at_24(sqlite_url: str) -> None:
    clock = StoppedClock(NOW)
    async with connected(sqlite_url, clock=clock) as teams:
        await hello(teams, "aad-p1", "aad-s1", "aad-m1")
        await ask(teams)
        clock.moment = NOW + timedelta(hours=1, minutes=59)
        await teams.app[SWEEPER].tick()
        assert about_priya(teams, "conv-aad-m1") == []  # not yet

        clock.moment = NOW + timedelta(hours=2)
        await teams.app[SWEEPER].tick()
        chased = "Nobody has answered Priya Shah's urgent request yet"
        assert about_priya(teams, "conv-aad-m1") == [chased]
        clock.moment = NOW + timedelta(hours=4)
        await teams.app[SWEEPER].tick()
        assert about_priya(teams, "conv-aad-m1") == [chased]  # told once, not at every sweep

        supervisor_before = len(teams.connector.to("conv-aad-s1"))
        clock.moment = NOW + timedelta(hours=24, minutes=1)
        await teams.app[SWEEPER].tick()
        late = "Urgent supervision for Priya Shah is overdue"
        assert about_priya(teams, "conv-aad-s1", supervisor_before) == [late]
        assert about_priya(teams, "conv-aad-m1") == [chased, late]

        # The line manager can act on it: Morgan records it as held.
        overdue = next(
            card_of(r) for r in teams.connector.to("conv-aad-m1") if r.get("attachments") and late in texts(card_of(r))
        )
        held = show_card(overdue, "Supervision held")
        [closed] = await press(teams, held, "Save", {"held_on": "2026-11-26", "held_at": "12:01"}, as_who="aad-m1")
        assert texts(card_of(closed))[0].startswith("Closed")


async def test_passing_a_request_on_sends_it_to_the_new_person_and_tells_the_requester(sqlite_url: str) -> None:
    async with connected(sqlite_url, clock=StoppedClock(NOW)) as teams:
        await hello(teams, "aad-p1", "aad-s1", "aad-m1")
        await ask(teams)
        request = last_card(teams, "conv-aad-s1")
        passing = show_card(request, "I can't, passing to…")
        choices = [c["value"] for c in passing["body"][0]["choices"]]
        assert "p1" not in choices and "s1" not in choices and "m1" in choices
        [reply] = await press(teams, passing, "Pass it on", {"to": "m1", "why": "On leave from 13:00"}, as_who="aad-s1")
        assert reply["text"] == "Passed to Morgan Ellis. Priya Shah has been told."
        await teams.app[DELIVERER].settle()
        handed = last_card(teams, "conv-aad-m1")
        assert texts(handed)[:2] == [
            "Urgent supervision asked for by Priya Shah",
            "Passed to you by Sam Okafor: On leave from 13:00",
        ]
        told = last_card(teams, "conv-aad-p1")
        assert texts(told)[1] == "Sam Okafor cannot take it, so it has gone to Morgan Ellis."

        # Someone not involved cannot answer it, and the refusal is kept in the audit log.
        await hello(teams, "aad-p2")
        answer = show_card(handed, "I can do this at…")
        [refused] = await press(teams, answer, "Send", {"meet_on": "2026-11-25", "meet_at": "16:00"}, as_who="aad-p2")
        assert refused["text"] == "That request is with someone else, so I have not changed it."
        assert any(a.action == "arrange urgent request" and a.outcome == "refused" for a in rows(sqlite_url, AuditRow))

        # Impossible answers are refused politely and change nothing.
        [past] = await press(teams, answer, "Send", {"meet_on": "2026-11-24", "meet_at": "09:00"}, as_who="aad-m1")
        assert "has already passed" in past["text"]
        [nonsense] = await press(teams, answer, "Send", {"meet_on": "2026-02-30", "meet_at": "25:00"}, as_who="aad-m1")
        assert nonsense["text"].startswith("Please give the date and the time")
        [row] = asked(sqlite_url)
        assert (row.handler_id, row.acknowledged_at) == ("m1", None)


async def test_who_a_request_can_be_passed_to_is_looked_up_when_it_is_sent_not_kept_in_each_message(
    sqlite_url: str,
) -> None:
    async with connected(sqlite_url, clock=StoppedClock(NOW)) as teams:
        await hello(teams, "aad-p1", "aad-s1", "aad-m1")
        await ask(teams)
        # Kept in every message, the list made a council's outbox grow with its requests times its supervisors.
        [sent] = [row for row in rows(sqlite_url, NudgeRow) if row.obligation_kind == "urgent_request"]
        assert "others" not in sent.payload and sent.payload["leave_out"] == ["p1", "s1"]
        passing = show_card(last_card(teams, "conv-aad-s1"), "I can't, passing to…")
        offered = [choice["value"] for choice in passing["body"][0]["choices"]]
        assert "m1" in offered and "p1" not in offered and "s1" not in offered

        # A message queued with its own list (as they were before) still offers that list.
        engine = create_engine_for(sqlite_url)
        with session_factory(engine)() as session:
            kept = dict(sent.payload, stage="no-answer", others=[["m1", "Morgan Ellis"]])
            OutboxRepository(session).enqueue("urgent_request", sent.subject, "no-answer", "m1", sent.due, kept, NOW)
            session.commit()
        engine.dispose()
        await teams.app[DELIVERER].deliver()
        passing = show_card(last_card(teams, "conv-aad-m1"), "I can't, passing to…")
        assert [(c["value"], c["title"]) for c in passing["body"][0]["choices"]] == [("m1", "Morgan Ellis")]


async def test_while_the_supervisor_is_away_the_request_goes_to_the_cover_supervisor(sqlite_url: str) -> None:
    async with connected(sqlite_url, clock=StoppedClock(NOW)) as teams:
        engine = create_engine_for(sqlite_url)
        with session_factory(engine)() as session:
            StaffRepository(session).add_cover("p1", "s2", date(2026, 11, 23), date(2026, 11, 27))
            StaffRepository(session).link_teams_identity("s2", "aad-s2")
            session.commit()
        engine.dispose()
        await hello(teams, "aad-p1", "aad-s1", "aad-s2")
        replies = await ask(teams)
        assert "gone to Rhian Price" in next(r["text"] for r in replies if r.get("text"))
        assert texts(last_card(teams, "conv-aad-s2"))[0] == "Urgent supervision asked for by Priya Shah"


async def test_out_of_hours_the_requester_is_shown_the_councils_instruction(sqlite_url: str) -> None:
    saturday_night = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)
    async with connected(sqlite_url, clock=StoppedClock(saturday_night)) as teams:
        await hello(teams, "aad-p1", "aad-s1")
        replies = await ask(teams)
        confirmation = next(r["text"] for r in replies if r.get("text"))
        assert "by Sunday 29 November 2026, 22:30" in confirmation
        assert "out-of-hours social care team" in confirmation
        assert texts(last_card(teams, "conv-aad-s1"))[0] == "Urgent supervision asked for by Priya Shah"


async def test_the_request_form_needs_to_know_what_it_is_about_and_keeps_what_was_typed(sqlite_url: str) -> None:
    async with connected(sqlite_url, clock=StoppedClock(NOW)) as teams:
        await hello(teams, "aad-p1", "aad-s1")
        [form] = await teams.say("aad-p1", "urgent")
        replies = await press(teams, card_of(form), "Finish", {"about": "", "free_at": "After 3"})
        again = card_of(replies[-1])
        assert "Please check the answers marked below. Nothing you typed has been lost." in texts(again)
        assert not asked(sqlite_url)
        assert next(e for e in again["body"] if e.get("id") == "free_at")["value"] == "After 3"


async def test_the_write_up_offered_after_urgent_supervision_records_that_same_session(sqlite_url: str) -> None:
    async with connected(sqlite_url, clock=StoppedClock(NOW)) as teams:
        await hello(teams, "aad-p1", "aad-s1")
        await ask(teams)
        held = show_card(last_card(teams, "conv-aad-s1"), "Supervision held")
        [closed] = await press(teams, held, "Save", {"held_on": "2026-11-25", "held_at": "12:00"}, as_who="aad-s1")
        sessions_before = len(rows(sqlite_url, SessionRow))
        [form] = await press(teams, card_of(closed), "Write up the session", as_who="aad-s1")
        first = card_of(form)
        # The form starts on the urgent session: Priya, on the day it was held.
        assert next(e for e in first["body"] if e.get("id") == "supervisee")["value"] == "p1"
        assert next(e for e in first["body"] if e.get("id") == "held_on")["value"] == "2026-11-25"
        [step2] = await press(teams, first, "Next", {"supervisee": "p1", "held_on": "2026-11-25"}, as_who="aad-s1")
        [step3] = await press(
            teams, card_of(step2), "Next", {"wellbeing": "Shaken after the visit", "workload": "Heavy"}, as_who="aad-s1"
        )
        [step4] = await press(teams, card_of(step3), "Next", {"equality": "Nothing raised this time"}, as_who="aad-s1")
        replies = await press(teams, card_of(step4), "Finish", {}, as_who="aad-s1")
        assert replies[-1]["text"].startswith("Saved and signed by you.")
        [request] = asked(sqlite_url)
        sessions = rows(sqlite_url, SessionRow)
        assert len(sessions) == sessions_before  # no second session
        urgent = next(s for s in sessions if s.id == request.session_id)
        assert (urgent.kind, urgent.recorded_at is not None) == ("urgent", True)
        assert urgent.held_at.astimezone(UTC) == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
        assert [r.session_id for r in rows(sqlite_url, RecordRow) if r.form == "personal_record"] == [urgent.id]


def devon_without(folder: Path, *tables: str, changed: tuple[str, str] = ("", "")) -> str:
    """Devon's profile as a council's own file, with these tables taken out (and one line `changed`)."""
    kept, skipping = [], False
    for line in (Path(rules.__file__).parent / "profiles" / "devon.toml").read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            skipping = line.strip() in tables
        if not skipping:
            kept.append(changed[1] if changed[0] and line == changed[0] else line)
    if changed[0]:
        assert changed[0] not in kept and changed[1] in kept
    path = folder / "own-policy.toml"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return str(path)


async def test_the_request_form_says_how_soon_as_the_councils_own_policy_does(sqlite_url: str, tmp_path: Path) -> None:
    policy = devon_without(tmp_path, changed=('within = "24 hours"', 'within = "12 hours"'))
    async with connected(sqlite_url, policy=policy, clock=StoppedClock(NOW)) as teams:
        await hello(teams, "aad-p1", "aad-s1")
        [form] = await teams.say("aad-p1", "urgent")
        shown = texts(card_of(form))
        assert any(text.endswith("should happen within 12 hours.") for text in shown)
        assert not any("24 hours" in text for text in shown)
        [free_at] = [e for e in card_of(form)["body"] if e.get("id") == "free_at"]
        assert free_at["label"] == "When are you free in the next 12 hours?"
        replies = await press(teams, card_of(form), "Finish", {"about": "Threats at a visit", "free_at": "Now"})
    confirmation = next(r["text"] for r in replies if r.get("text"))
    assert "by Thursday 26 November 2026, 00:00" in confirmation  # NOW is noon: 12 hours on


async def test_an_urgent_request_begun_before_the_policy_stopped_taking_them_is_kept_not_sent(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with connected(sqlite_url, clock=StoppedClock(NOW)) as teams:
        await hello(teams, "aad-p1", "aad-s1")
        [form] = await teams.say("aad-p1", "urgent")
    policy = devon_without(tmp_path, "[[urgent_supervision]]", "[urgent_requests]")
    async with connected(sqlite_url, policy=policy, reload_demo=False, clock=StoppedClock(NOW)) as teams:
        [reply] = await press(teams, card_of(form), "Finish", {"about": "Threats at a visit", "free_at": "Now"})
    assert reply["text"] == f"{NOT_COVERED} What you typed is kept."
    assert asked(sqlite_url) == []
    [draft] = [row for row in rows(sqlite_url, RecordRow) if row.form == "urgent"]
    assert draft.answers["about"] == "Threats at a visit"


async def test_a_policy_that_sets_no_urgent_supervision_says_so_and_invents_no_deadline(
    sqlite_url: str, tmp_path: Path
) -> None:
    policy = devon_without(tmp_path, "[[urgent_supervision]]", "[urgent_requests]")
    async with connected(sqlite_url, policy=policy, clock=StoppedClock(NOW)) as teams:
        await hello(teams, "aad-p1", "aad-s1", "aad-m1")
        [reply] = await teams.say("aad-p1", "urgent")
        assert reply["text"] == NOT_COVERED
        answer = {"action": "urgent.arrange", "request": "U-1", "meet_on": "2026-11-25", "meet_at": "14:00"}
        [reply] = await teams.say("aad-s1", value=answer)  # the demo's request from yesterday, still open
        assert reply["text"] == NOT_COVERED
        await teams.app[SWEEPER].tick()
    assert asked(sqlite_url) == []
    assert [row for row in rows(sqlite_url, NudgeRow) if row.obligation_kind == "urgent_request"] == []


async def test_without_the_councils_working_day_the_out_of_hours_advice_is_always_given(
    sqlite_url: str, tmp_path: Path
) -> None:
    policy = devon_without(tmp_path, "[nudges]")
    async with connected(sqlite_url, policy=policy, clock=StoppedClock(NOW)) as teams:  # a Wednesday at noon
        await hello(teams, "aad-p1", "aad-s1")
        replies = await ask(teams)
    confirmation = next(r["text"] for r in replies if r.get("text"))
    assert "gone to Sam Okafor" in confirmation
    assert "out-of-hours social care team" in confirmation  # no working day to say it is not needed
