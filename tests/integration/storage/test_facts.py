"""`load_facts` reads only part of the store; the rules find the same duties from it as from all of it.

A seeded, untidy council (every kind of session, cases discussed before they were allocated, closed cases,
supervisors changed, people who never signed an agreement, records written late or never, sessions only
planned, urgent requests answered and not) goes into a real SQLite file and a real PostgreSQL database. At
moments across its history, under every shipped policy, the duties worked out from `load_facts` must equal
those worked out from `load_world`, which reads everything.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bot.rules.calendar import Calendar
from bot.rules.engine import obligations_due, reads
from bot.rules.facts import (
    Agreement,
    Case,
    CaseCategory,
    Employment,
    Hours,
    Risk,
    Role,
    SessionKind,
    Staff,
    UrgentRequest,
    World,
)
from bot.rules.facts import Session as HeldSession
from bot.rules.profile import Profile, known_profiles, load_profile
from bot.storage.repositories import CaseRepository, SessionRepository, StaffRepository
from bot.storage.world import import_world, load_facts, load_world

CALENDAR = Calendar()
START = date(2024, 1, 8)
END = date(2026, 11, 25)


def moment(rng: random.Random, earliest: date = START, latest: date = END) -> datetime:
    day = earliest + timedelta(days=rng.randrange(max(1, (latest - earliest).days)))
    return CALENDAR.local(datetime.combine(day, time(rng.choice((0, 9, 10, 14, 16, 23))), tzinfo=CALENDAR.zone))


def untidy_council(seed: int = 11) -> World:
    rng = random.Random(seed)
    staff = [Staff("m0", "Manager", Role.MANAGER, Employment.PERMANENT, Hours.FULL_TIME, False,
                   CALENDAR.midnight(START - timedelta(days=400)), team="area")]  # fmt: skip
    for s in range(3):
        staff.append(Staff(f"s{s}", f"Supervisor {s}", Role.SUPERVISOR, Employment.PERMANENT, Hours.FULL_TIME, False,
                           CALENDAR.midnight(START - timedelta(days=300)), "m0", None, "m0", f"team-{s}"))  # fmt: skip
    for p in range(24):
        joined = CALENDAR.midnight(START + timedelta(days=rng.randrange(0, 800))) if p % 3 == 0 else staff[1].start_date
        supervisor = f"s{p % 3}"
        staff.append(
            Staff(
                f"p{p}",
                f"Practitioner {p}",
                Role.PRACTITIONER,
                rng.choice(list(Employment)),
                rng.choice(list(Hours)),
                nqsw=p % 5 == 0,
                start_date=joined,
                supervisor=supervisor,
                supervisor_since=joined,
                team=f"team-{p % 3}",
            )
        )
    workers = [person for person in staff if person.role is Role.PRACTITIONER]
    cases = [
        Case(
            f"C-{c:04d}",
            workers[c % len(workers)].id,
            rng.choice(list(CaseCategory)),
            CALENDAR.midnight(START + timedelta(days=rng.randrange(0, 1000))),
            risk=rng.choice((None, Risk.HIGH, Risk.LOW)),
            age=rng.choice((None, 3, 12, 17, 19, 23)),
        )
        for c in range(90)
    ]
    sessions = []
    for number in range(700):
        person = rng.choice(workers)
        kind = rng.choice([kind for kind in SessionKind if kind is not SessionKind.GROUP])
        held = moment(rng)
        recorded = held + timedelta(days=rng.randrange(0, 20)) if rng.random() < 0.95 else None
        signed = recorded + timedelta(days=rng.randrange(0, 20)) if recorded and rng.random() < 0.9 else None
        own = [case.id for case in cases if case.worker == person.id]
        discussed = tuple(rng.sample(own, min(len(own), rng.randrange(0, 4))))
        supervisor = person.supervisor if rng.random() < 0.9 else rng.choice(["s0", "s1", "s2"])
        sessions.append(HeldSession(f"S-{number}", person.id, supervisor, kind, held, recorded, discussed, signed))
    for number in range(40):
        team = rng.randrange(3)
        held = moment(rng)
        sessions.append(HeldSession(f"G-{number}", None, f"s{team}", SessionKind.GROUP, held,
                                    held if rng.random() < 0.7 else None, team=f"team-{team}"))  # fmt: skip
    agreements = [
        Agreement(person.id, person.supervisor or "", moment(rng))
        for person in workers
        for _ in range(rng.randrange(0, 3))  # some people never sign one
    ]
    urgent = [UrgentRequest(f"U-{u}", rng.choice(workers).id, moment(rng)) for u in range(25)]
    return World(tuple(staff), tuple(sessions), tuple(agreements), tuple(cases), tuple(urgent))


def untidy_store(db: Session) -> None:
    """The council, then what happens after an import: supervisors change, cover, closed cases, planned sessions."""
    import_world(db, untidy_council())
    people, cases, sessions = StaffRepository(db), CaseRepository(db), SessionRepository(db)
    people.set_supervisor("p4", "s2", date(2025, 6, 2))  # a new supervisor, with no agreement signed yet
    people.set_supervisor("p7", "s0", date(2026, 10, 1))
    people.add_cover("p8", "s1", date(2026, 11, 1), date(2026, 12, 1))
    for case_id in ("C-0003", "C-0010", "C-0042"):
        cases.close(case_id, date(2026, 3, 1))
    sessions.plan("P-1", "p1", "s1", "personal", CALENDAR.midnight(date(2026, 11, 20)))
    # p4's first supervision with the new supervisor, after one more with the old
    for session_id, supervisor, day in (("H-1", "s1", date(2025, 6, 10)), ("H-2", "s2", date(2025, 6, 25))):
        planned = CALENDAR.local(datetime.combine(day, time(10), tzinfo=CALENDAR.zone))
        sessions.plan(session_id, "p4", supervisor, "personal", planned)
        sessions.hold(session_id, planned)
    db.commit()


def moments() -> list[datetime]:
    """Across the history, on a working day and a weekend, in and out of working hours, and after it."""
    days = [START + timedelta(days=offset) for offset in range(45, (END - START).days, 97)] + [END, date(2027, 2, 6)]
    return [CALENDAR.local(datetime.combine(day, time(hour), tzinfo=CALENDAR.zone)) for day in days for hour in (3, 11)]


def own_profile(folder: Path) -> Profile:
    """A council's own policy, as Devon's but counting only case sessions for a child's case."""
    shipped = resources.files("bot.rules") / "profiles" / "devon.toml"
    text = shipped.read_text(encoding="utf-8")
    assert 'counts = ["personal", "case"]' in text
    path = folder / "own.toml"
    path.write_text(text.replace('counts = ["personal", "case"]', 'counts = ["case"]'), encoding="utf-8")
    return load_profile(str(path))


@pytest.mark.parametrize("policy", [*known_profiles(), "own"])
def test_the_rules_find_the_same_duties_from_the_facts_loaded_as_from_the_whole_store(
    db: Session, policy: str, tmp_path: Path
) -> None:
    untidy_store(db)
    profile = own_profile(tmp_path) if policy == "own" else load_profile(policy)
    everything = load_world(db, profile.calendar)
    checked = 0
    for now in moments():
        expected = obligations_due(profile, everything, now)
        facts = load_facts(db, profile, now)
        assert obligations_due(profile, facts, now) == expected, f"{policy} at {now.isoformat()}"
        checked += len(expected)
    assert checked > 1000  # the comparison covers plenty of duties, not a handful


def test_of_years_of_sessions_done_with_only_the_latest_are_read(db: Session) -> None:
    """Three years of monthly supervision, each recorded and signed, discussing one case, under a yearly agreement:
    the duties turn on the latest session alone (the latest two where a policy asks for at least two in a time)."""
    council = untidy_council()
    person = next(p for p in council.staff if p.id == "p1")
    case = next(c for c in council.cases if c.worker == "p1")
    held = [CALENDAR.local(datetime.combine(START + timedelta(days=28 * n), time(10), tzinfo=CALENDAR.zone))
            for n in range(36)]  # fmt: skip
    sessions = tuple(
        HeldSession(f"M-{n}", "p1", "s1", SessionKind.PERSONAL, at, at, (case.id,), at) for n, at in enumerate(held)
    )
    agreements = tuple(Agreement("p1", "s1", at) for at in held[::12])  # signed at the start, renewed yearly
    import_world(db, World((*council.staff[:4], person), sessions, agreements, (case,)))
    db.commit()
    now = held[-1] + timedelta(days=3)
    for policy in known_profiles():
        profile = load_profile(policy)
        depth = reads(profile).depth  # 2 where a policy asks for at least two within a time
        facts = load_facts(db, profile, now)
        assert [s.id for s in facts.sessions] == [s.id for s in sessions[-depth:]], policy
        whole = load_world(db, profile.calendar)
        assert len(whole.sessions) == 36
        assert obligations_due(profile, facts, now) == obligations_due(profile, whole, now), policy


def test_facts_dated_after_the_moment_are_left_out(db: Session) -> None:
    untidy_store(db)
    profile = load_profile("devon")
    now = CALENDAR.local(datetime(2025, 3, 5, 11, tzinfo=CALENDAR.zone))
    facts = load_facts(db, profile, now)
    assert facts.sessions and all(session.held_at <= now for session in facts.sessions)
    assert facts.agreements and all(agreement.signed_at <= now for agreement in facts.agreements)
    assert "P-1" not in {session.id for session in load_facts(db, profile, moments()[-1]).sessions}
