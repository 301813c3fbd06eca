"""A stand-in for the Bot Framework connector (the service Teams gives a bot to answer through), on loopback.

It takes what a bot sends into a conversation, answers as the connector does, and keeps count:
every activity received, the last one in each conversation (so a load generator can press the
buttons on the card it was sent, as a person would), and, for reminders, which ones arrived and how
many came twice. Asked to, it refuses a share of requests with 429 and `Retry-After`, as Teams does
when a bot sends too fast.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from typing import Any

from aiohttp import web


class ConnectorStandIn:
    """The connector's conversations API, enough for replies, updates and messages nobody asked for."""

    def __init__(self, *, refuse_share: float = 0.0, retry_after: int = 1, seed: int = 11) -> None:
        self.refuse_share = refuse_share
        self.retry_after = retry_after
        self.rng = random.Random(seed)
        self.received = 0
        self.refused = 0
        self.last: dict[str, dict[str, Any]] = {}
        self.reminders: Counter[str] = Counter()  # how often each queued message arrived, by its outbox id
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._send)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._send)
        return app

    async def start(self, port: int = 0) -> str:
        """Listen on loopback; the address to give bots as their `serviceUrl`."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{bound}/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for count in self.reminders.values() if count > 1)

    async def _send(self, request: web.Request) -> web.Response:
        if self.refuse_share and self.rng.random() < self.refuse_share:
            self.refused += 1
            return web.json_response(
                {"error": {"code": "Throttled", "message": "Too many requests"}},
                status=429,
                headers={"Retry-After": str(self.retry_after)},
            )
        activity = await request.json()
        self.received += 1
        self.last[request.match_info["conversation"]] = activity
        for attachment in activity.get("attachments") or ():
            marker = _reminder_marker(attachment.get("content"))
            if marker:
                self.reminders[marker] += 1
        return web.json_response({"id": uuid.uuid4().hex})


def _reminder_marker(card: Any) -> str | None:
    """The outbox id a reminder card carries on its buttons, if it is one."""
    if not isinstance(card, dict):
        return None
    for action in card.get("actions") or ():
        data = action.get("data") if isinstance(action, dict) else None
        if isinstance(data, dict) and "nudge" in data:
            return str(data["nudge"])
    return None
