"""The bot running on a real port against a real database, with a connector stand-in for Teams."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import inspect, select

from bot.app import DELIVERER, create_app
from bot.clock import StoppedClock
from bot.config import Settings
from bot.delivery import Pacing
from bot.demo import demo_world
from bot.storage.db import create_engine_for, session_factory
from bot.storage.repositories import StaffRepository
from bot.storage.world import import_world
from tests.e2e.connector import Connector

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
QUICK = Pacing(per_second=200, per_conversation_gap=0.01, first_wait=0.01, longest_wait=0.1)
TEAMS_IDS = {"p1": "aad-p1", "p2": "aad-p2", "s1": "aad-s1", "m1": "aad-m1"}


@dataclass
class Teams:
    """Sends activities to the bot over HTTP as Teams would, and reads what came back."""

    bot_url: str
    connector_url: str
    connector: Connector
    http: aiohttp.ClientSession
    app: Any = None
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def activity(
        self, teams_id: str | None, *, text: str | None = None, value: Any = None, **extra: Any
    ) -> dict[str, Any]:
        sender: dict[str, Any] = {"id": f"29:{teams_id or 'anonymous'}", "name": "Someone"}
        if teams_id:
            sender["aadObjectId"] = teams_id
        activity: dict[str, Any] = {
            "type": "message",
            "id": f"in-{next(self._ids)}",
            "channelId": "msteams",
            "serviceUrl": self.connector_url,
            "from": sender,
            "recipient": {"id": "28:companion", "name": "Supervision companion"},
            "conversation": {"id": f"conv-{teams_id}", "conversationType": "personal", "tenantId": "tenant-1"},
            "channelData": {"tenant": {"id": "tenant-1"}},
            "locale": "en-GB",
        }
        if text is not None:
            activity["text"] = text
        if value is not None:
            activity["value"] = value
        activity.update(extra)
        return activity

    async def post(self, body: Any, *, content_type: str = "application/json") -> aiohttp.ClientResponse:
        data = body if isinstance(body, str | bytes) else None
        kwargs: dict[str, Any] = {"data": data} if data is not None else {"json": body}
        headers = {"Content-Type": content_type}
        async with self.http.post(f"{self.bot_url}/api/messages", headers=headers, **kwargs) as response:
            await response.read()
            return response

    async def say(self, teams_id: str | None, text: str | None = None, *, value: Any = None) -> list[dict[str, Any]]:
        """Send a message and return what the bot answered in that conversation."""
        before = len(self.connector.to(f"conv-{teams_id}"))
        response = await self.post(self.activity(teams_id, text=text, value=value))
        assert response.status in (200, 201), response.status
        return self.connector.to(f"conv-{teams_id}")[before:]


def card_of(reply: dict[str, Any]) -> dict[str, Any]:
    """The Adaptive Card in a reply."""
    attachments = reply.get("attachments") or []
    assert len(attachments) == 1, reply
    assert attachments[0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    card: dict[str, Any] = attachments[0]["content"]
    return card


def texts(card: dict[str, Any]) -> list[str]:
    """Every piece of text shown on a card, in order."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(node["text"])
            for fact in node.get("facts", []) if isinstance(node.get("facts"), list) else []:
                found.append(f"{fact['title']}: {fact['value']}")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


@dataclass
class Running:
    bot: TestServer
    connector_server: TestServer
    connector: Connector

    async def close(self) -> None:
        await self.bot.close()
        await self.connector_server.close()


def items(card: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The (what, detail, status) of each item in a list card."""
    return [
        tuple(block["text"] for block in element["items"] if block["type"] == "TextBlock")  # type: ignore[misc]
        for element in card["body"]
        if element.get("type") == "Container"
    ]


async def start(
    database_url: str, *, demo: bool = False, reload_demo: bool = True, policy: str = "devon", clock: Any = None
) -> Running:
    """The demo team in the database (p1, s1 and m1 linked to Teams), the bot and the connector stand-in."""
    if reload_demo:
        engine = create_engine_for(database_url)
        with session_factory(engine)() as session:
            import_world(session, demo_world(date(2026, 11, 25)))
            people = StaffRepository(session)
            for staff_id, teams_id in TEAMS_IDS.items():
                people.link_teams_identity(staff_id, teams_id)
            session.commit()
        engine.dispose()
    connector = Connector()
    connector_server = TestServer(connector.app, host="127.0.0.1")
    await connector_server.start_server()
    settings = Settings(database_url=database_url, policy=policy, demo=demo)
    app = create_app(settings, clock=clock or StoppedClock(NOW))
    # Teams' real pace (a second between messages to one person) would make every test slow; the pacing
    # itself is tested with its own small numbers in test_delivery.py.
    app[DELIVERER].pacing = QUICK
    bot = TestServer(app, host="127.0.0.1")
    await bot.start_server()
    return Running(bot, connector_server, connector)


@asynccontextmanager
async def connected(
    database_url: str, *, policy: str = "devon", demo: bool = False, reload_demo: bool = True, clock: Any = None
) -> AsyncIterator[Teams]:
    """The bot running under `policy` (on `clock`, if given), and a Teams client talking to it; stopped afterwards."""
    running = await start(database_url, demo=demo, reload_demo=reload_demo, policy=policy, clock=clock)
    try:
        async with aiohttp.ClientSession() as http:
            yield Teams(
                str(running.bot.make_url("")).rstrip("/"),
                str(running.connector_server.make_url("")).rstrip("/"),
                running.connector,
                http,
                running.bot.app,
            )
    finally:
        await running.close()


def rows(database_url: str, model: Any) -> list[Any]:
    """Every row of one table, oldest first, read straight from the database."""
    engine = create_engine_for(database_url)
    with session_factory(engine)() as session:
        found = list(session.scalars(select(model).order_by(*inspect(model).primary_key)))
    engine.dispose()
    return found


def due_button(card: dict[str, Any], title: str) -> dict[str, Any]:
    """The data of the button with this title in a due list."""
    return next(
        action["data"]
        for element in card["body"]
        if element.get("type") == "Container"
        for block in element["items"]
        if block["type"] == "ActionSet"
        for action in block["actions"]
        if action["title"] == title
    )


@pytest.fixture
async def teams(database_url: str) -> AsyncIterator[Teams]:
    """The bot on SQLite and on PostgreSQL, as a council runs it."""
    async with connected(database_url) as client:
        yield client


@pytest.fixture
async def demo_teams(sqlite_url: str) -> AsyncIterator[Teams]:
    """The bot in demo mode."""
    async with connected(sqlite_url, demo=True) as client:
        yield client
