"""Reading world files and CSV exports: facts come through whole, and mistakes are named precisely."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.demo import demo_world
from bot.rules.facts import CaseCategory, Role, SessionKind
from bot.worldfile import WorldError, parse_world, read_csv_export, read_world_file, world_to_json

LONDON = ZoneInfo("Europe/London")

WORLD: dict[str, Any] = {
    "staff": [
        {"id": "s1", "name": "Sam", "role": "supervisor", "employment": "permanent", "hours": "full_time",
         "nqsw": False, "start_date": "2020-01-06", "supervisor": None, "supervisor_since": None},
        {"id": "p1", "name": "Priya", "role": "practitioner", "employment": "agency", "hours": "part_time",
         "nqsw": True, "start_date": "2026-06-01", "supervisor": "s1", "supervisor_since": "2026-06-01",
         "team": "east"},
    ],
    "sessions": [
        {"id": "S1", "supervisee": "p1", "supervisor": "s1", "kind": "case",
         "held_at": "2026-07-01T10:00:00+01:00", "recorded_at": None, "cases": ["C-1"]},
    ],
    "agreements": [{"supervisee": "p1", "supervisor": "s1", "signed_at": "2026-06-10T09:00:00+01:00"}],
    "cases": [{"id": "C-1", "worker": "p1", "category": "child_protection", "allocated_on": "2026-06-15"}],
    "urgent_requests": [{"id": "U1", "requester": "p1", "requested_at": "2026-07-02T08:00:00+01:00"}],
}  # fmt: skip


def changed(path: list[Any], value: Any) -> dict[str, Any]:
    world = copy.deepcopy(WORLD)
    target: Any = world
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return world


def test_a_world_file_becomes_facts_with_plain_dates_at_local_midnight() -> None:
    world = parse_world(WORLD)
    practitioner = world.staff[1]
    assert practitioner.role is Role.PRACTITIONER
    assert practitioner.start_date == datetime(2026, 6, 1, tzinfo=LONDON)
    assert practitioner.start_date.isoformat() == "2026-06-01T00:00:00+01:00"
    assert world.sessions[0].kind is SessionKind.CASE
    assert world.sessions[0].cases == ("C-1",)
    assert world.cases[0].category is CaseCategory.CHILD_PROTECTION
    assert world.urgent_requests[0].requested_at.isoformat() == "2026-07-02T08:00:00+01:00"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        pytest.param(
            ["staff", 1, "start_date"],
            "2026-02-30",
            'staff[1].start_date: not a date: "2026-02-30"',
            id="impossible-date",
        ),
        pytest.param(
            ["sessions", 0, "supervisee"], "p9", 'sessions[0].supervisee: no such staff id "p9"', id="unknown-staff"
        ),
        pytest.param(
            ["sessions", 0, "held_at"],
            "2026-07-01T10:00:00",
            'sessions[0].held_at: not a date-time with offset: "2026-07-01T10:00:00"',
            id="no-offset",
        ),
        pytest.param(
            ["staff", 1, "role"],
            "boss",
            'staff[1].role: expected one of practitioner, supervisor, manager, got "boss"',
            id="bad-role",
        ),
        pytest.param(
            ["staff", 1, "nqsw"], "maybe", 'staff[1].nqsw: expected true or false, got "maybe"', id="bad-flag"
        ),
        pytest.param(["cases", 0, "worker"], None, "cases[0].worker: missing", id="missing-worker"),
        pytest.param(["cases", 0, "age"], -3, "cases[0].age: expected an age in whole years, got -3", id="bad-age"),
        pytest.param(
            ["sessions", 0, "cases"], ["C-404"], 'sessions[0].cases[0]: no such case id "C-404"', id="unknown-case"
        ),
        pytest.param(
            ["sessions", 0, "recorded_at"],
            "2026-06-30T10:00:00+01:00",
            "sessions[0].recorded_at: is before the session was held",
            id="recorded-before-held",
        ),
        pytest.param(["staff", 1, "shoe_size"], 9, "staff[1].shoe_size: unknown field", id="unknown-field"),
        pytest.param(["staff", 1, "name"], "x" * 201, "staff[1].name: longer than 200 characters", id="oversized"),
        pytest.param(
            ["staff", 0, "supervisor"],
            "s1",
            "staff[0].supervisor: nobody can supervise themselves",
            id="self-supervision",
        ),
        pytest.param(["staff"], {"id": "s1"}, "staff: expected a list", id="not-a-list"),
    ],
)
def test_a_mistake_in_a_world_file_is_named_by_place_and_reason(path: list[Any], value: Any, message: str) -> None:
    with pytest.raises(WorldError) as raised:
        parse_world(changed(path, value))
    assert str(raised.value).startswith(message)


def test_a_staff_id_used_twice_is_refused() -> None:
    world = copy.deepcopy(WORLD)
    world["staff"].append(dict(world["staff"][1]))
    with pytest.raises(WorldError, match=r'staff\[2\]\.id: "p1" is used twice'):
        parse_world(world)


def test_a_file_that_is_not_json_is_reported_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    path.write_text('{"staff": [}', encoding="utf-8")
    with pytest.raises(WorldError, match=r"world\.json: not valid JSON \(line 1, column 12\)"):
        read_world_file(path)


def test_csv_exports_of_staff_and_cases_are_read_by_their_columns(tmp_path: Path) -> None:
    staff = tmp_path / "staff.csv"
    staff.write_text(
        "id,name,role,employment,hours,nqsw,start_date,supervisor,supervisor_since,line_manager,team\n"
        "s1,Sam,supervisor,permanent,full_time,false,2020-01-06,,,,east\n"
        "p1,Priya,practitioner,permanent,full_time,true,2026-06-01,s1,2026-06-01,,east\n",
        encoding="utf-8",
    )
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "id,worker,category,allocated_on,risk,age\nC-1,p1,child_in_care,2026-06-15,low,12\n", encoding="utf-8"
    )
    assert [person.id for person in read_csv_export(staff).staff] == ["s1", "p1"]
    assert read_csv_export(staff).staff[1].nqsw is True
    case = read_csv_export(cases, known=read_csv_export(staff)).cases[0]
    assert (case.id, case.age, case.risk and case.risk.value) == ("C-1", 12, "low")


def test_a_csv_case_for_a_worker_nobody_knows_is_refused_naming_the_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("id,worker,category,allocated_on\nC-1,p404,child_in_care,2026-06-15\n", encoding="utf-8")
    with pytest.raises(WorldError) as raised:
        read_csv_export(path)
    assert str(raised.value) == f'{path}: cases[0].worker: no such staff id "p404"'


def test_a_csv_that_is_neither_staff_nor_cases_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("colour,size\nblue,9\n", encoding="utf-8")
    with pytest.raises(WorldError, match="not a staff or cases export"):
        read_csv_export(path)


def test_a_csv_with_a_bad_date_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("id,worker,category,allocated_on\nC-1,p1,child_in_care,2026-13-01\n", encoding="utf-8")
    with pytest.raises(WorldError, match=r'cases\[0\]\.allocated_on: not a date: "2026-13-01"'):
        read_csv_export(path)


def test_the_world_round_trips_through_json_unchanged() -> None:
    assert parse_world(json.loads(json.dumps(WORLD))) == parse_world(WORLD)


def test_a_world_written_out_as_json_reads_back_as_the_same_facts() -> None:
    world = demo_world(date(2026, 11, 25))
    assert parse_world(json.loads(json.dumps(world_to_json(world)))) == world
