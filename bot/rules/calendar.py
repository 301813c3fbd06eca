"""Time arithmetic for policy intervals: months, weeks, days, hours and working days in local time.

The contract (also in the README):
- Every date-time is read and returned in the policy's time zone (Europe/London by default).
- Months and years move to the same day, clamped to the month's end (dateutil's relativedelta).
- Days and weeks count local calendar days and keep the local time of day across clock changes.
- Hours are elapsed time, so "24 hours" is always 24 real hours.
- Working days skip weekends and England's bank holidays, counting from the day after the event
  and keeping its time of day.
A local time that does not exist (the hour lost when the clocks go forward) moves forward by the gap.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from dateutil.relativedelta import relativedelta

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
        result = self.local(moment)
        for amount, unit in interval.parts:
            result = self._add_part(result, amount, unit)
        return result

    def _add_part(self, moment: datetime, amount: int, unit: Unit) -> datetime:
        wall = moment.replace(tzinfo=None)
        if unit is Unit.HOURS:
            return (moment.astimezone(UTC) + timedelta(hours=amount)).astimezone(self.zone)
        if unit is Unit.DAYS:
            return self._at_local(wall + timedelta(days=amount))
        if unit is Unit.WEEKS:
            return self._at_local(wall + timedelta(weeks=amount))
        if unit is Unit.MONTHS:
            return self._at_local(wall + relativedelta(months=amount))
        if unit is Unit.YEARS:
            return self._at_local(wall + relativedelta(years=amount))
        return self._at_local(datetime.combine(self._working_days_after(wall.date(), amount), wall.time()))

    def _working_days_after(self, day: date, count: int) -> date:
        while count > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day

    def _at_local(self, wall: datetime) -> datetime:
        # Round-trip through UTC so a wall time in the spring-forward gap lands after it.
        return wall.replace(tzinfo=self.zone).astimezone(UTC).astimezone(self.zone)
