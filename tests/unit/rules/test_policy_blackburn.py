"""Blackburn with Darwen: Supervision Guidance, Early Help and Support Service, rule by rule."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.builders import at, due_of, find, held, obligations, signed, urgent, worker

rule = pytest.mark.policy_rule
DAY = timedelta(days=1)
EXPERIENCED = worker(at(2021, 4, 6), since=at(2023, 1, 9))


@rule("blackburn", "contract-at-start-reviewed-yearly")
def test_a_supervision_contract_is_written_at_the_beginning_of_the_relationship() -> None:
    """§3: "at the beginning of the supervisory relationship ... written down in the form of an individual
    supervision contract"."""
    newcomer = worker(at(2026, 11, 2))
    found = due_of("blackburn", "agreement", "p1", at(2026, 11, 3), staff=[newcomer])
    # The first supervision of a new member of staff is case supervision, fortnightly.
    assert (found.due, found.rule_id) == (at(2026, 11, 16), "contract-at-start-reviewed-yearly")


@rule("blackburn", "contract-at-start-reviewed-yearly")
def test_the_contract_is_reviewed_usually_annually() -> None:
    """§3: "Review - When the contract is to be reviewed (usually annually)"."""
    found = due_of(
        "blackburn", "agreement", "p1", at(2026, 3, 1), staff=[EXPERIENCED], agreements=[signed(at(2026, 2, 2, 10))]
    )
    assert found.due == at(2027, 2, 2, 10)


@rule("blackburn", "experienced-staff-monthly")
def test_experienced_staff_have_case_supervision_monthly() -> None:
    """§4 Case Supervision: "Experienced staff will be supervised monthly."."""
    sessions = [held("S1", at(2026, 11, 2, 10), "case"), held("S2", at(2026, 11, 20, 10), "personal")]
    found = due_of("blackburn", "case_supervision", "p1", at(2026, 11, 25), staff=[EXPERIENCED], sessions=sessions)
    assert (found.due, found.rule_id, found.notify) == (at(2026, 12, 2, 10), "experienced-staff-monthly", ("p1", "s1"))


@rule("blackburn", "new-staff-fortnightly-for-three-months")
@pytest.mark.parametrize(
    ("session", "next_due", "rule_id"),
    [
        pytest.param(
            at(2026, 11, 2, 10), at(2026, 11, 16, 10), "new-staff-fortnightly-for-three-months", id="first-months"
        ),
        pytest.param(at(2027, 1, 5, 10), at(2027, 2, 5, 10), "experienced-staff-monthly", id="after-three-months"),
    ],
)
def test_new_staff_have_case_supervision_fortnightly_for_their_first_three_months(
    session: datetime, next_due: datetime, rule_id: str
) -> None:
    """§4 Case Supervision: "New staff will be supervised fortnightly for the first 3 months"."""
    found = due_of(
        "blackburn",
        "case_supervision",
        "p1",
        session + DAY,
        staff=[worker(at(2026, 10, 5))],
        sessions=[held("S1", session, "case")],
    )
    assert (found.due, found.rule_id) == (next_due, rule_id)


@rule("blackburn", "quarterly")
@pytest.mark.parametrize(
    ("session", "next_due"),
    [
        pytest.param(at(2026, 11, 2, 12, 30), at(2027, 2, 2, 12, 30), id="three-months"),
        pytest.param(at(2026, 11, 30, 12), at(2027, 2, 28, 12), id="clamped-to-the-end-of-february"),
    ],
)
def test_personal_supervision_takes_place_on_a_quarterly_basis(session: datetime, next_due: datetime) -> None:
    """§4: "The remaining 30 mins will cover personal supervision ... on a quarterly basis"."""
    found = due_of(
        "blackburn", "personal_supervision", "p1", session + DAY, staff=[EXPERIENCED], sessions=[held("S1", session)]
    )
    assert (found.due, found.rule_id) == (next_due, "quarterly")


@rule("blackburn", "every-two-months")
def test_reflective_supervision_is_held_every_two_months() -> None:
    """§4 Reflective Supervision: "The supervisor will undertake a reflective supervision ... bi monthly"."""
    session = held("R1", at(2026, 11, 12, 15), "reflective", signed=at(2026, 11, 13, 9))
    found = due_of(
        "blackburn", "reflective_supervision", "p1", at(2026, 11, 25), staff=[EXPERIENCED], sessions=[session]
    )
    assert (found.due, found.rule_id) == (at(2027, 1, 12, 15), "every-two-months")


@rule("blackburn", "twice-a-year")
@pytest.mark.parametrize(
    ("observed", "next_due"),
    [
        pytest.param(
            [at(2026, 3, 10, 11), at(2026, 9, 15, 11)], at(2027, 3, 10, 11), id="twelve-months-after-the-older"
        ),
        pytest.param([at(2026, 9, 15, 11)], at(2027, 3, 15, 11), id="six-months-after-only-one"),
        pytest.param([], at(2023, 7, 9), id="none-yet-six-months-from-the-relationship"),
    ],
)
def test_practice_is_observed_twice_a_year(observed: list[datetime], next_due: datetime) -> None:
    """§7: "the supervisor will complete two pieces of observed practice with supervisees annually"."""
    sessions = [held(f"O{i}", when, "observation", signed=when + DAY) for i, when in enumerate(observed)]
    found = due_of("blackburn", "observed_practice", "p1", at(2026, 11, 25), staff=[EXPERIENCED], sessions=sessions)
    assert (found.due, found.rule_id) == (next_due, "twice-a-year")


@rule("blackburn", "reflective-and-observed-signed-within-ten-working-days")
@pytest.mark.parametrize(
    ("kind", "session_at", "deadline"),
    [
        pytest.param("reflective", at(2026, 11, 12, 15), at(2026, 11, 26, 15), id="reflective-two-weeks"),
        pytest.param("observation", at(2026, 12, 18, 10), at(2027, 1, 6, 10), id="observation-over-christmas"),
    ],
)
def test_the_record_is_signed_by_both_no_later_than_ten_working_days_after_the_session(
    kind: str, session_at: datetime, deadline: datetime
) -> None:
    """§6 and §7: "The record of the session will be signed by both parties, no later than 10 working days after
    the session."."""
    found = due_of(
        "blackburn", "sign_off", "S1", session_at + DAY, staff=[EXPERIENCED], sessions=[held("S1", session_at, kind)]
    )
    assert (found.due, found.rule_id) == (deadline, "reflective-and-observed-signed-within-ten-working-days")


def test_a_signed_record_or_a_case_session_has_nothing_to_sign() -> None:
    """§6: only reflective and observed practice records are signed within 10 working days."""
    sessions = [
        held("S1", at(2026, 11, 12, 15), "reflective", signed=at(2026, 11, 20, 9)),
        held("S2", at(2026, 11, 13, 10), "case"),
    ]
    found = obligations("blackburn", at(2026, 11, 25), staff=[EXPERIENCED], sessions=sessions)
    assert find(found, "sign_off", "S1") is None
    assert find(found, "sign_off", "S2") is None


@rule("blackburn", "urgent-within-a-day")
def test_urgent_supervision_is_due_within_24_hours_of_the_request() -> None:
    """Blackburn sets no time; the companion's default is South Gloucestershire §3.4's 24 hours."""
    found = due_of(
        "blackburn", "urgent_supervision", "U1", at(2026, 11, 25), staff=[EXPERIENCED],
        requests=[urgent("U1", at(2026, 11, 24, 16))],
    )  # fmt: skip
    assert (found.due, found.overdue) == (at(2026, 11, 25, 16), False)
