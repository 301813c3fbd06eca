"""A stand-in for Teams' connector service: answers the reply endpoints and records every activity."""

from __future__ import annotations

import itertools
import time
from typing import Any

from aiohttp import web


class Connector:
    """Records what the bot sends, by conversation, as Teams' connector would receive it."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.refuse: set[str] = set()  # conversations whose person has removed the bot: answered 403
        self.throttle = 0  # answer this many of the next messages 429 Too Many Requests, with Retry-After
        self.retry_after = "1"
        self.throttled: list[tuple[str, float]] = []  # (conversation, when) of each message answered 429
        self.updated: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self.app = web.Application()
        self.app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        self.app.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", self._send)
        self.app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)

    async def _send(self, request: web.Request) -> web.Response:
        if request.match_info["conversation"] in self.refuse:
            return web.json_response({"error": {"code": "BotNotInConversationRoster"}}, status=403)
        if self.throttle > 0:
            self.throttle -= 1
            self.throttled.append((request.match_info["conversation"], time.monotonic()))
            headers = {"Retry-After": self.retry_after}
            return web.json_response({"error": {"code": "Throttled"}}, status=429, headers=headers)
        activity = await request.json()
        activity["_at"] = time.monotonic()
        activity["_conversation"] = request.match_info["conversation"]
        activity["_id"] = f"sent-{next(self._ids)}"
        self.sent.append(activity)
        return web.json_response({"id": activity["_id"]})

    async def _update(self, request: web.Request) -> web.Response:
        activity = await request.json()
        activity["_conversation"] = request.match_info["conversation"]
        activity["_id"] = request.match_info["activity"]
        self.updated.append(activity)
        return web.json_response({"id": activity["_id"]})

    def to(self, conversation: str) -> list[dict[str, Any]]:
        """Everything sent to one conversation, oldest first."""
        return [activity for activity in self.sent if activity["_conversation"] == conversation]
