"""Building the Bot Framework's HTTP clients once, not once for every message.

The SDK's `CloudAdapter` asks its authentication for a new connector client (to answer through)
and a new user token client for every incoming activity and every message the bot starts. Each
is an msrest client whose set-up (a retry configuration built by a list scan) costs several
milliseconds: most of a stock bot's time. `ReusingAuthentication` wraps the SDK's own
authentication, unchanged, and keeps the clients it builds, one per app id, service address and
audience, so each is built once and its HTTP connections are kept open between messages. Checking
who sent each activity is still done afresh by the SDK every time.

The client's serializer turns every outgoing activity into JSON by first rebuilding it as a model
and then walking every value of it, three times over a card's content, which for a form's card is
a fifth of the bot's work. A card here is already plain JSON built by the bot, so the kept clients
serialize an activity without its cards' content and then put the content back as it is.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
)
from msrest import Serializer

KEPT = 64  # clients kept at most; Teams answers from a handful of regional addresses


class ReusingAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """The SDK's authentication, with its connector and token clients built once and reused."""

    def __init__(self, inner: BotFrameworkAuthentication) -> None:
        super().__init__()
        self.inner = inner
        self._connectors: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
        self._token_clients: OrderedDict[str, Any] = OrderedDict()

    async def authenticate_request(self, activity: Any, auth_header: str) -> Any:
        result = await self.inner.authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = _ReusingFactory(self, result.connector_factory, _app_id(result.claims_identity))
        return result

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> Any:
        return await self.inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _ReusingFactory(self, self.inner.create_connector_factory(claims_identity), _app_id(claims_identity))

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> Any:
        key = _app_id(claims_identity)
        client = _recall(self._token_clients, key)
        if client is None:
            client = await self.inner.create_user_token_client(claims_identity)
            _keep(self._token_clients, key, client)
        return client

    def create_bot_framework_client(self) -> Any:
        return self.inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self.inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self.inner.authenticate_channel_request(auth_header)


class _ReusingFactory(ConnectorFactory):  # type: ignore[misc]
    """A connector factory that hands out the client built before for the same address and audience."""

    def __init__(self, owner: ReusingAuthentication, inner: ConnectorFactory, app_id: str) -> None:
        self.owner = owner
        self.inner = inner
        self.app_id = app_id

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        key = (self.app_id, service_url, audience or "")
        client = _recall(self.owner._connectors, key)
        if client is None:
            client = await self.inner.create(service_url, audience)
            serializer = CardsAsTheyAre(client.conversations._serialize.dependencies)  # type: ignore[no-untyped-call]
            # msrest checks each model's constraints before writing it out; no Bot Framework model has any,
            # so the check finds nothing and cost a fifth of a reply. (Missing address parts still fail.)
            serializer.client_side_validation = False
            client.conversations._serialize = serializer
            _keep(self.owner._connectors, key, client)
        return client


class CardsAsTheyAre(Serializer):
    """msrest's serializer, except that an activity's attachment content (our cards: plain JSON already) is
    passed through as it is instead of being rebuilt and walked value by value."""

    def body(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        attachments = data.attachments if isinstance(data, Activity) and data_type == "Activity" else None
        contents = [_content(attachment) for attachment in attachments or ()]
        if not attachments or not all(_is_json(content) for content in contents):
            return super().body(data, data_type, **kwargs)  # type: ignore[no-untyped-call]
        try:
            for attachment in attachments:
                _set_content(attachment, None)
            serialized = super().body(data, data_type, **kwargs)  # type: ignore[no-untyped-call]
        finally:  # msrest may have swapped the activity's attachments for models of its own: fill in both
            for attachment, content in zip(attachments, contents, strict=True):
                _set_content(attachment, content)
            for attachment, content in zip(data.attachments or (), contents, strict=False):
                _set_content(attachment, content)
        for item, content in zip(serialized.get("attachments") or [], contents, strict=True):
            item["content"] = content
        return serialized


def _content(attachment: Any) -> Any:
    return attachment.get("content") if isinstance(attachment, dict) else getattr(attachment, "content", None)


def _set_content(attachment: Any, content: Any) -> None:
    if isinstance(attachment, dict):
        attachment["content"] = content
    else:
        attachment.content = content


def _is_json(content: Any) -> bool:
    """Whether this is a JSON object as `json` would write it: only dicts, lists, strings, numbers, true,
    false and null (anything else goes through msrest's own serializer, as it always did)."""
    if content is None or isinstance(content, str | bool | int | float):
        return True
    if type(content) is dict:
        return all(type(key) is str and _is_json(value) for key, value in content.items())
    if type(content) is list:
        return all(_is_json(item) for item in content)
    return False


def _app_id(claims_identity: ClaimsIdentity | None) -> str:
    """The bot's own app id, read as the SDK reads it when it builds a client: the audience, else the app id."""
    claims = getattr(claims_identity, "claims", None) or {}
    return str(
        claims.get(AuthenticationConstants.AUDIENCE_CLAIM) or claims.get(AuthenticationConstants.APP_ID_CLAIM) or ""
    )


def _recall(kept: OrderedDict[Any, Any], key: Any) -> Any:
    client = kept.get(key)
    if client is not None:
        kept.move_to_end(key)
    return client


def _keep(kept: OrderedDict[Any, Any], key: Any, client: Any) -> None:
    kept[key] = client
    while len(kept) > KEPT:
        kept.popitem(last=False)
