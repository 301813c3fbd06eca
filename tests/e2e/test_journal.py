"""The reflective journal, a guided form, end to end over real HTTP: every word typed is kept."""

from __future__ import annotations

from typing import Any

import pytest

from bot.storage.models import AuditRow, JournalEntryRow, RecordRow, SessionRow
from tests.e2e.conftest import Teams, card_of, connected, due_button, rows, texts

FULL = {
    "event": "A home visit for case C-1001 where the parent was angry",
    "thoughts": "I felt anxious and wanted to leave",
    "reaction": "I stayed calm and named what I saw",
    "achieved": "I kept the child's voice at the centre",
    "differently": "Ask a colleague to come with me",
    "needs": "Training on de-escalation",
}


def button(card: dict[str, Any], title: str) -> dict[str, Any]:
    """The data a button on the card submits."""
    [data] = [action["data"] for action in card["actions"] if action["title"] == title]
    return dict(data)


def inputs(card: dict[str, Any]) -> dict[str, Any]:
    """The inputs on the card by id, with their current values."""
    return {element["id"]: element for element in card["body"] if element["type"].startswith("Input.")}


async def press(
    teams: Teams,
    card: dict[str, Any],
    title: str,
    typed: dict[str, str] | None = None,
    *,
    as_who: str = "aad-p1",
    reply_to: str | None = None,
) -> list[dict[str, Any]]:
    """Press a button on a card, with what was typed into its inputs, as Teams sends it."""
    value = {**button(card, title), **(typed or {})}
    activity = teams.activity(as_who, value=value)
    if reply_to:
        activity["replyToId"] = reply_to
    before = len(teams.connector.to(f"conv-{as_who}"))
    response = await teams.post(activity)
    assert response.status in (200, 201)
    return teams.connector.to(f"conv-{as_who}")[before:]


async def test_a_journal_entry_is_written_step_by_step_and_finished_as_a_read_only_summary(
    teams: Teams, database_url: str
) -> None:
    [first] = await teams.say("aad-p1", "journal")
    card = card_of(first)
    assert texts(card)[:3] == [
        "Reflective journal",
        "Step 1 of 4: The event",
        "Private to you until you choose to share it with your supervisor.",
    ]
    event = inputs(card)["event"]
    assert (event["label"], event["isRequired"], event["isMultiline"]) == (
        "Brief description of the significant event",
        True,
        True,
    )
    assert event["errorMessage"]
    assert [a["title"] for a in card["actions"]] == ["Save draft", "Next", "Cancel"]
    assert button(card, "Next")["form"] == "journal"
    for title, fields in (("Next", ["event"]), ("Next", ["thoughts"]), ("Next", ["reaction"])):
        [reply] = await press(teams, card, title, {f: FULL[f] for f in fields})
        card = card_of(reply)
    assert texts(card)[1] == "Step 4 of 4: Learning"
    assert [a["title"] for a in card["actions"]] == ["Back", "Save draft", "Finish", "Cancel"]
    replies = await press(
        teams, card, "Finish", {f: FULL[f] for f in ("achieved", "differently", "needs")}, reply_to="sent-card-4"
    )
    assert [r.get("text") for r in replies] == ["Your reflective journal is saved."]
    [summary] = teams.connector.updated
    assert summary["_id"] == "sent-card-4"
    shown = texts(card_of(summary))
    assert shown[1].startswith("Finished Wednesday 25 November 2026")
    assert FULL["event"] in shown and FULL["needs"] in shown
    assert [a["title"] for a in card_of(summary)["actions"]] == ["Share with my supervisor", "Edit"]
    assert not any(element["type"].startswith("Input.") for element in card_of(summary)["body"])
    [entry] = rows(database_url, JournalEntryRow)
    assert (entry.author_id, entry.shared_at, entry.answers["thoughts"]) == ("p1", None, FULL["thoughts"])
    assert [r.status for r in rows(database_url, RecordRow)] == ["final"]


async def test_a_missing_answer_is_shown_on_the_same_card_and_what_was_typed_is_kept(
    teams: Teams, database_url: str
) -> None:
    [first] = await teams.say("aad-p1", "journal")
    [again] = await press(teams, card_of(first), "Next", {"event": "   "})
    card = card_of(again)
    shown = texts(card)
    assert shown[1] == "Step 1 of 4: The event"
    assert "Please check the answers marked below. Nothing you typed has been lost." in shown
    assert "Please fill in “Brief description of the significant event”." in shown
    [too_long] = await press(teams, card, "Next", {"event": "x" * 2001})
    assert "Please keep this to 2000 characters; it has 2001." in texts(card_of(too_long))
    assert inputs(card_of(too_long))["event"]["value"] == "x" * 2001
    [record] = rows(database_url, RecordRow)
    assert (record.status, record.answers["event"]) == ("draft", "x" * 2001)


async def test_a_fault_after_the_answers_are_saved_loses_nothing_that_was_typed(
    teams: Teams, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    [first] = await teams.say("aad-p1", "journal")

    def broken(*_: Any) -> None:
        raise RuntimeError("a fault while checking the answers")

    monkeypatch.setattr("bot.service.check_step", broken)
    [sorry] = await press(teams, card_of(first), "Next", {"event": FULL["event"]})
    assert sorry["text"].startswith("Sorry, something went wrong on my side. Nothing you sent has been lost")
    [record] = rows(database_url, RecordRow)
    assert (record.status, record.answers["event"]) == ("draft", FULL["event"])
    monkeypatch.undo()
    [resumed] = await teams.say("aad-p1", "journal")
    assert inputs(card_of(resumed))["event"]["value"] == FULL["event"]


async def test_a_draft_saved_half_way_is_found_again_from_drafts(teams: Teams) -> None:
    [first] = await teams.say("aad-p1", "journal")
    [second] = await press(teams, card_of(first), "Next", {"event": FULL["event"]})
    [saved] = await press(teams, card_of(second), "Save draft", {"thoughts": "Half a thought"})
    assert texts(card_of(saved))[2].startswith("Draft saved at 12:00.")
    [listing] = await teams.say("aad-p1", "drafts")
    drafts = card_of(listing)
    assert texts(drafts) == [
        "Forms you have started",
        "Reflective journal, last saved Wednesday 25 November 2026, 12:00",
    ]
    [resumed] = await teams.say("aad-p1", value=drafts["actions"][0]["data"])
    card = card_of(resumed)
    assert texts(card)[1] == "Step 2 of 4: Reflection"
    assert texts(card)[2].startswith("Welcome back.")
    assert inputs(card)["thoughts"]["value"] == "Half a thought"
    [again] = await teams.say("aad-p1", "journal")
    assert inputs(card_of(again))["thoughts"]["value"] == "Half a thought"


async def test_the_app_stopped_mid_form_and_started_again_loses_nothing(database_url: str) -> None:
    async with connected(database_url) as teams:
        [first] = await teams.say("aad-p1", "journal")
        await press(teams, card_of(first), "Next", {"event": FULL["event"]})

    async with connected(database_url, reload_demo=False) as teams:
        [resumed] = await teams.say("aad-p1", "journal")
        card = card_of(resumed)
        assert texts(card)[1] == "Step 2 of 4: Reflection"
        [back] = await press(teams, card, "Back")
        assert inputs(card_of(back))["event"]["value"] == FULL["event"]


async def test_a_press_on_an_out_of_date_card_changes_nothing(teams: Teams, database_url: str) -> None:
    [first] = await teams.say("aad-p1", "journal")
    old = card_of(first)
    await press(teams, old, "Next", {"event": FULL["event"]})
    [reply] = await press(teams, old, "Next", {"event": "Something else"})
    current = card_of(reply)
    assert texts(current)[1:3] == [
        "Step 2 of 4: Reflection",
        "That card was out of date, so nothing was changed. Here is where you are now.",
    ]
    [record] = rows(database_url, RecordRow)
    assert record.answers["event"] == FULL["event"]


async def test_a_finished_form_cannot_be_changed_from_its_old_cards(teams: Teams) -> None:
    [reply] = await teams.say("aad-p1", "journal")
    card = card_of(reply)
    for fields in (["event"], ["thoughts"], ["reaction"]):
        [reply] = await press(teams, card, "Next", {f: FULL[f] for f in fields})
        card = card_of(reply)
    await press(teams, card, "Finish", {"achieved": FULL["achieved"]})
    [late] = await press(teams, card, "Finish", {"achieved": "Changed my mind"})
    assert late["text"] == "That form is already finished, so nothing was changed."


async def test_someone_elses_form_is_refused_and_the_refusal_audited(teams: Teams, database_url: str) -> None:
    [reply] = await teams.say("aad-p1", "journal")
    [refused] = await press(teams, card_of(reply), "Next", {"event": "Not mine"}, as_who="aad-s1")
    assert refused["text"] == "That form belongs to someone else, so I have not changed it."
    assert ("s1", "refused") in [(a.actor, a.outcome) for a in rows(database_url, AuditRow)]
    [record] = rows(database_url, RecordRow)
    assert "event" not in record.answers


async def test_a_button_with_the_wrong_kinds_of_value_is_answered_politely(teams: Teams) -> None:
    [reply] = await teams.say("aad-p1", value={"action": "form.next", "form": "journal", "thread": 5, "step": "one"})
    assert reply["text"] == "I could not tell which form that button belongs to, so nothing was changed."
    [unknown] = await teams.say(
        "aad-p1", value={"action": "form.next", "form": "tax-return", "thread": "t", "step": 0, "version": 1}
    )
    assert unknown["text"] == "I could not tell which form that button belongs to, so nothing was changed."


async def test_cancel_keeps_the_draft(teams: Teams, database_url: str) -> None:
    [reply] = await teams.say("aad-p1", "journal")
    [second] = await press(teams, card_of(reply), "Next", {"event": FULL["event"]})
    [stopped] = await press(teams, card_of(second), "Cancel")
    assert stopped["text"] == "Stopped. Your draft of the reflective journal is kept: type drafts to carry on."
    [record] = rows(database_url, RecordRow)
    assert (record.status, record.answers["event"]) == ("draft", FULL["event"])


async def finished_journal(teams: Teams) -> dict[str, Any]:
    """Write a whole journal entry as p1 and return its finished summary card."""
    [reply] = await teams.say("aad-p1", "journal")
    card = card_of(reply)
    for fields in (["event"], ["thoughts"], ["reaction"]):
        [reply] = await press(teams, card, "Next", {f: FULL[f] for f in fields})
        card = card_of(reply)
    replies = await press(teams, card, "Finish", {"achieved": FULL["achieved"]})
    [summary] = [r for r in replies if r.get("attachments")]
    return card_of(summary)


async def test_a_shared_journal_becomes_a_reflective_record_both_sign_within_the_deadline(database_url: str) -> None:
    async with connected(database_url, policy="blackburn") as teams:
        summary = await finished_journal(teams)
        share = button(summary, "Share with my supervisor")

        [not_yet] = await teams.say("aad-s1", value={"action": "record.read", "session": f"RJ-{share['entry']}"})
        assert not_yet["text"] == "I could not find that record."  # private until shared

        [shared] = await teams.say("aad-p1", value=share)
        assert shared["text"].startswith(
            "Shared with your supervisor as a reflective supervision record, signed by you."
        )
        [twice] = await teams.say("aad-p1", value=share)
        assert twice["text"] == "You have already shared this entry with your supervisor."

        [due] = await teams.say("aad-s1", "due")
        due_card = card_of(due)
        assert "Sign the record" in texts(due_card)
        assert "Due Wednesday 9 December 2026, 12:00" in texts(due_card)  # 10 working days
        read_button = due_button(due_card, "Read and sign")
        [record] = await teams.say("aad-s1", value=read_button)
        shown = texts(card_of(record))
        assert shown[1] == "Shared by Priya Shah. Signed by the supervisee; waiting for the supervisor."
        assert FULL["thoughts"] in shown
        [refused] = await teams.say("aad-m1", value=read_button)
        assert refused["text"] == "That record is not one of yours, so I cannot show it."
        [signed] = await teams.say("aad-s1", value=button(card_of(record), "Sign"))
        assert signed["text"] == "Signed. Both of you have now signed, so the record is complete."
        [due_after] = await teams.say("aad-s1", "due")
        assert "Sign the record" not in texts(card_of(due_after))
    [held] = [s for s in rows(database_url, SessionRow) if s.id == f"RJ-{share['entry']}"]
    assert (held.kind, held.supervisee_id, held.supervisor_id) == ("reflective", "p1", "s1")
    assert held.signed_off_at is not None
    [entry] = rows(database_url, JournalEntryRow)
    assert entry.shared_at is not None


async def test_someone_elses_journal_cannot_be_shared(teams: Teams) -> None:
    summary = await finished_journal(teams)
    [refused] = await teams.say("aad-s1", value=button(summary, "Share with my supervisor"))
    assert refused["text"] == "I could not find that journal entry among yours, so nothing was shared."


async def test_typing_cancel_stops_and_keeps_the_draft(teams: Teams, database_url: str) -> None:
    [reply] = await teams.say("aad-p1", "journal")
    await press(teams, card_of(reply), "Save draft", {"event": "Half written"})
    [stopped] = await teams.say("aad-p1", "cancel")
    assert stopped["text"] == "Stopped. Anything you had started is kept as a draft: type drafts to carry on."
    [record] = rows(database_url, RecordRow)
    assert (record.status, record.answers["event"]) == ("draft", "Half written")


async def test_editing_a_finished_entry_makes_a_new_version_and_keeps_the_first(
    teams: Teams, database_url: str
) -> None:
    summary = await finished_journal(teams)
    [editing] = await teams.say("aad-p1", value=button(summary, "Edit"))
    card = card_of(editing)
    assert texts(card)[2:4] == [
        "Private to you until you choose to share it with your supervisor.",
        "Editing makes version 2; version 1 is kept as it was.",
    ]
    assert inputs(card)["event"]["value"] == FULL["event"]
    for typed in ({"event": "A home visit for case C-1001, written up properly"}, {}, {}):
        [reply] = await press(teams, card, "Next", typed)
        card = card_of(reply)
    await press(teams, card, "Finish", {})
    history = sorted(rows(database_url, RecordRow), key=lambda r: r.version)
    assert [(r.version, r.status, r.answers["event"]) for r in history] == [
        (1, "final", FULL["event"]),
        (2, "final", "A home visit for case C-1001, written up properly"),
    ]
    [entry] = rows(database_url, JournalEntryRow)  # the same private entry, now as edited
    assert entry.answers["event"] == "A home visit for case C-1001, written up properly"
    [refused] = await teams.say("aad-s1", value=button(summary, "Edit"))
    assert refused["text"] == "That record is someone else's, so you cannot edit it."
