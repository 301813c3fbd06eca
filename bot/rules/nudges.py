"""Which reminders are due for whom at a moment, from the obligations and the profile's nudge plan.

Pure, like the engine: given the obligations, who supervises, and `now`, it returns the nudges a
sweep should queue. Each nudge has a stage ("soon", "due", "overdue-1", "overdue-2", ...,
"escalated", "daily"); the outbox keeps one per (duty, stage, person), so a sweep after downtime
queues only the current stage of each duty, never the stale ones it missed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import Any

from bot.rules.calendar import Calendar
from bot.rules.engine import Obligation
from bot.rules.facts import SessionKind
from bot.rules.profile import NudgePlan, ObligationKind, Profile

DIGEST = "digest"
# Urgent requests have their own flow (acknowledge within hours), never a daily digest.
NOT_NUDGED = {ObligationKind.URGENT_SUPERVISION}
_MOST_REPEATS = 520


@dataclass(frozen=True, slots=True)
class Nudge:
    """One reminder for one person about one duty (or their daily digest)."""

    recipient: str
    kind: str
    subject: str
    stage: str
    due: datetime
    items: tuple[Obligation, ...] = ()
    supervisee: str | None = None
    unreachable: tuple[str, ...] = ()  # on a digest: people the supervisor oversees whom reminders cannot reach

    @property
    def outbox_stage(self) -> str:
        """The stage as the outbox keys it: with the due date, because a recurring duty (monthly supervision)
        keeps its subject and goes through "soon", "due" and "overdue" again each time it falls due; a digest
        is once a day whatever it holds."""
        return self.stage if self.kind == DIGEST else f"{self.stage}@{self.due.isoformat()}"

    @property
    def outbox_key(self) -> tuple[str, str, str, str]:
        """What makes it one message in the outbox: the duty's kind and subject, the stage, the recipient."""
        return (self.kind, self.subject, self.outbox_stage, self.recipient)

    def as_dict(self) -> dict[str, Any]:
        """The nudge as `sweep --dry-run` prints it."""
        return {
            "recipient": self.recipient,
            "obligation": {"kind": self.kind, "subject": self.subject},
            "stage": self.stage,
            "due": self.due.isoformat(),
        }


# Kinds of session that "Supervision held" on a reminder may record: held by the two people, not a team's
# group session, an urgent one (it has its own flow) or an observation of practice.
_HELD_BY_TWO = (SessionKind.PERSONAL, SessionKind.CASE, SessionKind.REFLECTIVE)


def held_as(profile: Profile, obligation: Obligation) -> SessionKind | None:
    """The kind of session to record when someone says supervision for this duty was held: one that the duty's
    own rule counts (a case session, for a child's case, where it does); None if no such session meets it."""
    counted = profile.counted_by(obligation.rule_id)
    if obligation.kind is ObligationKind.CASE_DISCUSSION and SessionKind.CASE in counted:
        return SessionKind.CASE
    return next((kind for kind in _HELD_BY_TWO if kind in counted), None)


def in_working_hours(plan: NudgePlan, calendar: Calendar, now: datetime) -> bool:
    """Whether it is working time now (when reminders may go out): a working day, between its start and end."""
    local = calendar.local(now)
    return calendar.is_working_day(local.date()) and plan.day_starts <= local.time() < plan.day_ends


def stage_of(obligation: Obligation, plan: NudgePlan, calendar: Calendar, now: datetime) -> str | None:
    """Where a duty stands at `now`: not yet, soon, due today, or overdue for the Nth period."""
    return _stage(obligation, plan, calendar, now, *_today_and_soon(plan, calendar, now))


def _today_and_soon(plan: NudgePlan, calendar: Calendar, now: datetime) -> tuple[date, date]:
    """Today's local date, and the last day a duty can fall due on and be "soon" now."""
    return calendar.local(now).date(), calendar.add(now, plan.before_due).date()


def _stage(
    obligation: Obligation, plan: NudgePlan, calendar: Calendar, now: datetime, today: date, soon_until: date
) -> str | None:
    if now > obligation.due:  # the first period, then one more for each repeat that has come round
        return f"overdue-{1 + calendar.steps_within(obligation.due, plan.repeat_overdue, now, _MOST_REPEATS - 1)}"
    due = calendar.local(obligation.due).date()
    if today == due:
        return "due"
    if soon_until >= due:  # counted in days, whatever the hour
        return "soon"
    return None


def nudges_due(
    obligations: Sequence[Obligation],
    plan: NudgePlan,
    calendar: Calendar,
    now: datetime,
    *,
    overseers: Iterable[str],
    unreachable: Mapping[str, Sequence[str]] | None = None,
) -> list[Nudge]:
    """The reminders to queue now: one per duty and stage for the person who must act, a daily digest of
    overdue duties for everyone who supervises, and a one-off nudge for a line manager it was escalated to.

    `unreachable` maps a supervisor to the people they oversee whom reminders cannot reach; their names
    go on that supervisor's digest."""
    if not in_working_hours(plan, calendar, now):
        return []
    supervising = set(overseers)
    found: list[Nudge] = []
    digests: dict[str, list[Obligation]] = defaultdict(list)
    today_and_soon = _today_and_soon(plan, calendar, now)  # the same for every duty: worked out once
    stages: dict[datetime, str | None] = {}  # a stage turns on the due date alone, and many duties share one
    for obligation in obligations:
        if obligation.kind in NOT_NUDGED:
            continue
        instant = obligation.due.astimezone(UTC)  # not local: the repeated hour in autumn would compare equal
        if instant in stages:
            stage = stages[instant]
        else:
            stage = stages[instant] = _stage(obligation, plan, calendar, now, *today_and_soon)
        if stage is None:
            continue
        overdue = stage.startswith("overdue")
        kind, subject = obligation.kind.value, obligation.subject
        for recipient in obligation.notify:
            if obligation.supervisee is not None and recipient not in {obligation.supervisee, obligation.supervisor}:
                if overdue:  # only an escalation adds someone beyond the two people supervising
                    found.append(
                        Nudge(recipient, kind, subject, "escalated", obligation.due, (), obligation.supervisee)
                    )
            elif overdue and recipient in supervising:
                digests[recipient].append(obligation)
            elif recipient == obligation.supervisee or obligation.supervisee is None:
                found.append(Nudge(recipient, kind, subject, stage, obligation.due, (), obligation.supervisee))
    today = calendar.local(now).date().isoformat()
    for recipient, items in sorted(digests.items()):
        ordered = tuple(sorted(items, key=attrgetter("due", "kind", "subject")))  # a kind sorts as its value
        gone = tuple(sorted((unreachable or {}).get(recipient, ())))
        found.append(Nudge(recipient, DIGEST, today, "daily", ordered[0].due, ordered, None, gone))
    return sorted(found, key=attrgetter("recipient", "due", "kind", "subject"))
