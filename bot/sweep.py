"""One sweep: what is due now, under the policy, becomes reminders in the outbox (or a dry-run list).

The outbox's unique key (duty, stage, person) is what makes a reminder go out once: a sweep after
downtime finds each duty's current stage and queues only what is not already there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.rules.engine import obligations_due
from bot.rules.nudges import Nudge, nudges_due
from bot.rules.profile import Profile
from bot.storage.repositories import OutboxRepository
from bot.storage.world import load_world


def sweep(session: Session, profile: Profile, now: datetime, *, dry_run: bool = False) -> list[Nudge]:
    """Queue the reminders due now that are not queued yet, and return them; with `dry_run`, only return them."""
    if profile.nudges is None:
        return []
    world = load_world(session, profile.calendar)
    obligations = obligations_due(profile, world, now)
    overseers = {person.supervisor for person in world.staff if person.supervisor}
    outbox = OutboxRepository(session)
    fresh: list[Nudge] = []
    for nudge in nudges_due(obligations, profile.nudges, profile.calendar, now, overseers=overseers):
        if dry_run:
            if not outbox.exists(nudge.kind, nudge.subject, nudge.stage, nudge.recipient):
                fresh.append(nudge)
        elif outbox.enqueue(nudge.kind, nudge.subject, nudge.stage, nudge.recipient, nudge.due, _payload(nudge), now):
            fresh.append(nudge)
    return fresh


def _payload(nudge: Nudge) -> dict[str, object]:
    return {
        "items": [
            {"kind": o.kind.value, "subject": o.subject, "supervisee": o.supervisee, "due": o.due.isoformat()}
            for o in nudge.items
        ]
    }
