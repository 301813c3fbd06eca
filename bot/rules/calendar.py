"""Time arithmetic for policy intervals: months, weeks, days, hours and working days in local time.

The contract (also in the README):
- Every date-time is read and returned in the policy's time zone (Europe/London by default).
- Months and years move to the same day, clamped to the month's end (as dateutil's relativedelta does).
- Days and weeks count local calendar days and keep the local time of day across clock changes.
- Hours are elapsed time, so "24 hours" is always 24 real hours.
- Working days skip weekends and England's bank holidays, counting from the day after the event
  and keeping its time of day.
A local time that does not exist (the hour lost when the clocks go forward) moves forward by the gap.
"""

from __future__ import annotations

import json
import re
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from functools import lru_cache, partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

DEFAULT_TIME_ZONE = "Europe/London"
DEFAULT_BANK_HOLIDAYS = "ENG"

# Anything longer than this in a supervision policy is a typing mistake, not a rule.
_LONGEST_SENSIBLE_DAYS = 5 * 366


class Unit(StrEnum):
    HOURS = "hours"
    DAYS = "days"
    WORKING_DAYS = "working_days"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"


_UNIT_WORDS: dict[str, Unit] = {
    "hour": Unit.HOURS,
    "hours": Unit.HOURS,
    "day": Unit.DAYS,
    "days": Unit.DAYS,
    "working day": Unit.WORKING_DAYS,
    "working days": Unit.WORKING_DAYS,
    "week": Unit.WEEKS,
    "weeks": Unit.WEEKS,
    "month": Unit.MONTHS,
    "months": Unit.MONTHS,
    "year": Unit.YEARS,
    "years": Unit.YEARS,
}

# Rough lengths, used only to reject impossible intervals at load time.
_APPROX_DAYS: dict[Unit, float] = {
    Unit.HOURS: 1 / 24,
    Unit.DAYS: 1,
    Unit.WORKING_DAYS: 7 / 5,
    Unit.WEEKS: 7,
    Unit.MONTHS: 30.44,
    Unit.YEARS: 365.25,
}

_PART = re.compile(r"^\s*(-?\d+)\s+([a-z ]+?)\s*$")


def _quoted(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


class IntervalError(ValueError):
    """An interval in a policy that cannot be understood or cannot be right."""


@dataclass(frozen=True, slots=True)
class Interval:
    """A length of time as a policy states it, such as "3 working days" or "6 weeks + 6 months"."""

    parts: tuple[tuple[int, Unit], ...]
    text: str

    @classmethod
    def parse(cls, text: str) -> Interval:
        """Read an interval such as "1 month", "10 working days" or "6 weeks + 6 months"."""
        if not isinstance(text, str) or not text.strip():
            raise IntervalError(f'expected a length of time such as "1 month", got {_quoted(text)}')
        parts: list[tuple[int, Unit]] = []
        for piece in text.split("+"):
            match = _PART.match(piece.lower())
            if match is None or match.group(2) not in _UNIT_WORDS:
                raise IntervalError(
                    f"not a length of time: {_quoted(text)} (use a whole number and one of: "
                    "hours, days, working days, weeks, months, years)"
                )
            amount = int(match.group(1))
            if amount <= 0:
                raise IntervalError(f"a length of time must be more than zero: {_quoted(text)}")
            parts.append((amount, _UNIT_WORDS[match.group(2)]))
        approx = sum(amount * _APPROX_DAYS[unit] for amount, unit in parts)
        if approx > _LONGEST_SENSIBLE_DAYS:
            raise IntervalError(f"longer than five years, which no supervision rule needs: {_quoted(text)}")
        return cls(parts=tuple(parts), text=text.strip())

    def __str__(self) -> str:
        return self.text


@lru_cache(maxsize=8)
def time_zone(name: str) -> ZoneInfo:
    """The time zone with this IANA name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise IntervalError(f"unknown time zone {_quoted(name)}") from error


@lru_cache(maxsize=8)
def _bank_holidays(subdivision: str) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv=subdivision)


@lru_cache(maxsize=256)
def _clock_change_days(zone_name: str, year: int) -> frozenset[date]:
    """The days of a year on which, or the day after which, the zone's offset from UTC changes: the only days
    on which a local time can be missing."""
    zone = time_zone(zone_name)
    found: set[date] = set()
    day = date(year, 1, 1)
    before = datetime.combine(day - timedelta(days=1), time(12), zone).utcoffset()
    while day.year == year:
        offset = datetime.combine(day, time(12), zone).utcoffset()
        if offset != before:
            found |= {day - timedelta(days=1), day}
        before = offset
        day += timedelta(days=1)
    return frozenset(found)


def check_bank_holidays(subdivision: str) -> None:
    """Fail if the United Kingdom has no such nation for bank holidays."""
    if subdivision not in holidays.country_holidays("GB").subdivisions:
        known = ", ".join(sorted(holidays.country_holidays("GB").subdivisions))
        raise IntervalError(f"unknown bank holiday region {_quoted(subdivision)} (known: {known})")


@dataclass(frozen=True, slots=True)
class Calendar:
    """A council's local time zone and bank holidays; adds policy intervals to date-times."""

    zone_name: str = DEFAULT_TIME_ZONE
    bank_holiday_region: str = DEFAULT_BANK_HOLIDAYS

    @property
    def zone(self) -> ZoneInfo:
        return time_zone(self.zone_name)

    def local(self, moment: datetime) -> datetime:
        """The same instant in local time."""
        if moment.tzinfo is None:
            raise ValueError("a date-time without a time zone reached the calendar")
        return moment.astimezone(self.zone)

    def midnight(self, day: date) -> datetime:
        """Local midnight at the start of a day."""
        return self._at_local(datetime.combine(day, time(0)))

    def is_working_day(self, day: date) -> bool:
        """Whether a day is neither a weekend nor a bank holiday."""
        return day.weekday() < 5 and day not in _bank_holidays(self.bank_holiday_region)

    def add(self, moment: datetime, interval: Interval) -> datetime:
        """The local date-time that is `interval` after `moment`."""
        if moment.tzinfo is None:
            raise ValueError("a date-time without a time zone reached the calendar")
        # Remembered by wall time, zone and fold exactly as given: equal instants can differ in what adding gives
        # (a local time in the hour skipped in spring), and two times an hour apart in autumn compare equal.
        return _added(self, moment.replace(tzinfo=None), moment.tzinfo, moment.fold, interval)

    def _add(self, moment: datetime, interval: Interval) -> datetime:
        result = self.local(moment)
        for amount, unit in interval.parts:
            result = self._add_part(result, amount, unit)
        return result

    def steps_within(self, start: datetime, interval: Interval, until: datetime, most: int) -> int:
        """How many times `interval` can be added to `start`, one after another, landing at or before `until`
        (at most `most`): what stepping with `add` would count, worked out without stepping where the interval
        is a number of hours, days or weeks."""
        if len(interval.parts) == 1:
            amount, unit = interval.parts[0]
            if unit is Unit.HOURS:  # elapsed time: the k-th step is exactly k times as far
                step, first = timedelta(hours=amount), self.local(start).astimezone(UTC)
                return self._steps(lambda k: (first + k * step).astimezone(self.zone), first, step, until, most)
            if unit in (Unit.DAYS, Unit.WEEKS):
                return self._day_steps(start, timedelta(days=amount * (7 if unit is Unit.WEEKS else 1)), until, most)
        count, boundary = 0, self.add(start, interval)
        while boundary <= until and count < most:
            count += 1
            boundary = self.add(boundary, interval)
        return count

    @staticmethod
    def _steps(landing: Callable[[int], datetime], first: datetime, step: timedelta, until: datetime, most: int) -> int:
        """How many of steps 1..`most` land at or before `until`, where `landing(k)` is where the k-th lands and
        they land in order, roughly `step` apart from `first`."""
        # The guess is out by at most a clock change; the comparisons are the ones stepping makes.
        steps = max(0, min(most, (until.astimezone(UTC) - first.astimezone(UTC)) // step))
        while steps > 0 and landing(steps) > until:
            steps -= 1
        while steps < most and landing(steps + 1) <= until:
            steps += 1
        return steps

    def _day_steps(self, start: datetime, step: timedelta, until: datetime, most: int) -> int:
        """`steps_within` for a whole number of local days: the k-th step keeps the wall-clock time, k steps on,
        until one lands in the hour lost when the clocks go forward, which moves every later step by the gap."""
        count, wall = 0, self.local(start).replace(tzinfo=None)
        while count < most:
            steps = self._steps(partial(self._day_landing, wall, step), self._at_local(wall), step, until, most - count)
            moved = self._first_missing_step(wall, step, steps)
            if moved is None:
                return count + steps
            count += moved
            wall = self._day_landing(wall, step, moved).replace(tzinfo=None)
        return count

    def _day_landing(self, wall: datetime, step: timedelta, k: int) -> datetime:
        return self._at_local(wall + k * step)

    def _first_missing_step(self, wall: datetime, step: timedelta, steps: int) -> int | None:
        """The first of steps 1..`steps` from `wall` whose local time does not exist, if any."""
        if steps <= 0:
            return None
        first, last = (wall + step).date(), (wall + steps * step).date()
        for year in range(first.year, last.year + 1):
            for day in sorted(_clock_change_days(self.zone_name, year)):
                if not first <= day <= last or (day - wall.date()) % step:
                    continue
                candidate = wall + ((day - wall.date()) // step) * step
                if self._at_local(candidate).replace(tzinfo=None) != candidate:
                    return (day - wall.date()) // step
        return None

    def _add_part(self, moment: datetime, amount: int, unit: Unit) -> datetime:
        wall = moment.replace(tzinfo=None)
        if unit is Unit.HOURS:
            return (moment.astimezone(UTC) + timedelta(hours=amount)).astimezone(self.zone)
        if unit is Unit.DAYS:
            return self._at_local(wall + timedelta(days=amount))
        if unit is Unit.WEEKS:
            return self._at_local(wall + timedelta(weeks=amount))
        if unit is Unit.MONTHS:
            return self._at_local(_plus_months(wall, amount))
        if unit is Unit.YEARS:
            return self._at_local(_plus_months(wall, 12 * amount))
        return self._at_local(datetime.combine(self._working_days_after(wall.date(), amount), wall.time()))

    def _working_days_after(self, day: date, count: int) -> date:
        while count > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day

    def _at_local(self, wall: datetime) -> datetime:
        zone = self.zone
        if wall.date() not in _clock_change_days(self.zone_name, wall.year):
            return wall.replace(tzinfo=zone, fold=0)  # every local time that day exists, once
        # Round-trip through UTC so a wall time in the spring-forward gap lands after it.
        return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


@lru_cache(maxsize=1 << 16)
def _added(calendar: Calendar, wall: datetime, zone: tzinfo | None, fold: int, interval: Interval) -> datetime:
    """`Calendar.add`, remembered: a sweep adds the same few intervals to the same moments over and over (every
    case allocated on one day, every duty last met by one session)."""
    return calendar._add(wall.replace(tzinfo=zone, fold=fold), interval)


def _plus_months(wall: datetime, months: int) -> datetime:
    """The same day `months` later, clamped to that month's end (as dateutil's relativedelta does it)."""
    year, month = divmod(wall.year * 12 + wall.month - 1 + months, 12)
    return wall.replace(year=year, month=month + 1, day=min(wall.day, monthrange(year, month + 1)[1]))
