"""Delivering queued reminders to Teams as messages nobody asked for, each exactly once.

A deliverer claims reminders from the outbox, sends each through the person's stored
conversation reference, and marks it sent. A failure releases the claim to be tried again; a
person who removed the bot (403 or 404) is marked unreachable and not tried again. Pacing and
back-off on Teams' rate limits come with the next part of this work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from botbuilder.core import BotAdapter, MessageFactory, TurnContext
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference
from sqlalchemy.orm import Session, sessionmaker

from bot.cards import attachment, render
from bot.clock import Clock
from bot.domain import Nudge as QueuedNudge
from bot.jobs import job_for
from bot.rules.profile import Profile
from bot.storage.repositories import OutboxRepository, StaffRepository
from bot.wording import duty_name, when

log = logging.getLogger(__name__)

STAGE_WORDS = {"soon": "Coming up", "due": "Due today", "escalated": "Late: passed to you"}


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one delivery round did."""

    sent: int = 0
    failed: int = 0
    unreachable: int = 0


class Deliverer:
    """Sends what the outbox holds, once each."""

    def __init__(
        self,
        *,
        adapter: BotAdapter,
        sessions: sessionmaker[Session],
        profile: Profile,
        clock: Clock,
        app_id: str = "",
        name: str = "deliverer",
    ) -> None:
        self.adapter = adapter
        self.sessions = sessions
        self.profile = profile
        self.clock = clock
        self.app_id = app_id
        self.name = name

    async def _in_session(self, work: Callable[[Session], Any]) -> Any:
        def run() -> Any:
            with self.sessions() as session:
                result = work(session)
                session.commit()
                return result

        return await asyncio.to_thread(run)

    async def deliver(self, limit: int = 100) -> DeliveryReport:
        """Claim up to `limit` reminders and send them."""
        now = self.clock.now()

        def claim(session: Session) -> list[tuple[QueuedNudge, Any]]:
            people = StaffRepository(session)
            return [
                (nudge, people.get_conversation(nudge.recipient))
                for nudge in OutboxRepository(session).claim(self.name, limit, now)
            ]

        claimed: list[tuple[QueuedNudge, Any]] = await self._in_session(claim)
        sent = failed = unreachable = 0
        for nudge, reference in claimed:
            if reference is None:  # not installed yet: noted, and tried again at later sweeps, a few times
                await self._gone(nudge, "They have not installed the companion yet.", give_up=False)
                unreachable += 1
                continue
            try:
                await self.adapter.continue_conversation(
                    _reference(reference, self.app_id), self._send(self.card(nudge)), self.app_id
                )
            except Exception as error:
                status = getattr(getattr(error, "response", None), "status_code", None)
                if status in (403, 404):
                    await self._gone(nudge, f"Teams answered {status}: the companion was removed.")
                    unreachable += 1
                else:
                    log.warning("Could not deliver reminder %s: %s", nudge.id, error)
                    await self._in_session(partial(_failed, nudge.id, str(error), now))
                    failed += 1
                continue
            await self._in_session(partial(_sent, nudge.id, now))
            sent += 1
        return DeliveryReport(sent, failed, unreachable)

    async def _gone(self, nudge: QueuedNudge, reason: str, *, give_up: bool = True) -> None:
        now = self.clock.now()

        def record(session: Session) -> None:
            StaffRepository(session).mark_unreachable(nudge.recipient, now)
            OutboxRepository(session).mark_failed(nudge.id, reason, now, give_up=give_up)

        await self._in_session(record)

    @staticmethod
    def _send(card: dict[str, Any]) -> Callable[[TurnContext], Awaitable[None]]:
        async def send(turn_context: TurnContext) -> None:
            await turn_context.send_activity(MessageFactory.attachment(attachment(card)))

        return send

    def card(self, nudge: QueuedNudge) -> dict[str, Any]:
        """The reminder as a card, with the button that gets the job done."""
        calendar = self.profile.calendar
        if nudge.obligation_kind == "digest":
            items = [
                {
                    "type": "TextBlock",
                    "wrap": True,
                    "text": f"{duty_name(item['kind'])}: {item['subject']}, overdue since "
                    f"{when(calendar.local(_moment(item['due'])))}",
                }
                for item in nudge.payload.get("items", [])
            ]
            return render(
                "nudge",
                heading="Overdue today, for you and your team",
                detail=f"{len(items)} to catch up on.",
                status="Type due to see them all, with a button for each.",
                colour="Attention",
                items=items,
                actions=[{"type": "Action.Submit", "title": "What is due", "data": {"action": "due.show"}}],
            )
        stage = STAGE_WORDS.get(nudge.stage, "Overdue")
        job = job_for(nudge.obligation_kind, nudge.subject)
        actions = [{"type": "Action.Submit", "title": job[0], "data": job[1]}] if job else []
        actions.append({"type": "Action.Submit", "title": "What is due", "data": {"action": "due.show"}})
        overdue = nudge.stage.startswith("overdue") or nudge.stage == "escalated"
        return render(
            "nudge",
            heading=f"{stage}: {duty_name(nudge.obligation_kind)}",
            detail=nudge.subject,
            status=("Was due " if overdue else "Due ") + when(calendar.local(nudge.due)),
            colour="Attention" if overdue else "Default",
            items=[],
            actions=actions,
        )


def _sent(nudge_id: int, now: datetime, session: Session) -> None:
    OutboxRepository(session).mark_sent(nudge_id, now)


def _failed(nudge_id: int, error: str, now: datetime, session: Session) -> None:
    OutboxRepository(session).mark_failed(nudge_id, error, now)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _reference(stored: Any, app_id: str) -> ConversationReference:
    return ConversationReference(
        channel_id="msteams",
        service_url=stored.service_url,
        conversation=ConversationAccount(id=stored.conversation_id, tenant_id=stored.tenant_id),
        bot=ChannelAccount(id=app_id or "companion"),
    )
