"""The reminder plan: stages, working hours, digests for supervisors, escalation, and no pile after downtime."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules.calendar import Interval
from bot.rules.engine import Obligation
from bot.rules.nudges import held_as, nudges_due, stage_of
from bot.rules.profile import Citation, NudgePlan, ObligationKind, load_profile
from tests.builders import at

PROFILE = load_profile("wokingham")
PLAN = PROFILE.nudges
CALENDAR = PROFILE.calendar
assert PLAN is not None


def duty(
    kind: str,
    subject: str,
    due: datetime,
    notify: tuple[str, ...] = ("p1", "s1"),
    *,
    supervisee: str | None = "p1",
    supervisor: str | None = "s1",
) -> Obligation:
    return Obligation(ObligationKind(kind), subject, supervisee, due, False, notify, "rule", Citation("§1"), supervisor)


@pytest.mark.parametrize(
    ("now", "stage"),
    [
        pytest.param(at(2026, 11, 20, 10), None, id="a-week-before-nothing"),
        pytest.param(at(2026, 11, 24, 10), "soon", id="two-working-days-before"),
        pytest.param(at(2026, 11, 26, 9), "due", id="on-the-day"),
        pytest.param(at(2026, 11, 26, 15), "overdue-1", id="past-the-time"),
        pytest.param(at(2026, 12, 3, 15), "overdue-2", id="a-week-later"),
        pytest.param(at(2027, 1, 7, 15), "overdue-7", id="weeks-later-one-current-stage"),
    ],
)
def test_a_duty_moves_through_soon_due_and_weekly_overdue_stages(now: datetime, stage: str | None) -> None:
    assert stage_of(duty("recording", "S1", at(2026, 11, 26, 14)), PLAN, CALENDAR, now) == stage


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(at(2026, 11, 26, 8, 59), id="before-nine"),
        pytest.param(at(2026, 11, 26, 17, 0), id="at-five"),
        pytest.param(at(2026, 11, 28, 11), id="saturday"),
        pytest.param(at(2026, 12, 25, 11), id="christmas-day"),
        pytest.param(at(2027, 3, 29, 11), id="easter-monday"),
    ],
)
def test_reminders_go_out_only_in_working_hours(now: datetime) -> None:
    assert nudges_due([duty("recording", "S1", at(2026, 11, 26, 14))], PLAN, CALENDAR, now, overseers={"s1"}) == []


def test_the_person_who_must_act_is_reminded_and_their_supervisor_is_not_for_what_is_not_late() -> None:
    found = nudges_due(
        [duty("personal_supervision", "p1", at(2026, 11, 26, 14))],
        PLAN,
        CALENDAR,
        at(2026, 11, 25, 10),
        overseers={"s1"},
    )
    assert [n.as_dict() for n in found] == [
        {
            "recipient": "p1",
            "obligation": {"kind": "personal_supervision", "subject": "p1"},
            "stage": "soon",
            "due": "2026-11-26T14:00:00+00:00",
        },
    ]


def test_a_supervisor_gets_one_daily_digest_of_their_teams_overdue_duties() -> None:
    late = [
        duty("personal_supervision", "p1", at(2026, 11, 1, 10)),
        duty("case_discussion", "C-1", at(2026, 11, 10, 10)),
        duty("personal_supervision", "p2", at(2026, 11, 5, 10), ("p2", "s1"), supervisee="p2"),
    ]
    found = nudges_due(late, PLAN, CALENDAR, at(2026, 11, 25, 10), overseers={"s1"})
    digests = [n for n in found if n.kind == "digest"]
    assert [(n.recipient, n.subject, n.stage, len(n.items)) for n in digests] == [("s1", "2026-11-25", "daily", 3)]
    assert [n.items[0].subject for n in digests] == ["p1"]  # soonest first
    assert sorted((n.recipient, n.subject) for n in found if n.kind != "digest") == [
        ("p1", "C-1"),
        ("p1", "p1"),
        ("p2", "p2"),
    ]


def test_an_escalation_reaches_the_line_manager_as_its_own_reminder() -> None:
    escalated = duty("personal_supervision", "p1", at(2026, 10, 28, 10), ("p1", "s1", "m1"))
    found = nudges_due([escalated], PLAN, CALENDAR, at(2026, 11, 25, 10), overseers={"s1", "m1"})
    assert ("m1", "escalated") in [(n.recipient, n.stage) for n in found]


def test_urgent_requests_are_left_to_the_urgent_flow() -> None:
    found = nudges_due(
        [duty("urgent_supervision", "U1", at(2026, 11, 25, 9))], PLAN, CALENDAR, at(2026, 11, 25, 10), overseers={"s1"}
    )
    assert found == []


def test_group_supervision_reminds_the_teams_supervisors() -> None:
    group = duty("group_supervision", "north", at(2026, 11, 26, 10), ("s1",), supervisee=None, supervisor=None)
    found = nudges_due([group], PLAN, CALENDAR, at(2026, 11, 25, 10), overseers={"s1"})
    assert [(n.recipient, n.stage) for n in found] == [("s1", "soon")]


@pytest.mark.parametrize(
    ("profile", "kind", "rule_id", "session"),
    [
        pytest.param("devon", "personal_supervision", "monthly", "personal", id="devon-personal"),
        pytest.param("devon", "case_discussion", "every-open-child-monthly", "case", id="devon-child-a-case-session"),
        pytest.param("blackburn", "case_supervision", "experienced-staff-monthly", "case", id="blackburn-case"),
        pytest.param(
            "csc-guidance", "personal_supervision", "every-four-weeks", "personal", id="guidance-first-of-many"
        ),
        pytest.param("blackburn", "observed_practice", "twice-a-year", None, id="an-observation-is-not-supervision"),
        pytest.param("devon", "recording", "child-specific-record-within-three-working-days", None, id="a-deadline"),
    ],
)
def test_supervision_held_records_a_session_the_duty_s_own_rule_counts(
    profile: str, kind: str, rule_id: str, session: str | None
) -> None:
    chosen = load_profile(profile)
    found = held_as(chosen, replace(duty(kind, "C-1", at(2026, 11, 26, 14)), rule_id=rule_id))
    assert (found.value if found else None) == session


def stepped_stage(obligation: Obligation, plan: NudgePlan, now: datetime) -> str | None:
    """The stage worked out the slow way, a repeat at a time, as the reminder plan was first written."""
    if now > obligation.due:
        periods, boundary = 1, CALENDAR.add(obligation.due, plan.repeat_overdue)
        while boundary <= now and periods < 520:
            periods += 1
            boundary = CALENDAR.add(boundary, plan.repeat_overdue)
        return f"overdue-{periods}"
    return stage_of(obligation, plan, CALENDAR, now)


moments = st.datetimes(
    min_value=datetime(2022, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by design
    max_value=datetime(2030, 12, 31),  # noqa: DTZ001
    timezones=st.just(ZoneInfo("Europe/London")),
)


@given(
    due=moments,
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4 * 366)),
    repeat=st.sampled_from(["1 week", "2 weeks", "3 days", "48 hours", "1 month", "5 working days"]),
)
def test_property_the_overdue_stage_is_the_one_stepping_a_repeat_at_a_time_finds(
    due: datetime, later: timedelta, repeat: str
) -> None:
    plan = replace(PLAN, repeat_overdue=Interval.parse(repeat))
    obligation = duty("recording", "S1", due)
    assert stage_of(obligation, plan, CALENDAR, due + later) == stepped_stage(obligation, plan, due + later)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "stage"),
    [
        pytest.param(utc(2026, 3, 29, 1, 29), "overdue-1", id="just-before-the-first-repeat"),
        pytest.param(utc(2026, 3, 29, 1, 30), "overdue-2", id="the-first-repeat-at-0230-summer-time"),
        pytest.param(utc(2026, 4, 5, 1, 0), "overdue-2", id="not-at-0130-the-week-after"),
        pytest.param(utc(2026, 4, 5, 1, 30), "overdue-3", id="at-0230-the-week-after"),
        pytest.param(utc(2037, 1, 1, 12), "overdue-520", id="ten-years-on-the-count-stops"),
    ],
)
def test_a_weekly_repeat_moved_by_the_clocks_going_forward_stays_moved(now: datetime, stage: str) -> None:
    # Due at 01:30 on the Sunday before the clocks go forward: the next week's 01:30 does not exist, so the
    # repeat is at 02:30 summer time, and every repeat after it too.
    due = at(2026, 3, 22, 1, 30)
    assert stage_of(duty("recording", "S1", due), PLAN, CALENDAR, now) == stage
