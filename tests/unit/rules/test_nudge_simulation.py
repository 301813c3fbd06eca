"""Weeks of a small team under each seed profile, on a fake clock stepped hour by hour: which reminders
arrive when, across Christmas and the new year, a month end, and the start of British Summer Time.

The outbox keeps one reminder per (duty, stage, person); the simulation keeps the same key in a set, so
what it records is what people would receive. Expected dates are worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache

import pytest

from bot.rules.engine import obligations_due
from bot.rules.facts import World
from bot.rules.nudges import in_working_hours, nudges_due
from bot.rules.profile import load_profile
from tests.builders import MANAGER, SUPERVISOR, at, held, signed, worker

START, END = datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 4, 9, tzinfo=UTC)
# England's bank holidays in the window, written out by hand.
BANK_HOLIDAYS = {date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29)}

SWEEP_HOURS = {9, 10, 11, 15}
Arrival = tuple[datetime, str, str, str, str, datetime]  # (local time, recipient, kind, subject, stage, due)


def team(session_kind: str) -> World:
    """Monthly supervision for three experienced full-time workers with signed agreements: p1 last supervised
    30 November 2026 at 10:00; p2 also on 29 December and 29 January; p3 also on 29 December, 28 January,
    26 February and 1 March 2027 at 14:00 (before the clocks change)."""
    people = [worker(id=staff_id) for staff_id in ("p1", "p2", "p3")]
    return World(
        staff=(MANAGER, SUPERVISOR, *people),
        sessions=(
            *(held(f"S-{p}", at(2026, 11, 30, 10), session_kind, supervisee=p) for p in ("p1", "p2", "p3")),
            *(held(f"T-{p}", at(2026, 12, 29, 10), session_kind, supervisee=p) for p in ("p2", "p3")),
            held("U-p2", at(2027, 1, 29, 10), session_kind, supervisee="p2"),
            held("U-p3", at(2027, 1, 28, 10), session_kind, supervisee="p3"),
            held("V-p3", at(2027, 2, 26, 10), session_kind, supervisee="p3"),
            held("W-p3", at(2027, 3, 1, 14), session_kind, supervisee="p3"),
        ),
        agreements=tuple(signed(at(2026, 6, 1), staff_id) for staff_id in ("p1", "p2", "p3")),
    )


@cache
def simulate(profile_name: str, session_kind: str) -> tuple[Arrival, ...]:
    profile = load_profile(profile_name)
    assert profile.nudges is not None
    world, seen, arrivals = team(session_kind), set(), []
    now = START
    while now < END:
        local_hour = profile.calendar.local(now).hour
        # Sweeps at 09:00, 10:00, 11:00 and 15:00 each working day: every moment the expectations below need,
        # at a quarter of the cost of sweeping every hour.
        if local_hour in SWEEP_HOURS and in_working_hours(profile.nudges, profile.calendar, now):
            # Sessions after the start of the simulation have not happened yet: only the past counts.
            past = World(
                staff=world.staff,
                sessions=tuple(s for s in world.sessions if s.held_at <= now),
                agreements=world.agreements,
            )
            found = obligations_due(profile, past, now)
            overseers = {person.supervisor for person in world.staff if person.supervisor}
            for nudge in nudges_due(found, profile.nudges, profile.calendar, now, overseers=overseers):
                key = (nudge.recipient, nudge.kind, nudge.subject, nudge.outbox_stage)  # as the outbox keys it
                if key not in seen:
                    seen.add(key)
                    local = profile.calendar.local(now)
                    arrivals.append((local, nudge.recipient, nudge.kind, nudge.subject, nudge.stage, nudge.due))
        now += timedelta(hours=1)
    return tuple(arrivals)


def arrivals_of(found: tuple[Arrival, ...], recipient: str, kind: str, subject: str) -> list[tuple[str, str]]:
    """(local time as 'YYYY-MM-DD HH:MM', stage) of each reminder about one duty to one person."""
    return [(f"{t:%Y-%m-%d %H:%M}", stage) for t, r, k, s, stage, _ in found if (r, k, s) == (recipient, kind, subject)]


PROFILES = [
    ("devon", "personal", "personal_supervision"),
    ("blackburn", "case", "case_supervision"),
    ("wokingham", "personal", "personal_supervision"),
    ("south-glos", "personal", "personal_supervision"),
    ("csc-guidance", "personal", "personal_supervision"),
]


@pytest.mark.parametrize(("profile", "session_kind", "kind"), PROFILES)
def test_reminders_arrive_only_in_working_hours_on_working_days(profile: str, session_kind: str, kind: str) -> None:
    found = simulate(profile, session_kind)
    assert found, "a team with duties falling due must hear about them"
    for moment, *_ in found:
        assert moment.weekday() < 5 and moment.date() not in BANK_HOLIDAYS, moment
        assert 9 <= moment.hour < 17, moment


@pytest.mark.parametrize(("profile", "session_kind", "kind"), PROFILES)
def test_each_duty_moves_forward_through_its_stages_never_back(profile: str, session_kind: str, kind: str) -> None:
    found = simulate(profile, session_kind)
    order = {"soon": 0, "due": 1, "escalated": 1000}
    for occurrence in {(r, k, s, due) for _, r, k, s, _, due in found if k != "digest"}:
        stages = [stage for _, r, k, s, stage, due in found if (r, k, s, due) == occurrence]
        assert len(stages) == len(set(stages)), occurrence  # never the same stage twice for one due date
        ranks = [order.get(stage, 1 + int(stage.removeprefix("overdue-")) if stage.startswith("overdue") else 0)
                 for stage in stages]  # fmt: skip
        assert ranks == sorted(ranks), (occurrence, stages)


@pytest.mark.parametrize(("profile", "session_kind", "kind"), PROFILES)
def test_a_supervisor_gets_at_most_one_digest_a_working_day(profile: str, session_kind: str, kind: str) -> None:
    days = [
        t.date() for t, recipient, k, _, _, _ in simulate(profile, session_kind) if k == "digest" and recipient == "s1"
    ]
    assert days and len(days) == len(set(days))


def test_devon_across_christmas_soon_on_christmas_eve_due_on_the_day_then_weekly() -> None:
    # Monthly: 30 November 10:00 + 1 month = Wednesday 30 December 10:00. Two working days before, counted
    # over 25 December (Christmas), the weekend and 28 December (Boxing Day's substitute): Thursday 24
    # December + 2 working days = 30 December, so "soon" comes on 24 December at 09:00 (23 December + 2 is
    # only 29 December). Overdue from 11:00 (the first hourly sweep after 10:00), then a week later.
    assert arrivals_of(simulate("devon", "personal"), "p1", "personal_supervision", "p1")[:4] == [
        ("2026-12-24 09:00", "soon"),
        ("2026-12-30 09:00", "due"),
        ("2026-12-30 11:00", "overdue-1"),
        ("2027-01-06 10:00", "overdue-2"),
    ]


def test_devon_at_a_month_end_a_duty_due_on_a_sunday_is_overdue_on_monday() -> None:
    # Each month's duty is reminded afresh. 29 December + 1 month = Friday 29 January ("soon" on Wednesday
    # 27th: + 2 working days = 29th). Then 29 January + 1 month = 28 February 2027 (February has no 29th),
    # a Sunday: no "due" reminder can go out that day. "Soon": Thursday 25 February + 2 working days =
    # Monday 1 March, on or after the 28th; overdue on Monday 1 March at 09:00.
    found = arrivals_of(simulate("devon", "personal"), "p2", "personal_supervision", "p2")
    assert [a for a in found if a[0] >= "2027-01"] == [
        ("2027-01-27 09:00", "soon"),
        ("2027-01-29 09:00", "due"),
        ("2027-02-25 09:00", "soon"),
        ("2027-03-01 09:00", "overdue-1"),
        ("2027-03-08 09:00", "overdue-2"),  # a week after Sunday 28 February 10:00 is a Sunday too
        ("2027-03-15 09:00", "overdue-3"),
        ("2027-03-22 09:00", "overdue-4"),
        ("2027-03-30 09:00", "overdue-5"),  # Monday 29 March is Easter Monday
        ("2027-04-05 09:00", "overdue-6"),
    ]


def test_devon_across_the_clock_change_a_duty_keeps_its_local_hour() -> None:
    # 1 March 14:00 (winter time) + 1 month = 1 April 14:00 in summer time (the clocks went forward on 28
    # March), so overdue from the 15:00 sweep, local time. "Soon": Tuesday 30 March + 2 working days =
    # 1 April (29 March is Easter Monday; 26 March + 2 is 31 March, too early).
    found = arrivals_of(simulate("devon", "personal"), "p3", "personal_supervision", "p3")
    assert [a for a in found if a[0] >= "2027-03-02"][:3] == [
        ("2027-03-30 09:00", "soon"),
        ("2027-04-01 09:00", "due"),
        ("2027-04-01 15:00", "overdue-1"),
    ]


def test_guidance_a_duty_due_on_a_bank_holiday_is_never_due_only_overdue_the_next_working_day() -> None:
    # Every four weeks: 30 November + 28 days = Monday 28 December, Boxing Day's substitute holiday.
    # "Soon": 23 December + 2 working days = 29 December (24th, then 29th), on or after the 28th.
    # No "due" stage: nobody is reminded on a bank holiday. Overdue on Tuesday 29 December at 09:00.
    # A week after 28 December 10:00 is Monday 4 January 10:00.
    assert arrivals_of(simulate("csc-guidance", "personal"), "p1", "personal_supervision", "p1")[:3] == [
        ("2026-12-23 09:00", "soon"),
        ("2026-12-29 09:00", "overdue-1"),
        ("2027-01-04 10:00", "overdue-2"),
    ]


def test_wokingham_tells_the_supervisors_line_manager_once_three_weeks_late() -> None:
    # Due 30 December 10:00; more than three weeks late from 20 January 10:00, so the 11:00 sweep tells
    # Morgan (m1), the line manager of Sam (s1), once.
    found = simulate("wokingham", "personal")
    assert arrivals_of(found, "m1", "personal_supervision", "p1") == [("2027-01-20 11:00", "escalated")]


@pytest.mark.parametrize("profile", ["devon", "blackburn", "south-glos", "csc-guidance"])
def test_profiles_without_escalation_never_tell_the_line_manager_about_one_duty(profile: str) -> None:
    kind = dict((p, k) for p, _, k in PROFILES)[profile]
    session_kind = dict((p, s) for p, s, _ in PROFILES)[profile]
    assert not [a for a in simulate(profile, session_kind) if a[1] == "m1" and a[2] == kind]


def test_the_supervisor_hears_of_overdue_duties_in_the_digest_not_one_by_one() -> None:
    found = simulate("devon", "personal")
    assert not [a for a in found if a[1] == "s1" and a[2] == "personal_supervision"]
    assert "2026-12-30" in {f"{t:%Y-%m-%d}" for t, r, k, *_ in found if r == "s1" and k == "digest"}
