"""A small demo team, dated relative to a given day so that the demo always has something due.

One manager, two supervisors and five practitioners (a newly qualified social worker, an agency
worker, a part-time worker), a dozen children's cases known only by case ID, recent sessions,
agreements, open actions from an earlier case discussion and one urgent request. Names are invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.rules.calendar import Calendar
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


def demo_world(today: date, calendar: Calendar | None = None) -> World:
    """The demo team as it stands on `today`."""
    cal = calendar or Calendar()

    def day(offset: int) -> datetime:
        return cal.midnight(today + timedelta(days=offset))

    def at(offset: int, hour: int) -> datetime:
        return cal.local(datetime.combine(today + timedelta(days=offset), time(hour), tzinfo=cal.zone))

    def person(
        id: str, name: str, role: Role, start: int, supervisor: str | None, *, since: int | None = None,
        nqsw: bool = False, employment: Employment = Employment.PERMANENT, hours: Hours = Hours.FULL_TIME,
        team: str = "north",
    ) -> Staff:  # fmt: skip
        return Staff(
            id=id, name=name, role=role, employment=employment, hours=hours, nqsw=nqsw,
            start_date=day(start), supervisor=supervisor,
            supervisor_since=day(since if since is not None else start) if supervisor else None,
            line_manager="m1" if role is Role.SUPERVISOR else None, team=team,
        )  # fmt: skip

    staff = (
        person("m1", "Morgan Ellis", Role.MANAGER, -3650, None),
        person("s1", "Sam Okafor", Role.SUPERVISOR, -2900, "m1", since=-900),
        person("s2", "Rhian Price", Role.SUPERVISOR, -2100, "m1", since=-700, team="south"),
        person("p1", "Priya Shah", Role.PRACTITIONER, -1500, "s1", since=-400),
        person("p2", "Nia Evans", Role.PRACTITIONER, -20, "s1", nqsw=True),
        person("p3", "Tom Baker", Role.PRACTITIONER, -60, "s1", employment=Employment.AGENCY),
        person("p4", "Grace Lee", Role.PRACTITIONER, -1200, "s2", since=-300, hours=Hours.PART_TIME, team="south"),
        person("p5", "Dan Moss", Role.PRACTITIONER, -800, "s2", since=-500, team="south"),
    )
    cases = (
        Case("C-1001", "p1", CaseCategory.CHILD_PROTECTION, day(-200)),
        Case("C-1002", "p1", CaseCategory.CHILD_IN_CARE, day(-400), risk=Risk.HIGH),
        Case("C-1003", "p1", CaseCategory.CHILD_IN_NEED, day(-90)),
        Case("C-1004", "p2", CaseCategory.ASSESSMENT, day(-6)),
        Case("C-1005", "p3", CaseCategory.EARLY_HELP, day(-40)),
        Case("C-1006", "p3", CaseCategory.LEVEL_2, day(-35)),
        Case("C-1007", "p4", CaseCategory.CARE_LEAVER, day(-300), age=19),
        Case("C-1008", "p4", CaseCategory.CHILD_IN_CARE, day(-150), risk=Risk.LOW),
        Case("C-1009", "p5", CaseCategory.CHILD_PROTECTION, day(-60)),
        Case("C-1010", "p5", CaseCategory.CARE_LEAVER, day(-700), age=22),
        Case("C-1011", "p5", CaseCategory.SUPERVISING_SOCIAL_WORKER, day(-120)),
        Case("C-1012", "p1", CaseCategory.ASSESSMENT, day(-2)),
    )
    sessions = (
        Session("S-01", "p1", "s1", SessionKind.PERSONAL, at(-33, 10), at(-33, 16), ("C-1001", "C-1002")),
        Session("S-02", "p1", "s1", SessionKind.CASE, at(-5, 14), None, ("C-1001", "C-1002", "C-1003")),
        Session("S-03", "p2", "s1", SessionKind.PERSONAL, at(-8, 10), at(-8, 12)),
        Session("S-04", "p3", "s1", SessionKind.PERSONAL, at(-20, 11), at(-19, 9), ("C-1005", "C-1006")),
        Session("S-05", "p4", "s2", SessionKind.PERSONAL, at(-26, 9), at(-25, 9), ("C-1007", "C-1008")),
        Session("S-06", "p5", "s2", SessionKind.PERSONAL, at(-45, 13), at(-44, 10), ("C-1009", "C-1010", "C-1011")),
        Session("S-07", "p4", "s2", SessionKind.REFLECTIVE, at(-9, 15), at(-9, 17)),
        Session("S-08", None, "s1", SessionKind.GROUP, at(-14, 10), at(-14, 12), team="north"),
        Session("S-11", None, "s2", SessionKind.GROUP, at(-38, 14), at(-38, 16), team="south"),
        Session("S-09", "s1", "m1", SessionKind.PERSONAL, at(-24, 9), at(-24, 11)),
        Session("S-10", "s2", "m1", SessionKind.PERSONAL, at(-40, 9), at(-39, 11)),
    )
    agreements = (
        Agreement("p1", "s1", at(-380, 11)),
        Agreement("p4", "s2", at(-290, 11)),
        Agreement("p5", "s2", at(-200, 11)),
        Agreement("s1", "m1", at(-300, 11)),
        Agreement("s2", "m1", at(-100, 11)),
        Agreement("p3", "s1", at(-55, 11)),
    )
    urgent = (UrgentRequest("U-1", "p5", at(-1, 16)),)
    return World(staff=staff, sessions=sessions, agreements=agreements, cases=cases, urgent_requests=urgent)


@dataclass(frozen=True, slots=True)
class DemoAction:
    """An action agreed in an earlier case discussion, still open, to be reviewed at the next one."""

    case: str
    text: str
    owner: str
    due_on: date


def demo_actions(today: date) -> tuple[DemoAction, ...]:
    """The open actions on the demo's cases as they stand on `today`."""
    return (
        DemoAction("C-1001", "Visit the school", "Priya", today - timedelta(days=5)),
        DemoAction("C-1001", "Ask the family doctor for a report", "Sam", today - timedelta(days=1)),
    )
