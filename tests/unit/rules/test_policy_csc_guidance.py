"""Supervision Guidance for children's social care (the frequency table), rule by rule."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.builders import at, case, due_of, find, held, obligations, signed, urgent, worker

rule = pytest.mark.policy_rule
TOM = worker(at(2025, 3, 3))
DISCUSSED = at(2026, 11, 9, 10)


@rule("csc-guidance", "contract-by-first-session")
def test_the_supervision_contract_is_in_place_by_the_first_supervision() -> None:
    """Supervision Frequency: "The Supervision Contract sets out the frequency, content and duration of supervision"."""
    found = due_of("csc-guidance", "agreement", "p1", at(2026, 11, 3), staff=[worker(at(2026, 11, 2))])
    assert (found.due, found.rule_id) == (at(2026, 11, 30), "contract-by-first-session")
    settled = obligations("csc-guidance", at(2026, 11, 3), staff=[TOM], agreements=[signed(at(2025, 3, 3, 14))])
    assert find(settled, "agreement", "p1") is None


@rule("csc-guidance", "every-four-weeks")
@pytest.mark.parametrize("kind", ["personal", "case", "group"])
def test_all_staff_receive_supervision_every_four_weeks_as_a_minimum(kind: str) -> None:
    """Supervision Frequency: "It is expected that all staff will receive supervision every 4 weeks as a minimum."."""
    found = due_of(
        "csc-guidance",
        "personal_supervision",
        "p1",
        at(2026, 11, 25),
        staff=[TOM],
        sessions=[held("S1", DISCUSSED, kind)],
    )
    assert (found.due, found.rule_id) == (at(2026, 12, 7, 10), "every-four-weeks")


@rule("csc-guidance", "assessment-review-at-twenty-days")
def test_an_assessment_is_reviewed_at_20_days() -> None:
    """Frequency table: "Assessment — Review at 20 days and then monthly"."""
    found = due_of(
        "csc-guidance",
        "case_discussion",
        "C-3",
        at(2026, 11, 25),
        staff=[TOM],
        cases=[case("C-3", "assessment", at(2026, 11, 16))],
    )
    assert (found.due, found.rule_id) == (at(2026, 12, 6), "assessment-review-at-twenty-days")


@pytest.mark.parametrize(
    ("category", "risk", "age", "next_due", "rule_id"),
    [
        pytest.param(
            "level_2",
            None,
            None,
            at(2027, 1, 9, 10),
            "level-2-every-two-months",
            id="level-2",
            marks=rule("csc-guidance", "level-2-every-two-months"),
        ),
        pytest.param(
            "assessment",
            None,
            None,
            at(2026, 12, 9, 10),
            "assessment-then-monthly",
            id="assessment-then-monthly",
            marks=rule("csc-guidance", "assessment-then-monthly"),
        ),
        pytest.param(
            "child_in_need",
            None,
            None,
            at(2027, 1, 9, 10),
            "child-in-need-every-two-months",
            id="child-in-need",
            marks=rule("csc-guidance", "child-in-need-every-two-months"),
        ),
        pytest.param(
            "child_protection",
            None,
            None,
            at(2026, 12, 9, 10),
            "child-protection-plan-monthly",
            id="child-protection-plan",
            marks=rule("csc-guidance", "child-protection-plan-monthly"),
        ),
        pytest.param(
            "child_in_care",
            "high",
            None,
            at(2026, 12, 9, 10),
            "looked-after-high-risk-monthly",
            id="looked-after-high-risk",
            marks=rule("csc-guidance", "looked-after-high-risk-monthly"),
        ),
        pytest.param(
            "child_in_care",
            None,
            None,
            at(2026, 12, 9, 10),
            "looked-after-high-risk-monthly",
            id="looked-after-risk-not-recorded-treated-as-high",
        ),
        pytest.param(
            "child_in_care",
            "low",
            None,
            at(2027, 1, 9, 10),
            "looked-after-settled-every-two-months",
            id="looked-after-settled",
            marks=rule("csc-guidance", "looked-after-settled-every-two-months"),
        ),
        pytest.param(
            "care_leaver",
            None,
            19,
            at(2027, 1, 9, 10),
            "care-leaver-18-to-21-every-two-months",
            id="care-leaver-19",
            marks=rule("csc-guidance", "care-leaver-18-to-21-every-two-months"),
        ),
        pytest.param(
            "care_leaver",
            None,
            21,
            at(2027, 2, 9, 10),
            "care-leaver-21-plus-every-three-months",
            id="care-leaver-21",
            marks=rule("csc-guidance", "care-leaver-21-plus-every-three-months"),
        ),
        pytest.param(
            "care_leaver",
            None,
            None,
            at(2027, 1, 9, 10),
            "care-leaver-18-to-21-every-two-months",
            id="care-leaver-age-not-recorded",
        ),
        pytest.param(
            "early_help",
            None,
            None,
            at(2026, 12, 7, 10),
            "other-cases-every-four-weeks",
            id="early-help-not-in-the-table",
            marks=rule("csc-guidance", "other-cases-every-four-weeks"),
        ),
        pytest.param(
            "supervising_social_worker",
            None,
            None,
            at(2026, 12, 7, 10),
            "other-cases-every-four-weeks",
            id="supervising-social-worker-not-in-the-table",
        ),
    ],
)
def test_managers_discuss_children_at_least_as_often_as_the_table_says(
    category: str, risk: str | None, age: int | None, next_due: datetime, rule_id: str
) -> None:
    """Frequency table: "Managers must ensure that they discuss children as outlined in the table below as a
    minimum"."""
    found = due_of(
        "csc-guidance",
        "case_discussion",
        "C-1",
        at(2026, 11, 25),
        staff=[TOM],
        cases=[case("C-1", category, at(2026, 6, 1), risk=risk, age=age)],
        sessions=[held("S1", DISCUSSED, "case", cases=["C-1"])],
    )
    assert (found.due, found.rule_id) == (next_due, rule_id)


def test_a_discussion_outside_supervision_counts_for_the_child() -> None:
    """Supervision Frequency: "this form should be used to record all such discussions"."""
    found = due_of(
        "csc-guidance",
        "case_discussion",
        "C-1",
        at(2026, 11, 25),
        staff=[TOM],
        cases=[case("C-1", "child_protection", at(2026, 6, 1))],
        sessions=[held("S1", DISCUSSED, "urgent", cases=["C-1"])],
    )
    assert found.due == at(2026, 12, 9, 10)


@rule("csc-guidance", "urgent-within-a-day")
def test_urgent_supervision_is_due_within_24_hours_of_the_request() -> None:
    """The guidance sets no time; the companion's default is South Gloucestershire §3.4's 24 hours."""
    found = due_of(
        "csc-guidance",
        "urgent_supervision",
        "U1",
        at(2026, 11, 25),
        staff=[TOM],
        requests=[urgent("U1", at(2026, 11, 24, 16))],
    )
    assert found.due == at(2026, 11, 25, 16)
