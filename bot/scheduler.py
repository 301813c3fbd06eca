"""The thin layer over APScheduler: one periodic job that sweeps and then delivers.

APScheduler only says when; what is due comes from the rules over the store, and "exactly once"
comes from the outbox's unique key, never from the scheduler's memory. The job runs at once on
start, so after downtime the up-to-date reminders go out straight away.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.delivery import Deliverer, DeliveryReport
from bot.rules.profile import Profile
from bot.storage.db import in_session
from bot.sweep import sweep

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TickReport:
    queued: int
    delivered: DeliveryReport


class Sweeper:
    """One tick: queue what is due now, then deliver what is queued."""

    def __init__(
        self, *, sessions: sessionmaker[Session], profile: Profile, clock: Clock, deliverer: Deliverer
    ) -> None:
        self.sessions = sessions
        self.profile = profile
        self.clock = clock
        self.deliverer = deliverer

    async def tick(self) -> TickReport:
        now = self.clock.now()

        queued = await in_session(self.sessions, lambda session: len(sweep(session, self.profile, now)))
        delivered = await self.deliverer.deliver_all()
        log.info(
            "Sweep: %d reminders queued, %d sent, %d failed, %d unreachable",
            queued,
            delivered.sent,
            delivered.failed,
            delivered.unreachable,
        )
        return TickReport(queued, delivered)


def start_scheduler(sweeper: Sweeper, *, every_seconds: int) -> AsyncIOScheduler:
    """Run the sweeper now and then every `every_seconds`, one run at a time, on the running event loop."""
    scheduler = AsyncIOScheduler(timezone=sweeper.profile.calendar.zone)
    scheduler.add_job(
        sweeper.tick,
        "interval",
        seconds=every_seconds,
        id="sweep",
        # The scheduler keeps real time, whatever clock the sweeper reads: a run set by a clock stopped in the
        # past would be skipped as missed.
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler
