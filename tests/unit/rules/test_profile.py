"""Loading policy profiles: the shipped five load, and a bad profile fails naming file, key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.rules.profile import ObligationKind, ProfileError, known_profiles, load_profile, parse_profile

SHIPPED = ["blackburn", "csc-guidance", "devon", "south-glos", "wokingham"]

GOOD = """
name = "test-council"
title = "Test Council policy"
source = "test.txt"

[[personal_supervision]]
id = "monthly"
every = "1 month"
counts = ["personal"]
cite = "§1: monthly"
"""


def test_the_five_seed_policies_are_shipped_as_profiles() -> None:
    assert known_profiles() == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_profile_loads_and_every_rule_cites_its_paragraph(name: str) -> None:
    profile = load_profile(name)
    assert profile.name == name
    rules = [
        *profile.agreements,
        *profile.frequencies,
        *profile.case_discussions,
        *profile.deadlines,
        *profile.urgent,
        *profile.escalations,
    ]
    assert rules
    for rule in rules:
        assert rule.source.cite, rule.id


def test_a_council_can_point_at_its_own_profile_file(tmp_path: Path) -> None:
    path = tmp_path / "our-council.toml"
    path.write_text(GOOD, encoding="utf-8")
    profile = load_profile(str(path))
    assert profile.name == "test-council"
    assert [rule.id for rule in profile.frequency_rules(ObligationKind.PERSONAL_SUPERVISION)] == ["monthly"]


def test_an_unknown_policy_name_lists_the_known_ones() -> None:
    with pytest.raises(ProfileError) as raised:
        load_profile("devn")
    assert str(raised.value) == f'unknown policy "devn" (known: {", ".join(SHIPPED)})'


def test_a_missing_profile_file_is_reported_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"nowhere\.toml: cannot read the policy file"):
        load_profile(str(tmp_path / "nowhere.toml"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            ('every = "1 month"', 'every = "1 month"\nfrequency = "often"'),
            "council.toml: personal_supervision[0].frequency: unknown key",
            id="unknown-key-in-a-rule",
        ),
        pytest.param(
            ('name = "test-council"', 'name = "test-council"\ncolour = "blue"'),
            "council.toml: colour: unknown key",
            id="unknown-top-level-key",
        ),
        pytest.param(
            ('every = "1 month"', 'every = "0 months"'),
            'council.toml: personal_supervision[0].every: a length of time must be more than zero: "0 months"',
            id="zero-interval",
        ),
        pytest.param(
            ('every = "1 month"', 'every = "fortnightly"'),
            'council.toml: personal_supervision[0].every: not a length of time: "fortnightly"',
            id="words-not-an-interval",
        ),
        pytest.param(
            ('every = "1 month"', 'every = "40 years"'),
            "council.toml: personal_supervision[0].every: longer than five years",
            id="absurd-interval",
        ),
        pytest.param(
            ('cite = "§1: monthly"', ""),
            "council.toml: personal_supervision[0].cite: every rule must cite the paragraph",
            id="missing-citation",
        ),
        pytest.param(
            ('cite = "§1: monthly"', 'cite = "  "'),
            "council.toml: personal_supervision[0].cite: every rule must cite the paragraph",
            id="blank-citation",
        ),
        pytest.param(
            ('counts = ["personal"]', 'counts = ["coffee"]'),
            'council.toml: personal_supervision[0].counts: unknown value "coffee"',
            id="unknown-session-kind",
        ),
        pytest.param(
            ('every = "1 month"', ""),
            "council.toml: personal_supervision[0].every: a rule needs every (how often) or first (how soon)",
            id="no-frequency",
        ),
        pytest.param(
            ('every = "1 month"', 'every = "1 month"\nwhen = { until = "6 weeks", nqsw = "yes" }'),
            "council.toml: personal_supervision[0].when.nqsw: expected true or false",
            id="condition-of-the-wrong-type",
        ),
        pytest.param(
            ('every = "1 month"', 'every = "1 month"\nat_least = 6'),
            "council.toml: personal_supervision[0].at_least: at_least and within go together",
            id="count-without-window",
        ),
        pytest.param(
            ('source = "test.txt"', 'source = "test.txt"\ntime_zone = "Europe/Londres"'),
            'council.toml: time_zone: unknown time zone "Europe/Londres"',
            id="unknown-time-zone",
        ),
        pytest.param(
            ('source = "test.txt"', 'source = "test.txt"\nbank_holidays = "XYZ"'),
            'council.toml: bank_holidays: unknown bank holiday region "XYZ"',
            id="unknown-bank-holiday-region",
        ),
        pytest.param(
            ('name = "test-council"', 'name = "test-council'),
            "council.toml: not valid TOML",
            id="broken-toml",
        ),
    ],
)
def test_a_bad_profile_fails_at_load_naming_the_file_the_key_and_the_reason(
    change: tuple[str, str], message: str
) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(ProfileError) as raised:
        parse_profile(GOOD.replace(old, new), source="council.toml")
    assert str(raised.value).startswith(message)


def test_a_rule_id_used_twice_is_refused() -> None:
    doubled = GOOD + GOOD[GOOD.index("[[personal_supervision]]") :]
    with pytest.raises(ProfileError, match=r'personal_supervision\[1\]\.id: "monthly" is used twice'):
        parse_profile(doubled, source="council.toml")


def test_an_unknown_case_category_is_refused() -> None:
    text = GOOD + '\n[[case_discussion]]\nid = "x"\ncategories = ["adoption"]\nevery = "1 month"\n'
    text += 'counts = ["case"]\ncite = "§2"\n'
    with pytest.raises(ProfileError, match=r'case_discussion\[0\]\.categories: unknown category "adoption"'):
        parse_profile(text, source="council.toml")
