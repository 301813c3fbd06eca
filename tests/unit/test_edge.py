"""The edge's reuse of the Bot Framework's clients: built once per app, address and audience, and cards
serialized exactly as the SDK's own serializer would, without walking them."""

from __future__ import annotations

import copy
import datetime as dt
from types import SimpleNamespace

import pytest
from botbuilder.core import MessageFactory
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, Attachment
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import AuthenticationConstants, ClaimsIdentity, MicrosoftAppCredentials
from msrest.exceptions import SerializationError

from bot.cards import attachment
from bot.edge import CardsAsTheyAre, ReusingAuthentication
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
