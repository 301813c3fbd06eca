"""The worked examples in the README are true: each command, run for real, prints what is shown."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = re.compile(
    r"<!-- example: (?P<name>[\w-]+) -->\n```console\n\$ (?P<command>[^\n]+)\n(?P<output>.*?)```", re.S
)


def examples() -> list[tuple[str, str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(m["name"], m["command"], m["output"]) for m in EXAMPLE.finditer(text)]


def run(command: str) -> str:
    args = shlex.split(command)
    assert args[:3] == ["python", "-m", "bot"]
    result = subprocess.run(
        [sys.executable, *args[1:]], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_readme_has_a_worked_example_for_every_shipped_profile() -> None:
    from bot.rules.profile import known_profiles

    assert sorted(name for name, _, _ in examples()) == known_profiles()


@pytest.mark.parametrize(("name", "command", "output"), examples(), ids=[name for name, _, _ in examples()])
def test_a_readme_example_prints_exactly_what_the_readme_shows(name: str, command: str, output: str) -> None:
    assert run(command) == output, (
        f"README example {name} is out of date: run `python tests/integration/test_readme_examples.py`"
    )


def refresh() -> None:
    """Rewrite the README's example outputs from real runs (for after a deliberate change)."""
    path = ROOT / "README.md"
    text = path.read_text(encoding="utf-8")

    def filled(match: re.Match[str]) -> str:
        return f"<!-- example: {match['name']} -->\n```console\n$ {match['command']}\n{run(match['command'])}```"

    path.write_text(EXAMPLE.sub(filled, text), encoding="utf-8")


if __name__ == "__main__":
    refresh()
