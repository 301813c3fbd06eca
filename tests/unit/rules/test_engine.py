"""Properties of the engine that hold under every profile: overlaps, time travel and notification."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules.engine import obligations_due
from bot.rules.facts import Employment, Hours, Role, Session, SessionKind, Staff, World
from bot.rules.profile import ObligationKind, Profile, load_profile

LONDON = ZoneInfo("Europe/London")
PROFILES = ["devon", "blackburn", "wokingham", "south-glos", "csc-guidance"]
FREQUENCY_KINDS = [
    ObligationKind.PERSONAL_SUPERVISION,
    ObligationKind.CASE_SUPERVISION,
    ObligationKind.REFLECTIVE_SUPERVISION,
    ObligationKind.OBSERVED_PRACTICE,
]


def london(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=LONDON)


SUPERVISOR = Staff("s1", "Sam", Role.SUPERVISOR, Employment.PERMANENT, Hours.FULL_TIME, False, london(2015, 1, 5))


def only(profile: Profile, kind: ObligationKind, world: World, now: datetime) -> list[datetime]:
    return [o.due for o in obligations_due(profile, world, now) if o.kind is kind and o.subject == "p1"]


people = st.builds(
    lambda nqsw, employment, hours, start_offset: Staff(
        "p1",
        "Pat",
        Role.PRACTITIONER,
        employment,
        hours,
        nqsw,
        london(2026, 1, 5) + timedelta(days=start_offset),
        supervisor="s1",
    ),
    nqsw=st.booleans(),
    employment=st.sampled_from(list(Employment)),
    hours=st.sampled_from(list(Hours)),
    start_offset=st.integers(min_value=0, max_value=400),
)
session_days = st.lists(st.integers(min_value=0, max_value=500), max_size=8, unique=True)


@settings(max_examples=60, deadline=None)
@given(profile_name=st.sampled_from(PROFILES), person=people, days=session_days)
def test_property_where_several_rules_apply_the_one_that_falls_due_first_wins(
    profile_name: str, person: Staff, days: list[int]
) -> None:
    profile = load_profile(profile_name)
    start = person.start_date
    sessions = tuple(
        Session(f"S{d}", "p1", "s1", kind, start + timedelta(days=d, hours=10))
        for d in sorted(days)
        for kind in (SessionKind.PERSONAL, SessionKind.CASE)
    )
    world = World(staff=(SUPERVISOR, person), sessions=sessions)
    now = start + timedelta(days=600)
    for kind in FREQUENCY_KINDS:
        rules = profile.frequency_rules(kind)
        if not rules:
            continue
        combined = only(profile, kind, world, now)
        alone = [due for rule in rules for due in only(replace(profile, frequencies=(rule,)), kind, world, now)]
        assert combined == ([min(alone)] if alone else [])


@settings(max_examples=40, deadline=None)
@given(profile_name=st.sampled_from(PROFILES), person=people, days=session_days, later=st.integers(1, 900))
def test_property_due_dates_do_not_move_as_time_passes_only_whether_they_are_overdue(
    profile_name: str, person: Staff, days: list[int], later: int
) -> None:
    profile = load_profile(profile_name)
    sessions = tuple(
        Session(f"S{d}", "p1", "s1", SessionKind.PERSONAL, person.start_date + timedelta(days=d, hours=9)) for d in days
    )
    world = World(staff=(SUPERVISOR, person), sessions=sessions)
    first_now = person.start_date + timedelta(days=501)
    second_now = first_now + timedelta(days=later)
    first = obligations_due(profile, world, first_now)
    second = obligations_due(profile, world, second_now)
    assert [(o.kind, o.subject, o.due) for o in first] == [(o.kind, o.subject, o.due) for o in second]
    assert all(o.overdue == (second_now > o.due) for o in second)


def test_facts_dated_after_now_are_not_yet_known() -> None:
    profile = load_profile("devon")
    person = Staff("p1", "Pat", Role.PRACTITIONER, Employment.PERMANENT, Hours.FULL_TIME, False,
                   london(2020, 1, 6), supervisor="s1", supervisor_since=london(2020, 1, 6))  # fmt: skip
    world = World(
        staff=(SUPERVISOR, person),
        sessions=(
            Session("A", "p1", "s1", SessionKind.PERSONAL, london(2026, 10, 1, 10)),
            Session("B", "p1", "s1", SessionKind.PERSONAL, london(2026, 11, 1, 10)),
        ),
    )
    assert only(profile, ObligationKind.PERSONAL_SUPERVISION, world, london(2026, 10, 15)) == [london(2026, 11, 1, 10)]
    assert only(profile, ObligationKind.PERSONAL_SUPERVISION, world, london(2026, 11, 15)) == [london(2026, 12, 1, 10)]


def test_escalation_goes_to_the_supervisors_own_supervisor_when_no_line_manager_is_recorded() -> None:
    profile = load_profile("wokingham")
    manager = Staff("m1", "Morgan", Role.MANAGER, Employment.PERMANENT, Hours.FULL_TIME, False, london(2010, 1, 4))
    supervisor = replace(SUPERVISOR, supervisor="m1", supervisor_since=london(2015, 1, 5))
    person = Staff("p1", "Pat", Role.PRACTITIONER, Employment.PERMANENT, Hours.FULL_TIME, False,
                   london(2020, 1, 6), supervisor="s1", supervisor_since=london(2020, 1, 6))  # fmt: skip
    world = World(
        staff=(manager, supervisor, person),
        sessions=(Session("A", "p1", "s1", SessionKind.PERSONAL, london(2026, 9, 1, 10)),),
    )
    personal = [
        o
        for o in obligations_due(profile, world, london(2026, 11, 25))
        if o.kind is ObligationKind.PERSONAL_SUPERVISION and o.subject == "p1"
    ]
    assert [(o.due, o.notify) for o in personal] == [(london(2026, 10, 1, 10), ("p1", "s1", "m1"))]


@pytest.mark.parametrize("profile_name", PROFILES)
def test_nobody_without_a_supervisor_is_given_supervision_duties(profile_name: str) -> None:
    world = World(staff=(SUPERVISOR,))
    assert obligations_due(load_profile(profile_name), world, london(2026, 11, 25)) == []


def test_a_group_session_for_one_team_does_not_count_for_another() -> None:
    profile = load_profile("devon")
    north = replace(SUPERVISOR, team="north")
    south = replace(SUPERVISOR, id="s2", team="south")
    world = World(
        staff=(north, south),
        sessions=(Session("G", None, "s1", SessionKind.GROUP, london(2026, 11, 2, 10), team="north"),),
    )
    group = {
        o.subject: (o.due, o.notify)
        for o in obligations_due(profile, world, london(2026, 11, 25))
        if o.kind is ObligationKind.GROUP_SUPERVISION
    }
    assert group == {
        "north": (london(2026, 12, 2, 10), ("s1",)),
        "south": (london(2015, 2, 5), ("s2",)),
    }
