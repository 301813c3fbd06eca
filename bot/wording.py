"""Plain British English for what the companion shows people: no jargon, no acronyms."""

from __future__ import annotations

from datetime import date, datetime

DUTY_NAMES = {
    "agreement": "Supervision agreement",
    "personal_supervision": "Personal supervision",
    "case_supervision": "Case supervision",
    "case_discussion": "Case discussion",
    "recording": "Record the session",
    "sign_off": "Sign the record",
    "reflective_supervision": "Reflective supervision",
    "group_supervision": "Group supervision",
    "observed_practice": "Observed practice",
    "urgent_supervision": "Urgent supervision",
}


def duty_name(kind: str) -> str:
    """What a kind of duty is called in messages."""
    return DUTY_NAMES[kind]


def when(moment: datetime) -> str:
    """A date and time as people write it: "Wednesday 25 November 2026, 14:00"."""
    return f"{moment:%A} {moment.day} {moment:%B %Y, %H:%M}"


def on_day(day: date) -> str:
    """A date as people write it: "4 December 2026"."""
    return f"{day.day} {day:%B %Y}"
