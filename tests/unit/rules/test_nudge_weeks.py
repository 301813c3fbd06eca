"""Weeks of a small team under each policy profile on a fake clock: which reminders arrive, to whom, and when.

The clock steps an hour at a time (half an hour for a plan that starts at 08:30). At each step the engine says what is
due (`obligations_due`) and the reminder plan says which reminders that means (`nudges_due`), as a sweep does. A set
keyed like the outbox's unique key (kind, subject, stage, recipient) lets each reminder through once, so what is
recorded is what people would receive.

Every expected moment is worked out by hand from the profile's rules and its `[nudges]` table, with the arithmetic in a
comment, and written as a literal. A second reckoning, independent of the calendar under test (England's bank holidays
written out by hand, plain date arithmetic), checks the stage of every reminder in every scenario.

All five shipped profiles have the same plan (checked first, so a change to a profile shows up here): "soon" 2 working
days before, "due" on the day, "overdue-1" at the first sweep after the due moment, then every week while overdue,
only from 09:00 to 17:00 on working days. "Wd" below means working days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest

from bot.rules.calendar import Interval
from bot.rules.engine import obligations_due
from bot.rules.facts import Staff, UrgentRequest, World
from bot.rules.nudges import nudges_due
from bot.rules.profile import NudgePlan, load_profile
from tests.builders import MANAGER, SUPERVISOR, at, case, held, signed, worker

LONDON = ZoneInfo("Europe/London")
HOUR = timedelta(hours=1)
PROFILES = ("devon", "blackburn", "wokingham", "south-glos", "csc-guidance")

# England's bank holidays from October 2026 to April 2027, the span of every scenario, written out by hand.
BANK_HOLIDAYS = {
    date(2026, 12, 25),  # Christmas Day, a Friday
    date(2026, 12, 26),  # Boxing Day is a Saturday...
    date(2026, 12, 28),  # ...so Monday 28 December is the bank holiday instead
    date(2027, 1, 1),  # New Year's Day, a Friday
    date(2027, 3, 26),  # Good Friday
    date(2027, 3, 29),  # Easter Monday
}
HOLIDAYS_KNOWN_FROM, HOLIDAYS_KNOWN_UNTIL = date(2026, 10, 1), date(2027, 4, 30)

AGREEMENT = "agreement"
PERSONAL = "personal_supervision"
CASE_SUPERVISION = "case_supervision"
DISCUSSION = "case_discussion"
REFLECTIVE = "reflective_supervision"
GROUP = "group_supervision"
RECORDING = "recording"
SIGN_OFF = "sign_off"


# ---------------------------------------------------------------------------------------------
# The teams


def team(*people: Staff, group: str | None = None) -> tuple[Staff, ...]:
    """Morgan (m1), line manager of Sam (s1), who supervises `people`. Sam's own supervision by Morgan is left out, so
    Morgan hears only of escalations and Sam only of the team; `group` puts everyone in a team that meets as a group."""
    return (
        replace(MANAGER, team=group),
        replace(SUPERVISOR, supervisor=None, supervisor_since=None, team=group),
        *(replace(person, team=group) for person in people),
    )


P1, P2 = worker(id="p1"), worker(id="p2")  # experienced, permanent, full time, supervised by Sam
AGREED = (signed(at(2026, 6, 1, 10), "p1"), signed(at(2026, 6, 1, 10), "p2"))  # renewals fall due in June 2027


@dataclass(frozen=True)
class Scenario:
    """A team under one profile, watched from `start` until `end`. The whole story (sessions still to come included)
    is given up front: the engine counts only facts dated at or before the moment it is asked about."""

    profile: str
    world: World
    start: datetime
    end: datetime
    step: timedelta = HOUR
    plan: NudgePlan | None = None  # a council's own plan instead of the profile's


WINTER = (at(2026, 12, 1), at(2027, 2, 13))  # Tuesday 1 December 2026 to Friday 12 February 2027
SPRING = (at(2027, 2, 15), at(2027, 4, 17))  # Monday 15 February to Friday 16 April 2027: Easter, summer time
LATE = (at(2026, 12, 3), at(2027, 1, 23))  # Thursday 3 December 2026 to Friday 22 January 2027


def late_duty(profile: str) -> Scenario:
    """One practitioner whose supervision falls due on Wednesday 30 December 2026 at 10:00 under every profile and is
    not held before the end: everything else they owe is met or falls due after the end."""
    sessions = {
        "devon": (held("S", at(2026, 11, 30, 10)),),  # monthly
        "blackburn": (
            held("S", at(2026, 11, 30, 10), "case"),  # case supervision monthly
            held("P", at(2026, 11, 20, 10)),  # personal quarterly: 20 February
            held("R", at(2026, 11, 30, 14), "reflective", signed=at(2026, 11, 30, 16)),  # every 2 months: 30 January
            held("O1", at(2026, 7, 1, 10), "observation", signed=at(2026, 7, 1, 16)),  # two in 12 months: July 2027
            held("O2", at(2026, 10, 1, 10), "observation", signed=at(2026, 10, 1, 16)),
        ),
        "wokingham": (held("S", at(2026, 11, 30, 10), recorded=at(2026, 11, 30, 16)),),  # monthly; recorded in 5 days
        "south-glos": (held("S", at(2026, 10, 30, 10)),),  # fewer than six on record: every 2 months
        "csc-guidance": (held("S", at(2026, 12, 2, 10)),),  # every 4 weeks: 2 December + 28 days
    }[profile]
    return Scenario(profile, World(staff=team(P1), sessions=sessions, agreements=AGREED[:1]), *LATE)


SCENARIOS: dict[str, Scenario] = {f"{profile}-late": late_duty(profile) for profile in PROFILES}

SCENARIOS["devon-winter"] = Scenario(
    "devon",
    World(
        staff=team(P1, P2, group="north"),
        sessions=(
            held("P1-nov", at(2026, 11, 30, 10)),
            held("P1-jan", at(2027, 1, 6, 14)),
            held("P2-nov", at(2026, 11, 18, 10), supervisee="p2"),
            held("P2-dec", at(2026, 12, 17, 10), supervisee="p2"),
            held("P2-jan", at(2027, 1, 19, 10), supervisee="p2"),
            held("C-p2", at(2027, 1, 4, 10), "case", supervisee="p2", cases=["C-1"], recorded=at(2027, 1, 8, 12)),
            held("G-nov", at(2026, 11, 16, 14), "group", supervisee=None, team="north"),
            held("G-dec", at(2026, 12, 14, 14), "group", supervisee=None, team="north"),
            held("G-jan", at(2027, 1, 21, 11), "group", supervisee=None, team="north"),
        ),
        agreements=AGREED,
        cases=(case("C-1", "child_in_need", at(2026, 12, 24, 15), worker="p2"),),
    ),
    *WINTER,
)

NEW_STARTER = worker(at(2027, 1, 4), id="p2")  # starts Monday 4 January 2027
SCENARIOS["blackburn-winter"] = Scenario(
    "blackburn",
    World(
        staff=team(P1, NEW_STARTER),
        sessions=(
            held("C-nov", at(2026, 11, 30, 10), "case"),
            held("C-jan", at(2027, 1, 5, 10), "case"),
            held("P-nov", at(2026, 11, 20, 10)),
            held("R-oct", at(2026, 10, 19, 10), "reflective", signed=at(2026, 10, 20, 10)),
            held("R-dec", at(2026, 12, 17, 14), "reflective", signed=at(2027, 1, 6, 12)),
            held("O-jul", at(2026, 7, 1, 10), "observation", signed=at(2026, 7, 2, 10)),
            held("O-oct", at(2026, 10, 1, 10), "observation", signed=at(2026, 10, 2, 10)),
            held("C2-1", at(2027, 1, 18, 11), "case", supervisee="p2"),
            held("C2-2", at(2027, 2, 1, 11), "case", supervisee="p2"),
        ),
        agreements=(AGREED[0], signed(at(2027, 1, 18, 10, 45), "p2")),  # the contract signed just before the session
    ),
    *WINTER,
)

SCENARIOS["wokingham-winter"] = Scenario(
    "wokingham",
    World(
        staff=team(P1, P2),
        sessions=(
            held("P1-nov", at(2026, 11, 30, 10), recorded=at(2026, 11, 30, 16)),
            held("P1-jan", at(2027, 1, 25, 10), recorded=at(2027, 2, 1, 9, 30)),
            held("P2-nov", at(2026, 11, 16, 10), supervisee="p2", recorded=at(2026, 11, 16, 16)),
            held("P2-dec", at(2026, 12, 14, 10), supervisee="p2", recorded=at(2026, 12, 15, 10)),
            held("P2-jan", at(2027, 1, 18, 14), supervisee="p2", recorded=at(2027, 1, 19, 10)),
            held("C2-nov", at(2026, 11, 2, 10), "case", supervisee="p2", cases=["C-2"], recorded=at(2026, 11, 3, 10)),
            held("C2-feb", at(2027, 2, 1, 10), "case", supervisee="p2", cases=["C-2"], recorded=at(2027, 2, 2, 10)),
            held("O2", at(2026, 9, 1, 10), "observation", supervisee="p2"),  # p2 holds a case: observed yearly
        ),
        agreements=AGREED,
        cases=(case("C-2", "child_protection", at(2026, 10, 1), worker="p2"),),
    ),
    *WINTER,
)

SIX_IN_A_YEAR = (at(2026, 1, 15, 10), at(2026, 3, 16, 10), at(2026, 5, 15, 10), at(2026, 7, 15, 10))
SCENARIOS["south-glos-winter"] = Scenario(
    "south-glos",
    World(
        staff=team(P1, P2),
        sessions=(
            *(held(f"P1-{n}", moment) for n, moment in enumerate(SIX_IN_A_YEAR)),
            held("P1-sep", at(2026, 9, 15, 10)),
            held("P1-nov", at(2026, 11, 16, 10)),
            held("P1-jan", at(2027, 1, 25, 10)),
            held("P2-jul", at(2026, 7, 30, 10), "case", supervisee="p2"),
            held("P2-sep", at(2026, 9, 30, 10), "case", supervisee="p2"),
            held("P2-nov", at(2026, 11, 30, 10), "case", supervisee="p2"),
        ),
        agreements=AGREED,
        urgent_requests=(UrgentRequest("U-1", "p2", at(2026, 12, 9, 11)),),  # never met: its own flow, not a reminder
    ),
    *WINTER,
)

SCENARIOS["csc-guidance-winter"] = Scenario(
    "csc-guidance",
    World(
        staff=team(P1, P2),
        sessions=(
            held("P1-nov", at(2026, 11, 30, 10)),
            held("P1-jan", at(2027, 1, 7, 14), "case"),
            held("P2-nov", at(2026, 11, 11, 10), supervisee="p2"),
            held("P2-dec", at(2026, 12, 9, 10), supervisee="p2"),
            held("P2-jan", at(2027, 1, 6, 10), supervisee="p2", cases=["C-3"]),
        ),
        agreements=AGREED,
        cases=(case("C-3", "assessment", at(2026, 12, 7, 9), worker="p2"),),
    ),
    *WINTER,
)

SCENARIOS["devon-spring"] = Scenario(
    "devon",
    World(
        staff=team(P1, P2, group="north"),
        sessions=(
            held("P1-jan", at(2027, 1, 29, 10)),
            held("P1-mar", at(2027, 3, 1, 14)),
            held("P2-jan", at(2027, 1, 26, 10), supervisee="p2"),
            held("P2-feb", at(2027, 2, 26, 10), supervisee="p2"),
            held("G-feb", at(2027, 2, 1, 11), "group", supervisee=None, team="north"),
            held("G-mar", at(2027, 3, 1, 11), "group", supervisee=None, team="north"),
            held("G-mar-2", at(2027, 3, 31, 11), "group", supervisee=None, team="north"),
        ),
        agreements=AGREED,
    ),
    *SPRING,
)

MOVED_TO_SAM = worker(id="p3", since=at(2027, 1, 31))  # Sam supervises p3 from Sunday 31 January 2027
SCENARIOS["wokingham-spring"] = Scenario(
    "wokingham",
    World(
        staff=team(MOVED_TO_SAM),
        sessions=(
            held("P3-feb", at(2027, 2, 12, 10), supervisee="p3", recorded=at(2027, 2, 12, 16)),
            held("P3-mar", at(2027, 3, 15, 10), supervisee="p3", recorded=at(2027, 3, 15, 16)),
        ),
        agreements=(signed(at(2027, 3, 3, 11), "p3"),),
    ),
    *SPRING,
)

SCENARIOS["csc-guidance-autumn"] = Scenario(
    "csc-guidance",
    World(
        staff=team(P1, P2),
        sessions=(
            held("P1-oct", at(2026, 10, 5, 14)),
            held("P2-sep", at(2026, 9, 22, 14), supervisee="p2"),
            held("P2-oct", at(2026, 10, 28, 10), supervisee="p2"),
        ),
        agreements=AGREED,
    ),
    at(2026, 10, 12),  # Monday 12 October to Friday 6 November 2026; the clocks go back on Sunday 25 October
    at(2026, 11, 7),
)

# README's example of a council's own plan, on Wokingham's rules, swept every half hour.
WOKINGHAM_PLAN = load_profile("wokingham").nudges
assert WOKINGHAM_PLAN is not None
SCENARIOS["wokingham-own-plan"] = Scenario(
    "wokingham",
    World(
        staff=team(P1, P2),
        sessions=(
            held("S1", at(2026, 11, 30, 10), recorded=at(2026, 11, 30, 16)),
            held("S2", at(2026, 12, 4, 17), supervisee="p2", recorded=at(2026, 12, 4, 17)),
        ),
        agreements=AGREED,
    ),
    at(2026, 12, 21),
    at(2027, 1, 9),
    step=timedelta(minutes=30),
    plan=replace(
        WOKINGHAM_PLAN,
        before_due=Interval.parse("3 working days"),
        day_starts=time(8, 30),
        day_ends=time(17, 30),
    ),
)

# Two scenarios that show what look like bugs; they are kept out of the general checks.
ODD_ONE_AGREEMENT = "blackburn-agreement-signed-after-the-first-session"
ODD_ONE_GROUP = "csc-guidance-team-group-session"
ODD_ONES_OUT: dict[str, Scenario] = {
    ODD_ONE_AGREEMENT: Scenario(
        "blackburn",
        World(
            staff=team(NEW_STARTER),
            sessions=(held("C2-1", at(2027, 1, 18, 11), "case", supervisee="p2"),),
            agreements=(signed(at(2027, 1, 19, 10), "p2"),),
        ),
        at(2027, 1, 4),
        at(2027, 1, 23),
    ),
    ODD_ONE_GROUP: Scenario(
        "csc-guidance",
        World(
            staff=team(P1, group="north"),
            sessions=(
                held("P1-nov", at(2026, 11, 2, 10)),
                held("G-nov", at(2026, 11, 25, 10), "group", supervisee=None, team="north"),
            ),
            agreements=AGREED[:1],
        ),
        at(2026, 11, 23),
        at(2026, 12, 12),
    ),
}


# ---------------------------------------------------------------------------------------------
# The simulation


class Arrival(NamedTuple):
    """One reminder as it reaches someone."""

    when: datetime  # local time of the sweep that queued it
    recipient: str
    kind: str
    subject: str
    stage: str
    due: datetime  # local
    items: tuple[str, ...]  # a digest's duties as "kind subject", in its order


@cache
def simulate(name: str) -> tuple[Arrival, ...]:
    scenario = SCENARIOS.get(name) or ODD_ONES_OUT[name]
    profile = load_profile(scenario.profile)
    plan = scenario.plan or profile.nudges
    assert plan is not None
    overseers = {person.supervisor for person in scenario.world.staff if person.supervisor}
    sent: set[tuple[str, str, str, str]] = set()  # the outbox's unique key: (kind, subject, stage, recipient)
    arrivals: list[Arrival] = []
    now = scenario.start.astimezone(UTC)
    while now < scenario.end:
        obligations = obligations_due(profile, scenario.world, now)
        for nudge in nudges_due(obligations, plan, profile.calendar, now, overseers=overseers):
            key = (nudge.kind, nudge.subject, nudge.outbox_stage, nudge.recipient)
            if key in sent:
                continue
            sent.add(key)
            items = tuple(f"{item.kind.value} {item.subject}" for item in nudge.items)
            local, due = now.astimezone(LONDON), nudge.due.astimezone(LONDON)
            arrivals.append(Arrival(local, nudge.recipient, nudge.kind, nudge.subject, nudge.stage, due, items))
        now += scenario.step
    return tuple(arrivals)


def stamp(moment: datetime) -> str:
    return f"{moment.astimezone(LONDON):%Y-%m-%d %H:%M}"


def reminders(name: str) -> list[tuple[str, str, str, str, str]]:
    """(local time, recipient, kind, subject, stage) of every reminder but the digests, in the order they arrive."""
    return [(stamp(a.when), a.recipient, a.kind, a.subject, a.stage) for a in simulate(name) if a.kind != "digest"]


def digests(name: str, recipient: str = "s1") -> list[tuple[str, tuple[str, ...]]]:
    """(local time, duties listed) of each daily digest to one person."""
    return [(stamp(a.when), a.items) for a in simulate(name) if a.kind == "digest" and a.recipient == recipient]


# An independent reckoning, for the default plan only: hourly sweeps, 09:00 to 17:00 on working days.


def working_day(day: date) -> bool:
    assert HOLIDAYS_KNOWN_FROM <= day <= HOLIDAYS_KNOWN_UNTIL, f"no bank holidays written down for {day}"
    return day.weekday() < 5 and day not in BANK_HOLIDAYS


def plus_working_days(day: date, count: int) -> date:
    while count:
        day += timedelta(days=1)
        count -= working_day(day)
    return day


def plus_weeks(moment: datetime, weeks: int) -> datetime:
    """The same local time of day `weeks` weeks on, whatever the clocks did in between."""
    wall = moment.astimezone(LONDON).replace(tzinfo=None) + timedelta(weeks=weeks)
    return wall.replace(tzinfo=LONDON)


def first_sweep(moment: datetime, *, after: bool) -> str:
    """The first hourly sweep in working hours at `moment` or later (strictly later with `after`)."""
    sweep = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if sweep < moment or (after and sweep == moment):
        sweep += HOUR
    while not (working_day(sweep.astimezone(LONDON).date()) and 9 <= sweep.astimezone(LONDON).hour < 17):
        sweep += HOUR
    return stamp(sweep)


def digest_days(month: str, days: tuple[int, ...], items: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
    """Digests at 09:00 on these days of a month ("2027-01"), each listing `items`."""
    return [(f"{month}-{day:02} 09:00", items) for day in days]


DEFAULT_PLAN = [name for name, scenario in SCENARIOS.items() if scenario.plan is None]


# ---------------------------------------------------------------------------------------------
# What the expectations were worked out from


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_has_the_plan_the_expectations_were_worked_out_from(profile: str) -> None:
    plan = load_profile(profile).nudges
    assert plan is not None
    assert (str(plan.before_due), str(plan.repeat_overdue), plan.day_starts, plan.day_ends) == (
        "2 working days",
        "1 week",
        time(9),
        time(17),
    )


@pytest.mark.parametrize("profile", PROFILES)
def test_only_wokingham_escalates_and_after_three_weeks(profile: str) -> None:
    found = [(str(rule.after), sorted(rule.applies_to)) for rule in load_profile(profile).escalations]
    assert found == ([("3 weeks", [DISCUSSION, PERSONAL])] if profile == "wokingham" else [])


# ---------------------------------------------------------------------------------------------
# What holds in every scenario


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_reminders_arrive_only_in_working_hours_on_working_days(name: str) -> None:
    scenario = SCENARIOS[name]
    opens, closes = (time(8, 30), time(17, 30)) if scenario.plan else (time(9), time(17))
    found = simulate(name)
    assert found
    for arrival in found:
        moment = arrival.when
        assert moment.weekday() < 5 and moment.date() not in BANK_HOLIDAYS, arrival
        assert opens <= moment.time() < closes, arrival


@pytest.mark.parametrize("name", DEFAULT_PLAN)
def test_every_reminder_arrives_when_its_stage_begins(name: str) -> None:
    """Soon: within 2 working days of the due date. Due: on the day, before the moment. Overdue-1: the first sweep
    after the moment; overdue-N: the first sweep from N - 1 weeks after it (same local time). Escalated: the first
    sweep more than 3 weeks after it."""
    found = [arrival for arrival in simulate(name) if arrival.kind != "digest"]
    assert found
    for arrival in found:
        today, due = arrival.when.date(), arrival.due
        if arrival.stage == "soon":
            assert today < due.date() <= plus_working_days(today, 2), arrival
        elif arrival.stage == "due":
            assert today == due.date() and arrival.when <= due, arrival
        elif arrival.stage == "escalated":
            assert stamp(arrival.when) == first_sweep(plus_weeks(due, 3), after=True), arrival
        else:
            periods = int(arrival.stage.removeprefix("overdue-"))
            assert stamp(arrival.when) == first_sweep(plus_weeks(due, periods - 1), after=periods == 1), arrival


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_duty_goes_through_its_stages_in_order_once_each(name: str) -> None:
    rank = {"soon": -2, "due": -1}
    stages: dict[tuple[str, str, str, datetime], list[str]] = defaultdict(list)
    for arrival in simulate(name):
        if arrival.kind != "digest" and arrival.stage != "escalated":
            stages[arrival.recipient, arrival.kind, arrival.subject, arrival.due].append(arrival.stage)
    assert stages
    for duty, seen in stages.items():
        ranks = [rank.get(stage) or int(stage.removeprefix("overdue-")) for stage in seen]
        overdue = [r for r in ranks if r > 0]
        assert ranks == sorted(set(ranks)), (duty, seen)  # forward only, never the same stage twice
        assert overdue == list(range(1, len(overdue) + 1)), (duty, seen)  # no weekly reminder skipped


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_only_the_supervisor_gets_a_digest_and_at_most_one_a_day(name: str) -> None:
    found = [arrival for arrival in simulate(name) if arrival.kind == "digest"]
    assert found
    assert {arrival.recipient for arrival in found} == {"s1"}
    days = [arrival.when.date() for arrival in found]
    assert len(days) == len(set(days))
    for arrival in found:
        assert arrival.subject == arrival.when.date().isoformat() and arrival.items, arrival


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_supervisor_is_never_reminded_one_by_one_of_a_supervisees_duty(name: str) -> None:
    # Only the team's group supervision (no supervisee) reaches Sam as a reminder of its own.
    assert {a.kind for a in simulate(name) if a.recipient == "s1" and a.kind != "digest"} <= {GROUP}


# ---------------------------------------------------------------------------------------------
# The same late duty under every profile, across Christmas and the new year


@pytest.mark.parametrize("profile", PROFILES)
def test_a_late_duty_is_reminded_alike_under_every_profile(profile: str) -> None:
    kind = CASE_SUPERVISION if profile == "blackburn" else PERSONAL
    assert [(when, stage) for when, who, k, subject, stage in reminders(f"{profile}-late") if who == "p1"] == [
        # Due Wednesday 30 December 10:00. Thursday 24 December + 2 wd = 29, 30 December (25th, the weekend and
        # the 28th are holidays); Wednesday 23 December + 2 wd = 24, 29 December is still short of the 30th.
        ("2026-12-24 09:00", "soon"),
        ("2026-12-30 09:00", "due"),
        ("2026-12-30 11:00", "overdue-1"),  # the 10:00 sweep is the due moment itself, not yet late
        ("2027-01-06 10:00", "overdue-2"),  # 30 December 10:00 + 1 week
        ("2027-01-13 10:00", "overdue-3"),
        ("2027-01-20 10:00", "overdue-4"),
    ]
    assert {(k, subject) for _, _, k, subject, _ in reminders(f"{profile}-late")} == {(kind, "p1")}


@pytest.mark.parametrize("profile", PROFILES)
def test_a_late_duty_is_in_the_supervisors_digest_every_working_day(profile: str) -> None:
    kind = CASE_SUPERVISION if profile == "blackburn" else PERSONAL
    late = (f"{kind} p1",)
    # First at 11:00 on the 30th, when it becomes late; no digest on Friday 1 January.
    assert digests(f"{profile}-late") == [
        ("2026-12-30 11:00", late),
        ("2026-12-31 09:00", late),
        *digest_days("2027-01", (4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 18, 19, 20, 21, 22), late),
    ]


@pytest.mark.policy_rule("wokingham", "supervisors-line-manager-after-three-weeks")
@pytest.mark.parametrize("profile", PROFILES)
def test_only_wokingham_tells_the_supervisors_line_manager_once_three_weeks_late(profile: str) -> None:
    # 30 December 10:00 + 3 weeks = Wednesday 20 January 10:00; more than three weeks late at the 11:00 sweep.
    # Morgan (m1) is Sam's line manager, and is told once. Nowhere else does Morgan hear anything.
    kind = CASE_SUPERVISION if profile == "blackburn" else PERSONAL
    told = [(when, k, subject, stage) for when, who, k, subject, stage in reminders(f"{profile}-late") if who == "m1"]
    assert told == ([("2027-01-20 11:00", kind, "p1", "escalated")] if profile == "wokingham" else [])
    assert digests(f"{profile}-late", "m1") == []


# ---------------------------------------------------------------------------------------------
# Each profile's own duties over ten weeks of winter


def test_devon_winter() -> None:
    assert reminders("devon-winter") == [
        # Team supervision 16 Nov 14:00 + 1 month = Wed 16 Dec 14:00; Mon 14 + 2 wd = 16 (Fri 11 + 2 wd = Tue 15).
        # To Sam as leader of the team; held at 14:00 on the 14th.
        ("2026-12-14 09:00", "s1", GROUP, "north", "soon"),
        # 18 Nov 10:00 + 1 month = Fri 18 Dec 10:00; Wed 16 + 2 wd = 18. Held early on the 17th: no more.
        ("2026-12-16 09:00", "p2", PERSONAL, "p2", "soon"),
        # 30 Nov 10:00 + 1 month = Wed 30 Dec 10:00; Thu 24 Dec + 2 wd = 29, 30.
        ("2026-12-24 09:00", "p1", PERSONAL, "p1", "soon"),
        # A child allocated Thu 24 Dec 15:00, to be discussed within 1 wd: Tue 29 Dec 15:00, already within 2 wd.
        ("2026-12-24 15:00", "p2", DISCUSSION, "C-1", "soon"),
        ("2026-12-29 09:00", "p2", DISCUSSION, "C-1", "due"),
        ("2026-12-29 16:00", "p2", DISCUSSION, "C-1", "overdue-1"),  # discussed Mon 4 Jan 10:00: next 4 Feb 10:00
        ("2026-12-30 09:00", "p1", PERSONAL, "p1", "due"),
        ("2026-12-30 11:00", "p1", PERSONAL, "p1", "overdue-1"),
        # The discussion names the child: on the child's file within 3 wd, by Thu 7 Jan 10:00; Tue 5 + 2 wd = 7.
        ("2027-01-05 09:00", "p2", RECORDING, "C-p2", "soon"),
        ("2027-01-06 10:00", "p1", PERSONAL, "p1", "overdue-2"),  # 30 Dec 10:00 + 1 week; held at 14:00
        ("2027-01-07 09:00", "p2", RECORDING, "C-p2", "due"),
        ("2027-01-07 11:00", "p2", RECORDING, "C-p2", "overdue-1"),  # recorded Fri 8 Jan 12:00
        # Team supervision 14 Dec 14:00 + 1 month = Thu 14 Jan 14:00; Tue 12 + 2 wd = 14. Late from 15:00: that goes
        # in Sam's digest, not in a reminder of its own. Held Thu 21 Jan 11:00.
        ("2027-01-12 09:00", "s1", GROUP, "north", "soon"),
        # 17 Dec 10:00 + 1 month = Sun 17 Jan 10:00; Thu 14 + 2 wd = Mon 18 (Wed 13 + 2 wd = Fri 15).
        ("2027-01-14 09:00", "p2", PERSONAL, "p2", "soon"),
        ("2027-01-14 09:00", "s1", GROUP, "north", "due"),
        ("2027-01-18 09:00", "p2", PERSONAL, "p2", "overdue-1"),  # no "due" on a Sunday; held Tue 19 Jan 10:00
        ("2027-02-02 09:00", "p2", DISCUSSION, "C-1", "soon"),  # 4 Jan 10:00 + 1 month = Thu 4 Feb 10:00
        # 6 Jan 14:00 + 1 month = Sat 6 Feb 14:00; Thu 4 + 2 wd = Mon 8 (Wed 3 + 2 wd = Fri 5).
        ("2027-02-04 09:00", "p1", PERSONAL, "p1", "soon"),
        ("2027-02-04 09:00", "p2", DISCUSSION, "C-1", "due"),
        ("2027-02-04 11:00", "p2", DISCUSSION, "C-1", "overdue-1"),
        ("2027-02-08 09:00", "p1", PERSONAL, "p1", "overdue-1"),
        ("2027-02-11 10:00", "p2", DISCUSSION, "C-1", "overdue-2"),  # 4 Feb 10:00 + 1 week
        # p1's second week (Sat 13 Feb 14:00) ends after the simulation; p2's next (19 Feb) is "soon" on the 17th.
    ]


def test_devon_winter_digests() -> None:
    child, p1, record, group = f"{DISCUSSION} C-1", f"{PERSONAL} p1", f"{RECORDING} C-p2", f"{GROUP} north"
    assert digests("devon-winter") == [
        ("2026-12-29 16:00", (child,)),
        ("2026-12-30 09:00", (child,)),
        ("2026-12-31 09:00", (child, p1)),  # soonest due first
        ("2027-01-04 09:00", (child, p1)),  # the child is discussed at 10:00, after the digest
        ("2027-01-05 09:00", (p1,)),
        ("2027-01-06 09:00", (p1,)),
        ("2027-01-07 11:00", (record,)),
        ("2027-01-08 09:00", (record,)),
        ("2027-01-14 15:00", (group,)),
        ("2027-01-15 09:00", (group,)),
        ("2027-01-18 09:00", (group, f"{PERSONAL} p2")),
        ("2027-01-19 09:00", (group, f"{PERSONAL} p2")),
        ("2027-01-20 09:00", (group,)),
        ("2027-01-21 09:00", (group,)),
        ("2027-02-04 11:00", (child,)),
        ("2027-02-05 09:00", (child,)),
        *digest_days("2027-02", (8, 9, 10, 11, 12), (child, p1)),
    ]


def test_blackburn_winter() -> None:
    assert reminders("blackburn-winter") == [
        # Reflective every 2 months: 19 Oct 10:00 + 2 months = Sat 19 Dec; Thu 17 + 2 wd = Mon 21. Held at 14:00.
        ("2026-12-17 09:00", "p1", REFLECTIVE, "p1", "soon"),
        # Case supervision monthly: 30 Nov 10:00 + 1 month = Wed 30 Dec 10:00.
        ("2026-12-24 09:00", "p1", CASE_SUPERVISION, "p1", "soon"),
        ("2026-12-30 09:00", "p1", CASE_SUPERVISION, "p1", "due"),
        ("2026-12-30 11:00", "p1", CASE_SUPERVISION, "p1", "overdue-1"),  # held Tue 5 Jan 10:00: next Fri 5 Feb
        # The reflective record signed within 10 wd of Thu 17 Dec 14:00: 18, 21, 22, 23, 24, 29, 30, 31 Dec, 4, 5 Jan
        # = Tue 5 Jan 14:00. Thu 31 Dec + 2 wd = 4, 5 Jan (Wed 30 Dec + 2 wd = 31 Dec, 4 Jan).
        ("2026-12-31 09:00", "p1", SIGN_OFF, "R-dec", "soon"),
        ("2027-01-05 09:00", "p1", SIGN_OFF, "R-dec", "due"),
        ("2027-01-05 15:00", "p1", SIGN_OFF, "R-dec", "overdue-1"),  # signed Wed 6 Jan 12:00
        # A new starter on Mon 4 Jan: case supervision fortnightly for 3 months, first 4 Jan + 2 weeks = Mon 18 Jan
        # 00:00, and the contract by that first session. Nothing for p2 before they start.
        ("2027-01-14 09:00", "p2", AGREEMENT, "p2", "soon"),  # Thu 14 + 2 wd = Mon 18
        ("2027-01-14 09:00", "p2", CASE_SUPERVISION, "p2", "soon"),
        # Due at midnight: late at the first sweep of the day, so never "due". Signed 10:45, held 11:00.
        ("2027-01-18 09:00", "p2", AGREEMENT, "p2", "overdue-1"),
        ("2027-01-18 09:00", "p2", CASE_SUPERVISION, "p2", "overdue-1"),
        ("2027-01-28 09:00", "p2", CASE_SUPERVISION, "p2", "soon"),  # 18 Jan 11:00 + 2 weeks = Mon 1 Feb 11:00
        ("2027-02-01 09:00", "p2", CASE_SUPERVISION, "p2", "due"),  # held 11:00, the due moment: next Mon 15 Feb
        ("2027-02-03 09:00", "p1", CASE_SUPERVISION, "p1", "soon"),  # 5 Jan 10:00 + 1 month = Fri 5 Feb 10:00
        ("2027-02-05 09:00", "p1", CASE_SUPERVISION, "p1", "due"),
        ("2027-02-05 11:00", "p1", CASE_SUPERVISION, "p1", "overdue-1"),
        ("2027-02-11 09:00", "p2", CASE_SUPERVISION, "p2", "soon"),  # Thu 11 + 2 wd = Mon 15
        ("2027-02-12 10:00", "p1", CASE_SUPERVISION, "p1", "overdue-2"),
        # Personal (quarterly, 20 Feb) and reflective (17 Feb) fall due after the end.
    ]
    p1, p2 = f"{CASE_SUPERVISION} p1", f"{CASE_SUPERVISION} p2"
    assert digests("blackburn-winter") == [
        ("2026-12-30 11:00", (p1,)),
        ("2026-12-31 09:00", (p1,)),
        ("2027-01-04 09:00", (p1,)),
        ("2027-01-05 09:00", (p1,)),  # the sign-off is late from 15:00, after the day's digest
        ("2027-01-06 09:00", (f"{SIGN_OFF} R-dec",)),
        ("2027-01-18 09:00", (f"{AGREEMENT} p2", p2)),
        ("2027-02-05 11:00", (p1,)),
        *digest_days("2027-02", (8, 9, 10, 11, 12), (p1,)),
    ]


def test_wokingham_winter() -> None:
    assert reminders("wokingham-winter") == [
        ("2026-12-14 09:00", "p2", PERSONAL, "p2", "soon"),  # 16 Nov + 1 month = Wed 16 Dec 10:00; held 14 Dec
        ("2026-12-24 09:00", "p1", PERSONAL, "p1", "soon"),  # 30 Nov + 1 month = Wed 30 Dec 10:00
        ("2026-12-30 09:00", "p1", PERSONAL, "p1", "due"),
        # Child protection every 2 months: 2 Nov 10:00 + 2 months = Sat 2 Jan 10:00. Wed 30 Dec + 2 wd = 31 Dec,
        # 4 Jan (Tue 29 Dec + 2 wd = 30, 31 Dec, short of the 2nd).
        ("2026-12-30 09:00", "p2", DISCUSSION, "C-2", "soon"),
        ("2026-12-30 11:00", "p1", PERSONAL, "p1", "overdue-1"),
        ("2027-01-04 09:00", "p2", DISCUSSION, "C-2", "overdue-1"),
        ("2027-01-06 10:00", "p1", PERSONAL, "p1", "overdue-2"),
        ("2027-01-11 09:00", "p2", DISCUSSION, "C-2", "overdue-2"),  # Sat 9 Jan 10:00, so Monday
        ("2027-01-12 09:00", "p2", PERSONAL, "p2", "soon"),  # 14 Dec + 1 month = Thu 14 Jan 10:00
        ("2027-01-13 10:00", "p1", PERSONAL, "p1", "overdue-3"),
        ("2027-01-14 09:00", "p2", PERSONAL, "p2", "due"),
        ("2027-01-14 11:00", "p2", PERSONAL, "p2", "overdue-1"),  # held Mon 18 Jan: 4 days late, not escalated
        ("2027-01-18 09:00", "p2", DISCUSSION, "C-2", "overdue-3"),
        ("2027-01-20 10:00", "p1", PERSONAL, "p1", "overdue-4"),
        # 30 Dec 10:00 + 3 weeks = Wed 20 Jan 10:00: more than three weeks late at 11:00, so Morgan, Sam's line
        # manager, is told once. p1 is supervised on Mon 25 Jan 10:00.
        ("2027-01-20 11:00", "m1", PERSONAL, "p1", "escalated"),
        # Sat 2 Jan 10:00 + 3 weeks = Sat 23 Jan 10:00: Morgan hears on Monday.
        ("2027-01-25 09:00", "m1", DISCUSSION, "C-2", "escalated"),
        ("2027-01-25 09:00", "p2", DISCUSSION, "C-2", "overdue-4"),
        # p1's session on 25 Jan 10:00 recorded within 5 days: Sat 30 Jan 10:00; Thu 28 + 2 wd = Mon 1 Feb.
        ("2027-01-28 09:00", "p1", RECORDING, "P1-jan", "soon"),
        ("2027-02-01 09:00", "p1", RECORDING, "P1-jan", "overdue-1"),  # recorded 09:30; never escalated
        ("2027-02-01 09:00", "p2", DISCUSSION, "C-2", "overdue-5"),  # discussed at 10:00: next 1 April
    ]
    p1, child, p2 = f"{PERSONAL} p1", f"{DISCUSSION} C-2", f"{PERSONAL} p2"
    assert digests("wokingham-winter") == [
        ("2026-12-30 11:00", (p1,)),
        ("2026-12-31 09:00", (p1,)),
        *digest_days("2027-01", (4, 5, 6, 7, 8, 11, 12, 13, 14), (p1, child)),  # p2 late only from 11:00 on the 14th
        *digest_days("2027-01", (15, 18), (p1, child, p2)),
        *digest_days("2027-01", (19, 20, 21, 22, 25), (p1, child)),
        *digest_days("2027-01", (26, 27, 28, 29), (child,)),
        ("2027-02-01 09:00", (child, f"{RECORDING} P1-jan")),
    ]


def test_south_gloucestershire_winter() -> None:
    assert reminders("south-glos-winter") == [
        # Six on record; the oldest of the six, 15 Jan 2026 10:00, + 12 months = Fri 15 Jan 2027 10:00.
        ("2027-01-13 09:00", "p1", PERSONAL, "p1", "soon"),
        ("2027-01-15 09:00", "p1", PERSONAL, "p1", "due"),
        ("2027-01-15 11:00", "p1", PERSONAL, "p1", "overdue-1"),
        # Held Mon 25 Jan: the oldest of the latest six is now 16 Mar 2026, so next due 16 Mar 2027.
        ("2027-01-22 10:00", "p1", PERSONAL, "p1", "overdue-2"),
        # Three on record, so one every 2 months: 30 Nov 10:00 + 2 months = Sat 30 Jan 10:00; Thu 28 + 2 wd = Mon 1.
        ("2027-01-28 09:00", "p2", PERSONAL, "p2", "soon"),
        ("2027-02-01 09:00", "p2", PERSONAL, "p2", "overdue-1"),
        ("2027-02-08 09:00", "p2", PERSONAL, "p2", "overdue-2"),  # Sat 6 Feb 10:00, so Monday
        # The urgent request of 9 December, never met, is in no reminder and no digest: it has a flow of its own.
    ]
    p1, p2 = (f"{PERSONAL} p1",), (f"{PERSONAL} p2",)
    assert digests("south-glos-winter") == [
        ("2027-01-15 11:00", p1),
        *digest_days("2027-01", (18, 19, 20, 21, 22, 25), p1),
        *digest_days("2027-02", (1, 2, 3, 4, 5, 8, 9, 10, 11, 12), p2),
    ]


def test_guidance_winter() -> None:
    assert reminders("csc-guidance-winter") == [
        # Every 4 weeks: 11 Nov 10:00 + 28 days = Wed 9 Dec 10:00; Mon 7 + 2 wd = 9 (Fri 4 + 2 wd = Tue 8).
        ("2026-12-07 09:00", "p2", PERSONAL, "p2", "soon"),
        ("2026-12-09 09:00", "p2", PERSONAL, "p2", "due"),  # held at 10:00, the due moment: next Wed 6 Jan 10:00
        # 30 Nov 10:00 + 28 days = Mon 28 Dec 10:00, a bank holiday; Wed 23 + 2 wd = 24, 29 (Tue 22 + 2 wd = 24).
        ("2026-12-23 09:00", "p1", PERSONAL, "p1", "soon"),
        # An assessment allocated Mon 7 Dec 09:00, reviewed at 20 days: Sun 27 Dec 09:00.
        ("2026-12-23 09:00", "p2", DISCUSSION, "C-3", "soon"),
        # Neither is ever "due": nobody is reminded on a Sunday or a bank holiday.
        ("2026-12-29 09:00", "p1", PERSONAL, "p1", "overdue-1"),
        ("2026-12-29 09:00", "p2", DISCUSSION, "C-3", "overdue-1"),
        ("2027-01-04 09:00", "p2", DISCUSSION, "C-3", "overdue-2"),  # Sun 3 Jan 09:00, so Monday
        # Due Wed 6 Jan; Mon 4 + 2 wd = 6 (Thu 31 Dec + 2 wd = 4, 5 Jan).
        ("2027-01-04 09:00", "p2", PERSONAL, "p2", "soon"),
        ("2027-01-04 10:00", "p1", PERSONAL, "p1", "overdue-2"),  # Mon 28 Dec 10:00 + 1 week
        # Held at 10:00, discussing the child too: next Wed 3 Feb 10:00, and the child monthly, Sat 6 Feb 10:00.
        ("2027-01-06 09:00", "p2", PERSONAL, "p2", "due"),
        ("2027-02-01 09:00", "p2", PERSONAL, "p2", "soon"),
        # p1 had case supervision (which counts) on Thu 7 Jan 14:00: + 28 days = Thu 4 Feb 14:00.
        ("2027-02-02 09:00", "p1", PERSONAL, "p1", "soon"),
        ("2027-02-03 09:00", "p2", PERSONAL, "p2", "due"),
        ("2027-02-03 11:00", "p2", PERSONAL, "p2", "overdue-1"),
        ("2027-02-04 09:00", "p1", PERSONAL, "p1", "due"),
        ("2027-02-04 09:00", "p2", DISCUSSION, "C-3", "soon"),  # Thu 4 + 2 wd = Mon 8, past Sat 6 Feb
        ("2027-02-04 15:00", "p1", PERSONAL, "p1", "overdue-1"),
        ("2027-02-08 09:00", "p2", DISCUSSION, "C-3", "overdue-1"),
        ("2027-02-10 10:00", "p2", PERSONAL, "p2", "overdue-2"),
        ("2027-02-11 14:00", "p1", PERSONAL, "p1", "overdue-2"),
    ]
    child, p1, p2 = f"{DISCUSSION} C-3", f"{PERSONAL} p1", f"{PERSONAL} p2"
    assert digests("csc-guidance-winter") == [
        *digest_days("2026-12", (29, 30, 31), (child, p1)),
        *digest_days("2027-01", (4, 5, 6), (child, p1)),
        ("2027-01-07 09:00", (p1,)),  # held at 14:00
        ("2027-02-03 11:00", (p2,)),
        ("2027-02-04 09:00", (p2,)),  # p1 late only from 15:00
        ("2027-02-05 09:00", (p2, p1)),
        *digest_days("2027-02", (8, 9, 10, 11, 12), (p2, p1, child)),
    ]


# ---------------------------------------------------------------------------------------------
# Month ends, Easter and the clocks


def test_devon_spring_month_end_easter_and_summer_time() -> None:
    assert reminders("devon-spring") == [
        ("2027-02-24 09:00", "p2", PERSONAL, "p2", "soon"),  # 26 Jan + 1 month = Fri 26 Feb 10:00
        # 29 Jan 10:00 + 1 month = 28 Feb 10:00 (February has no 29th), a Sunday; Thu 25 + 2 wd = Mon 1 Mar.
        ("2027-02-25 09:00", "p1", PERSONAL, "p1", "soon"),
        ("2027-02-25 09:00", "s1", GROUP, "north", "soon"),  # 1 Feb 11:00 + 1 month = Mon 1 Mar 11:00
        ("2027-02-26 09:00", "p2", PERSONAL, "p2", "due"),  # held 10:00, the due moment: next Fri 26 Mar
        ("2027-03-01 09:00", "p1", PERSONAL, "p1", "overdue-1"),  # held 1 Mar 14:00 GMT: next Thu 1 Apr 14:00 BST
        ("2027-03-01 09:00", "s1", GROUP, "north", "due"),  # held 11:00: next Thu 1 Apr 11:00
        # Due on Good Friday: Wed 24 + 2 wd = 25, 30 (26 and 29 are holidays); Tue 23 + 2 wd = 24, 25.
        ("2027-03-24 09:00", "p2", PERSONAL, "p2", "soon"),
        # Due Thu 1 Apr: Tue 30 + 2 wd = 31, 1 (Thu 25 + 2 wd = 30, 31).
        ("2027-03-30 09:00", "p1", PERSONAL, "p1", "soon"),
        ("2027-03-30 09:00", "p2", PERSONAL, "p2", "overdue-1"),  # the first working day after Easter
        ("2027-03-30 09:00", "s1", GROUP, "north", "soon"),  # held Wed 31 Mar: next 30 Apr
        ("2027-04-01 09:00", "p1", PERSONAL, "p1", "due"),
        ("2027-04-01 15:00", "p1", PERSONAL, "p1", "overdue-1"),  # 14:00 in summer time, as it was in winter
        ("2027-04-02 10:00", "p2", PERSONAL, "p2", "overdue-2"),  # 26 Mar 10:00 GMT + 1 week = 2 Apr 10:00 BST
        ("2027-04-08 14:00", "p1", PERSONAL, "p1", "overdue-2"),
        ("2027-04-09 10:00", "p2", PERSONAL, "p2", "overdue-3"),
        ("2027-04-15 14:00", "p1", PERSONAL, "p1", "overdue-3"),
        ("2027-04-16 10:00", "p2", PERSONAL, "p2", "overdue-4"),
    ]
    p1, p2 = f"{PERSONAL} p1", f"{PERSONAL} p2"
    assert digests("devon-spring") == [
        ("2027-03-01 09:00", (p1,)),
        *digest_days("2027-03", (30, 31), (p2,)),
        ("2027-04-01 09:00", (p2,)),
        *digest_days("2027-04", (2, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16), (p2, p1)),
    ]


def test_a_monthly_duty_across_the_clock_change_keeps_its_local_hour() -> None:
    """1 March 14:00 GMT + 1 month is 1 April 14:00 BST (13:00 UTC), not 14:00 UTC; so late from the 15:00 sweep, not
    the 16:00 one. A week on from Good Friday 10:00 GMT is Friday 2 April 10:00 BST, not 11:00."""
    found = {(stamp(a.when), a.recipient, a.stage): a for a in simulate("devon-spring")}
    one_month = found["2027-04-01 15:00", "p1", "overdue-1"]
    assert (one_month.when.isoformat(), one_month.due.isoformat()) == (
        "2027-04-01T15:00:00+01:00",
        "2027-04-01T14:00:00+01:00",
    )
    one_week = found["2027-04-02 10:00", "p2", "overdue-2"]
    assert (one_week.when.isoformat(), one_week.due.isoformat()) == (
        "2027-04-02T10:00:00+01:00",
        "2027-03-26T10:00:00+00:00",
    )


def test_a_monthly_duty_from_the_end_of_january_lands_on_28_february() -> None:
    found = [a for a in simulate("devon-spring") if a.recipient == "p1" and a.stage in {"soon", "overdue-1"}]
    assert [(stamp(a.when), a.stage, a.due.isoformat()) for a in found[:2]] == [
        ("2027-02-25 09:00", "soon", "2027-02-28T10:00:00+00:00"),  # 29 January + 1 month
        ("2027-03-01 09:00", "overdue-1", "2027-02-28T10:00:00+00:00"),
    ]


def test_wokingham_agreement_within_a_month_of_31_january_is_due_on_28_february() -> None:
    """Sam takes over p3's supervision on Sunday 31 January; the agreement is due within 1 month: 28 February 00:00
    (clamped to the month's end; not 2 or 3 March), a Sunday, so "soon" on Thursday 25 February (Thu 25 + 2 wd =
    Mon 1 Mar), never "due", and late at the first sweep on Monday 1 March. Signed Wed 3 Mar 11:00."""
    contract = [a for a in simulate("wokingham-spring") if a.kind == AGREEMENT]
    assert [(stamp(a.when), a.stage, a.due.isoformat()) for a in contract] == [
        ("2027-02-25 09:00", "soon", "2027-02-28T00:00:00+00:00"),
        ("2027-03-01 09:00", "overdue-1", "2027-02-28T00:00:00+00:00"),
    ]
    assert reminders("wokingham-spring") == [
        ("2027-02-25 09:00", "p3", AGREEMENT, "p3", "soon"),
        ("2027-03-01 09:00", "p3", AGREEMENT, "p3", "overdue-1"),
        ("2027-03-10 09:00", "p3", PERSONAL, "p3", "soon"),  # 12 Feb 10:00 + 1 month = Fri 12 Mar 10:00
        ("2027-03-12 09:00", "p3", PERSONAL, "p3", "due"),
        ("2027-03-12 11:00", "p3", PERSONAL, "p3", "overdue-1"),  # held Mon 15 Mar 10:00 GMT
        ("2027-04-13 09:00", "p3", PERSONAL, "p3", "soon"),  # + 1 month = Thu 15 Apr 10:00 BST
        ("2027-04-15 09:00", "p3", PERSONAL, "p3", "due"),
        ("2027-04-15 11:00", "p3", PERSONAL, "p3", "overdue-1"),
    ]
    agreement, p3 = (f"{AGREEMENT} p3",), (f"{PERSONAL} p3",)
    assert digests("wokingham-spring") == [
        *digest_days("2027-03", (1, 2, 3), agreement),
        ("2027-03-12 11:00", p3),
        ("2027-03-15 09:00", p3),
        ("2027-04-15 11:00", p3),
        ("2027-04-16 09:00", p3),
    ]


def test_guidance_autumn_when_the_clocks_go_back() -> None:
    assert reminders("csc-guidance-autumn") == [
        # 22 Sep 14:00 BST + 28 days = Tue 20 Oct 14:00 BST; Fri 16 + 2 wd = Tue 20 (Thu 15 + 2 wd = Mon 19).
        ("2026-10-16 09:00", "p2", PERSONAL, "p2", "soon"),
        ("2026-10-20 09:00", "p2", PERSONAL, "p2", "due"),
        ("2026-10-20 15:00", "p2", PERSONAL, "p2", "overdue-1"),
        # The clocks go back on Sunday 25 Oct: 20 Oct 14:00 BST + 1 week = 27 Oct 14:00 GMT (not 13:00 GMT).
        ("2026-10-27 14:00", "p2", PERSONAL, "p2", "overdue-2"),  # held Wed 28 Oct 10:00
        # 5 Oct 14:00 BST + 28 days = Mon 2 Nov 14:00 GMT; Thu 29 Oct + 2 wd = Mon 2 Nov.
        ("2026-10-29 09:00", "p1", PERSONAL, "p1", "soon"),
        ("2026-11-02 09:00", "p1", PERSONAL, "p1", "due"),
        ("2026-11-02 15:00", "p1", PERSONAL, "p1", "overdue-1"),  # 14:00 GMT, as it was 14:00 in summer time
    ]
    p1, p2 = (f"{PERSONAL} p1",), (f"{PERSONAL} p2",)
    assert digests("csc-guidance-autumn") == [
        ("2026-10-20 15:00", p2),
        *digest_days("2026-10", (21, 22, 23, 26, 27, 28), p2),
        ("2026-11-02 15:00", p1),
        *digest_days("2026-11", (3, 4, 5, 6), p1),
    ]
    overdue = {(stamp(a.when), a.recipient, a.stage): a for a in simulate("csc-guidance-autumn")}
    assert overdue["2026-10-27 14:00", "p2", "overdue-2"].when.isoformat() == "2026-10-27T14:00:00+00:00"
    assert overdue["2026-11-02 15:00", "p1", "overdue-1"].due.isoformat() == "2026-11-02T14:00:00+00:00"


# ---------------------------------------------------------------------------------------------
# A council's own plan


def test_a_councils_own_plan_sets_how_early_and_which_hours() -> None:
    """README's example plan on Wokingham's rules: 3 working days before, 08:30 to 17:30, swept every half hour."""
    assert reminders("wokingham-own-plan") == [
        # Due Wed 30 Dec 10:00: Wed 23 + 3 wd = 24, 29, 30 (Tue 22 + 3 wd = 23, 24, 29).
        ("2026-12-23 08:30", "p1", PERSONAL, "p1", "soon"),
        # Held Fri 4 Dec 17:00: due Mon 4 Jan 17:00; Tue 29 Dec + 3 wd = 30, 31, 4 (Thu 24 + 3 wd = 29, 30, 31).
        ("2026-12-29 08:30", "p2", PERSONAL, "p2", "soon"),
        ("2026-12-30 08:30", "p1", PERSONAL, "p1", "due"),
        ("2026-12-30 10:30", "p1", PERSONAL, "p1", "overdue-1"),  # the first half-hourly sweep after 10:00
        ("2027-01-04 08:30", "p2", PERSONAL, "p2", "due"),
        # Late from 17:00; the 17:30 sweep is outside the day (it ends before 17:30), so Tuesday at 08:30.
        ("2027-01-05 08:30", "p2", PERSONAL, "p2", "overdue-1"),
        ("2027-01-06 10:00", "p1", PERSONAL, "p1", "overdue-2"),  # 30 Dec 10:00 + 1 week
    ]
    p1, both = (f"{PERSONAL} p1",), (f"{PERSONAL} p1", f"{PERSONAL} p2")
    assert digests("wokingham-own-plan") == [
        ("2026-12-30 10:30", p1),
        ("2026-12-31 08:30", p1),
        ("2027-01-04 08:30", p1),
        *[(f"2027-01-{day:02} 08:30", both) for day in (5, 6, 7, 8)],
    ]


# ---------------------------------------------------------------------------------------------
# Defects the simulation found: the first is fixed in the engine; the second awaits a decision on group sessions


def test_an_agreement_still_unsigned_at_the_first_session_is_not_reminded_backwards() -> None:
    """A new starter (Mon 4 Jan) under Blackburn: case supervision and the contract both fall due by the first
    session, Mon 18 Jan 00:00 (4 Jan + 2 weeks). The first session is held on the 18th at 11:00, the contract signed
    on Tue 19 Jan 10:00. Expected for the contract: "soon" on Thu 14 Jan, "overdue-1" at 09:00 on the 18th, and
    nothing more before it is signed (its second week would begin on the 25th)."""
    contract = [(when, stage) for when, _, kind, _, stage in reminders(ODD_ONE_AGREEMENT) if kind == AGREEMENT]
    assert contract == [("2027-01-14 09:00", "soon"), ("2027-01-18 09:00", "overdue-1")]


@pytest.mark.xfail(
    strict=True,
    reason="csc-guidance counts group sessions towards four-weekly supervision, but a team's group session has no "
    "supervisee and the engine counts only sessions with one, so it never counts for anybody.",
)
def test_guidance_a_teams_group_session_counts_as_supervision_for_its_members() -> None:
    """p1 was last supervised on Mon 2 Nov 2026 10:00 (due + 4 weeks = Mon 30 Nov 10:00); the team, p1 included,
    has group supervision on Wed 25 Nov 10:00, which "each counts" under the guidance. Next due 25 Nov + 4 weeks =
    Wed 23 Dec, so "soon" on Mon 21 Dec, after the end (Fri 11 Dec): no reminder and no digest at all."""
    assert simulate(ODD_ONE_GROUP) == ()
