"""The bot over real HTTP: welcome, help, what is due, who may see what, and malformed traffic."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.storage.db import create_engine_for, session_factory
from bot.storage.models import AuditRow, StaffRow
from tests.e2e.conftest import Teams, card_of, items, texts


async def test_installing_the_bot_shows_a_welcome_card_with_the_commands(teams: Teams) -> None:
    install = teams.activity("aad-p1", type="conversationUpdate", membersAdded=[{"id": "28:companion"}])
    response = await teams.post(install)
    assert response.status in (200, 201)
    [reply] = teams.connector.to("conv-aad-p1")
    shown = texts(card_of(reply))
    assert shown[0] == "Welcome, Priya Shah"
    assert "due: What is due for you, and for the people you supervise, soonest first" in shown
    assert card_of(reply)["version"] == "1.5"


async def test_an_install_announced_twice_as_teams_does_is_greeted_once(teams: Teams) -> None:
    joined = teams.activity("aad-p1", type="conversationUpdate", membersAdded=[{"id": "28:companion"}])
    installed = teams.activity("aad-p1", type="installationUpdate", action="add")
    for activity in (joined, installed):
        assert (await teams.post(activity)).status in (200, 201)
    [reply] = teams.connector.to("conv-aad-p1")
    assert texts(card_of(reply))[0] == "Welcome, Priya Shah"


async def test_help_lists_the_commands(teams: Teams) -> None:
    [reply] = await teams.say("aad-p1", "help")
    shown = texts(card_of(reply))
    assert shown[0] == "Here is what I can do."
    assert "help: What you can ask me" in shown


async def test_anything_not_understood_gets_help_not_silence(teams: Teams) -> None:
    [reply] = await teams.say("aad-p1", "what is the weather like")
    assert texts(card_of(reply))[0] == "Sorry, I did not understand that. Here is what I can do."


async def test_a_practitioner_sees_only_their_own_duties_soonest_first(teams: Teams) -> None:
    [reply] = await teams.say("aad-p1", "due")
    shown = texts(card_of(reply))
    assert shown[0] == "What is due, Priya Shah"
    assert shown[1].endswith("Soonest first.")
    assert "Record the session" in shown
    assert "Priya Shah · Session S-02" in shown
    assert "Due Wednesday 25 November 2026, 14:00" in shown
    assert not any("Dan Moss" in text or "Nia Evans" in text for text in shown)


async def test_a_supervisor_also_sees_their_teams_duties(teams: Teams) -> None:
    [reply] = await teams.say("aad-s1", "Due")
    shown = texts(card_of(reply))
    assert any(text.startswith("Nia Evans") for text in shown)
    assert any(text.startswith("Priya Shah") for text in shown)
    assert not any(text.startswith("Dan Moss") for text in shown)  # supervised by s2


async def test_a_manager_sees_who_is_overdue_and_only_their_own_reports_upcoming_duties(teams: Teams) -> None:
    [reply] = await teams.say("aad-m1", "due")
    shown = items(card_of(reply))
    assert shown
    overdue_practitioners = [item for item in shown if item[2].startswith("Overdue since ")]
    assert any(
        item[1].startswith(("Priya Shah", "Nia Evans", "Dan Moss", "Tom Baker")) for item in overdue_practitioners
    )
    for _what, detail, status in shown:
        supervised_by_the_manager = detail.startswith(("Sam Okafor", "Rhian Price"))
        assert supervised_by_the_manager or status.startswith("Overdue since "), (detail, status)


async def test_pressing_the_what_is_due_button_shows_the_list(teams: Teams) -> None:
    [reply] = await teams.say("aad-p1", value={"action": "due.show"})
    assert texts(card_of(reply))[0] == "What is due, Priya Shah"


async def test_someone_not_set_up_is_told_so_politely_and_nothing_else(teams: Teams) -> None:
    [reply] = await teams.say("aad-stranger", "due")
    card = card_of(reply)
    assert texts(card) == [
        "You are not set up yet",
        "Your council has not added you to the companion yet. Please ask your manager to add you.",
    ]
    assert card["actions"] == []


async def test_in_the_demo_a_newcomer_can_try_it_as_a_demo_person(demo_teams: Teams) -> None:
    [offer] = await demo_teams.say("aad-visitor", "hello")
    actions: list[dict[str, Any]] = card_of(offer)["actions"]
    assert [a["title"] for a in actions] == [
        "Try as Priya Shah (practitioner)",
        "Try as Sam Okafor (supervisor)",
        "Try as Morgan Ellis (manager)",
    ]
    [welcome] = await demo_teams.say("aad-visitor", value=actions[1]["data"])
    assert texts(card_of(welcome))[0] == "Welcome, Sam Okafor"
    [due] = await demo_teams.say("aad-visitor", "due")
    assert texts(card_of(due))[0] == "What is due, Sam Okafor"


async def test_in_the_demo_switch_lets_the_same_person_try_it_as_someone_else(demo_teams: Teams) -> None:
    [offer] = await demo_teams.say("aad-visitor", "hello")
    assert "Type switch at any time to try it as someone else." in texts(card_of(offer))[1]
    await demo_teams.say("aad-visitor", value=card_of(offer)["actions"][1]["data"])
    [again] = await demo_teams.say("aad-visitor", "Switch")
    assert texts(card_of(again))[1] == "This is the demo. Choose who to try it as next."
    [welcome] = await demo_teams.say("aad-visitor", value=card_of(again)["actions"][0]["data"])
    assert texts(card_of(welcome))[0] == "Welcome, Priya Shah"
    [due] = await demo_teams.say("aad-visitor", "due")
    assert texts(card_of(due))[0] == "What is due, Priya Shah"


async def test_outside_the_demo_switch_is_not_understood_and_trying_as_someone_else_is_refused(teams: Teams) -> None:
    [reply] = await teams.say("aad-p1", "switch")
    assert texts(card_of(reply))[0] == "Sorry, I did not understand that. Here is what I can do."
    [refused] = await teams.say("aad-p1", value={"action": "demo.try_as", "staff": "s1"})
    assert refused["text"] == "Trying the companion as someone else is only possible in the demo."


async def test_trying_as_someone_is_refused_outside_the_demo_and_the_refusal_is_audited(
    teams: Teams, database_url: str
) -> None:
    [reply] = await teams.say("aad-visitor", value={"action": "demo.try_as", "staff": "s1"})
    assert reply["text"] == "Trying the companion as someone else is only possible in the demo."
    engine = create_engine_for(database_url)
    with session_factory(engine)() as session:
        refused = [(a.action, a.target_id, a.outcome) for a in session.scalars(select(AuditRow))]
    engine.dispose()
    assert refused == [("try as", "s1", "refused")]


async def test_the_conversation_is_remembered_for_messages_later(teams: Teams, database_url: str) -> None:
    await teams.say("aad-p1", "help")
    engine = create_engine_for(database_url)
    with session_factory(engine)() as session:
        row = session.scalars(select(StaffRow).where(StaffRow.id == "p1")).one()
        assert (row.service_url, row.conversation_id, row.tenant_id) == (
            teams.connector_url,
            "conv-aad-p1",
            "tenant-1",
        )
        audit = session.scalars(select(AuditRow)).all()
    engine.dispose()
    assert audit == []  # help reads no records
    await teams.say("aad-p1", "due")
    engine = create_engine_for(database_url)
    with session_factory(engine)() as session:
        assert [(a.actor, a.action) for a in session.scalars(select(AuditRow))] == [("p1", "list due")]
    engine.dispose()


async def test_health_answers_only_when_the_database_is_reachable(teams: Teams) -> None:
    async with teams.http.get(f"{teams.bot_url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


# --- malformed traffic --------------------------------------------------------------------------


async def test_malformed_traffic_gets_a_clear_4xx_and_never_a_500(teams: Teams) -> None:
    cases: list[tuple[Any, str, int]] = [
        ("{not json", "application/json", 400),
        ({"type": "message"}, "application/json", 400),
        ([1, 2, 3], "application/json", 400),
        ("hello", "text/plain", 415),
        ({**teams.activity("aad-p1", text="due"), "from": None}, "application/json", 400),
        ({**teams.activity("aad-p1", text="due"), "conversation": "conv"}, "application/json", 400),
        ({**teams.activity("aad-p1", text="due"), "serviceUrl": "ftp://x"}, "application/json", 400),
        ({**teams.activity("aad-p1"), "text": 42}, "application/json", 400),
        ({**teams.activity("aad-p1"), "type": ""}, "application/json", 400),
    ]
    for body, content_type, status in cases:
        response = await teams.post(body, content_type=content_type)
        assert response.status == status, body


async def test_an_oversized_request_is_refused_without_a_500(teams: Teams) -> None:
    response = await teams.post(teams.activity("aad-p1", text="x" * 300_000))
    assert response.status == 413


async def test_a_100_kb_message_gets_a_polite_reply(teams: Teams) -> None:
    [reply] = await teams.say("aad-p1", "x" * 100_000)
    assert reply["text"].startswith("That message is longer than I can read")


async def test_a_message_without_a_teams_identity_is_told_it_is_not_set_up(teams: Teams) -> None:
    [reply] = await teams.say(None, "due")
    assert texts(card_of(reply))[0] == "You are not set up yet"


async def test_a_card_press_with_values_of_the_wrong_type_gets_help(teams: Teams) -> None:
    [reply] = await teams.say("aad-p1", value={"action": 7})
    assert texts(card_of(reply))[0].startswith("Sorry, I did not understand that.")


async def test_health_says_so_when_the_database_cannot_be_reached(tmp_path: Any) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.app import create_app
    from bot.config import Settings

    app = create_app(Settings(database_url="postgresql+psycopg://postgres@127.0.0.1:9/nowhere"))
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/healthz")
        assert response.status == 503
        assert await response.json() == {"status": "the database cannot be reached"}


async def test_when_teams_cannot_be_reached_the_bot_says_so_with_a_502_not_a_500(teams: Teams) -> None:
    activity = teams.activity("aad-p1", text="help")
    activity["serviceUrl"] = "http://127.0.0.1:9"  # nothing listens there
    response = await teams.post(activity)
    assert response.status == 502


async def test_an_invoke_the_bot_does_not_handle_is_answered_not_implemented_as_the_sdk_answers_it(
    teams: Teams,
) -> None:
    invoke = teams.activity("aad-p1", type="invoke", name="companion/unknown", value={"anything": 1})
    async with teams.http.post(f"{teams.bot_url}/api/messages", json=invoke) as response:
        assert (response.status, await response.text()) == (501, "null")
    assert teams.connector.to("conv-aad-p1") == []


async def test_a_bot_with_an_app_id_refuses_an_unsigned_activity_with_a_401(sqlite_url: str) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.app import create_app
    from bot.config import Settings

    app = create_app(Settings(database_url=sqlite_url, app_id="app-1", app_password="secret"))
    activity = {
        "type": "message",
        "text": "help",
        "channelId": "msteams",
        "serviceUrl": "http://127.0.0.1:9",
        "from": {"id": "29:someone", "aadObjectId": "aad-p1"},
        "conversation": {"id": "conv-1"},
    }
    async with TestClient(TestServer(app)) as client:
        response = await client.post("/api/messages", json=activity)
        assert response.status == 401
