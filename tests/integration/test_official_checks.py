"""Microsoft's own judges: every card the bot can send through the Adaptive Cards SDK, and the Teams
app manifest through Microsoft's schema, both run in Node from tests/cards/ (installed by `make test`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

import bot.cards
from bot.forms import known_forms, load_form
from bot.gallery import gallery, write_gallery
from bot.rules.nudges import NOT_NUDGED
from bot.rules.profile import ObligationKind, load_profile
from tests.integration.test_package import BOT_ID, build

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ROOT / "tests" / "cards"


def node() -> str:
    """The node program, with the checks' packages installed; or skip (fail under CI=true) saying why."""
    program = shutil.which("node")
    reason = None
    if program is None:
        reason = "Node is not installed"
    elif not (CHECKS / "node_modules" / "adaptivecards").is_dir():
        reason = "the checks' packages are not installed (make test installs them with npm)"
    if reason is None:
        assert program is not None
        return program
    if os.environ.get("CI") == "true":
        pytest.fail(f"The official card and manifest checks must run in CI: {reason}")
    pytest.skip(reason)


def judge(script: str, target: Path) -> tuple[int, Any]:
    result = subprocess.run(
        [node(), str(CHECKS / script), str(target)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_every_card_the_bot_can_send_passes_the_adaptive_cards_sdk_with_no_warning(tmp_path: Path) -> None:
    written = write_gallery(tmp_path)
    assert len(written) > 100
    status, problems = judge("validate.mjs", tmp_path)
    assert problems == {}
    assert status == 0


REQUIRED = {"type": "Input.Text", "id": "a", "isRequired": True}
INNER = {"type": "AdaptiveCard", "body": [{"type": "Input.Text", "id": "d", "label": "D", "colour": "Good"}]}
BROKEN: dict[str, tuple[dict[str, Any], str]] = {
    "unknown-element": ({"type": "Carousel", "text": "x"}, "UnknownElementType"),
    "unknown-property": ({"type": "TextBlock", "text": "x", "colour": "Good"}, 'unknown property "colour"'),
    "no-label": (REQUIRED | {"errorMessage": "Say"}, "RequiredInputsShouldHaveLabel"),
    "optional-no-label": ({"type": "Input.Date", "id": "b"}, 'Input.Date "b" has no label'),
    "no-error-message": (REQUIRED | {"label": "A"}, "RequiredInputsShouldHaveErrorMessage"),
    "newer-property": ({"type": "Input.Text", "id": "c", "label": "C", "inputStyle": "Default"}, "UnsupportedProperty"),
    "inside-a-button": (
        {"type": "ActionSet", "actions": [{"type": "Action.ShowCard", "title": "More", "card": INNER}]},
        'unknown property "colour" on Input.Text',
    ),
}


def test_the_card_check_catches_each_kind_of_problem_teams_would_hide(tmp_path: Path) -> None:
    for name, (element, _) in BROKEN.items():
        card = {"type": "AdaptiveCard", "version": "1.5", "body": [element]}
        (tmp_path / f"{name}.json").write_text(json.dumps(card))
    twice = [{"type": "Input.Text", "id": "same", "label": label} for label in ("One", "Two")]
    repeated = {"type": "AdaptiveCard", "version": "1.5", "body": twice}
    (tmp_path / "duplicate-id.json").write_text(json.dumps(repeated))
    newer = {"type": "AdaptiveCard", "version": "1.6", "body": [{"type": "TextBlock", "text": "x"}]}
    (tmp_path / "too-new.json").write_text(json.dumps(newer))
    (tmp_path / "no-version.json").write_text(json.dumps({"type": "AdaptiveCard", "body": []}))
    (tmp_path / "fine.json").write_text(json.dumps({"type": "AdaptiveCard", "version": "1.5", "body": []}))
    status, problems = judge("validate.mjs", tmp_path)
    assert status == 1
    expected = {name: text for name, (_, text) in BROKEN.items()} | {
        "duplicate-id": 'Duplicate Id "same"',
        "too-new": "version 1.6 is above 1.5",
        "no-version": "not a card version",
    }
    for name, text in expected.items():
        assert any(text in problem for problem in problems[f"{name}.json"]), (name, problems.get(f"{name}.json"))
    assert "fine.json" not in problems


def test_the_gallery_uses_every_card_template_and_shows_every_step_of_every_form_and_every_reminder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    used: set[str] = set()
    original = bot.cards._template

    def recording(name: str) -> str:
        used.add(name)
        return original(name)

    monkeypatch.setattr(bot.cards, "_template", recording)
    names = set(gallery())
    templates = {path.stem for path in (ROOT / "cards").glob("*.json")}
    assert templates <= used, f"cards/ templates the gallery never renders: {templates - used}"
    for form_id in known_forms():
        form = load_form(form_id)
        variants = {"": form.steps(editing=False)} | ({"-editing": form.steps(editing=True)} if form.editable else {})
        for variant, walk in variants.items():
            for number in range(1, len(walk) + 1):
                for state in ("empty", "filled", "errors"):
                    assert f"form-{form_id}{variant}-step{number}-{state}" in names
        assert f"summary-{form_id}" in names
    for kind in set(ObligationKind) - NOT_NUDGED:
        assert f"reminder-{kind}" in names


def test_the_manifest_in_the_package_passes_microsofts_schema(tmp_path: Path) -> None:
    assert build(tmp_path, MicrosoftAppId=BOT_ID).returncode == 0
    with zipfile.ZipFile(tmp_path / "app.zip") as package:
        (tmp_path / "manifest.json").write_bytes(package.read("manifest.json"))
    status, problems = judge("validate_manifest.mjs", tmp_path / "manifest.json")
    assert problems == []
    assert status == 0


def test_the_manifest_check_catches_a_manifest_teams_would_refuse(tmp_path: Path) -> None:
    manifest = json.loads((ROOT / "manifest" / "manifest.json").read_text())
    manifest |= {"id": "not-a-guid"}
    del manifest["name"]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    status, problems = judge("validate_manifest.mjs", tmp_path / "manifest.json")
    assert status == 1
    assert any(problem.startswith("/id must match pattern") for problem in problems)
    assert any("must have required property 'name'" in problem for problem in problems)


def test_python_m_bot_cards_writes_the_gallery_as_json_files(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "cards", "--output", str(tmp_path / "cards")],
        capture_output=True, text=True, timeout=60, check=False, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    written = sorted(path.stem for path in (tmp_path / "cards").glob("*.json"))
    assert written == sorted(gallery())
    assert result.stdout.strip() == f"{len(written)} cards written to {tmp_path / 'cards'}."
    card = json.loads((tmp_path / "cards" / "chat-welcome.json").read_text(encoding="utf-8"))
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.5")


def test_the_gallery_follows_the_policy_it_is_given(tmp_path: Path) -> None:
    devon = (ROOT / "bot" / "rules" / "profiles" / "devon.toml").read_text(encoding="utf-8")
    twelve = tmp_path / "twelve.toml"
    twelve.write_text(devon.replace('within = "24 hours"', 'within = "12 hours"'), encoding="utf-8")
    cards = gallery(load_profile(str(twelve)))
    shown = json.dumps(cards["form-urgent-step1-empty"])
    assert "within 12 hours" in shown and "next 12 hours" in shown and "24 hours" not in shown
    assert not any("${" in json.dumps(card) for card in cards.values())
    kept, skipping = [], False
    for line in devon.splitlines():
        if line.startswith("["):
            skipping = line.strip() in {"[[urgent_supervision]]", "[urgent_requests]"}
        kept.append("" if skipping else line)
    none = tmp_path / "no-urgent.toml"
    none.write_text("\n".join(kept), encoding="utf-8")
    names = set(gallery(load_profile(str(none))))
    assert names and not any("urgent" in name for name in names)  # never sent under such a policy
