"""Every rule in every shipped profile has a test that names it, so no policy duty goes untested."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.rules.profile import known_profiles, load_profile

HERE = Path(__file__).parent


def cited_rules() -> set[tuple[str, str]]:
    """(profile, rule id) pairs named by `policy_rule(...)` markers (or their `rule` alias) in the policy tests."""
    cited: set[tuple[str, str]] = set()
    for path in HERE.glob("test_policy_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in {"policy_rule", "rule"} and len(node.args) == 2:
                profile, rule_id = (arg.value if isinstance(arg, ast.Constant) else None for arg in node.args)
                if isinstance(profile, str) and isinstance(rule_id, str):
                    cited.add((profile, rule_id))
    return cited


def shipped_rules() -> set[tuple[str, str]]:
    rules: set[tuple[str, str]] = set()
    for name in known_profiles():
        profile = load_profile(name)
        for family in (profile.agreements, profile.frequencies, profile.case_discussions, profile.deadlines,
                       profile.urgent, profile.escalations):  # fmt: skip
            rules |= {(name, rule.id) for rule in family}
    return rules


def test_every_rule_in_every_profile_has_a_test_citing_it() -> None:
    assert sorted(shipped_rules() - cited_rules()) == []


def test_every_cited_rule_exists() -> None:
    assert sorted(cited_rules() - shipped_rules()) == []
