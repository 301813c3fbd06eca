"""Delivering queued messages to Teams as messages nobody asked for, each exactly once, within Teams' limits.

A deliverer claims rows from the outbox, sends each through the person's stored conversation
reference, and marks it sent. Sending is paced: at most one message a second to any one
conversation and a configurable number a second overall (default 25, half of what Teams allows a
tenant). When Teams asks us to slow down or is briefly unwell (429, 412, 502, 504, or no answer), the
message is tried again after an exponentially growing, jittered wait that is never shorter than
Teams' `Retry-After`; after a few tries the claim is released for the next round. A person who
removed the bot (403 or 404) is marked unreachable and not tried again.

The one gap exactly-once cannot close: if Teams accepted a message and the database then failed
before it was marked sent, the claim times out and the message goes again. A reminder twice is
better than a reminder never.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import aiohttp
from botbuilder.core import BotAdapter, MessageFactory, TurnContext
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference
from sqlalchemy.orm import Session, sessionmaker

from bot.cards import attachment
from bot.clock import Clock
from bot.domain import Nudge as QueuedNudge
from bot.storage.db import in_session
from bot.storage.repositories import OutboxRepository, StaffRepository
from bot.urgent import KIND as URGENT
from bot.urgent import takers

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({412, 429, 502, 504})
GONE_STATUSES = frozenset({403, 404})
CLAIM_TIMEOUT = timedelta(minutes=10)  # a claim older than this was left by a sender that stopped
BATCH_SECONDS = 60  # how much sending one round of deliver_all claims, in seconds at the pace


@dataclass(frozen=True, slots=True)
class Pacing:
    """How fast to send and how patiently to retry."""

    per_second: float = 25.0
    per_conversation_gap: float = 1.0
    tries: int = 5
    first_wait: float = 1.0
    longest_wait: float = 60.0
    conversations_at_once: int = 16


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one delivery round did."""

    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    retried: int = 0


def backoff(attempt: int, retry_after: float | None, pacing: Pacing, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait before try number `attempt + 1`: doubling from `first_wait`, capped, with jitter
    between half and all of it, and never less than what Teams asked for."""
    ceiling = min(pacing.longest_wait, pacing.first_wait * 2**attempt)
    return float(max(ceiling * (0.5 + rng() / 2), retry_after or 0.0))


def retry_after(headers: Mapping[str, str] | None, now: datetime | None = None) -> float | None:
    """Teams' `Retry-After`, in seconds, whether given as seconds or as a date; None if absent or unreadable."""
    value = (headers or {}).get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class Pacer:
    """Hands out sending slots: one a second per conversation, `per_second` overall."""

    def __init__(
        self,
        pacing: Pacing,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.pacing = pacing
        self.monotonic = monotonic
        self.sleep = sleep
        self._next_overall = 0.0
        self._next_for: dict[str, float] = {}

    def hold(self, conversation: str, seconds: float) -> None:
        """Send nothing more to this conversation for `seconds`."""
        self._next_for[conversation] = max(self._next_for.get(conversation, 0.0), self.monotonic() + seconds)

    async def wait_turn(self, conversation: str) -> None:
        """Wait until this conversation may have another message, then for the next overall slot, and take it.
        Taking the overall slot only once the conversation is ready keeps the overall slots back to back:
        one person's one-a-second gap never leaves the others' slots unused."""
        ready = self._next_for.get(conversation, 0.0)
        now = self.monotonic()
        if ready > now:
            await self.sleep(ready - now)
            now = self.monotonic()
        slot = max(now, self._next_overall, self._next_for.get(conversation, 0.0))
        self._next_overall = slot + 1 / self.pacing.per_second
        self._next_for[conversation] = slot + self.pacing.per_conversation_gap
        if slot > now:
            await self.sleep(slot - now)


# A queued message's card, given the people an urgent request could be passed to (bot.messages.message_for).
MessageFor = Callable[[QueuedNudge, Sequence[tuple[str, str]]], dict[str, Any]]


class Deliverer:
    """Sends what the outbox holds, once each."""

    def __init__(
        self,
        *,
        adapter: BotAdapter,
        sessions: sessionmaker[Session],
        clock: Clock,
        card_for: MessageFor,
        app_id: str = "",
        name: str = "deliverer",
        pacing: Pacing | None = None,
    ) -> None:
        self.adapter = adapter
        self.sessions = sessions
        self.clock = clock
        self.card_for = card_for
        self.app_id = app_id
        self.name = name
        self.pacer = Pacer(pacing or Pacing())
        self._background: set[asyncio.Task[DeliveryReport]] = set()
        self._at_once = asyncio.Semaphore(self.pacer.pacing.conversations_at_once)

    @property
    def pacing(self) -> Pacing:
        """How fast this deliverer sends: its pacer's settings, held in one place."""
        return self.pacer.pacing

    @pacing.setter
    def pacing(self, pacing: Pacing) -> None:
        self.pacer.pacing = pacing
        self._at_once = asyncio.Semaphore(pacing.conversations_at_once)

    async def _in_session(self, work: Callable[[Session], Any]) -> Any:
        return await in_session(self.sessions, work)

    def deliver_soon(self, only: Sequence[int] | None = None) -> None:
        """Start delivering now without waiting for it (after a turn that queued something urgent)."""
        task = asyncio.get_running_loop().create_task(self.deliver(only=only))
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[DeliveryReport]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("A delivery round failed; its messages stay queued", exc_info=task.exception())

    async def settle(self) -> None:
        """Wait for deliveries started with `deliver_soon` to finish."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def deliver_all(self, limit: int | None = None) -> DeliveryReport:
        """Deliver round after round until a round finds less than a full batch: everything due goes now,
        however much there is, rather than a batch at each sweep. A round is a minute's sending at the pace
        (BATCH_SECONDS), so the wait at the end of each round for its last retries is small beside it, and
        a round is always sent well within CLAIM_TIMEOUT. Each message is tried once a call: one that could
        not go is left for the next sweep, not claimed again by the next round."""
        limit = limit or max(100, int(self.pacing.per_second * BATCH_SECONDS))
        total, tried = DeliveryReport(), set[int]()
        while True:
            report, claimed = await self._round(limit, skip=tried)
            total = DeliveryReport(*(a + b for a, b in zip(astuple(total), astuple(report), strict=True)))
            tried |= claimed
            if len(claimed) < limit:
                return total

    async def deliver(self, limit: int = 500, *, only: Sequence[int] | None = None) -> DeliveryReport:
        """Claim up to `limit` queued messages (or just `only` these) and send them, paced."""
        report, _ = await self._round(limit, only=only)
        return report

    async def _round(
        self, limit: int, *, only: Sequence[int] | None = None, skip: Collection[int] = ()
    ) -> tuple[DeliveryReport, set[int]]:
        """One round: what it did, and the ids of the messages it claimed."""
        now = self.clock.now()

        def claim(session: Session) -> tuple[list[tuple[QueuedNudge, Any]], list[tuple[str, str]]]:
            outbox, people = OutboxRepository(session), StaffRepository(session)
            outbox.release_stale_claims(now - CLAIM_TIMEOUT)
            nudges = outbox.claim(self.name, limit, now, only=only, skip=skip)
            # Who could take an urgent request is the same for every one: looked up once, and only if needed.
            everyone = takers(session) if any(nudge.obligation_kind == URGENT for nudge in nudges) else []
            return [(nudge, people.get_conversation(nudge.recipient)) for nudge in nudges], everyone

        claimed, everyone = await self._in_session(claim)
        by_conversation: dict[str, list[tuple[QueuedNudge, Any]]] = {}
        outcomes: list[str] = []
        for nudge, reference in claimed:
            if reference is None:  # not installed yet: noted, and tried again at later sweeps, a few times
                await self._gone(nudge, "They have not installed the companion yet.", give_up=False)
                outcomes.append("unreachable")
            else:
                by_conversation.setdefault(reference.conversation_id, []).append((nudge, reference))

        # Every conversation waits for its turns at once; only the sending itself is limited (_at_once), so a
        # person with several messages (one a second) never holds up everyone else's.
        async def one_conversation(items: list[tuple[QueuedNudge, Any]]) -> list[str]:
            return [
                outcome for nudge, reference in items for outcome in await self._send_one(nudge, reference, everyone)
            ]

        for results in await asyncio.gather(*(one_conversation(items) for items in by_conversation.values())):
            outcomes.extend(results)
        report = DeliveryReport(
            outcomes.count("sent"), outcomes.count("failed"), outcomes.count("unreachable"), outcomes.count("retried")
        )
        return report, {nudge.id for nudge, _ in claimed}

    async def _send_one(self, nudge: QueuedNudge, stored: Any, everyone: Sequence[tuple[str, str]]) -> list[str]:
        """Send one message, trying again while Teams asks us to wait; what happened, one word per try."""
        conversation = stored.conversation_id
        reference = _reference(stored, self.app_id)
        try:
            card = self.card_for(nudge, everyone)
        except Exception as error:  # a message we cannot build is a bug: keep it queued, say so once
            log.exception("Could not build message %s", nudge.id)
            await self._in_session(partial(_failed, nudge.id, f"could not build: {error}", self.clock.now(), True))
            return ["failed"]
        outcomes: list[str] = []
        for attempt in range(self.pacing.tries):
            await self.pacer.wait_turn(conversation)
            try:
                # Once a message is on its way, stopping now still lets it be marked sent, so it never goes twice.
                await asyncio.shield(self._send_and_mark(nudge, reference, card))
            except _NotSent as not_sent:
                failure = not_sent.error
                response = getattr(failure, "response", None)
                status = getattr(response, "status_code", None)
                if status in GONE_STATUSES:
                    await self._gone(nudge, f"Teams answered {status}: the companion was removed.")
                    return [*outcomes, "unreachable"]
                unwell = status in RETRY_STATUSES or (
                    status is None and isinstance(failure, aiohttp.ClientError | asyncio.TimeoutError | OSError)
                )
                if unwell and attempt + 1 < self.pacing.tries:
                    wait = backoff(attempt, retry_after(getattr(response, "headers", None)), self.pacing)
                    log.info("Teams answered %s for message %s; trying again in %.1f s", status, nudge.id, wait)
                    self.pacer.hold(conversation, wait)
                    outcomes.append("retried")
                    continue
                log.warning("Could not deliver message %s: %s", nudge.id, failure)
                await self._in_session(partial(_failed, nudge.id, str(failure), self.clock.now(), False))
                return [*outcomes, "failed"]
            return [*outcomes, "sent"]
        return outcomes  # pragma: no cover - the loop always returns

    async def _send_and_mark(self, nudge: QueuedNudge, reference: ConversationReference, card: dict[str, Any]) -> None:
        try:
            async with self._at_once:
                await _deliver(self.adapter, reference, card, self.app_id)
        except Exception as error:
            raise _NotSent(error) from error
        await self._in_session(partial(_sent, nudge.id, self.clock.now()))

    async def _gone(self, nudge: QueuedNudge, reason: str, *, give_up: bool = True) -> None:
        now = self.clock.now()

        def record(session: Session) -> None:
            StaffRepository(session).mark_unreachable(nudge.recipient, now)
            OutboxRepository(session).mark_failed(nudge.id, reason, now, give_up=give_up)

        await self._in_session(record)


class _NotSent(Exception):
    """Sending failed (as against marking it sent); `error` says how."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


async def _deliver(adapter: BotAdapter, reference: ConversationReference, card: dict[str, Any], app_id: str) -> None:
    """Send one card into a conversation. A failure is raised here, to the deliverer, rather than inside the
    adapter's turn, whose error handler would try to apologise to the person for a message they never asked for."""
    failures: list[Exception] = []

    async def send(turn_context: TurnContext) -> None:
        try:
            await turn_context.send_activity(MessageFactory.attachment(attachment(card)))
        except Exception as error:
            failures.append(error)

    await adapter.continue_conversation(reference, send, app_id)
    if failures:
        raise failures[0]


def _sent(nudge_id: int, now: datetime, session: Session) -> None:
    OutboxRepository(session).mark_sent(nudge_id, now)


def _failed(nudge_id: int, error: str, now: datetime, give_up: bool, session: Session) -> None:
    OutboxRepository(session).mark_failed(nudge_id, error, now, give_up=give_up)


def _reference(stored: Any, app_id: str) -> ConversationReference:
    return ConversationReference(
        channel_id="msteams",
        service_url=stored.service_url,
        conversation=ConversationAccount(id=stored.conversation_id, tenant_id=stored.tenant_id),
        bot=ChannelAccount(id=app_id or "companion"),
    )
