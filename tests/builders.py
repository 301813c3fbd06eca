"""Small builders for facts, so each policy test reads like the paragraph it checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.rules.engine import Obligation, obligations_due
from bot.rules.facts import (
    Agreement,
    Case,
    CaseCategory,
    Employment,
    Hours,
    Risk,
    Role,
    Session,
    SessionKind,
    Staff,
    UrgentRequest,
    World,
)
from bot.rules.profile import Profile, load_profile

LONDON = ZoneInfo("Europe/London")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A local date-time in London."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


MANAGER = Staff(
    "m1", "Morgan", Role.MANAGER, Employment.PERMANENT, Hours.FULL_TIME, False, at(2010, 1, 4), team="north"
)
SUPERVISOR = Staff(
    "s1", "Sam", Role.SUPERVISOR, Employment.PERMANENT, Hours.FULL_TIME, False, at(2015, 1, 5),
    supervisor="m1", supervisor_since=at(2015, 1, 5), line_manager="m1", team="north",
)  # fmt: skip


EXPERIENCED = at(2020, 1, 6)


def worker(
    start: datetime = EXPERIENCED,
    *,
    id: str = "p1",
    nqsw: bool = False,
    employment: Employment = Employment.PERMANENT,
    hours: Hours = Hours.FULL_TIME,
    role: Role = Role.PRACTITIONER,
    since: datetime | None = None,
    supervisor: str = "s1",
    team: str | None = "north",
) -> Staff:
    """A member of staff supervised by s1 (whose line manager is m1)."""
    return Staff(id, f"Worker {id}", role, employment, hours, nqsw, start, supervisor, since or start, team=team)


def held(
    id: str,
    when: datetime,
    kind: str = "personal",
    *,
    supervisee: str | None = "p1",
    supervisor: str = "s1",
    cases: Iterable[str] = (),
    recorded: datetime | None = None,
    signed: datetime | None = None,
    team: str | None = None,
) -> Session:
    """A session that was held."""
    return Session(id, supervisee, supervisor, SessionKind(kind), when, recorded, tuple(cases), signed, team)


def case(
    id: str, category: str, allocated: datetime, *, risk: str | None = None, age: int | None = None, worker: str = "p1"
) -> Case:
    """A child's case, by case ID only."""
    return Case(id, worker, CaseCategory(category), allocated, Risk(risk) if risk else None, age)


def signed(when: datetime, supervisee: str = "p1", supervisor: str = "s1") -> Agreement:
    return Agreement(supervisee, supervisor, when)


def urgent(id: str, when: datetime, requester: str = "p1") -> UrgentRequest:
    return UrgentRequest(id, requester, when)


def only_rule(profile_name: str, rule_id: str) -> Profile:
    """The profile with just one rule, to show what that rule alone requires."""
    profile = load_profile(profile_name)
    families = ("agreements", "frequencies", "case_discussions", "deadlines", "urgent", "escalations")
    kept = {family: tuple(r for r in getattr(profile, family) if r.id == rule_id) for family in families}
    assert sum(len(rules) for rules in kept.values()) == 1, f"no single rule {rule_id!r} in {profile_name}"
    return replace(profile, **kept)


def obligations(
    profile: str | Profile,
    now: datetime,
    *,
    staff: Iterable[Staff] = (),
    sessions: Iterable[Session] = (),
    cases: Iterable[Case] = (),
    agreements: Iterable[Agreement] = (),
    requests: Iterable[UrgentRequest] = (),
) -> list[Obligation]:
    """Everything due at `now`; the manager m1 and supervisor s1 are always there."""
    chosen = load_profile(profile) if isinstance(profile, str) else profile
    world = World(
        staff=(MANAGER, SUPERVISOR, *staff),
        sessions=tuple(sessions),
        agreements=tuple(agreements),
        cases=tuple(cases),
        urgent_requests=tuple(requests),
    )
    return obligations_due(chosen, world, now)


def find(found: list[Obligation], kind: str, subject: str) -> Obligation | None:
    """The one obligation of this kind about this subject, if any."""
    matches = [o for o in found if o.kind.value == kind and o.subject == subject]
    assert len(matches) <= 1
    return matches[0] if matches else None


def due_of(profile: str | Profile, kind: str, subject: str, now: datetime, **facts: object) -> Obligation:
    """The obligation of this kind about this subject, which must exist."""
    found = find(obligations(profile, now, **facts), kind, subject)  # type: ignore[arg-type]
    assert found is not None, f"nothing {kind} for {subject}"
    return found
