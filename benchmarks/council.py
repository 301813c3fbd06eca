"""A realistic council of any size, for benchmarks: at scale 1, Birmingham's children's services.

1,500 staff (15 managers, 150 supervisors, the rest practitioners, some newly qualified, agency or
part-time), 10,000 open cases in a realistic mix, and three years of history: monthly personal
supervision with the worker's cases discussed, records written and signed (mostly on time, some
late, a few never), yearly agreements, group sessions, and some urgent requests. Seeded, so every
run builds the same council.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.rules.facts import (
    Agreement,
    Case,
    CaseCategory,
    Employment,
    Hours,
    Role,
    Session,
    SessionKind,
    Staff,
    UrgentRequest,
    World,
)

MIX = {  # share of open cases by category, roughly as English councils report them
    CaseCategory.CHILD_IN_NEED: 0.30,
    CaseCategory.CHILD_PROTECTION: 0.12,
    CaseCategory.CHILD_IN_CARE: 0.22,
    CaseCategory.ASSESSMENT: 0.14,
    CaseCategory.EARLY_HELP: 0.10,
    CaseCategory.CARE_LEAVER: 0.10,
    CaseCategory.LEVEL_2: 0.02,
}
YEARS = 3


def council(now: datetime, scale: float = 1.0, seed: int = 7) -> World:
    """The council as it stands at `now`, `scale` times Birmingham's size."""
    rng = random.Random(seed)
    managers = max(1, round(15 * scale))
    supervisors = max(1, round(150 * scale))
    practitioners = max(1, round(1500 * scale) - managers - supervisors)
    start = now - timedelta(days=365 * YEARS)
    staff: list[Staff] = []
    for m in range(managers):
        staff.append(_person(f"m{m}", Role.MANAGER, start - timedelta(days=900), None, None, f"area-{m}"))
    for s in range(supervisors):
        manager = f"m{s % managers}"
        staff.append(_person(f"s{s}", Role.SUPERVISOR, start - timedelta(days=400), manager, manager, f"team-{s}"))
    for p in range(practitioners):
        supervisor = f"s{p % supervisors}"
        joined = start + timedelta(days=rng.randrange(0, 365 * YEARS)) if rng.random() < 0.3 else start
        staff.append(
            _person(
                f"p{p}",
                Role.PRACTITIONER,
                joined,
                supervisor,
                None,
                f"team-{p % supervisors}",
                nqsw=rng.random() < 0.08 and joined > now - timedelta(days=365),
                agency=rng.random() < 0.12,
                part_time=rng.random() < 0.15,
            )
        )
    workers = [person for person in staff if person.role is Role.PRACTITIONER]
    cases = []
    categories, weights = list(MIX), list(MIX.values())
    for c in range(round(10_000 * scale)):
        category = rng.choices(categories, weights)[0]
        cases.append(
            Case(
                f"C-{c:06d}",
                workers[c % len(workers)].id,
                category,
                now - timedelta(days=rng.randrange(1, 700)),
                age=rng.randrange(18, 25) if category is CaseCategory.CARE_LEAVER else None,
            )
        )
    by_worker: dict[str, list[str]] = {}
    for case in cases:
        by_worker.setdefault(case.worker, []).append(case.id)
    sessions: list[Session] = []
    agreements: list[Agreement] = []
    for person in staff:
        if person.supervisor is None:
            continue
        slack = rng.random()  # most keep to time; a few slip badly
        gap = 28 if slack < 0.8 else 45 if slack < 0.95 else 80
        moment = max(person.start_date, start) + timedelta(days=rng.randrange(0, 20), hours=10)
        number = 0
        while moment < now - timedelta(days=1):
            number += 1
            recorded = moment + timedelta(days=rng.choice((0, 1, 2, 2, 3, 6))) if rng.random() < 0.97 else None
            signed = recorded + timedelta(days=rng.randrange(0, 12)) if recorded and rng.random() < 0.95 else None
            mine = by_worker.get(person.id, [])
            discussed = tuple(rng.sample(mine, min(len(mine), rng.randrange(0, 5)))) if mine else ()
            sessions.append(
                Session(
                    f"{person.id}-{number}",
                    person.id,
                    person.supervisor,
                    SessionKind.PERSONAL,
                    moment,
                    recorded,
                    discussed,
                    signed,
                )
            )
            moment += timedelta(days=gap + rng.randrange(-3, 4))
        signed_at = max(person.start_date, start) + timedelta(days=rng.randrange(0, 30))
        while signed_at < now:
            agreements.append(Agreement(person.id, person.supervisor, signed_at))
            signed_at += timedelta(days=365 + rng.randrange(-20, 60))
    for s in range(supervisors):
        moment = start + timedelta(days=rng.randrange(0, 60), hours=14)
        number = 0
        while moment < now:
            number += 1
            team = f"team-{s}"
            sessions.append(Session(f"g{s}-{number}", None, f"s{s}", SessionKind.GROUP, moment, moment, team=team))
            moment += timedelta(days=rng.randrange(50, 100))
    urgent = tuple(
        UrgentRequest(f"U-{u}", workers[rng.randrange(len(workers))].id, now - timedelta(days=rng.randrange(1, 900)))
        for u in range(round(60 * scale))
    )
    return World(
        staff=tuple(staff),
        sessions=tuple(sessions),
        agreements=tuple(agreements),
        cases=tuple(cases),
        urgent_requests=urgent,
    )


def _person(
    id: str, role: Role, start: datetime, supervisor: str | None, manager: str | None, team: str,
    *, nqsw: bool = False, agency: bool = False, part_time: bool = False,
) -> Staff:  # fmt: skip
    return Staff(
        id=id,
        name=f"Person {id}",
        role=role,
        employment=Employment.AGENCY if agency else Employment.PERMANENT,
        hours=Hours.PART_TIME if part_time else Hours.FULL_TIME,
        nqsw=nqsw,
        start_date=start,
        supervisor=supervisor,
        supervisor_since=start if supervisor else None,
        line_manager=manager,
        team=team,
    )


if __name__ == "__main__":
    world = council(datetime(2026, 11, 25, 10, tzinfo=UTC))
    print({key: len(getattr(world, key)) for key in ("staff", "cases", "sessions", "agreements", "urgent_requests")})
