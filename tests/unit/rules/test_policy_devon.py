"""Devon Children's Services: Supervision Policy and Procedure (July 2023), rule by rule."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.rules.facts import Employment, Hours
from tests.builders import at, case, due_of, find, held, obligations, only_rule, signed, urgent, worker

rule = pytest.mark.policy_rule
NEW = at(2026, 11, 2)  # a Monday
DAY = timedelta(days=1)


@rule("devon", "agreement-at-start-renewed-yearly")
def test_an_agreement_is_due_by_the_first_supervision_of_a_new_relationship() -> None:
    """§4: "A supervision agreement must be completed at the start of every supervisory relationship"."""
    newcomer = worker(NEW)
    before_any_session = due_of("devon", "agreement", "p1", at(2026, 11, 4), staff=[newcomer])
    assert (before_any_session.due, before_any_session.overdue) == (at(2026, 11, 9), False)
    first = held("S1", at(2026, 11, 5, 10))
    after_first = due_of("devon", "agreement", "p1", at(2026, 11, 6), staff=[newcomer], sessions=[first])
    assert (after_first.due, after_first.overdue) == (at(2026, 11, 5, 10), True)
    assert after_first.rule_id == "agreement-at-start-renewed-yearly"


@rule("devon", "agreement-at-start-renewed-yearly")
@pytest.mark.parametrize(
    ("signed_at", "renewal"),
    [
        pytest.param(at(2026, 1, 15, 10), at(2027, 1, 15, 10), id="a-year-later"),
        pytest.param(at(2024, 2, 29, 10), at(2025, 2, 28, 10), id="leap-day-renewed-on-28-february"),
    ],
)
def test_an_agreement_is_renewed_every_12_months(signed_at: datetime, renewal: datetime) -> None:
    """§4: "... and renewed every 12 months"."""
    renewal_due = due_of("devon", "agreement", "p1", signed_at + DAY, staff=[worker()], agreements=[signed(signed_at)])
    assert renewal_due.due == renewal


@rule("devon", "monthly")
@pytest.mark.parametrize(
    ("last", "next_due"),
    [
        pytest.param(at(2026, 10, 20, 10), at(2026, 11, 20, 10), id="across-the-clocks-going-back"),
        pytest.param(at(2027, 1, 31, 10), at(2027, 2, 28, 10), id="31-january-to-28-february"),
        pytest.param(at(2028, 1, 31, 10), at(2028, 2, 29, 10), id="leap-year"),
    ],
)
def test_personal_supervision_takes_place_at_planned_monthly_meetings(last: datetime, next_due: datetime) -> None:
    """§4.1: "Personal supervision should take place at planned monthly meetings."."""
    found = due_of("devon", "personal_supervision", "p1", last + DAY, staff=[worker()], sessions=[held("S1", last)])
    assert (found.due, found.rule_id, found.notify) == (next_due, "monthly", ("p1", "s1"))


@rule("devon", "weekly-in-first-six-weeks")
@pytest.mark.parametrize(
    ("session", "next_due", "rule_id"),
    [
        pytest.param(at(2026, 11, 9, 10), at(2026, 11, 16, 10), "weekly-in-first-six-weeks", id="week-one"),
        pytest.param(
            at(2026, 12, 13, 10), at(2026, 12, 20, 10), "weekly-in-first-six-weeks", id="last-day-of-week-six"
        ),
        pytest.param(at(2026, 12, 14, 10), at(2027, 1, 14, 10), "monthly", id="six-weeks-on-monthly"),
    ],
)
def test_supervision_is_weekly_in_the_first_six_weeks_of_employment(
    session: datetime, next_due: datetime, rule_id: str
) -> None:
    """§4.1: "In the first six weeks of employment, supervision is to take place weekly"."""
    found = due_of(
        "devon", "personal_supervision", "p1", session + DAY, staff=[worker(NEW)], sessions=[held("S1", session)]
    )
    assert (found.due, found.rule_id) == (next_due, rule_id)


def test_a_new_starter_with_no_session_yet_is_due_a_week_after_starting() -> None:
    """§4.1: weekly from the start of employment."""
    found = due_of("devon", "personal_supervision", "p1", at(2026, 11, 2), staff=[worker(NEW)])
    assert found.due == at(2026, 11, 9)


@rule("devon", "newly-qualified-two-weekly-for-three-months")
def test_newly_qualified_social_workers_are_supervised_two_weekly_for_their_first_three_months() -> None:
    """§4.1: "Supervision for newly qualified Social Workers is provided two-weekly for the first three months"."""
    session = held("S1", at(2026, 8, 10, 10))
    newly_qualified = due_of(
        "devon",
        "personal_supervision",
        "p1",
        at(2026, 8, 11),
        staff=[worker(at(2026, 6, 1), nqsw=True)],
        sessions=[session],
    )
    assert (newly_qualified.due, newly_qualified.rule_id) == (
        at(2026, 8, 24, 10),
        "newly-qualified-two-weekly-for-three-months",
    )
    experienced = due_of(
        "devon", "personal_supervision", "p1", at(2026, 8, 11), staff=[worker(at(2026, 6, 1))], sessions=[session]
    )
    assert (experienced.due, experienced.rule_id) == (at(2026, 9, 10, 10), "monthly")


def test_newly_qualified_supervision_reduces_to_monthly_after_three_months() -> None:
    """§4.1: "... reducing thereafter to the recommended monthly supervision"."""
    found = due_of(
        "devon",
        "personal_supervision",
        "p1",
        at(2026, 9, 2),
        staff=[worker(at(2026, 6, 1), nqsw=True)],
        sessions=[held("S1", at(2026, 9, 1, 10))],
    )
    assert (found.due, found.rule_id) == (at(2026, 10, 1, 10), "monthly")


@rule("devon", "part-time-monthly")
def test_part_time_staff_receive_supervision_monthly() -> None:
    """§4.1: "Part time staff should receive supervision monthly"."""
    alone = only_rule("devon", "part-time-monthly")
    session = [held("S1", at(2026, 10, 5, 10))]
    part_time = find(
        obligations(alone, at(2026, 10, 6), staff=[worker(hours=Hours.PART_TIME)], sessions=session),
        "personal_supervision",
        "p1",
    )
    assert part_time is not None and part_time.due == at(2026, 11, 5, 10)
    assert (
        find(obligations(alone, at(2026, 10, 6), staff=[worker()], sessions=session), "personal_supervision", "p1")
        is None
    )


@rule("devon", "agency-and-temporary-as-permanent")
@pytest.mark.parametrize("employment", [Employment.AGENCY, Employment.TEMPORARY])
def test_agency_and_temporary_staff_receive_the_same_frequency_as_permanent_staff(employment: Employment) -> None:
    """§4.1: "Agency and temporary staff should receive the same frequency of supervision as permanent staff"."""
    sessions = [held("S1", at(2026, 10, 5, 10))]
    agency = due_of(
        "devon", "personal_supervision", "p1", at(2026, 10, 6), staff=[worker(employment=employment)], sessions=sessions
    )
    permanent = due_of("devon", "personal_supervision", "p1", at(2026, 10, 6), staff=[worker()], sessions=sessions)
    assert agency.due == permanent.due == at(2026, 11, 5, 10)
    alone = only_rule("devon", "agency-and-temporary-as-permanent")
    assert (
        find(
            obligations(alone, at(2026, 10, 6), staff=[worker(employment=employment)], sessions=sessions),
            "personal_supervision",
            "p1",
        )
        is not None
    )


@rule("devon", "discussed-upon-allocation")
@pytest.mark.parametrize(
    ("allocated", "due"),
    [
        pytest.param(at(2026, 11, 20), at(2026, 11, 23), id="friday-allocation-by-monday"),
        pytest.param(at(2026, 12, 24), at(2026, 12, 29), id="christmas-eve-over-the-bank-holidays"),
    ],
)
def test_a_newly_allocated_child_is_discussed_upon_allocation(allocated: datetime, due: datetime) -> None:
    """§5.1: "Upon allocation of a new child or family to a practitioner, a discussion must be had"."""
    found = due_of(
        "devon", "case_discussion", "C-1", allocated, staff=[worker()], cases=[case("C-1", "child_in_need", allocated)]
    )
    assert (found.due, found.rule_id, found.supervisee, found.notify) == (
        due,
        "discussed-upon-allocation",
        "p1",
        ("p1", "s1"),
    )


@rule("devon", "every-open-child-monthly")
def test_every_open_child_is_discussed_at_least_once_a_month() -> None:
    """§5.1: "every child open to Children's Social Care or Early Help teams ... discussed at least once per month"."""
    found = due_of(
        "devon",
        "case_discussion",
        "C-1",
        at(2026, 11, 25),
        staff=[worker()],
        cases=[case("C-1", "early_help", at(2026, 9, 1))],
        sessions=[held("S1", at(2026, 11, 20, 14), "case", cases=["C-1"])],
    )
    assert (found.due, found.rule_id) == (at(2026, 12, 20, 14), "every-open-child-monthly")


def test_group_supervision_about_a_child_does_not_replace_child_specific_supervision() -> None:
    """§7: "Group Supervision cannot replace 1:1 child specific supervision"."""
    found = due_of(
        "devon",
        "case_discussion",
        "C-1",
        at(2026, 12, 2),
        staff=[worker()],
        cases=[case("C-1", "early_help", at(2026, 9, 1))],
        sessions=[
            held("S1", at(2026, 11, 20, 14), "case", cases=["C-1"]),
            held("G1", at(2026, 12, 1, 10), "group", supervisee=None, cases=["C-1"], team="north"),
        ],
    )
    assert found.due == at(2026, 12, 20, 14)


@rule("devon", "child-specific-record-within-three-working-days")
@pytest.mark.parametrize(
    ("session_at", "deadline"),
    [
        pytest.param(at(2026, 11, 20, 14), at(2026, 11, 25, 14), id="friday-to-wednesday"),
        pytest.param(at(2026, 12, 24, 10), at(2026, 12, 31, 10), id="christmas-eve-to-new-years-eve"),
        pytest.param(at(2027, 3, 25, 10), at(2027, 4, 1, 10), id="over-easter-and-the-clocks"),
    ],
)
def test_a_child_specific_discussion_is_recorded_on_the_childs_file_within_three_working_days(
    session_at: datetime, deadline: datetime
) -> None:
    """§5.2: "the supervisor should record on child's file within 72 hours (three working days)"."""
    found = due_of(
        "devon",
        "recording",
        "S1",
        session_at,
        staff=[worker()],
        cases=[case("C-1", "child_protection", at(2026, 9, 1))],
        sessions=[held("S1", session_at, "case", cases=["C-1"])],
    )
    assert (found.due, found.rule_id, found.notify) == (
        deadline,
        "child-specific-record-within-three-working-days",
        ("p1", "s1"),
    )


def test_the_recording_duty_ends_once_recorded_and_is_not_set_for_sessions_naming_no_child() -> None:
    """§5.2 applies to child-specific supervision only."""
    found = obligations(
        "devon",
        at(2026, 11, 26),
        staff=[worker()],
        cases=[case("C-1", "child_protection", at(2026, 9, 1))],
        sessions=[
            held("S1", at(2026, 11, 20, 14), "case", cases=["C-1"], recorded=at(2026, 11, 23, 9)),
            held("S2", at(2026, 11, 21, 10)),
        ],
    )
    assert find(found, "recording", "S1") is None
    assert find(found, "recording", "S2") is None


@rule("devon", "every-team-monthly")
def test_every_team_facilitates_at_least_one_group_supervision_a_month() -> None:
    """§7: "Every team and service are expected to facilitate at least one Group Supervision a month"."""
    found = due_of(
        "devon",
        "group_supervision",
        "north",
        at(2026, 11, 25),
        staff=[worker()],
        sessions=[held("G1", at(2026, 11, 2, 10), "group", supervisee=None, team="north")],
    )
    assert (found.due, found.supervisee, found.notify, found.rule_id) == (
        at(2026, 12, 2, 10),
        None,
        ("s1",),
        "every-team-monthly",
    )


@rule("devon", "urgent-within-a-day")
def test_urgent_supervision_is_due_within_24_hours_of_the_request() -> None:
    """Devon sets no time; the companion's default is South Gloucestershire §3.4's 24 hours."""
    found = due_of(
        "devon",
        "urgent_supervision",
        "U1",
        at(2026, 10, 24, 13),
        staff=[worker()],
        requests=[urgent("U1", at(2026, 10, 24, 12))],
    )
    assert found.due.isoformat() == "2026-10-25T11:00:00+00:00"  # 24 real hours across the clocks going back
    assert found.notify == ("p1", "s1")
    met = obligations(
        "devon",
        at(2026, 10, 24, 18),
        staff=[worker()],
        requests=[urgent("U1", at(2026, 10, 24, 12))],
        sessions=[held("S1", at(2026, 10, 24, 15), "urgent")],
    )
    assert find(met, "urgent_supervision", "U1") is None
