"""Test doubles that record what they were asked to do."""

from __future__ import annotations

from datetime import datetime


class FixedClock:
    """A clock that says what it is told."""

    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment
