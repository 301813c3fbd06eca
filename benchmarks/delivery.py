"""Nudge delivery: `python -m benchmarks.delivery`.

5,000 reminders fall due at once for 1,500 people, and the bot's own deliverer (bot/delivery.py),
built by `create_app` as the running bot builds it, sends them to the connector stand-in
(benchmarks/connector.py), which refuses a share of requests with 429 and `Retry-After: 1`, as
Teams does. Reported: the rate delivered against the configured pace, reminders that arrived twice,
and reminders that never arrived (or that the outbox does not show as sent).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.connector import ConnectorStandIn
from bot.app import COMPANION, DELIVERER, EDGE, ENGINE, create_app
from bot.config import Settings
from bot.domain import ConversationReference
from bot.rules.facts import Employment, Hours, Role, Staff, World
from bot.rules.profile import load_profile
from bot.storage.db import migrate
from bot.storage.models import NudgeRow
from bot.storage.repositories import OutboxRepository, Queueing, StaffRepository
from bot.storage.world import import_world

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PACE = 50.0  # messages a second: the most the bot may be set to (Teams allows about 50 a tenant)
REFUSED = 0.05  # share of requests the stand-in answers with 429


async def measure(
    nudges: int = 5000, people: int = 1500, pace: float = PACE, refused: float = REFUSED
) -> dict[str, Any]:
    """Queue `nudges` reminders for `people` people, deliver them all, and count what arrived."""
    profile = load_profile("devon")
    standin = ConnectorStandIn(refuse_share=refused)
    service_url = await standin.start()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'delivery.db'}"
        migrate(url)
        app = create_app(Settings(database_url=url, policy="devon", send_rate=pace))  # the bot's own deliverer
        sessions = app[COMPANION].sessions
        with sessions() as session:
            _queue(session, profile, service_url, nudges, people)
            session.commit()
        started = time.perf_counter()
        report = await app[DELIVERER].deliver_all()
        elapsed = time.perf_counter() - started
        with sessions() as session:
            marked_sent = session.scalar(select(func.count()).where(NudgeRow.sent_at.is_not(None))) or 0
        await app[EDGE].close()  # the connections its replies went out on
        app[ENGINE].dispose()
    await standin.stop()
    arrived = len(standin.reminders)
    return {
        "nudges": nudges,
        "people": people,
        "pace_per_second": pace,
        "refused_share": refused,
        "refused_429": standin.refused,
        "seconds": round(elapsed, 1),
        "delivered_per_second": round(arrived / elapsed, 1),
        "share_of_pace": round(arrived / elapsed / pace, 3),
        "duplicates": standin.duplicates,
        "lost": nudges - arrived,
        "not_marked_sent": nudges - marked_sent,
        "report": {"sent": report.sent, "failed": report.failed, "retried": report.retried},
    }


def _queue(session: Any, profile: Any, service_url: str, nudges: int, people: int) -> None:
    """People with a Teams conversation each, and `nudges` reminders spread over them, all due now."""
    start = NOW - timedelta(days=400)
    staff = tuple(
        Staff(f"p{n}", f"Person {n}", Role.PRACTITIONER, Employment.PERMANENT, Hours.FULL_TIME, False, start)
        for n in range(people)
    )
    import_world(session, World(staff=staff), profile.calendar)
    directory = StaffRepository(session)
    for person in staff:
        reference = ConversationReference(service_url, "benchmark-tenant", f"a:delivery-{person.id}")
        directory.save_conversation(person.id, reference, NOW)
    payload = {"items": [], "who": "", "unreachable": [], "held_as": ""}
    OutboxRepository(session).enqueue_many(
        [Queueing("case_discussion", f"C-{n:06d}", "due", f"p{n % people}", NOW, payload) for n in range(nudges)],
        NOW,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tenth of the size, for a quick look")
    args = parser.parse_args()
    size = {"nudges": 500, "people": 150} if args.quick else {}
    print(json.dumps(asyncio.run(measure(**size)), indent=2))


if __name__ == "__main__":
    main()
