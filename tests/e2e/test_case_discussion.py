"""A case discussion end to end over real HTTP: one child by case ID, actions carried forward, a
record for the child's file, and the recording duty closed by "Recorded on the child's file"."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from bot.storage.db import create_engine_for, session_factory
from bot.storage.models import ActionRow, SessionCaseRow, SessionRow
from bot.storage.repositories import ActionRepository
from tests.e2e.conftest import Teams, card_of, rows, texts
from tests.e2e.test_journal import button, inputs, press


def seed_actions(database_url: str) -> list[int]:
    engine = create_engine_for(database_url)
    with session_factory(engine)() as session:
        actions = ActionRepository(session)
        made = [
            actions.add("C-1001", "Visit the school", "Priya", date(2026, 11, 20)).id,
            actions.add("C-1001", "Ask the family doctor for a report", "Sam", date(2026, 11, 24)).id,
        ]
        session.commit()
    engine.dispose()
    return made


async def step(teams: Teams, card: dict[str, Any], typed: dict[str, str], title: str = "Next") -> dict[str, Any]:
    [reply] = await press(teams, card, title, typed)
    return card_of(reply)


async def test_a_case_discussion_from_choosing_the_child_to_recording_it_on_the_childs_file(
    teams: Teams, database_url: str
) -> None:
    visit, report = seed_actions(database_url)
    [first] = await teams.say("aad-p1", "case")
    card = card_of(first)
    choices = [c["value"] for c in inputs(card)["case"]["choices"]]
    assert choices == ["C-1001", "C-1002", "C-1003", "C-1012"]  # Priya's own cases only

    card = await step(teams, card, {"case": "C-1005", "rating": "amber"})
    assert "Please choose one of the cases allocated to you." in texts(card)
    card = await step(teams, card, {"case": "C-1001", "rating": "amber"})
    assert texts(card)[1] == "Step 2 of 7: Actions from last time"
    assert inputs(card)[f"previous.{visit}"]["label"] == "Visit the school (Priya, by 20 November 2026)"

    card = await step(teams, card, {f"previous.{visit}": "done", f"previous.{report}": "not_done"})
    assert "Please say why it was not done." in texts(card)
    card = await step(
        teams,
        card,
        {
            f"previous.{visit}": "done",
            f"previous.{report}": "not_done",
            f"previous.{report}.why": "The surgery asked for consent first",
        },
    )
    card = await step(teams, card, {"key_issues": "School attendance has fallen; the plan targets routines"})
    card = await step(teams, card, {"childs_voice": "Says mornings are hard; was quiet but smiled", "seen": "yes"})
    card = await step(teams, card, {"effectiveness": "Attendance up from 60% to 75%", "reflection": "Routines help"})
    assert texts(card)[1] == "Step 6 of 7: Actions"
    card = await step(teams, card, {"actions.0.what": "Meet the school", "actions.0.who": "Priya"})
    assert "Please say by when for this action." in texts(card)
    card = await step(
        teams,
        card,
        {
            "actions.0.what": "Meet the school",
            "actions.0.who": "Priya",
            "actions.0.by": "2026-12-04",
            "actions.1.what": "Get consent for the doctor's report",
            "actions.1.who": "Priya",
            "actions.1.by": "2026-12-01",
        },
    )
    assert texts(card)[1] == "Step 7 of 7: Procedure and oversight"
    oversight = inputs(card)["oversight"]
    assert oversight["isMultiSelect"] is True
    assert "Change of care plan" in [c["value"] for c in oversight["choices"]]

    replies = await press(
        teams,
        card,
        "Finish",
        {
            "recording_current": "yes",
            "plan_specific": "yes",
            "level_right": "no",
            "oversight": "Change of care plan,Use of professional opinion",
        },
        reply_to="sent-case-card",
    )
    [record_message] = [r for r in replies if r.get("text")]
    record_text: str = record_message["text"]
    paragraphs = record_text.split("\n\n")  # one a line, so that Teams shows and copies them as lines
    assert "Which case? Case C-1001" in paragraphs
    assert "**Actions from last time**" in paragraphs
    assert (
        "Ask the family doctor for a report (Sam, by 24 November 2026) Not done. The surgery asked for consent first"
        in paragraphs
    )
    assert "Action 2: Get consent for the doctor's report. Who: Priya. By: 1 December 2026." in paragraphs
    assert "Priya Shah" not in record_text  # records name children and staff only as the policy allows
    [summary] = teams.connector.updated
    summary_card = card_of(summary)
    assert summary["_id"] == "sent-case-card"
    assert [a["title"] for a in summary_card["actions"]] == ["Recorded on the child's file", "Edit"]
    recorded_button = summary_card["actions"][0]

    session_id = recorded_button["data"]["session"]
    [held] = [s for s in rows(database_url, SessionRow) if s.id == session_id]
    assert (held.kind, held.status, held.supervisee_id, held.supervisor_id, held.recorded_at) == (
        "case",
        "held",
        "p1",
        "s1",
        None,
    )
    assert [(link.case_id) for link in rows(database_url, SessionCaseRow) if link.session_id == session_id] == [
        "C-1001"
    ]
    actions = {a.text: (a.status, a.reason) for a in rows(database_url, ActionRow)}
    assert actions == {
        "Visit the school": ("done", None),
        "Ask the family doctor for a report": ("not_done", "The surgery asked for consent first"),
        "Meet the school": ("open", None),
        "Get consent for the doctor's report": ("open", None),
    }

    [due] = await teams.say("aad-p1", "due")
    assert f"Priya Shah · Session {session_id}" in texts(card_of(due))

    [done] = await teams.say("aad-p1", value=recorded_button["data"])
    assert done["text"] == "Marked as recorded on the child's file at 12:00. That duty is done."
    [held] = [s for s in rows(database_url, SessionRow) if s.id == session_id]
    assert held.recorded_at is not None
    [again] = await teams.say("aad-p1", value=recorded_button["data"])
    assert again["text"].startswith("This was already marked as recorded on the child's file on Wednesday 25 November")
    [due] = await teams.say("aad-p1", "due")
    assert f"Priya Shah · Session {session_id}" not in texts(card_of(due))


async def test_the_next_discussion_brings_forward_the_actions_still_open(teams: Teams, database_url: str) -> None:
    engine = create_engine_for(database_url)
    with session_factory(engine)() as session:
        ActionRepository(session).add("C-1002", "Review the care plan", "Sam", date(2026, 12, 10))
        session.commit()
        open_ids = [a.id for a in session.scalars(select(ActionRow).where(ActionRow.case_id == "C-1002"))]
    engine.dispose()
    [first] = await teams.say("aad-p1", "case")
    card = await step(teams, card_of(first), {"case": "C-1002", "rating": "green"})
    assert [key for key in inputs(card) if key.startswith("previous.")] == [
        f"previous.{open_ids[0]}",
        f"previous.{open_ids[0]}.why",
    ]


async def test_a_supervisor_can_discuss_a_supervisees_case_but_not_another_teams(teams: Teams) -> None:
    [first] = await teams.say("aad-s1", "case")
    choices = [c["value"] for c in inputs(card_of(first))["case"]["choices"]]
    assert "C-1001" in choices and "C-1005" in choices  # Priya's and Tom's, both supervised by s1
    assert "C-1009" not in choices  # Dan's, supervised by s2


async def test_marking_someone_elses_discussion_as_recorded_is_refused(teams: Teams) -> None:
    [reply] = await teams.say("aad-m1", value={"action": "case.recorded", "session": "S-02"})
    assert reply["text"] == "That discussion is not one of yours, so I have not changed it."
    [missing] = await teams.say("aad-p1", value={"action": "case.recorded", "session": 42})
    assert missing["text"] == "I could not find that discussion, so nothing was changed."


async def test_each_duty_in_the_due_list_has_a_button_that_does_the_job(teams: Teams, database_url: str) -> None:
    [due] = await teams.say("aad-p1", "due")
    buttons = {
        action["title"]: action["data"]
        for element in card_of(due)["body"]
        if element.get("type") == "Container"
        for block in element["items"]
        if block["type"] == "ActionSet"
        for action in block["actions"]
    }
    assert buttons["Discuss case C-1012"] == {"action": "open.form", "form": "case_discussion", "case": "C-1012"}
    [opened] = await teams.say("aad-p1", value=buttons["Discuss case C-1012"])
    assert inputs(card_of(opened))["case"]["value"] == "C-1012"
    [marked] = await teams.say("aad-p1", value=buttons["Mark as recorded"])
    assert marked["text"].startswith("Marked as recorded")
    [held] = [s for s in rows(database_url, SessionRow) if s.id == "S-02"]
    assert held.recorded_at is not None


async def test_a_discuss_button_for_a_case_that_is_not_theirs_opens_the_form_without_it(teams: Teams) -> None:
    [opened] = await teams.say("aad-p1", value={"action": "open.form", "form": "case_discussion", "case": "C-1009"})
    assert inputs(card_of(opened))["case"]["value"] == ""


async def test_correcting_a_case_discussion_changes_only_the_narrative_and_puts_it_back_on_file(
    teams: Teams, database_url: str
) -> None:
    visit, report = seed_actions(database_url)
    [first] = await teams.say("aad-p1", "case")
    card = card_of(first)
    answers = [
        {"case": "C-1001", "rating": "amber"},
        {f"previous.{visit}": "done", f"previous.{report}": "carried"},
        {"key_issues": "Attendance"},
        {"childs_voice": "Mornings are hard", "seen": "yes"},
        {"effectiveness": "Improving", "reflection": "Routines help"},
        {"actions.0.what": "Meet the school", "actions.0.who": "Priya", "actions.0.by": "2026-12-04"},
    ]
    for typed in answers:
        card = await step(teams, card, typed)
    replies = await press(
        teams, card, "Finish", {"recording_current": "yes", "plan_specific": "yes", "level_right": "yes"}
    )
    [summary] = [card_of(r) for r in replies if r.get("attachments")]
    await teams.say("aad-p1", value=button(summary, "Recorded on the child's file"))
    before = sorted((a.text, a.status) for a in rows(database_url, ActionRow))

    [editing] = await teams.say("aad-p1", value=button(summary, "Edit"))
    card = card_of(editing)
    assert texts(card)[1] == "Step 1 of 4: Key issues"
    assert [a["title"] for a in card["actions"]] == ["Save draft", "Next", "Cancel"]
    card = await step(teams, card, {"key_issues": "Attendance, and a new worry about housing"})
    card = await step(teams, card, {})
    card = await step(teams, card, {})
    replies = await press(teams, card, "Finish", {})
    [message] = [r for r in replies if r.get("text")]
    assert message["text"].startswith("Here is the corrected record to paste into the child's file.")
    assert "a new worry about housing" in message["text"]
    assert "Visit the school (Priya, by 20 November 2026) Done" in message["text"]
    assert sorted((a.text, a.status) for a in rows(database_url, ActionRow)) == before
    held = [s for s in rows(database_url, SessionRow) if s.id.startswith("CD-")]
    assert len(held) == 1 and held[0].recorded_at is None  # the correction must reach the child's file
