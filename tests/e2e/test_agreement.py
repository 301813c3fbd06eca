"""The supervision agreement, co-produced over real HTTP: versions, both signatures, renewal."""

from __future__ import annotations

from typing import Any

from bot.storage.models import AgreementRow
from tests.e2e.conftest import Teams, card_of, due_button, items, rows, texts
from tests.e2e.test_journal import button, inputs, press

ANSWERS = [
    {"supervisee": "p2"},
    {"mandate": "Management, support, development and mediation", "key_areas": "Cases, workload, learning"},
    {
        "frequency": "Every two weeks in the first three months, then monthly",
        "duration": "90 minutes",
        "venue": "Meeting room 2",
        "agenda": "Both bring items; a cancelled session is rebooked within the week",
        "urgent": "Message Sam, or the duty manager if Sam is away",
    },
    {"confidentiality": "Records are seen by us and our managers", "recording": "Sam writes it; both sign"},
    {"anti_discriminatory": "We will name difference and power openly", "disagreements": "Ask Morgan to mediate"},
    {"review": "Every year, or sooner if either of us asks"},
]


async def fill(teams: Teams, card: dict[str, Any], answers: list[dict[str, str]], as_who: str) -> list[dict[str, Any]]:
    for index, typed in enumerate(answers):
        title = "Finish" if index == len(answers) - 1 else "Next"
        replies = await press(teams, card, title, typed, as_who=as_who)
        if title == "Next":
            card = card_of(replies[0])
    return replies


async def test_an_agreement_is_written_changed_and_signed_by_both_and_sets_the_renewal_date(
    teams: Teams, database_url: str
) -> None:
    [first] = await teams.say("aad-p1", "agreement")  # Priya, to show a practitioner only picks themselves
    assert [c["value"] for c in inputs(card_of(first))["supervisee"]["choices"]] == ["p1"]

    [opened] = await teams.say("aad-s1", "agreement")
    replies = await fill(teams, card_of(opened), ANSWERS, "aad-s1")
    assert replies[-1]["text"] == (
        "Version 1 saved and signed by you. Nia Evans can read it from their due list, then sign it or suggest changes."
    )

    [due] = await teams.say("aad-p2", "due")
    assert (
        "Sign the agreement",
        "Nia Evans · Version 1",
        "Waiting for your signature since Wednesday 25 November 2026, 12:00",
    ) in items(card_of(due))
    [version_one] = await teams.say("aad-p2", value=due_button(card_of(due), "Read the agreement"))
    shown = card_of(version_one)
    assert texts(shown)[1] == "Version 1. Signed by the supervisor; waiting for the supervisee."
    assert [a["title"] for a in shown["actions"]] == ["Sign", "Suggest changes"]

    [changing] = await teams.say("aad-p2", value=button(shown, "Suggest changes"))
    card = card_of(changing)
    assert texts(card)[1] == "Step 2 of 6: Purpose"
    assert inputs(card)["mandate"]["value"] == ANSWERS[1]["mandate"]
    changed = [ANSWERS[1], {**ANSWERS[2], "venue": "Online on Tuesdays"}, *ANSWERS[3:]]
    replies = await fill(teams, card, changed, "aad-p2")
    assert replies[-1]["text"].startswith("Version 2 saved and signed by you. Sam Okafor can read it")

    [stale] = await teams.say("aad-p2", value=button(shown, "Sign"))
    assert stale["text"] == "There is a newer version (version 2); please read that one from your due list."

    [due] = await teams.say("aad-s1", "due")
    [version_two] = await teams.say("aad-s1", value=due_button(card_of(due), "Read the agreement"))
    assert "Online on Tuesdays" in texts(card_of(version_two))
    [signed] = await teams.say("aad-s1", value=button(card_of(version_two), "Sign"))
    assert signed["text"] == (
        "Signed by both of you, so the agreement is in force. It is due for review by Thursday 25 November 2027, 12:00."
    )
    versions = sorted((r for r in rows(database_url, AgreementRow) if r.supervisee_id == "p2"), key=lambda r: r.version)
    assert [(v.version, v.supervisee_signed_at is not None, v.supervisor_signed_at is not None) for v in versions] == [
        (1, False, True),
        (2, True, True),
    ]
    [after] = await teams.say("aad-p2", "due")
    agreement = [item for item in items(card_of(after)) if item[0] in {"Supervision agreement", "Sign the agreement"}]
    assert agreement == [("Supervision agreement", "Nia Evans", "Due Thursday 25 November 2027, 12:00")]


async def test_someone_elses_agreement_cannot_be_read(teams: Teams) -> None:
    [opened] = await teams.say("aad-s1", "agreement")
    await fill(teams, card_of(opened), ANSWERS, "aad-s1")
    [due] = await teams.say("aad-p2", "due")
    reading = due_button(card_of(due), "Read the agreement")
    [refused] = await teams.say("aad-m1", value=reading)
    assert refused["text"] == "That agreement is not one of yours, so I cannot show or change it."
    [missing] = await teams.say("aad-p2", value={"action": "agreement.sign", "id": "one"})
    assert missing["text"] == "I could not find that agreement, so nothing was changed."
