"""South Gloucestershire Safeguarding Children Board: Integrated Supervision Policy, rule by rule."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.builders import at, due_of, find, held, obligations, signed, urgent, worker

rule = pytest.mark.policy_rule
SINCE_2020 = worker(at(2020, 2, 3))


@rule("south-glos", "agreement-by-first-session")
def test_a_supervision_agreement_is_in_place_by_the_first_session() -> None:
    """Appendix 1: "Checklist for Supervision Agreement"; §5: "as detailed in the supervision agreement"."""
    newcomer = worker(at(2026, 11, 2))
    before = due_of("south-glos", "agreement", "p1", at(2026, 11, 3), staff=[newcomer])
    assert (before.due, before.rule_id) == (at(2027, 1, 2), "agreement-by-first-session")
    after = due_of(
        "south-glos", "agreement", "p1", at(2026, 11, 20), staff=[newcomer], sessions=[held("S1", at(2026, 11, 19, 10))]
    )
    assert (after.due, after.overdue) == (at(2026, 11, 19, 10), True)


def test_a_signed_agreement_is_not_due_again_because_the_policy_sets_no_renewal() -> None:
    """Appendix 1 sets no review date."""
    found = obligations("south-glos", at(2026, 11, 25), staff=[SINCE_2020], agreements=[signed(at(2020, 2, 10))])
    assert find(found, "agreement", "p1") is None


SIX_SESSIONS = [
    at(2025, 12, 3, 10), at(2026, 2, 4, 10), at(2026, 4, 1, 10), at(2026, 6, 3, 10), at(2026, 8, 5, 10),
    at(2026, 10, 7, 10),
]  # fmt: skip


@rule("south-glos", "six-in-any-twelve-months")
@pytest.mark.parametrize(
    ("sessions", "next_due"),
    [
        pytest.param(SIX_SESSIONS, at(2026, 12, 3, 10), id="twelve-months-after-the-sixth-most-recent"),
        pytest.param([at(2025, 11, 1, 10), *SIX_SESSIONS], at(2026, 12, 3, 10), id="older-sessions-do-not-help"),
        pytest.param([*SIX_SESSIONS, at(2026, 11, 18, 10)], at(2027, 2, 4, 10), id="a-seventh-moves-the-window-on"),
        pytest.param(SIX_SESSIONS[-2:], at(2026, 12, 7, 10), id="fewer-than-six-one-every-two-months"),
    ],
)
def test_management_supervision_takes_place_six_times_in_any_12_month_period(
    sessions: list[datetime], next_due: datetime
) -> None:
    """§3.1: "As a minimum, management supervision should take place six times in any 12 month period"."""
    held_sessions = [held(f"S{i}", when, "personal" if i % 2 else "case") for i, when in enumerate(sessions)]
    found = due_of(
        "south-glos", "personal_supervision", "p1", at(2026, 11, 25), staff=[SINCE_2020], sessions=held_sessions
    )
    assert (found.due, found.rule_id) == (next_due, "six-in-any-twelve-months")


@rule("south-glos", "urgent-within-24-hours")
def test_urgent_supervision_is_actioned_within_24_hours() -> None:
    """§3.4: "In instances where someone requires urgent supervision, arrangements should be made to action this
    within 24 hours."."""
    request = urgent("U1", at(2026, 11, 24, 16, 30))
    found = due_of(
        "south-glos", "urgent_supervision", "U1", at(2026, 11, 25, 17), staff=[SINCE_2020], requests=[request]
    )
    assert (found.due, found.overdue, found.notify) == (at(2026, 11, 25, 16, 30), True, ("p1", "s1"))
    before = [held("S0", at(2026, 11, 24, 9))]
    still_due = obligations("south-glos", at(2026, 11, 25), staff=[SINCE_2020], requests=[request], sessions=before)
    assert find(still_due, "urgent_supervision", "U1") is not None
    after = [held("S1", at(2026, 11, 25, 9), "personal")]
    met = obligations("south-glos", at(2026, 11, 25, 10), staff=[SINCE_2020], requests=[request], sessions=after)
    assert find(met, "urgent_supervision", "U1") is None
