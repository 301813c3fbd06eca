"""`python -m bot import`, `due --database` and `demo`, as real processes against SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.storage.db import create_engine_for, session_factory
from bot.storage.repositories import ActionRepository

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
AS_OF = "2026-11-25T12:00:00+00:00"


def run_bot(*args: str, env_url: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=180, check=False, cwd=ROOT
    )


def due(source: list[str], policy: str = "wokingham") -> dict[str, object]:
    result = run_bot("due", "--policy", policy, "--as-of", AS_OF, *source)
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_facts_imported_into_the_store_give_the_same_answer_as_the_world_file(database_url: str) -> None:
    world = EXAMPLES / "wokingham.json"
    imported = run_bot("import", str(world), "--database", database_url)
    assert imported.returncode == 0, imported.stderr
    assert due(["--database", database_url]) == due(["--world", str(world)])


def test_importing_the_same_file_twice_changes_nothing_the_second_time(database_url: str) -> None:
    world = EXAMPLES / "blackburn.json"
    first = run_bot("import", str(world), "--database", database_url)
    assert first.returncode == 0, first.stderr
    before = due(["--database", database_url], "blackburn")
    second = run_bot("import", str(world), "--database", database_url)
    assert second.returncode == 0, second.stderr
    assert "added 0" in second.stdout.replace(":", "").lower() or "unchanged" in second.stdout.lower()
    assert due(["--database", database_url], "blackburn") == before


def test_csv_exports_of_staff_and_cases_join_what_the_store_holds(sqlite_url: str, tmp_path: Path) -> None:
    assert run_bot("import", str(EXAMPLES / "devon.json"), "--database", sqlite_url).returncode == 0
    staff = tmp_path / "staff.csv"
    staff.write_text(
        "id,name,role,employment,hours,nqsw,start_date,supervisor,supervisor_since,line_manager,team\n"
        "p7,Ana Cole,practitioner,permanent,full_time,false,2024-02-05,s1,2024-02-05,,\n",
        encoding="utf-8",
    )
    cases = tmp_path / "cases.csv"
    cases.write_text("id,worker,category,allocated_on,risk,age\nC-7001,p7,child_protection,2026-11-02,,\n")
    result = run_bot("import", str(staff), str(cases), "--database", sqlite_url)
    assert result.returncode == 0, result.stderr
    report = due(["--database", sqlite_url], "devon")
    subjects = {(o["kind"], o["subject"]) for o in report["obligations"]}  # type: ignore[attr-defined]
    assert ("case_discussion", "C-7001") in subjects
    assert ("personal_supervision", "p7") in subjects
    assert ("recording", "S-2") in subjects  # the earlier import is still there


def test_a_csv_case_for_an_unknown_worker_is_refused_and_nothing_is_imported(sqlite_url: str, tmp_path: Path) -> None:
    assert run_bot("import", str(EXAMPLES / "devon.json"), "--database", sqlite_url).returncode == 0
    before = due(["--database", sqlite_url], "devon")
    cases = tmp_path / "cases.csv"
    cases.write_text("id,worker,category,allocated_on\nC-9,p404,child_in_need,2026-11-02\n", encoding="utf-8")
    result = run_bot("import", str(cases), "--database", sqlite_url)
    assert result.returncode == 2
    assert result.stderr.strip() == f'error: {cases}: cases[0].worker: no such staff id "p404"'
    assert len(result.stderr.strip().splitlines()) == 1
    assert due(["--database", sqlite_url], "devon") == before


def test_the_demo_loads_a_team_and_shows_what_is_due_today(sqlite_url: str) -> None:
    result = run_bot("demo", "--database", sqlite_url)
    assert result.returncode == 0, result.stderr
    assert "The demo team is in" in result.stdout
    assert "Urgent supervision" in result.stdout
    again = run_bot("demo", "--database", sqlite_url)
    assert again.returncode == 0, again.stderr
    engine = create_engine_for(sqlite_url)
    with session_factory(engine)() as session:
        open_actions = [(a.case_id, a.text) for a in ActionRepository(session).open_for_case("C-1001")]
    engine.dispose()
    # actions from an earlier case discussion, for the next one to review; loading twice adds none
    assert open_actions == [("C-1001", "Visit the school"), ("C-1001", "Ask the family doctor for a report")]


def test_a_malformed_database_address_gets_one_line_and_exit_status_2() -> None:
    result = run_bot("due", "--policy", "devon", "--as-of", AS_OF, "--database", "nonsense")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --database: not a database address (for example sqlite:///var/companion.db)"


def test_an_unreachable_database_gets_one_line_and_no_traceback() -> None:
    result = run_bot(
        "due", "--policy", "devon", "--as-of", AS_OF, "--database", "postgresql+psycopg://postgres@127.0.0.1:9/nowhere"
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: the database could not be used: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_the_sqlite_store_uses_write_ahead_logging_and_enforces_foreign_keys(sqlite_url: str) -> None:
    from sqlalchemy import text

    from bot.storage.db import create_engine_for

    engine = create_engine_for(sqlite_url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
