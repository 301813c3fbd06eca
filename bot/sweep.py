"""One sweep: what is due now, under the policy, becomes messages in the outbox (or a dry-run list).

The outbox's unique key (duty, stage, person) is what makes a reminder go out once: a sweep after
downtime finds each duty's current stage and queues only what is not already there. The same sweep
chases urgent requests nobody has answered, at any hour: urgent means urgent.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy.orm import Session

from bot.rules.engine import Obligation, obligations_due
from bot.rules.nudges import Nudge, held_as, nudges_due
from bot.rules.profile import Profile
from bot.storage.repositories import OutboxRepository, Queueing, StaffRepository
from bot.storage.world import load_facts
from bot.urgent import UrgentDesk


def sweep(session: Session, profile: Profile, now: datetime, *, dry_run: bool = False) -> list[Nudge]:
    """Queue the reminders due now that are not queued yet, and return them; with `dry_run`, only return them.

    Urgent requests are chased too (not in a dry run, which lists reminders only)."""
    with collector_paused():
        return _sweep(session, profile, now, dry_run)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector held off for the length of a sweep. A sweep builds hundreds of thousands of
    objects that live until it ends, and the collector, run every 700 of them, walked them all again and
    again: a fifth of a sweep's time. What the sweep leaves behind is collected as usual afterwards."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _sweep(session: Session, profile: Profile, now: datetime, dry_run: bool) -> list[Nudge]:
    world = load_facts(session, profile, now)
    obligations = obligations_due(profile, world, now)
    if not dry_run:
        UrgentDesk(profile).chase(session, now, obligations)
    if profile.nudges is None:
        return []
    overseers = {person.supervisor for person in world.staff if person.supervisor}
    names = {person.id: person.name for person in world.staff}
    gone = StaffRepository(session).unreachable_ids()
    unreachable: dict[str, list[str]] = {}
    for person in world.staff:
        if person.supervisor and person.id in gone:
            unreachable.setdefault(person.supervisor, []).append(person.id)
    outbox = OutboxRepository(session)
    due = nudges_due(obligations, profile.nudges, profile.calendar, now, overseers=overseers, unreachable=unreachable)
    # Most of what is due was queued by an earlier sweep: look once, and build messages only for the rest.
    keys = [n.outbox_key for n in due]
    present = outbox.existing(keys)
    fresh = [(n, key) for n, key in zip(due, keys, strict=True) if key not in present]
    if dry_run:
        return [n for n, _ in fresh]
    duties = {(o.kind.value, o.subject): o for o in obligations}
    # Built as the outbox reads them, a batch at a time: each batch's messages are queued and let go together.
    queueing = (Queueing(*key, n.due, _payload(n, names, profile, duties.get((n.kind, n.subject)))) for n, key in fresh)
    queued = outbox.enqueue_many(queueing, now)
    return [n for n, key in fresh if key in queued]


def _payload(nudge: Nudge, names: dict[str, str], profile: Profile, duty: Obligation | None) -> dict[str, object]:
    held = held_as(profile, duty) if duty is not None else None
    return {
        "items": [
            {"kind": o.kind.value, "subject": o.subject, "supervisee": o.supervisee, "due": o.due.isoformat()}
            for o in nudge.items
        ],
        "who": names.get(nudge.supervisee or "", ""),
        "unreachable": [names.get(staff_id, staff_id) for staff_id in nudge.unreachable],
        "held_as": held.value if held else "",  # the session "Supervision held" records; empty: no such button
    }
