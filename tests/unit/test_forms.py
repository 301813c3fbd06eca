"""The form engine's templates and checks, without the bot around them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import bot.forms
from bot.forms import FormContext, FormError, as_message, check_step, known_forms, load_form, step_card


def test_every_shipped_form_template_loads() -> None:
    assert known_forms() == ["agreement", "case_discussion", "journal", "personal_record", "urgent"]
    for form_id in known_forms():
        assert load_form(form_id).sections


def refused(template: dict[str, Any], folder: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Why loading this template (as a form of its own, in `folder`) fails."""
    (folder / f"{template['id']}.json").write_text(json.dumps(template), encoding="utf-8")
    monkeypatch.setattr(bot.forms, "FORMS", folder)
    load_form.cache_clear()
    try:
        with pytest.raises(FormError) as failure:
            load_form(template["id"])
    finally:
        load_form.cache_clear()
    return str(failure.value)


def test_a_template_with_an_unknown_key_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    template = json.loads((bot.forms.FORMS / "journal.json").read_text(encoding="utf-8"))
    template["id"] = "broken"
    template["sections"][0]["fields"][0]["pastonly"] = True
    assert refused(template, tmp_path, monkeypatch).startswith("broken.sections[0].fields[0]: unknown key 'pastonly'")


def test_a_field_the_policy_requires_is_required_even_if_the_template_says_optional() -> None:
    form = load_form("personal_record")
    step = 2
    assert check_step(form, step, {}, FormContext()) == {}
    assert check_step(form, step, {}, FormContext(required=frozenset({"equality"}))) == {
        "equality": "Please fill in “Equality, diversity and inclusion: what was discussed”."
    }


def test_an_impossible_date_and_a_case_that_is_not_yours_are_refused() -> None:
    form = load_form("personal_record")
    context = FormContext(people=(("p1", "Priya"),), today=date(2026, 11, 25))
    assert check_step(form, 0, {"supervisee": "p9", "held_on": "2026-02-30"}, context) == {
        "supervisee": "Please choose one of the people listed.",
        "held_on": "Please give a real date, such as 2026-11-30.",
    }
    case_form = load_form("case_discussion")
    assert check_step(case_form, 0, {"case": "C-9", "rating": "amber"}, FormContext(cases=("C-1",))) == {
        "case": "Please choose one of the cases allocated to you."
    }


def test_text_typed_by_a_person_is_never_read_as_formatting() -> None:
    form = load_form("journal")
    card = step_card(form, 0, {"event": "*bold* [link](x)"}, thread="t", version=1, note="Saved *now*")
    assert {"type": "TextBlock", "text": "Saved \\*now\\*", "wrap": True, "color": "Good"} in card["body"]
    assert next(e for e in card["body"] if e.get("id") == "event")["value"] == "*bold* [link](x)"


def test_a_record_message_is_one_paragraph_a_line_with_typed_text_shown_as_typed() -> None:
    answers = {"event": "A *very* hard visit", "thoughts": "Unsure", "reaction": "Calm", "achieved": "Patience"}
    paragraphs = as_message(load_form("journal"), answers).split("\n\n")
    assert paragraphs[:3] == [
        "**Reflective journal**",
        "**The event**",
        "Brief description of the significant event A \\*very\\* hard visit",
    ]
    assert "I could have done differently… (left blank)" in paragraphs


def test_new_actions_in_a_record_are_dated_as_people_write_dates() -> None:
    answers = {"actions.0.what": "Meet the school", "actions.0.who": "Priya", "actions.0.by": "2026-12-04"}
    paragraphs = as_message(load_form("case_discussion"), answers).split("\n\n")
    assert "Action 1: Meet the school. Who: Priya. By: 4 December 2026." in paragraphs


def test_a_form_of_one_step_does_not_count_its_steps() -> None:
    card = step_card(load_form("urgent"), 0, {}, thread="t", version=1, context=FormContext(cases=("C-1001",)))
    assert card["body"][1]["text"] == "What you need"
    journal = step_card(load_form("journal"), 0, {}, thread="t", version=1)
    assert journal["body"][1]["text"] == "Step 1 of 4: The event"


def test_a_form_says_what_the_policy_sets_in_the_policys_words_and_never_without_them() -> None:
    form = load_form("urgent")
    assert "${urgent_within}" in form.intro  # the template itself sets no time
    worded = form.worded({"urgent_within": "36 hours"})
    assert worded.intro.endswith("should happen within 36 hours.")
    [free_at] = [field for field in worded.sections[0].fields if field.id == "free_at"]
    assert free_at.label == "When are you free in the next 36 hours?"
    with pytest.raises(FormError, match=r"urgent_within"):
        form.worded({})
    assert load_form("journal").worded({}) == load_form("journal")  # a form with no policy words is as it was


def test_a_template_naming_words_no_policy_gives_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    template = json.loads((bot.forms.FORMS / "urgent.json").read_text(encoding="utf-8"))
    template["id"] = "misspelt"
    template["intro"] = "It should happen within ${urgent_in}."
    assert refused(template, tmp_path, monkeypatch).startswith(
        "misspelt: ${urgent_in} is not one of the policy's words"
    )
