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

The SDK's clients send with `requests`, each request in a worker thread of the event loop's
default pool (six threads on two cores). Every reply then crossed from the loop to a thread and
back, `requests` looked through the whole environment for proxy settings on every message, and no
more than six replies could be on their way at once while the rest of the turns waited. The kept
clients send with aiohttp on the event loop itself (`_OnTheLoop`), with the same headers, the same
signing by the SDK's own credentials, the SDK's timeout, certificate check and proxy settings, and
the SDK's retry policy: a request that could not connect is tried again after the same waits, and
a status is retried only where the policy retries it.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any, NoReturn

import aiohttp
import requests
from aiohttp import web
from aiohttp.helpers import get_env_proxy_for_url
from botbuilder.core import Bot, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
)
from msrest import Deserializer, Serializer
from msrest.exceptions import ClientRequestError
from msrest.pipeline import Request, Response, SansIOHTTPPolicy
from msrest.pipeline.async_abc import AsyncHTTPSender, AsyncPipeline
from msrest.pipeline.universal import RawDeserializer
from msrest.serialization import Model
from msrest.universal_http import ClientRequest
from msrest.universal_http.async_abc import AsyncClientResponse
from multidict import CIMultiDict
from requests.structures import CaseInsensitiveDict
from requests.utils import DEFAULT_CA_BUNDLE_PATH
from urllib3.exceptions import MaxRetryError, NewConnectionError
from urllib3.util.retry import Retry
from yarl import URL

KEPT = 64  # clients kept at most; Teams answers from a handful of regional addresses


class ReusingAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """The SDK's authentication, with its connector and token clients built once and reused."""

    def __init__(self, inner: BotFrameworkAuthentication) -> None:
        super().__init__()
        self.inner = inner
        self._connectors: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
        self._token_clients: OrderedDict[str, Any] = OrderedDict()
        self._http: aiohttp.ClientSession | None = None
        self._closed = False

    def http(self) -> aiohttp.ClientSession:
        """The one aiohttp session every kept client sends through, opened on first use in the running loop. Once
        closed it stays closed: a send still running as the app stops fails, rather than opening connections that
        nothing would close."""
        if self._closed:
            raise RuntimeError("The bot is stopping: its connections to Teams are closed.")
        if self._http is None:
            self._http = aiohttp.ClientSession()
        return self._http

    async def close(self) -> None:
        """Close the connections the kept clients opened (when the app stops)."""
        self._closed = True
        if self._http is not None:
            await self._http.close()

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
            client.config.pipeline = _pipeline_on_the_loop(self.owner, client.config)
            _keep(self.owner._connectors, key, client)
        return client


def _pipeline_on_the_loop(owner: ReusingAuthentication, config: Any) -> AsyncPipeline[ClientRequest, _Answer]:
    """The SDK's pipeline for a connector client (user agent, signing, reading the answer, logging), with the
    request sent by aiohttp on the event loop instead of by requests in a worker thread."""
    policies = [config.user_agent_policy, _Signed(config.credentials), RawDeserializer(), config.http_logger_policy]
    return AsyncPipeline(policies, _OnTheLoop(owner, config))


class _Signed(SansIOHTTPPolicy[ClientRequest, AsyncClientResponse]):
    """Signs each request exactly as the SDK's credentials sign a requests session: they set (or, for an
    anonymous bot, remove) its Authorization header, which is then copied onto the request."""

    def __init__(self, credentials: Any) -> None:
        self.credentials = credentials

    def on_request(self, request: Request[ClientRequest], **kwargs: Any) -> None:
        signed = _Headers()  # a connector client always has credentials: its configuration refuses to be without
        self.credentials.signed_session(signed)
        headers = request.http_request.headers
        if "Authorization" in signed.headers:
            headers["Authorization"] = signed.headers["Authorization"]
        else:
            headers.pop("Authorization", None)


class _Headers:
    """The one part of a requests session that the SDK's credentials touch."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}


class _Answer(AsyncClientResponse):
    """What came back, read whole, as msrest reads a response. The SDK's errors hand code that catches them the
    response underneath (`error.response`): as before, that is a `requests.Response`, built when first asked for."""

    def __init__(self, request: ClientRequest, status: int, reason: str | None, headers: Any, body: bytes) -> None:
        self._body = body
        self._requests_response: requests.Response | None = None
        super().__init__(request, None)
        self.status_code, self.reason = status, reason
        self.headers: CIMultiDict[str] = CIMultiDict(headers)
        self.status = status  # read by urllib3's retry policy, with get_redirect_location

    def get_redirect_location(self) -> bool:
        return False  # redirects were followed already

    @property
    def internal_response(self) -> requests.Response:
        if self._requests_response is None:
            answer = requests.Response()
            answer.status_code, answer.reason, answer._content = self.status, self.reason or "", self._body
            answer.headers = CaseInsensitiveDict({key: ", ".join(self.headers.getall(key)) for key in self.headers})
            answer.url = self.request.url
            self._requests_response = answer
        return self._requests_response

    @internal_response.setter
    def internal_response(self, _: Any) -> None:
        return None

    def body(self) -> bytes:
        return self._body

    def raise_for_status(self) -> None:
        self.internal_response.raise_for_status()

    async def stream_download(self, chunk_size: int | None = None, callback: Any = None) -> AsyncIterator[bytes]:
        size = chunk_size or 4096
        for start in range(0, len(self._body), size):
            chunk = self._body[start : start + size]
            if callback:
                callback(chunk, self.internal_response)
            yield chunk


class _OnTheLoop(AsyncHTTPSender):  # type: ignore[type-arg]
    """Sends a kept client's requests with aiohttp on the event loop, under the client's own settings."""

    def __init__(self, owner: ReusingAuthentication, config: Any) -> None:
        self.owner = owner
        connection = config.connection
        self.timeout = aiohttp.ClientTimeout(total=None, sock_connect=connection.timeout, sock_read=connection.timeout)
        self.ssl = _ssl_for(connection.verify, connection.cert)
        self.proxy = _proxy_for(config)
        self.retries: Retry = config.retry_policy()
        self.redirects = int(config.redirect_policy()) if config.redirect_policy else 0

    async def __aenter__(self) -> _OnTheLoop:
        return self

    async def __aexit__(self, *exc_details: Any) -> None:
        return None  # the session is the owner's, closed with the app

    def build_context(self) -> None:
        return None

    async def send(self, request: Request[ClientRequest], **kwargs: Any) -> Response[ClientRequest, _Answer]:
        http = request.http_request
        method, url = http.method, http.url
        retries = self.retries
        while True:
            try:
                response = await self._exchange(http)
            except aiohttp.ClientConnectorError as error:  # nothing reached the other end: safe to try again
                refused = NewConnectionError(None, str(error))  # type: ignore[arg-type]  # as urllib3 would have raised
                try:
                    retries = retries.increment(method, url, error=refused)
                except MaxRetryError:
                    _failed(error)
                await asyncio.sleep(retries.get_backoff_time())
                continue
            except (TimeoutError, aiohttp.ClientError) as error:  # it may have reached Teams: not sent again
                _failed(error)
            if not retries.is_retry(method, response.status, "Retry-After" in response.headers):
                return Response(request, response)
            try:
                retries = retries.increment(method, url, response=response)  # type: ignore[arg-type]
            except MaxRetryError:
                return Response(request, response)
            waited = retries.get_retry_after(response) if retries.respect_retry_after_header else None  # type: ignore[arg-type]
            await asyncio.sleep(retries.get_backoff_time() if waited is None else waited)

    async def _exchange(self, http: ClientRequest) -> _Answer:
        """One request sent and its whole answer read."""
        answer = await self.owner.http().request(
            http.method,
            http.url,
            data=http.data,
            headers=http.headers,
            timeout=self.timeout,
            ssl=self.ssl,
            proxy=self.proxy[0],
            proxy_auth=self.proxy[1],
            allow_redirects=self.redirects > 0,
            max_redirects=max(self.redirects, 1),
        )
        async with answer:
            return _Answer(http, answer.status, answer.reason, answer.headers, await answer.read())


def _failed(error: BaseException) -> NoReturn:
    """Fail as the SDK's own sender fails when a request goes wrong on the way: with msrest's ClientRequestError
    (naming what went wrong), so that what sends through a kept client, and what catches its errors, sees the
    same failures it always saw."""
    raise ClientRequestError(f"Error occurred in request., {type(error).__name__}: {error}", error) from error


def _proxy_for(config: Any) -> tuple[str | URL | None, aiohttp.BasicAuth | None]:
    """The proxy for the client's one address, as requests would choose it: one the client is configured with,
    else, if the client may read the environment, HTTPS_PROXY or HTTP_PROXY unless NO_PROXY names the address.
    Read once for the client, not (as requests did) by scanning the whole environment for every message."""
    address = URL(config.base_url)
    configured = config.proxies()
    if configured:
        return configured.get(address.scheme), None
    if not config.proxies.use_env_settings:
        return None, None
    try:
        return get_env_proxy_for_url(address)
    except LookupError:
        return None, None


def _ssl_for(verify: Any, cert: Any) -> ssl.SSLContext | bool:
    """The certificate check requests would make: against the bundle `verify` names, else the one named by
    REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, else requests' own; none at all if `verify` is False."""
    if verify is False:
        return False
    if not isinstance(verify, str):
        verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or DEFAULT_CA_BUNDLE_PATH
    context = ssl.create_default_context(**({"capath": verify} if os.path.isdir(verify) else {"cafile": verify}))
    if cert:
        context.load_cert_chain(*((cert,) if isinstance(cert, str) else cert))
    return context


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


# -- reading an incoming activity ---------------------------------------------------------------------------


class _Unusual(Exception):
    """A value of a type the quick reader does not convert as msrest would: msrest reads the whole activity."""


def read_activity(body: dict[str, Any]) -> Activity:
    """The activity in a request's JSON body, exactly as the SDK's `Activity().deserialize(body)` reads it.

    msrest's deserializer copies each attribute's description, runs its key extractors and dispatches on the
    type's name for every one of an activity's forty-odd attributes and those of every account and entity in
    it: a tenth of a turn. Teams sends plain JSON of the types the Bot Framework's models declare, so each key
    is read straight into its model here, and anything else msrest would convert or refuse (a number where text
    is declared, a date it cannot read) is left to msrest itself, for the whole activity."""
    try:
        activity = _read(Activity, body)
    except _Unusual:
        return Activity().deserialize(body)
    assert isinstance(activity, Activity)
    return activity


def _read(model: type[Model], data: Any) -> Model:
    if type(data) is not dict:
        raise _Unusual
    attributes, known = _shape(model)
    found: dict[str, Any] = {}
    for name, key, kind, inner in attributes:
        value = data.get(key)
        if value is not None:
            value = _value(value, kind, inner)
        found[name] = value
    read = model(**found)
    if not known.issuperset(data):
        read.additional_properties = {key: value for key, value in data.items() if key not in known}
    return read


def _value(value: Any, kind: str, inner: Any) -> Any:
    if kind in _BASIC:
        if type(value) is not inner:
            raise _Unusual
        return value
    if kind == "object":
        return value
    if kind == "model":
        return _read(inner, value)
    if kind == "list":
        if type(value) is not list:
            raise _Unusual
        return [None if item is None else _value(item, *inner) for item in value]
    if kind == "iso-8601":
        if type(value) is not str:
            raise _Unusual
        try:
            return Deserializer.deserialize_iso(value)  # type: ignore[no-untyped-call]  # msrest's own reading
        except Exception:  # msrest reads it again, and refuses it as it always did
            raise _Unusual from None
    raise _Unusual  # a dict of models, or a type no Bot Framework model declares today


_SHAPES: dict[type[Model], tuple[list[tuple[str, str, str, Any]], frozenset[str]]] = {}
_BASIC = {"str": str, "bool": bool, "int": int}


def _shape(model: type[Model]) -> tuple[list[tuple[str, str, str, Any]], frozenset[str]]:
    """Each attribute of a model as (name, JSON key, kind, what is inside), and the JSON keys it knows."""
    shape = _SHAPES.get(model)
    if shape is None:
        dependencies = Activity._infer_class_models()
        attributes = [
            (name, desc["key"], *_kind(desc["type"], dependencies)) for name, desc in model._attribute_map.items()
        ]
        if (
            any(not key or "." in key or "\\" in key for _, key, _, _ in attributes)
            or getattr(model, "_subtype_map", None)
            or getattr(model, "_validation", None)
        ):
            raise _Unusual
        shape = _SHAPES[model] = (attributes, frozenset(key for _, key, _, _ in attributes))
    return shape


def _kind(declared: str, dependencies: dict[str, Any]) -> tuple[str, Any]:
    if declared in _BASIC:
        return declared, _BASIC[declared]
    if declared in {"object", "iso-8601"}:
        return declared, None
    if declared.startswith("[") and declared.endswith("]"):
        return "list", _kind(declared[1:-1], dependencies)
    if declared in dependencies:
        return "model", dependencies[declared]
    return "other", None


async def process(adapter: CloudAdapter, request: web.Request, body: dict[str, Any], bot: Bot) -> web.Response:
    """What the SDK's `CloudAdapter.process` does with a POSTed activity, from the body the app has already read
    as JSON (the SDK would parse the body again, then read it with msrest)."""
    activity = read_activity(body)
    if not activity.type:
        raise web.HTTPBadRequest
    try:
        invoked = await adapter.process_activity(request.headers.get("Authorization", ""), activity, bot.on_turn)
    except PermissionError:
        raise web.HTTPUnauthorized from None
    if invoked:
        return web.json_response(data=serializer_helper(invoked.body), status=invoked.status)
    return web.Response(status=201)
