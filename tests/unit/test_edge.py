"""The edge's reuse of the Bot Framework's clients: built once per app, address and audience, and cards
serialized exactly as the SDK's own serializer would, without walking them."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime as dt
import socket
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from aiohttp import web
from aiohttp.test_utils import TestServer
from botbuilder.core import MessageFactory
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, Attachment, ChannelAccount
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
    MicrosoftAppCredentials,
)
from botframework.connector.models import ErrorResponseException
from hypothesis import given, settings
from hypothesis import strategies as st
from msrest.exceptions import ClientRequestError, SerializationError

from bot.cards import attachment
from bot.edge import CardsAsTheyAre, ReusingAuthentication, _ReusingFactory, read_activity
from bot.gallery import gallery


def authentication() -> ReusingAuthentication:
    settings = SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID="")
    return ReusingAuthentication(ConfigurationBotFrameworkAuthentication(settings))


def claims(app_id: str | None = None) -> ClaimsIdentity:
    return ClaimsIdentity({AuthenticationConstants.AUDIENCE_CLAIM: app_id} if app_id else {}, True)


async def test_one_connector_client_per_address_and_audience_however_many_turns() -> None:
    reusing = authentication()
    first = await reusing.create_connector_factory(claims()).create("http://teams.test/", None)
    again = await reusing.create_connector_factory(claims()).create("http://teams.test/", None)
    elsewhere = await reusing.create_connector_factory(claims()).create("http://elsewhere.test/", None)
    other_audience = await reusing.create_connector_factory(claims()).create("http://teams.test/", "other")
    assert again is first
    assert elsewhere is not first and other_audience is not first
    assert first.config.base_url == "http://teams.test/" and elsewhere.config.base_url == "http://elsewhere.test/"


async def test_clients_for_one_app_are_never_handed_to_another() -> None:
    reusing = authentication()
    mine = await reusing.create_connector_factory(claims("app-1")).create("http://teams.test/", None)
    theirs = await reusing.create_connector_factory(claims("app-2")).create("http://teams.test/", None)
    assert mine is not theirs
    assert await reusing.create_user_token_client(claims("app-1")) is await reusing.create_user_token_client(
        claims("app-1")
    )
    assert await reusing.create_user_token_client(claims("app-1")) is not await reusing.create_user_token_client(
        claims("app-2")
    )


async def test_an_incoming_activity_is_answered_through_the_kept_client() -> None:
    reusing = authentication()
    activity = Activity(type="message", channel_id="msteams", service_url="http://teams.test/")
    results = [await reusing.authenticate_request(activity, "") for _ in range(3)]
    clients = [await r.connector_factory.create(activity.service_url, r.audience) for r in results]
    assert clients[0] is clients[1] is clients[2]
    assert isinstance(clients[0].conversations._serialize, CardsAsTheyAre)


async def test_the_kept_client_skips_only_a_check_that_can_find_nothing() -> None:
    client = await authentication().create_connector_factory(claims()).create("http://teams.test/", None)
    serializer = client.conversations._serialize
    assert serializer.client_side_validation is False
    # msrest's check looks for each model's constraints: safe to skip only while no Bot Framework model has one.
    assert [name for name, model in serializer.dependencies.items() if getattr(model, "_validation", None)] == []
    with pytest.raises(ValueError, match="No value"):  # an address with a part missing still fails
        serializer.url("conversation_id", None, "str")


@pytest.fixture
def serializers() -> tuple[object, CardsAsTheyAre]:
    stock = ConnectorClient(MicrosoftAppCredentials("", ""), base_url="http://teams.test/").conversations._serialize
    return stock, CardsAsTheyAre(stock.dependencies)


@pytest.mark.parametrize("name", sorted(gallery()))
def test_every_card_goes_out_exactly_as_the_sdk_would_send_it(name: str, serializers: tuple) -> None:
    stock, fast = serializers
    card = gallery()[name]
    for build in (
        lambda: MessageFactory.attachment(attachment(copy.deepcopy(card))),
        lambda: MessageFactory.attachment(Attachment(content_type="application/vnd.microsoft.card.adaptive",
                                                     content=copy.deepcopy(card))),
    ):  # fmt: skip
        activity = build()
        activity.conversation = None
        sent = fast.body(activity, "Activity")
        assert sent == stock.body(build(), "Activity")
        assert sent["attachments"][0]["content"] == card
        attached = activity.attachments[0]
        assert (attached["content"] if isinstance(attached, dict) else attached.content) == card  # put back


def test_content_that_is_not_plain_json_is_refused_as_the_sdk_refuses_it(serializers: tuple) -> None:
    stock, fast = serializers
    odd = {"type": "AdaptiveCard", "when": dt.datetime(2026, 11, 25, 10, 30, tzinfo=dt.UTC)}
    for serializer in (stock, fast):
        with pytest.raises(SerializationError, match="datetime"):
            serializer.body(MessageFactory.attachment(attachment(odd)), "Activity")


def test_text_messages_are_untouched(serializers: tuple) -> None:
    stock, fast = serializers
    assert fast.body(MessageFactory.text("Draft saved."), "Activity") == stock.body(
        MessageFactory.text("Draft saved."), "Activity"
    )


# -- sending: the kept clients send with aiohttp on the event loop, as the SDK's own clients send with requests --


class Token(MicrosoftAppCredentials):  # type: ignore[misc]
    """The SDK's credentials for an app, with the token it would fetch from Microsoft's sign-in already in hand."""

    def get_access_token(self, force_refresh: bool = False) -> str:
        return "a-token"


class TeamsStandIn:
    """The connector's reply and update endpoints on loopback, recording each request; answers `statuses` first."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, str], object]] = []
        self.statuses: list[int] = []
        self.app = web.Application()
        self.app.router.add_route("*", "/v3/conversations/{conversation}/activities/{activity}", self.answer)

    async def answer(self, request: web.Request) -> web.Response:
        self.seen.append((request.method, request.path_qs, dict(request.headers), await request.json()))
        if self.statuses:
            status = self.statuses.pop(0)
            return web.json_response({"error": {"code": "Busy"}}, status=status, headers={"Retry-After": "0"})
        return web.json_response({"id": "sent-1"})


@pytest.fixture
async def teams() -> AsyncIterator[tuple[TeamsStandIn, str]]:
    stand_in = TeamsStandIn()
    server = TestServer(stand_in.app, host="127.0.0.1")
    await server.start_server()
    yield stand_in, str(server.make_url("/"))
    await server.close()


class Built(ConnectorFactory):  # type: ignore[misc]
    """The SDK's connector client for these credentials, as its own factory builds it, with `adjust` applied."""

    def __init__(self, credentials: MicrosoftAppCredentials, adjust: Any = None) -> None:
        self.credentials, self.adjust = credentials, adjust

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        client = ConnectorClient(self.credentials, base_url=service_url)
        client.config.add_user_agent("Microsoft-BotFramework/3.1 (BotBuilder Python)")
        if self.adjust:
            self.adjust(client.config)
        return client


@pytest.fixture
async def reusing() -> AsyncIterator[ReusingAuthentication]:
    """Our authentication, its connections closed afterwards."""
    kept = authentication()
    yield kept
    await kept.close()


async def both(reusing: ReusingAuthentication, credentials: Any, url: str, adjust: Any = None) -> tuple[Any, Any]:
    """The SDK's own client and our kept one, for the same credentials and address."""
    kept = await _ReusingFactory(reusing, Built(credentials, adjust), "").create(url)
    return await Built(credentials, adjust).create(url), kept


def card_reply() -> Activity:
    reply = MessageFactory.attachment(attachment(gallery()["form-case_discussion-editing-step2-filled"]))
    reply.conversation, reply.from_property, reply.recipient = None, None, None
    return reply


class CountingThreads(ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.used = 0

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        self.used += 1
        return super().submit(*args, **kwargs)


@pytest.mark.parametrize(
    "credentials", [Token("app-1", "secret"), MicrosoftAppCredentials("", "")], ids=["signed", "anonymous"]
)
async def test_a_reply_reaches_teams_exactly_as_the_sdks_own_client_sends_it_but_from_the_event_loop(
    teams: tuple[TeamsStandIn, str], reusing: ReusingAuthentication, credentials: MicrosoftAppCredentials
) -> None:
    stand_in, url = teams
    stock, kept = await both(reusing, credentials, url)
    threads = CountingThreads()
    asyncio.get_running_loop().set_default_executor(threads)
    answers = []
    for client in (stock, kept):
        before = threads.used
        answers.append(await client.conversations.reply_to_activity("conv-1", "in-1", card_reply()))
        sent_by_threads = threads.used - before
    assert sent_by_threads == 0 and threads.used > 0  # the SDK's client sends from a worker thread; ours does not
    assert [answer.id for answer in answers] == ["sent-1", "sent-1"]
    (stock_method, stock_path, stock_headers, stock_body), (method, path, headers, body) = stand_in.seen
    assert (method, path, body) == (stock_method, stock_path, stock_body)
    assert body["attachments"][0]["content"] == gallery()["form-case_discussion-editing-step2-filled"]
    for header in ("Authorization", "Content-Type", "User-Agent", "Accept"):
        assert headers.get(header) == stock_headers.get(header), header
    assert headers.get("Authorization") == ("Bearer a-token" if credentials.microsoft_app_id else None)


async def test_a_refusal_reaches_the_caller_as_the_sdks_own_client_raises_it(
    teams: tuple[TeamsStandIn, str], reusing: ReusingAuthentication
) -> None:
    stand_in, url = teams
    stock, kept = await both(reusing, Token("app-1", "secret"), url)
    refusals = []
    for client in (stock, kept):
        stand_in.statuses = [429]
        with pytest.raises(ErrorResponseException) as refused:
            await client.conversations.reply_to_activity("conv-1", "in-1", card_reply())
        refusals.append(refused.value)
    stock_refusal, refusal = refusals
    assert isinstance(refusal.response, requests.Response)  # what the deliverer reads its status and wait from
    assert (refusal.response.status_code, refusal.response.headers["retry-after"]) == (429, "0")
    assert (stock_refusal.response.status_code, stock_refusal.response.headers["Retry-After"]) == (429, "0")
    assert str(refusal) == str(stock_refusal)


@pytest.mark.parametrize("which", ["stock", "kept"])
async def test_a_busy_teams_is_asked_again_only_where_the_sdks_retry_policy_says(
    teams: tuple[TeamsStandIn, str], reusing: ReusingAuthentication, which: str
) -> None:
    stand_in, url = teams
    stock, kept = await both(reusing, Token("app-1", "secret"), url)
    client = stock if which == "stock" else kept
    stand_in.statuses = [503]  # an update may be sent twice: it is tried again, and arrives
    update = card_reply()
    update.id = "out-1"
    assert (await client.conversations.update_activity("conv-1", "out-1", update)).id == "sent-1"
    assert [method for method, *_ in stand_in.seen] == ["PUT", "PUT"]
    stand_in.statuses = [503]  # a new message is never sent twice
    with pytest.raises(ErrorResponseException):
        await client.conversations.reply_to_activity("conv-1", "in-1", card_reply())
    assert [method for method, *_ in stand_in.seen] == ["PUT", "PUT", "POST"]


async def test_a_reply_that_could_not_connect_is_tried_again_after_the_sdks_waits(
    reusing: ReusingAuthentication,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    stand_in = TeamsStandIn()

    def quicker(config: Any) -> None:
        config.retry_policy.backoff_factor = 0.5  # waits of 0, 1 and 2 seconds before the second, third and fourth try

    _, kept = await both(reusing, Token("app-1", "secret"), url, quicker)

    async def teams_comes_up() -> TestServer:
        await asyncio.sleep(0.3)
        server = TestServer(stand_in.app, host="127.0.0.1", port=port)
        await server.start_server()
        return server

    starting = asyncio.create_task(teams_comes_up())
    try:
        answer = await kept.conversations.reply_to_activity("conv-1", "in-1", card_reply())
    finally:
        await (await starting).close()
    assert answer.id == "sent-1" and len(stand_in.seen) == 1


@contextlib.asynccontextmanager
async def dropping() -> AsyncIterator[str]:
    """An address that takes each request and closes the connection without answering, as a failing link does
    after the message may already have reached Teams."""
    seen: list[bytes] = []

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.read(1024))
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.close()
        await server.wait_closed()
    assert seen  # the request did get there


def closed_address() -> str:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/"


@pytest.mark.parametrize("where", ["nothing listening", "hung up on"])
async def test_a_request_that_fails_on_the_way_fails_as_the_sdks_own_client_fails_it(
    reusing: ReusingAuthentication, where: str
) -> None:
    def once(config: Any) -> None:
        config.retry_policy.retries = 0

    failures = []
    for which in ("stock", "kept"):
        async with contextlib.AsyncExitStack() as stack:
            url = closed_address() if where == "nothing listening" else await stack.enter_async_context(dropping())
            stock, kept = await both(reusing, Token("app-1", "secret"), url, once)
            client = stock if which == "stock" else kept
            with pytest.raises(Exception) as failed:
                await client.conversations.reply_to_activity("conv-1", "in-1", card_reply())
            failures.append(failed.value)
    stock_failure, kept_failure = failures
    assert type(kept_failure) is type(stock_failure) is ClientRequestError  # what the deliverer and others catch
    assert str(kept_failure).startswith("Error occurred in request., ")


async def test_once_closed_the_kept_clients_open_no_new_connections(teams: tuple[TeamsStandIn, str]) -> None:
    stand_in, url = teams
    closing = authentication()
    _, kept = await both(closing, Token("app-1", "secret"), url)
    await kept.conversations.reply_to_activity("conv-1", "in-1", card_reply())
    await closing.close()
    with pytest.raises(RuntimeError, match="stopping"):
        await kept.conversations.reply_to_activity("conv-1", "in-1", card_reply())
    assert closing._http is not None and closing._http.closed  # the one session, still closed
    assert len(stand_in.seen) == 1


@pytest.mark.parametrize("bypass", [False, True], ids=["through the proxy", "NO_PROXY"])
@pytest.mark.parametrize("which", ["stock", "kept"])
async def test_a_proxy_in_the_environment_is_used_as_the_sdks_own_client_uses_it(
    teams: tuple[TeamsStandIn, str],
    reusing: ReusingAuthentication,
    monkeypatch: pytest.MonkeyPatch,
    which: str,
    bypass: bool,
) -> None:
    stand_in, proxy = teams
    monkeypatch.setenv("HTTP_PROXY", proxy)
    if bypass:
        monkeypatch.setenv("NO_PROXY", "teams.invalid")

    def once(config: Any) -> None:
        config.retry_policy.retries = 0

    stock, kept = await both(reusing, Token("app-1", "secret"), "http://teams.invalid/", once)
    client = stock if which == "stock" else kept
    if bypass:
        with pytest.raises(Exception, match=r"teams\.invalid"):
            await client.conversations.reply_to_activity("conv-1", "in-1", card_reply())
    else:
        await client.conversations.reply_to_activity("conv-1", "in-1", card_reply())
    assert [path for _, path, *_ in stand_in.seen] == ([] if bypass else ["/v3/conversations/conv-1/activities/in-1"])


# -- reading: an incoming activity is read into the same models msrest reads it into --------------------------

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SENDER = {"id": "29:1GcS4EyB_oSI8A88XmWBN7NJFyMqe3QGnJdgLfFGkJnVelzRGos", "name": "Priya Shah", "aadObjectId": "aad-p1"}
COMPANION = {"id": "28:3a9c6f42-1d5e-4a8b-9f0e-8c7d6b5a4e3f", "name": "Supervision companion"}
CHAT = {"conversationType": "personal", "tenantId": TENANT, "id": "a:1Tz8Hq4nWk0UyXGQfVqV1kVb6b1m4rJ"}
CLIENT = {"locale": "en-GB", "country": "GB", "platform": "Web", "timezone": "Europe/London", "type": "clientInfo"}


def from_teams(**fields: Any) -> dict[str, Any]:
    """An activity as Teams posts it to a bot in a personal chat."""
    return {
        "type": "message",
        "timestamp": "2026-11-25T10:30:12.3456789Z",
        "localTimestamp": "2026-11-25T10:30:12.3456789+00:00",
        "id": "1764066612345",
        "channelId": "msteams",
        "serviceUrl": "https://smba.trafficmanager.net/uk/",
        "from": SENDER,
        "conversation": CHAT,
        "recipient": COMPANION,
        "entities": [CLIENT],
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-GB",
        "localTimezone": "Europe/London",
        **fields,
    }


TEAMS_ACTIVITIES = {
    "a typed message": from_teams(text="due", textFormat="plain"),
    "a card's button": from_teams(
        replyToId="1764066600001",
        value={"action": "form.next", "form": "case_discussion", "thread": "t1", "step": 1, "version": 2,
               "discussion": "The plan is working.", "review": None, "actions.0.by": "2026-12-02"},
        channelData={"tenant": {"id": TENANT}, "source": {"name": "message"}, "legacy": {"replyToId": "1:abc"}},
    ),
    "a message with a mention and html": from_teams(
        text="<at>Supervision companion</at> help",
        textFormat="plain",
        attachments=[{"contentType": "text/html", "content": "<div><at>Supervision companion</at> help</div>"}],
        entities=[{"type": "mention", "text": "<at>Supervision companion</at>", "mentioned": COMPANION}, CLIENT],
    ),
    "the bot added": from_teams(
        type="conversationUpdate",
        membersAdded=[COMPANION],
        channelData={"tenant": {"id": TENANT}, "eventType": "teamMemberAdded"},
        entities=None,
    ),
    "an install": from_teams(type="installationUpdate", action="add", entities=None),
    "an invoke": from_teams(
        type="invoke", name="adaptiveCard/action", value={"action": {"type": "Action.Execute", "verb": "due"}}
    ),
    "a reaction": from_teams(type="messageReaction", reactionsAdded=[{"type": "like"}], replyToId="1764066600001"),
    "every kind of field": from_teams(
        text="yes",
        speak="yes",
        inputHint="acceptingInput",
        suggestedActions={"to": ["29:x"], "actions": [{"type": "imBack", "title": "Yes", "value": "yes"}]},
        relatesTo={"activityId": "1", "user": SENDER, "bot": COMPANION, "conversation": CHAT,
                   "channelId": "msteams", "serviceUrl": "https://smba.trafficmanager.net/uk/"},
        textHighlights=[{"text": "yes", "occurrence": 1}],
        expiration="2026-11-26T10:30:00Z",
        importance="normal",
        deliveryMode="normal",
        listenFor=["yes", "no"],
        membersRemoved=[SENDER],
        historyDisclosed=False,
        semanticAction={"id": "s1", "state": "start", "entities": {"e": {"type": "x"}}},
        unknownToTheSdk={"kept": True},
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(TEAMS_ACTIVITIES))
def test_an_activity_from_teams_is_read_into_the_very_models_msrest_reads_it_into(name: str) -> None:
    body = copy.deepcopy(TEAMS_ACTIVITIES[name])
    stock = Activity().deserialize(copy.deepcopy(body))
    read = read_activity(body)
    assert read == stock  # every attribute of every model, additional properties included
    assert read.serialize() == stock.serialize()
    assert read.as_dict() == stock.as_dict()
    assert type(read.from_property) is ChannelAccount and read.timestamp == stock.timestamp


@pytest.mark.parametrize("name", sorted(set(TEAMS_ACTIVITIES) - {"every kind of field"}))
def test_what_teams_sends_is_read_without_msrest(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = Activity().deserialize(copy.deepcopy(TEAMS_ACTIVITIES[name]))

    def not_msrest(*args: Any) -> None:
        raise AssertionError("msrest was asked to read it")

    monkeypatch.setattr(Activity, "deserialize", not_msrest)
    assert read_activity(copy.deepcopy(TEAMS_ACTIVITIES[name])) == expected


DATES = ["2026-11-25T10:30:12.3456789Z", "2026-11-25", "not a date", "2026-13-45T99:00:00Z"]
NAMES = st.sampled_from(["id", "name", "type", "x"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | st.text(max_size=5)
    | st.sampled_from(DATES),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=3),
    max_leaves=6,
)  # fmt: skip
KEYS = sorted({key for body in TEAMS_ACTIVITIES.values() for key in body} | {"from", "membersAdded", "value"})


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(TEAMS_ACTIVITIES)), changes=st.dictionaries(st.sampled_from(KEYS), JSON, max_size=3))
def test_any_value_in_any_field_is_read_as_msrest_reads_it_or_refused_as_msrest_refuses_it(
    name: str, changes: dict[str, Any]
) -> None:
    body = {**copy.deepcopy(TEAMS_ACTIVITIES[name]), **changes}
    try:
        stock = Activity().deserialize(copy.deepcopy(body))
    except Exception as refusal:
        with pytest.raises(type(refusal)):
            read_activity(copy.deepcopy(body))
        return
    assert read_activity(copy.deepcopy(body)) == stock
