"""Wokingham Borough Council: Supervision Policy (October 2020) and its Supervision Standards, rule by rule."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.rules.facts import Employment, Hours, Role
from tests.builders import at, case, due_of, find, held, obligations, only_rule, signed, urgent, worker

rule = pytest.mark.policy_rule
DAY = timedelta(days=1)
EXPERIENCED = worker(at(2019, 6, 3), since=at(2024, 1, 8))


@rule("wokingham", "agreement-within-a-month-reviewed-yearly")
@pytest.mark.parametrize(
    ("since", "due"),
    [
        pytest.param(at(2026, 10, 5), at(2026, 11, 5), id="a-month-after-the-relationship-starts"),
        pytest.param(at(2027, 1, 31), at(2027, 2, 28), id="clamped-to-the-end-of-february"),
    ],
)
def test_the_agreement_is_signed_within_one_month_of_the_relationship_starting(since: datetime, due: datetime) -> None:
    """Standard 4: "The Individual Supervision Agreement will be completed, agreed and signed within 1 month of the
    supervision relationship commencing."."""
    found = due_of("wokingham", "agreement", "p1", since + DAY, staff=[worker(at(2019, 6, 3), since=since)])
    assert (found.due, found.rule_id) == (due, "agreement-within-a-month-reviewed-yearly")


@rule("wokingham", "agreement-within-a-month-reviewed-yearly")
def test_the_agreement_is_reviewed_at_least_annually() -> None:
    """§5: "All staff must have a current written individual Supervision Agreement which, as a minimum, should be
    reviewed annually."."""
    found = due_of(
        "wokingham", "agreement", "p1", at(2026, 11, 25), staff=[EXPERIENCED], agreements=[signed(at(2025, 12, 1, 10))]
    )
    assert (found.due, found.overdue) == (at(2026, 12, 1, 10), False)


@rule("wokingham", "monthly")
def test_practitioners_receive_personal_supervision_monthly() -> None:
    """Standard 16: "practitioners will receive personal supervision on a monthly basis"."""
    found = due_of(
        "wokingham",
        "personal_supervision",
        "p1",
        at(2026, 10, 1),
        staff=[EXPERIENCED],
        sessions=[held("S1", at(2026, 9, 28, 10))],
    )
    assert found.due.isoformat() == "2026-10-28T10:00:00+00:00"
    assert found.rule_id == "monthly"


@rule("wokingham", "newly-qualified-weekly-for-six-weeks")
def test_newly_qualified_social_workers_are_supervised_weekly_for_the_first_six_weeks() -> None:
    """Standard 16: "Newly Qualified Social Workers ... should have supervision at least weekly for the first 6
    weeks"."""
    found = due_of(
        "wokingham",
        "personal_supervision",
        "p1",
        at(2026, 11, 10),
        staff=[worker(at(2026, 11, 2), nqsw=True)],
        sessions=[held("S1", at(2026, 11, 9, 10))],
    )
    assert (found.due, found.rule_id) == (at(2026, 11, 16, 10), "newly-qualified-weekly-for-six-weeks")


@rule("wokingham", "newly-qualified-fortnightly-for-the-following-six-months")
@pytest.mark.parametrize(
    ("session", "next_due", "rule_id"),
    [
        pytest.param(
            at(2026, 7, 20, 10),
            at(2026, 8, 3, 10),
            "newly-qualified-fortnightly-for-the-following-six-months",
            id="after-probation-still-fortnightly",
        ),
        pytest.param(at(2026, 8, 17, 10), at(2026, 9, 17, 10), "monthly", id="thereafter-monthly"),
    ],
)
def test_newly_qualified_social_workers_are_supervised_fortnightly_for_the_following_six_months(
    session: datetime, next_due: datetime, rule_id: str
) -> None:
    """Standard 16: "and at least fortnightly for the following 6 months. Thereafter it should be at least
    monthly."."""
    newly_qualified = worker(at(2026, 1, 5), nqsw=True)  # six weeks end 16 February; six months more, 16 August
    found = due_of(
        "wokingham",
        "personal_supervision",
        "p1",
        session + DAY,
        staff=[newly_qualified],
        sessions=[held("S1", session)],
    )
    assert (found.due, found.rule_id) == (next_due, rule_id)


@rule("wokingham", "probation-fortnightly")
def test_staff_in_their_probationary_period_are_supervised_fortnightly() -> None:
    """Standard 16: "If the employee is in their probationary period (usually the first 6 months of service)
    supervision should take place fortnightly."."""
    session = [held("S1", at(2026, 11, 2, 10))]
    on_probation = due_of(
        "wokingham", "personal_supervision", "p1", at(2026, 11, 3), staff=[worker(at(2026, 9, 7))], sessions=session
    )
    assert (on_probation.due, on_probation.rule_id) == (at(2026, 11, 16, 10), "probation-fortnightly")
    agency = due_of(
        "wokingham",
        "personal_supervision",
        "p1",
        at(2026, 11, 3),
        staff=[worker(at(2026, 6, 1), employment=Employment.AGENCY)],
        sessions=session,
    )
    assert (agency.due, agency.rule_id) == (at(2026, 12, 2, 10), "monthly")


@rule("wokingham", "agency-and-temporary-fortnightly-for-three-months")
@pytest.mark.parametrize("employment", [Employment.AGENCY, Employment.TEMPORARY])
def test_agency_and_temporary_staff_are_supervised_fortnightly_in_their_first_three_months(
    employment: Employment,
) -> None:
    """Standard 16: "Agency and temporary staff ... should have supervision fortnightly during their first 3 months
    of service."."""
    newcomer = worker(at(2026, 10, 5), employment=employment)
    early = due_of(
        "wokingham",
        "personal_supervision",
        "p1",
        at(2026, 11, 3),
        staff=[newcomer],
        sessions=[held("S1", at(2026, 11, 2, 10))],
    )
    assert (early.due, early.rule_id) == (at(2026, 11, 16, 10), "agency-and-temporary-fortnightly-for-three-months")
    later = due_of(
        "wokingham",
        "personal_supervision",
        "p1",
        at(2027, 1, 12),
        staff=[newcomer],
        sessions=[held("S1", at(2027, 1, 11, 10))],
    )
    assert (later.due, later.rule_id) == (at(2027, 2, 11, 10), "monthly")


@rule("wokingham", "part-time-monthly")
def test_part_time_staff_are_supervised_monthly() -> None:
    """Standard 17: "Part-time staff should be supervised monthly"."""
    alone = only_rule("wokingham", "part-time-monthly")
    session = [held("S1", at(2026, 10, 5, 10))]
    part_time = find(
        obligations(alone, at(2026, 10, 6), staff=[worker(hours=Hours.PART_TIME)], sessions=session),
        "personal_supervision",
        "p1",
    )
    assert part_time is not None and part_time.due == at(2026, 11, 5, 10)
    full_time = obligations(alone, at(2026, 10, 6), staff=[worker()], sessions=session)
    assert find(full_time, "personal_supervision", "p1") is None


@rule("wokingham", "every-case-within-a-month-of-allocation")
def test_every_case_is_supervised_within_a_month_of_allocation_including_to_a_new_worker() -> None:
    """Standard 21: "All cases must be supervised within a month of being allocated; this includes allocation to a
    new worker."."""
    discussed_with_the_old_worker = held("S0", at(2026, 10, 20, 10), "case", supervisee="p2", cases=["C-1"])
    found = due_of(
        "wokingham",
        "case_discussion",
        "C-1",
        at(2026, 11, 3),
        staff=[EXPERIENCED, worker(id="p2")],
        cases=[case("C-1", "child_protection", at(2026, 11, 2))],
        sessions=[discussed_with_the_old_worker],
    )
    assert (found.due, found.rule_id, found.supervisee) == (
        at(2026, 12, 2),
        "every-case-within-a-month-of-allocation",
        "p1",
    )


@pytest.mark.parametrize(
    ("category", "next_due", "rule_id"),
    [
        pytest.param(
            "child_protection",
            at(2027, 1, 20, 10),
            "child-protection-every-two-months",
            id="standard-22",
            marks=rule("wokingham", "child-protection-every-two-months"),
        ),
        pytest.param(
            "child_in_care",
            at(2027, 1, 20, 10),
            "children-in-care-every-two-months",
            id="standard-23",
            marks=rule("wokingham", "children-in-care-every-two-months"),
        ),
        pytest.param(
            "child_in_need",
            at(2027, 2, 20, 10),
            "children-in-need-every-three-months",
            id="standard-24",
            marks=rule("wokingham", "children-in-need-every-three-months"),
        ),
        pytest.param(
            "early_help",
            at(2027, 1, 20, 10),
            "early-help-every-two-months",
            id="standard-25",
            marks=rule("wokingham", "early-help-every-two-months"),
        ),
        pytest.param(
            "care_leaver",
            at(2027, 2, 20, 10),
            "care-leavers-every-three-months",
            id="standard-26",
            marks=rule("wokingham", "care-leavers-every-three-months"),
        ),
        pytest.param(
            "supervising_social_worker",
            at(2027, 1, 20, 10),
            "supervising-social-workers-every-two-months",
            id="standard-27",
            marks=rule("wokingham", "supervising-social-workers-every-two-months"),
        ),
        pytest.param(
            "level_2",
            at(2026, 12, 20, 10),
            "other-cases-monthly",
            id="not-in-the-standards",
            marks=rule("wokingham", "other-cases-monthly"),
        ),
        pytest.param(
            "assessment",
            at(2026, 12, 20, 10),
            "other-cases-monthly",
            id="assessment-not-in-the-standards",
            marks=rule("wokingham", "other-cases-monthly"),
        ),
    ],
)
def test_each_case_is_supervised_at_least_as_often_as_its_category_requires(
    category: str, next_due: datetime, rule_id: str
) -> None:
    """Standards 22 to 27: child protection, children in care, early help and supervising social workers at least
    bi-monthly; children in need and care leavers at least three-monthly."""
    found = due_of(
        "wokingham",
        "case_discussion",
        "C-1",
        at(2026, 11, 25),
        staff=[EXPERIENCED],
        cases=[case("C-1", category, at(2026, 6, 1))],
        sessions=[held("S1", at(2026, 11, 20, 10), "case", cases=["C-1"], recorded=at(2026, 11, 21))],
    )
    assert (found.due, found.rule_id) == (next_due, rule_id)


@rule("wokingham", "recorded-within-five-days")
@pytest.mark.parametrize(
    ("kind", "session_at", "deadline"),
    [
        pytest.param("case", at(2026, 11, 20, 10), at(2026, 11, 25, 10), id="five-calendar-days"),
        pytest.param("personal", at(2026, 12, 23, 10), at(2026, 12, 28, 10), id="bank-holidays-still-count"),
        pytest.param("group", at(2026, 10, 22, 10), at(2026, 10, 27, 10), id="group-supervision-across-the-clocks"),
    ],
)
def test_all_supervision_is_recorded_within_five_days(kind: str, session_at: datetime, deadline: datetime) -> None:
    """Standard 8: "All supervision will be recorded within a maximum of 5 days after the supervision session."."""
    supervisee = None if kind == "group" else "p1"
    found = due_of(
        "wokingham",
        "recording",
        "S1",
        session_at + DAY,
        staff=[EXPERIENCED],
        sessions=[held("S1", session_at, kind, supervisee=supervisee, team="north")],
    )
    assert (found.due, found.rule_id) == (deadline, "recorded-within-five-days")


@rule("wokingham", "practice-observed-yearly")
def test_practice_is_observed_yearly_for_case_holding_practitioners_and_once_in_the_first_six_months() -> None:
    """§8: "practice should be observed by supervisors at least annually for all case-holding practitioners ...
    at least once during the first six months of employment"."""
    a_case = [case("C-1", "child_in_need", at(2026, 11, 2), worker="p1")]
    newcomer = due_of(
        "wokingham", "observed_practice", "p1", at(2026, 11, 25), staff=[worker(at(2026, 10, 5))], cases=a_case
    )
    assert (newcomer.due, newcomer.rule_id) == (at(2027, 4, 5), "practice-observed-yearly")
    observed = due_of(
        "wokingham",
        "observed_practice",
        "p1",
        at(2026, 11, 25),
        staff=[EXPERIENCED],
        cases=a_case,
        sessions=[held("O1", at(2026, 5, 12, 10), "observation")],
    )
    assert observed.due == at(2027, 5, 12, 10)
    no_cases = obligations("wokingham", at(2026, 11, 25), staff=[EXPERIENCED])
    assert find(no_cases, "observed_practice", "p1") is None


@rule("wokingham", "supervision-observed-yearly")
def test_a_supervisors_supervision_is_observed_by_their_manager_at_least_annually() -> None:
    """§8: "supervision should be observed by the supervisor's manager at least annually"."""
    found = due_of(
        "wokingham",
        "observed_practice",
        "s1",
        at(2026, 11, 25),
        sessions=[held("O1", at(2026, 2, 11, 14), "observation", supervisee="s1", supervisor="m1")],
    )
    assert (found.due, found.rule_id, found.notify) == (
        at(2027, 2, 11, 14),
        "supervision-observed-yearly",
        ("s1", "m1"),
    )


@rule("wokingham", "supervisors-line-manager-after-three-weeks")
@pytest.mark.parametrize(
    ("now", "notify"),
    [
        pytest.param(at(2026, 11, 18, 10), ("p1", "s1"), id="exactly-three-weeks-late"),
        pytest.param(at(2026, 11, 18, 10, 1), ("p1", "s1", "m1"), id="more-than-three-weeks-late"),
    ],
)
def test_supervision_more_than_three_weeks_late_is_escalated_to_the_supervisors_line_manager(
    now: datetime, notify: tuple[str, ...]
) -> None:
    """Standards 14 and 15: "does not take place within 3 weeks of the due date ... they must escalate this to their
    supervisor's line manager"."""
    found = obligations("wokingham", now, staff=[EXPERIENCED], sessions=[held("S1", at(2026, 9, 28, 10))])
    personal = find(found, "personal_supervision", "p1")
    assert personal is not None and personal.notify == notify


def test_escalation_covers_case_discussions_but_not_recording() -> None:
    """Standard 15 is about personal and case supervision, not about writing the record."""
    found = obligations(
        "wokingham",
        at(2027, 2, 15),
        staff=[EXPERIENCED],
        cases=[case("C-1", "child_protection", at(2026, 9, 1))],
        sessions=[held("S1", at(2026, 11, 20, 10), "case", cases=["C-1"])],
    )
    discussion, recording = find(found, "case_discussion", "C-1"), find(found, "recording", "S1")
    assert discussion is not None and discussion.notify == ("p1", "s1", "m1")
    assert recording is not None and recording.notify == ("p1", "s1")


def test_a_supervisor_with_no_line_manager_or_supervisor_escalates_to_nobody_further() -> None:
    """With no one above the supervisor on record, only the supervisee and supervisor are told."""
    from tests.builders import MANAGER

    alone = worker(id="p1", supervisor="m1", role=Role.PRACTITIONER)
    found = obligations(
        "wokingham", at(2026, 11, 25), staff=[alone], sessions=[held("S1", at(2026, 9, 1, 10), supervisor="m1")]
    )
    personal = find(found, "personal_supervision", "p1")
    assert MANAGER.supervisor is None
    assert personal is not None and personal.notify == ("p1", "m1")


@rule("wokingham", "urgent-within-a-day")
def test_urgent_supervision_is_due_within_24_hours_of_the_request() -> None:
    """Wokingham sets no time; the companion's default is South Gloucestershire §3.4's 24 hours."""
    found = due_of(
        "wokingham",
        "urgent_supervision",
        "U1",
        at(2026, 11, 25),
        staff=[EXPERIENCED],
        requests=[urgent("U1", at(2026, 11, 24, 16))],
    )
    assert found.due == at(2026, 11, 25, 16)
