"""The interval arithmetic every rule relies on: months, working days, hours and clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from bot.rules.calendar import Calendar, Interval, IntervalError

LONDON = ZoneInfo("Europe/London")
CALENDAR = Calendar()


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def add(moment: datetime, text: str) -> datetime:
    return CALENDAR.add(moment, Interval.parse(text))


@pytest.mark.parametrize(
    ("start", "interval", "expected"),
    [
        pytest.param(london(2026, 11, 20, 14), "3 working days", london(2026, 11, 25, 14), id="friday-to-wednesday"),
        pytest.param(london(2026, 12, 24, 10), "3 working days", london(2026, 12, 31, 10), id="over-christmas"),
        pytest.param(london(2027, 3, 25, 10), "3 working days", london(2027, 4, 1, 10), id="over-easter-2027"),
        pytest.param(london(2027, 4, 30, 9), "1 working day", london(2027, 5, 4, 9), id="early-may-bank-holiday"),
        pytest.param(london(2026, 11, 21, 11), "1 working day", london(2026, 11, 23, 11), id="from-a-saturday"),
        pytest.param(london(2026, 11, 20, 14), "10 working days", london(2026, 12, 4, 14), id="ten-working-days"),
    ],
)
def test_working_days_skip_weekends_and_englands_bank_holidays(
    start: datetime, interval: str, expected: datetime
) -> None:
    assert add(start, interval) == expected


@pytest.mark.parametrize(
    ("start", "interval", "expected"),
    [
        pytest.param(london(2027, 1, 31, 10), "1 month", london(2027, 2, 28, 10), id="january-31-to-february-28"),
        pytest.param(london(2028, 1, 31, 10), "1 month", london(2028, 2, 29, 10), id="leap-year-february-29"),
        pytest.param(london(2027, 12, 31, 10), "2 months", london(2028, 2, 29, 10), id="two-months-into-leap-february"),
        pytest.param(london(2026, 11, 30, 10), "3 months", london(2027, 2, 28, 10), id="quarter-clamped"),
        pytest.param(london(2028, 2, 29, 10), "12 months", london(2029, 2, 28, 10), id="leap-day-renewal"),
        pytest.param(london(2026, 1, 15, 9), "1 month", london(2026, 2, 15, 9), id="same-day-next-month"),
    ],
)
def test_months_move_to_the_same_day_clamped_to_the_months_end(
    start: datetime, interval: str, expected: datetime
) -> None:
    assert add(start, interval) == expected


def test_a_month_keeps_the_local_time_when_the_clocks_go_back() -> None:
    due = add(london(2026, 10, 20, 10), "1 month")
    assert due == london(2026, 11, 20, 10)
    assert due.utcoffset() == timedelta(0)
    assert due.isoformat() == "2026-11-20T10:00:00+00:00"


def test_a_week_keeps_the_local_time_when_the_clocks_go_forward() -> None:
    due = add(london(2026, 3, 24, 10), "1 week")
    assert due.isoformat() == "2026-03-31T10:00:00+01:00"


def test_hours_are_elapsed_time_across_a_clock_change() -> None:
    # The clocks went back at 02:00 on Sunday 25 October 2026, so the day had 25 hours.
    due = add(london(2026, 10, 24, 12), "24 hours")
    assert due.isoformat() == "2026-10-25T11:00:00+00:00"
    assert due.astimezone(UTC) - london(2026, 10, 24, 12).astimezone(UTC) == timedelta(hours=24)


def test_a_local_time_lost_when_the_clocks_go_forward_moves_past_the_gap() -> None:
    due = add(london(2026, 3, 22, 1, 30), "1 week")
    assert due.isoformat() == "2026-03-29T02:30:00+01:00"


def test_composite_intervals_add_each_part_in_turn() -> None:
    assert add(london(2026, 1, 5), "6 weeks + 6 months") == london(2026, 8, 16)


@pytest.mark.parametrize(
    "text",
    ["0 months", "-1 week", "fortnightly", "", "3", "2.5 weeks", "6 years", "1 month + ", "3 working weeks"],
)
def test_an_impossible_interval_is_refused(text: str) -> None:
    with pytest.raises(IntervalError):
        Interval.parse(text)


def test_a_naive_date_time_is_refused() -> None:
    with pytest.raises(ValueError, match="without a time zone"):
        CALENDAR.add(datetime(2026, 1, 1, 10), Interval.parse("1 day"))  # noqa: DTZ001


# --- properties -------------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by design
    max_value=datetime(2035, 12, 31),  # noqa: DTZ001
    timezones=st.just(LONDON),
)


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


@given(start=moments, months=st.integers(min_value=1, max_value=24))
def test_property_months_land_on_the_same_day_or_the_months_last_day(start: datetime, months: int) -> None:
    due = add(start, f"{months} months")
    local = CALENDAR.local(start)
    assert due.day == min(local.day, _days_in_month(due.year, due.month))
    assert (due.year * 12 + due.month) - (local.year * 12 + local.month) == months
    assert due > start


@given(start=moments, count=st.integers(min_value=1, max_value=30))
def test_property_working_day_deadlines_land_on_a_working_day_after_that_many_working_days(
    start: datetime, count: int
) -> None:
    due = add(start, f"{count} working days")
    local = CALENDAR.local(start)
    assert CALENDAR.is_working_day(due.date())
    between = [local.date() + timedelta(days=offset) for offset in range(1, (due.date() - local.date()).days + 1)]
    assert sum(CALENDAR.is_working_day(day) for day in between) == count
    if due.time() != local.time():
        # Only the hour lost in spring may move, and then forward by exactly that hour.
        assert due.replace(tzinfo=None) - timedelta(hours=1) == datetime.combine(due.date(), local.time())


@given(start=moments, hours=st.integers(min_value=1, max_value=500))
def test_property_hours_are_always_exact_elapsed_time(start: datetime, hours: int) -> None:
    due = add(start, f"{hours} hours")
    assert due.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=hours)


@given(start=moments, days=st.integers(min_value=1, max_value=400))
def test_property_days_keep_the_local_time_of_day_unless_it_does_not_exist(start: datetime, days: int) -> None:
    due = add(start, f"{days} days")
    local = CALENDAR.local(start)
    assert due.date() == local.date() + timedelta(days=days)
    wall = due.replace(tzinfo=None)
    if wall.time() != local.time():
        # Only the hour lost in spring may move, and then forward by exactly that hour.
        assert wall - timedelta(hours=1) == datetime.combine(due.date(), local.time())


@given(a=moments, b=moments, text=st.sampled_from(["1 month", "2 weeks", "3 working days", "24 hours", "5 days"]))
def test_property_a_later_event_never_falls_due_earlier(a: datetime, b: datetime, text: str) -> None:
    early, late = sorted((a, b))
    # Keeping local time means the repeated autumn hour can reorder two events a few minutes
    # apart; everywhere else the order of local wall times is the order of instants.
    assume(CALENDAR.local(early).replace(tzinfo=None) <= CALENDAR.local(late).replace(tzinfo=None))
    # A month on from the 29th, 30th or 31st may be clamped to the same month end as a month on from a later
    # day, so the earlier event's time of day can put it after the later one on that last day.
    assume(text != "1 month" or max(CALENDAR.local(early).day, CALENDAR.local(late).day) <= 28)
    assert add(early, text) <= add(late, text)


# --- counting repeats without stepping ----------------------------------------------------------


def stepped(calendar: Calendar, start: datetime, interval: Interval, until: datetime, most: int) -> int:
    """The slow way `steps_within` must agree with: add the interval again and again."""
    count, boundary = 0, calendar.add(start, interval)
    while boundary <= until and count < most:
        count += 1
        boundary = calendar.add(boundary, interval)
    return count


REPEATS = ["1 week", "2 weeks", "1 day", "3 days", "24 hours", "7 hours", "1 month", "2 working days", "1 week + 1 day"]


@given(
    start=moments,
    text=st.sampled_from(REPEATS),
    later=st.timedeltas(min_value=timedelta(days=-10), max_value=timedelta(days=3 * 366)),
    most=st.integers(min_value=0, max_value=600),
)
def test_property_counting_repeats_agrees_with_stepping_one_at_a_time(
    start: datetime, text: str, later: timedelta, most: int
) -> None:
    interval = Interval.parse(text)
    until = start + later
    assert CALENDAR.steps_within(start, interval, until, most) == stepped(CALENDAR, start, interval, until, most)


# Zones whose clocks change at different hours (and, in Casablanca, several times a year), to reach the
# steps that land in a lost hour and move every later step.
ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Africa/Casablanca"]


def clock_change_days(zone: ZoneInfo, year: int) -> list[date]:
    """Days on which the offset at the end of the day is not the offset at its start."""
    day, found = date(year, 1, 1), []
    while day.year == year:
        morning = datetime.combine(day, datetime.min.time(), zone).utcoffset()
        night = datetime.combine(day, datetime.max.time(), zone).utcoffset()
        if morning != night:
            found.append(day)
        day += timedelta(days=1)
    return found


@settings(max_examples=400)
@example(zone_name="Europe/London", year=2026, which=0, unit="weeks", amount=1, back=1, minutes=90, extra=1, jitter=0)
@example(zone_name="America/Santiago", year=2020, which=0, unit="days", amount=1, back=1, minutes=0, extra=1, jitter=0)
@given(
    zone_name=st.sampled_from(ZONES),
    year=st.integers(min_value=2020, max_value=2034),
    which=st.integers(min_value=0, max_value=20),
    unit=st.sampled_from(["days", "weeks"]),
    amount=st.integers(min_value=1, max_value=3),
    back=st.integers(min_value=0, max_value=6),
    minutes=st.sampled_from(range(0, 4 * 60, 30)),
    extra=st.integers(min_value=-1, max_value=2),
    jitter=st.sampled_from(range(-90, 91, 30)),
)
def test_property_counting_repeats_agrees_with_stepping_across_a_lost_hour(
    zone_name: str, year: int, which: int, unit: str, amount: int, back: int, minutes: int, extra: int, jitter: int
) -> None:
    zone = ZoneInfo(zone_name)
    changes = clock_change_days(zone, year)
    assume(changes)
    change = changes[which % len(changes)]
    calendar = Calendar(zone_name=zone_name)
    interval = Interval.parse(f"{amount} {unit}")
    step = timedelta(days=amount * (7 if unit == "weeks" else 1))
    # Start a whole number of steps before a clock change, in the small hours when clocks change, and stop
    # within a couple of hours of a later step, where a step moved by the lost hour makes the difference.
    start = datetime.combine(change - back * step, datetime.min.time(), zone) + timedelta(minutes=minutes)
    wall = start.replace(tzinfo=None) + (back + extra) * step
    until = wall.replace(tzinfo=zone) + timedelta(minutes=jitter)
    assert calendar.steps_within(start, interval, until, 520) == stepped(calendar, start, interval, until, 520)


def test_a_weekly_repeat_that_lands_in_the_lost_hour_moves_every_later_repeat() -> None:
    start = london(2026, 3, 22, 1, 30)  # a week before the clocks go forward at 01:00 on 29 March
    week = Interval.parse("1 week")
    # The first repeat lands at 02:30 (01:30 does not exist), so the second is 5 April at 02:30, not 01:30.
    assert CALENDAR.steps_within(start, week, london(2026, 4, 5, 2), 520) == 1
    assert CALENDAR.steps_within(start, week, london(2026, 4, 5, 2, 30), 520) == 2


def reference_add(calendar: Calendar, moment: datetime, interval: Interval) -> datetime:
    """Interval arithmetic done the plain way: dateutil for months, a round trip through UTC for every result."""
    zone = calendar.zone

    def settle(wall: datetime) -> datetime:
        return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)

    result = moment.astimezone(zone)
    for amount, unit in interval.parts:
        wall = result.replace(tzinfo=None)
        if unit == "hours":
            result = (result.astimezone(UTC) + timedelta(hours=amount)).astimezone(zone)
        elif unit in ("days", "weeks"):
            result = settle(wall + timedelta(days=amount * (7 if unit == "weeks" else 1)))
        elif unit in ("months", "years"):
            result = settle(wall + relativedelta(months=amount * (12 if unit == "years" else 1)))
        else:
            day = wall.date()
            for _ in range(amount):
                day += timedelta(days=1)
                while not calendar.is_working_day(day):
                    day += timedelta(days=1)
            result = settle(datetime.combine(day, wall.time()))
    return result


@example(zone_name="Europe/London", start=datetime(2026, 3, 22, 1, 30, tzinfo=LONDON), text="1 week")
@example(zone_name="Europe/London", start=datetime(2026, 10, 24, 1, 30, tzinfo=LONDON), text="24 hours")
@example(zone_name="America/Santiago", start=datetime(2020, 9, 5, 4, 0, tzinfo=UTC), text="1 day")
@given(
    zone_name=st.sampled_from(ZONES),
    start=st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by design
        max_value=datetime(2035, 12, 31),  # noqa: DTZ001
        timezones=st.sampled_from([UTC, LONDON]),
        allow_imaginary=False,
    ),
    text=st.sampled_from([*REPEATS, "1 month", "6 weeks + 6 months", "1 year", "13 months", "3 working days"]),
)
def test_property_adding_an_interval_gives_what_the_plain_round_trip_gives(
    zone_name: str, start: datetime, text: str
) -> None:
    calendar = Calendar(zone_name=zone_name)
    interval = Interval.parse(text)
    mine, plain = calendar.add(start, interval), reference_add(calendar, start, interval)
    assert (mine, mine.fold, mine.tzinfo) == (plain, plain.fold, plain.tzinfo)
    assert mine.utcoffset() == plain.utcoffset()
