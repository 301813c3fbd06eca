"""The floor to measure against: a stock echo bot on the same stack, written the way Microsoft's samples write it.

`CloudAdapter` with `ConfigurationBotFrameworkAuthentication` from a plain configuration object,
anonymous (no app id), an `ActivityHandler` that answers every message with "Echo: ...", and the
aiohttp route that hands each request to the adapter. Nothing here is tuned.
"""

from __future__ import annotations

import os

from aiohttp import web
from aiohttp.web import Request, Response
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication


class DefaultConfig:
    """The bot's configuration, as the samples' config.py has it."""

    PORT = 3978
    APP_ID = os.environ.get("MicrosoftAppId", "")  # noqa: SIM112 - the Bot Framework's own name
    APP_PASSWORD = os.environ.get("MicrosoftAppPassword", "")  # noqa: SIM112 - the Bot Framework's own name
    APP_TYPE = os.environ.get("MicrosoftAppType", "MultiTenant")  # noqa: SIM112 - the Bot Framework's own name
    APP_TENANTID = os.environ.get("MicrosoftAppTenantId", "")  # noqa: SIM112 - the Bot Framework's own name


class EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))


def create_echo_app(*, reusing: bool = False) -> web.Application:
    """The stock echo bot; with `reusing`, the same with our one change at the edge (clients built once), to
    show what the SDK's own work on a turn costs without them."""
    authentication = ConfigurationBotFrameworkAuthentication(DefaultConfig())
    if reusing:
        from bot.edge import ReusingAuthentication

        authentication = ReusingAuthentication(authentication)
    adapter = CloudAdapter(authentication)
    bot = EchoBot()

    async def on_error(context: TurnContext, error: Exception) -> None:
        await context.send_activity("The bot encountered an error or bug.")

    adapter.on_turn_error = on_error

    async def messages(request: Request) -> Response:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    if reusing:

        async def close(app: web.Application) -> None:
            await authentication.close()

        app.on_cleanup.append(close)
    return app
