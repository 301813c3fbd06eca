"""`python -m bot due`, run as a real process, answers the contract for all five profiles."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.demo import demo_world
from bot.worldfile import world_to_json

PROFILES = ["devon", "blackburn", "wokingham", "south-glos", "csc-guidance"]
KINDS = {
    "agreement", "personal_supervision", "case_supervision", "case_discussion", "recording", "sign_off",
    "reflective_supervision", "group_supervision", "observed_practice", "urgent_supervision",
}  # fmt: skip


def run_bot(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=120, cwd=cwd, check=False
    )


@pytest.fixture
def world_file(tmp_path: Path) -> Path:
    path = tmp_path / "world.json"
    path.write_text(json.dumps(world_to_json(demo_world(date(2026, 11, 25)))), encoding="utf-8")
    return path


@pytest.mark.parametrize("policy", PROFILES)
def test_due_prints_every_obligation_in_the_contract_shape_sorted_by_due(policy: str, world_file: Path) -> None:
    result = run_bot("due", "--policy", policy, "--as-of", "2026-11-25T12:00:00+00:00", "--world", str(world_file))
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["policy"] == policy
    assert report["as_of"] == "2026-11-25T12:00:00+00:00"
    obligations = report["obligations"]
    assert obligations
    for item in obligations:
        assert set(item) == {"kind", "subject", "supervisee", "due", "overdue", "notify", "rule"}
        assert item["kind"] in KINDS
        assert item["rule"]
        assert item["notify"]
        assert item["due"][-6:] in {"+00:00", "+01:00"}
    dues = [item["due"] for item in obligations]
    assert dues == sorted(dues)


def test_due_gives_the_record_deadline_three_working_days_after_a_friday_session(tmp_path: Path) -> None:
    world = {
        "staff": [
            {"id": "s1", "name": "Sam", "role": "supervisor", "start_date": "2020-01-06"},
            {"id": "p1", "name": "Priya", "role": "practitioner", "start_date": "2024-01-08",
             "supervisor": "s1", "supervisor_since": "2024-01-08"},
        ],
        "cases": [{"id": "C-1", "worker": "p1", "category": "child_in_need", "allocated_on": "2026-09-01"}],
        "sessions": [{"id": "S1", "supervisee": "p1", "supervisor": "s1", "kind": "case",
                      "held_at": "2026-11-20T14:00:00+00:00", "recorded_at": None, "cases": ["C-1"]}],
    }  # fmt: skip
    path = tmp_path / "world.json"
    path.write_text(json.dumps(world), encoding="utf-8")
    result = run_bot("due", "--policy", "devon", "--as-of", "2026-11-23", "--world", str(path))
    assert result.returncode == 0, result.stderr
    recording = [o for o in json.loads(result.stdout)["obligations"] if o["kind"] == "recording"]
    assert recording == [
        {
            "kind": "recording",
            "subject": "S1",
            "supervisee": "p1",
            "due": "2026-11-25T14:00:00+00:00",
            "overdue": False,
            "notify": ["p1", "s1"],
            "rule": recording[0]["rule"],
        }
    ]
    assert recording[0]["rule"].startswith("§5.2")


def test_due_as_a_table_is_readable(world_file: Path) -> None:
    result = run_bot(
        "due", "--policy", "devon", "--as-of", "2026-11-25T12:00:00+00:00", "--world", str(world_file),
        "--format", "table",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Due", "Status", "What", "About", "Who", "Tell"]
    assert any("Overdue" in line for line in lines)
    assert any("Urgent supervision" in line and "U-1" in line for line in lines)


def test_due_takes_a_councils_own_policy_file(tmp_path: Path, world_file: Path) -> None:
    policy = tmp_path / "our-council.toml"
    policy.write_text(
        'name = "ours"\ntitle = "Ours"\nsource = "ours.txt"\n[[personal_supervision]]\nid = "three-weekly"\n'
        'every = "3 weeks"\ncounts = ["personal"]\ncite = "Our policy §2"\n',
        encoding="utf-8",
    )
    result = run_bot("due", "--policy", str(policy), "--as-of", "2026-11-25", "--world", str(world_file))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["policy"] == "ours"
    assert {o["kind"] for o in report["obligations"]} == {"personal_supervision"}
    assert {o["rule"] for o in report["obligations"]} == {"Our policy §2"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--policy", "devn"],
            'error: unknown policy "devn" (known: blackburn, csc-guidance, devon, south-glos, wokingham)',
            id="unknown-policy",
        ),
        pytest.param(
            ["--as-of", "2026-02-30"],
            'error: --as-of: not a date or a date-time with offset: "2026-02-30"',
            id="impossible-as-of",
        ),
    ],
)
def test_bad_arguments_give_one_line_and_exit_status_2(args: list[str], message: str, world_file: Path) -> None:
    defaults = {"--policy": "devon", "--as-of": "2026-11-25", "--world": str(world_file)}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        defaults[flag] = value
    result = run_bot("due", *[part for pair in defaults.items() for part in pair])
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == message
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        pytest.param(
            lambda w: w["staff"][3].update(start_date="2026-02-30"),
            'staff[3].start_date: not a date: "2026-02-30"',
            id="impossible-date",
        ),
        pytest.param(
            lambda w: w["sessions"][0].update(supervisee="p9"),
            'sessions[0].supervisee: no such staff id "p9"',
            id="unknown-staff",
        ),
    ],
)
def test_a_bad_world_file_gives_one_line_naming_the_place_and_exit_status_2(
    broken: Any, message: str, world_file: Path
) -> None:
    world = json.loads(world_file.read_text(encoding="utf-8"))
    broken(world)
    world_file.write_text(json.dumps(world), encoding="utf-8")
    result = run_bot("due", "--policy", "devon", "--as-of", "2026-11-25", "--world", str(world_file))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {world_file}: {message}"
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_bad_policy_file_is_named_in_the_error(tmp_path: Path, world_file: Path) -> None:
    policy = tmp_path / "broken.toml"
    policy.write_text('name = "x"\ntitle = "x"\nsource = "x"\n[[personal_supervision]]\nid = "m"\n'
                      'every = "0 weeks"\ncounts = ["personal"]\ncite = "§1"\n', encoding="utf-8")  # fmt: skip
    result = run_bot("due", "--policy", str(policy), "--as-of", "2026-11-25", "--world", str(world_file))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f'error: {policy}: personal_supervision[0].every: a length of time must be more than zero: "0 weeks"'
    )
