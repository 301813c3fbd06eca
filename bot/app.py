"""The web app: `POST /api/messages` for Teams through the Bot Framework's CloudAdapter, and `GET /healthz`.

`create_app(settings)` builds everything; nothing is constructed at import time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from types import SimpleNamespace
from typing import Any

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from sqlalchemy import Engine

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.delivery import Deliverer, Pacing
from bot.dialogs.companion_bot import CompanionBot
from bot.edge import ReusingAuthentication, process
from bot.messages import message_for
from bot.rules.profile import load_profile
from bot.scheduler import Sweeper, start_scheduler
from bot.service import Companion
from bot.storage.db import create_engine_for, is_reachable, session_factory

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024

ENGINE = web.AppKey("engine", Engine)
ADAPTER = web.AppKey("adapter", CloudAdapter)
EDGE = web.AppKey("edge", ReusingAuthentication)
BOT = web.AppKey("bot", CompanionBot)
COMPANION = web.AppKey("companion", Companion)
DELIVERER = web.AppKey("deliverer", Deliverer)
SWEEPER = web.AppKey("sweeper", Sweeper)
SCHEDULER = web.AppKey("scheduler", AsyncIOScheduler)


def create_app(settings: Settings, *, clock: Clock | None = None) -> web.Application:
    """The aiohttp application for these settings."""
    settings.check()
    engine = create_engine_for(settings.database_url)
    companion = Companion(
        sessions=session_factory(engine),
        profile=load_profile(settings.policy),
        clock=clock or SystemClock(),
        demo=settings.demo,
    )
    credentials = SimpleNamespace(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password,
        APP_TYPE=settings.app_type,
        APP_TENANTID=settings.app_tenant_id,
    )
    edge = ReusingAuthentication(ConfigurationBotFrameworkAuthentication(credentials))
    adapter = CloudAdapter(edge)
    adapter.on_turn_error = _on_turn_error

    app = web.Application(client_max_size=MAX_BODY)
    app[ENGINE] = engine
    app[ADAPTER] = adapter
    app[EDGE] = edge
    app[COMPANION] = companion
    app[DELIVERER] = Deliverer(
        adapter=adapter,
        sessions=companion.sessions,
        clock=companion.clock,
        card_for=message_for(companion.profile),
        app_id=settings.app_id,
        pacing=Pacing(per_second=settings.send_rate),
    )
    app[BOT] = CompanionBot(companion, deliver_soon=app[DELIVERER].deliver_soon)
    app[SWEEPER] = Sweeper(
        sessions=companion.sessions, profile=companion.profile, clock=companion.clock, deliverer=app[DELIVERER]
    )
    if settings.sweep_every:
        every = settings.sweep_every

        async def start_sweeping(app: web.Application) -> None:
            app[SCHEDULER] = start_scheduler(app[SWEEPER], every_seconds=every)

        app.on_startup.append(start_sweeping)
    app.router.add_post("/api/messages", _messages)
    app.router.add_get("/healthz", _healthz)
    app.on_cleanup.append(_dispose)
    return app


async def _messages(request: web.Request) -> web.StreamResponse:
    if "application/json" not in request.headers.get("Content-Type", ""):
        return _problem(415, "Messages must be sent as JSON.")
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _problem(400, "The message is not valid JSON.")
    except web.HTTPRequestEntityTooLarge:
        return _problem(413, f"The message is larger than {MAX_BODY // 1024} KB.")
    problem = _malformed(body)
    if problem:
        return _problem(400, problem)
    try:
        response = await process(request.app[ADAPTER], request, body, request.app[BOT])
    except web.HTTPException as refusal:
        return _problem(refusal.status, refusal.reason or "The message was refused.")
    except Exception:  # the reply could not reach Teams; what was sent is already saved
        log.exception("Could not answer an activity from %s", body.get("serviceUrl"))
        return _problem(502, "The message was received, but the reply could not be delivered.")
    return response


def _malformed(body: Any) -> str | None:
    """Why an activity cannot be handled, or None."""
    if not isinstance(body, dict):
        return "The message must be a JSON object."
    if not isinstance(body.get("type"), str) or not body["type"]:
        return "The message has no type."
    sender = body.get("from")
    if not isinstance(sender, dict) or not isinstance(sender.get("id"), str) or not sender["id"]:
        return "The message does not say who sent it."
    conversation = body.get("conversation")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str):
        return "The message does not say which conversation it belongs to."
    if not isinstance(body.get("serviceUrl"), str) or not body["serviceUrl"].startswith(("http://", "https://")):
        return "The message does not say where to reply."
    for key in ("text", "value", "channelData"):
        if key in body and body[key] is not None and not isinstance(body[key], str | dict | list):
            return f"The message's {key} has the wrong type."
    return None


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _healthz(request: web.Request) -> web.Response:
    reachable = await asyncio.to_thread(is_reachable, request.app[ENGINE])
    if reachable:
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "the database cannot be reached"}, status=503)


async def _on_turn_error(turn_context: TurnContext, error: Exception) -> None:
    log.error("A turn failed: %s", error, exc_info=error)
    try:
        await turn_context.send_activity(
            "Sorry, something went wrong on my side. Nothing you sent has been lost; please try again in a moment."
        )
    except Exception:
        log.warning("Could not tell the person that their turn failed")
        raise error from None


async def _dispose(app: web.Application) -> None:
    try:
        await asyncio.wait_for(app[DELIVERER].settle(), timeout=10)
    except TimeoutError:
        log.warning("Stopped while messages were still being sent; they stay queued and go at the next start")
    if SCHEDULER in app:
        app[SCHEDULER].shutdown(wait=False)
        await asyncio.sleep(0)  # APScheduler stops on the loop's next turn; let it, before the database goes
    await app[EDGE].close()
    app[ENGINE].dispose()
