"""The rules stay pure: no web, database or bot framework, and no clock of their own."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import bot.rules

RULES = Path(bot.rules.__file__).parent
ALLOWED_THIRD_PARTY = {"dateutil", "holidays"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_the_rules_import_only_the_standard_library_dateutil_and_holidays() -> None:
    offenders = {
        path.name: sorted(
            name for name in _imports(path) if name not in sys.stdlib_module_names | ALLOWED_THIRD_PARTY | {"bot"}
        )
        for path in RULES.glob("*.py")
    }
    assert {name: bad for name, bad in offenders.items() if bad} == {}


def test_the_rules_import_nothing_from_the_rest_of_the_bot() -> None:
    for path in RULES.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
                assert node.module.startswith("bot.rules"), f"{path.name} imports {node.module}"


def test_the_rules_never_read_the_clock() -> None:
    for path in RULES.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in ("datetime.now(", ".now(", "date.today(", "time.time(", ".utcnow("):
            assert call not in text, f"{path.name} reads the clock with {call}"
