"""The one place that reads the time. Everything else is given `now` by a caller."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Something that says what time it is."""

    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...


class SystemClock:
    """The computer's clock."""

    def now(self) -> datetime:
        """The current moment in UTC."""
        return datetime.now(UTC)


class StoppedClock:
    """A clock that always says the one moment it was given, for running a sweep as of a chosen time."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        """The moment the clock was stopped at."""
        return self.moment
