"""`python -m bot sweep`, as a real process over a real store: once per stage, nothing outside hours."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=120, check=False, cwd=ROOT
    )


def test_a_sweep_queues_each_reminder_once_and_a_dry_run_shows_only_what_is_new(database_url: str) -> None:
    assert run_bot("import", str(ROOT / "examples" / "wokingham.json"), "--database", database_url).returncode == 0
    now = "2026-11-25T10:00:00+00:00"
    dry = run_bot("sweep", "--policy", "wokingham", "--now", now, "--dry-run", "--database", database_url)
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert planned
    for nudge in planned:
        assert set(nudge) == {"recipient", "obligation", "stage", "due"}
        assert set(nudge["obligation"]) == {"kind", "subject"}
    assert {
        "recipient": "m1",
        "obligation": {"kind": "personal_supervision", "subject": "p1"},
        "stage": "escalated",
        "due": "2026-10-28T10:00:00+00:00",
    } in planned
    first = run_bot("sweep", "--policy", "wokingham", "--now", now, "--database", database_url)
    assert first.stdout.strip() == f"Queued {len(planned)} reminders."
    again = run_bot("sweep", "--policy", "wokingham", "--now", now, "--database", database_url)
    assert again.stdout.strip() == "Queued 0 reminders."
    assert (
        json.loads(
            run_bot("sweep", "--policy", "wokingham", "--now", now, "--dry-run", "--database", database_url).stdout
        )
        == []
    )


def test_a_sweep_at_the_weekend_queues_nothing(sqlite_url: str) -> None:
    assert run_bot("import", str(ROOT / "examples" / "wokingham.json"), "--database", sqlite_url).returncode == 0
    result = run_bot(
        "sweep", "--policy", "wokingham", "--now", "2026-11-28T11:00:00+00:00", "--dry-run", "--database", sqlite_url
    )
    assert json.loads(result.stdout) == []


def test_a_bad_now_gets_one_line(sqlite_url: str) -> None:
    result = run_bot("sweep", "--now", "tomorrow", "--dry-run", "--database", sqlite_url)
    assert result.returncode == 2
    assert result.stderr.strip() == 'error: --now: not a date or a date-time with offset: "tomorrow"'
