"""The personal supervision record end to end: the policy decides what is compulsory, both sign."""

from __future__ import annotations

from bot.storage.models import SessionRow
from tests.e2e.conftest import card_of, connected, items, rows, texts
from tests.e2e.test_journal import button, inputs, press


async def test_a_supervisor_records_personal_supervision_and_the_supervisee_signs_it(database_url: str) -> None:
    async with connected(database_url, policy="devon") as teams:
        [first] = await teams.say("aad-s1", "record")
        card = card_of(first)
        people = [(c["value"], c["title"]) for c in inputs(card)["supervisee"]["choices"]]
        assert people == [("p1", "Priya Shah"), ("p2", "Nia Evans"), ("p3", "Tom Baker")]
        [future] = await press(teams, card, "Next", {"supervisee": "p1", "held_on": "2026-12-01"}, as_who="aad-s1")
        assert "That date is still to come; please give the date it was held." in texts(card_of(future))
        [step2] = await press(
            teams, card_of(future), "Next", {"supervisee": "p1", "held_on": "2026-11-24"}, as_who="aad-s1"
        )
        [step3] = await press(
            teams,
            card_of(step2),
            "Next",
            {
                "wellbeing": "Tired after a hard week; taking leave in December",
                "workload": "Twelve cases, two in proceedings",
            },
            as_who="aad-s1",
        )
        equality = inputs(card_of(step3))["equality"]
        assert equality["isRequired"] is True  # Devon §2: every personal supervision
        [missing] = await press(teams, card_of(step3), "Next", {"development": "Court skills course"}, as_who="aad-s1")
        assert "Please fill in “Equality, diversity and inclusion: what was discussed”." in texts(card_of(missing))
        [step4] = await press(
            teams,
            card_of(missing),
            "Next",
            {"development": "Court skills course", "equality": "Talked about interpreters for a family"},
            as_who="aad-s1",
        )
        replies = await press(teams, card_of(step4), "Finish", {}, as_who="aad-s1")
        assert replies[-1]["text"] == "Saved and signed by you. Priya Shah can read and sign it from their due list."
        [held] = [s for s in rows(database_url, SessionRow) if s.id.startswith("PS-")]
        assert (held.kind, held.supervisee_id, held.supervisor_id, held.recorded_at is not None) == (
            "personal",
            "p1",
            "s1",
            True,
        )

        [due] = await teams.say("aad-p1", "due")
        waiting = [item for item in items(card_of(due)) if item[0] == "Sign the record"]
        assert waiting == [
            (
                "Sign the record",
                f"Sam Okafor · Personal supervision record, session {held.id}",
                "Waiting for your signature since Wednesday 25 November 2026, 12:00",
            )
        ]
        personal = [item for item in items(card_of(due)) if item[0] == "Personal supervision"]
        assert personal[0][2] == "Due Thursday 24 December 2026, 00:00"  # a month after the session
        [record] = await teams.say("aad-p1", value={"action": "record.read", "session": held.id})
        assert "Talked about interpreters for a family" in texts(card_of(record))
        [signed] = await teams.say("aad-p1", value=button(card_of(record), "Sign"))
        assert signed["text"] == "Signed. Both of you have now signed, so the record is complete."
        [after] = await teams.say("aad-p1", "due")
        assert not [item for item in items(card_of(after)) if item[0] == "Sign the record"]


async def test_equality_is_optional_where_the_policy_does_not_require_it_every_session(sqlite_url: str) -> None:
    async with connected(sqlite_url, policy="wokingham") as teams:
        [first] = await teams.say("aad-p1", "record")
        card = card_of(first)
        assert [c["value"] for c in inputs(card)["supervisee"]["choices"]] == ["p1"]  # a practitioner: themselves
        [step2] = await press(teams, card, "Next", {"supervisee": "p1", "held_on": "2026-11-20"})
        [step3] = await press(teams, card_of(step2), "Next", {"wellbeing": "Well", "workload": "Fine"})
        assert inputs(card_of(step3))["equality"]["isRequired"] is False
        [step4] = await press(teams, card_of(step3), "Next", {})
        assert texts(card_of(step4))[1] == "Step 4 of 4: Actions"
        replies = await press(teams, card_of(step4), "Finish", {})
        assert replies[-1]["text"] == "Saved and signed by you. Sam Okafor can read and sign it from their due list."


async def test_an_edited_record_must_be_signed_again_and_the_signed_version_is_kept(sqlite_url: str) -> None:
    async with connected(sqlite_url, policy="wokingham") as teams:
        [first] = await teams.say("aad-s1", "record")
        card = card_of(first)
        for typed in ({"supervisee": "p1", "held_on": "2026-11-20"}, {"wellbeing": "Well", "workload": "Busy"}, {}):
            [reply] = await press(teams, card, "Next", typed, as_who="aad-s1")
            card = card_of(reply)
        replies = await press(teams, card, "Finish", {}, as_who="aad-s1")
        summary = next(card_of(r) for r in teams.connector.updated + replies if r.get("attachments"))
        [due] = await teams.say("aad-p1", "due")
        [to_sign] = [item for item in items(card_of(due)) if item[0] == "Sign the record"]
        [record] = await teams.say(
            "aad-p1", value={"action": "record.read", "session": to_sign[1].split("session ")[-1]}
        )
        [signed] = await teams.say("aad-p1", value=button(card_of(record), "Sign"))
        assert signed["text"].startswith("Signed. Both of you")

        [editing] = await teams.say("aad-s1", value=button(summary, "Edit"))
        card = card_of(editing)
        for typed in ({}, {"wellbeing": "Well, though tired", "workload": "Busy"}, {}):
            [reply] = await press(teams, card, "Next", typed, as_who="aad-s1")
            card = card_of(reply)
        await press(teams, card, "Finish", {}, as_who="aad-s1")
        [due] = await teams.say("aad-p1", "due")
        waiting = [item for item in items(card_of(due)) if item[0] == "Sign the record"]
        assert len(waiting) == 1  # only the new version waits; the signed one is kept, not re-listed
        sessions = [s for s in rows(sqlite_url, SessionRow) if s.id.startswith("PS-")]
        assert len(sessions) == 1  # the same session, not a second one
