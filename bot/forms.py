"""The guided-form engine: form templates (cards/forms/*.json) as data, checked answers, and cards.

One engine serves every form. A template lists sections and their fields; the engine renders a
section as an Adaptive Card 1.5 (labelled inputs, required marks with error messages, Back, Save
draft, Next or Finish, Cancel), checks answers on the server, and renders a read-only summary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any

from bot.cards import CARDS, escape

FORMS = CARDS / "forms"


class FieldType(StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    DATE = "date"
    CASE = "case"
    RATING = "rating"
    YES_NO = "yes_no"


RATINGS = {"red": "Red", "amber": "Amber", "green": "Green"}
YES_NO = {"yes": "Yes", "no": "No"}


class FormError(ValueError):
    """A form template that cannot be used."""


@dataclass(frozen=True, slots=True)
class Field:
    id: str
    type: FieldType
    label: str
    required: bool = False
    max: int = 500
    choices: tuple[tuple[str, str], ...] = ()
    help: str | None = None


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    fields: tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class FormTemplate:
    id: str
    title: str
    intro: str
    sections: tuple[Section, ...]

    @property
    def field_ids(self) -> set[str]:
        return {field.id for section in self.sections for field in section.fields}


def known_forms() -> list[str]:
    return sorted(path.stem for path in FORMS.glob("*.json"))


@lru_cache(maxsize=16)
def load_form(form_id: str) -> FormTemplate:
    """The form template with this id; a broken template fails here, naming the field."""
    if form_id not in known_forms():
        raise FormError(f"no form {form_id!r}")
    data = json.loads((FORMS / f"{form_id}.json").read_text(encoding="utf-8"))
    sections = []
    seen: set[str] = set()
    for s_index, section in enumerate(data["sections"]):
        fields = []
        for f_index, raw in enumerate(section["fields"]):
            where = f"{form_id}.sections[{s_index}].fields[{f_index}]"
            if raw["id"] in seen or raw["id"].startswith("_"):
                raise FormError(f"{where}.id: {raw['id']!r} is used twice or starts with _")
            seen.add(raw["id"])
            try:
                kind = FieldType(raw["type"])
            except ValueError:
                raise FormError(f"{where}.type: unknown field type {raw['type']!r}") from None
            choices = tuple((c["value"], c["title"]) for c in raw.get("choices", []))
            if kind is FieldType.RATING:
                choices = tuple(RATINGS.items())
            if kind is FieldType.YES_NO:
                choices = tuple(YES_NO.items())
            if kind is FieldType.CHOICE and not choices:
                raise FormError(f"{where}.choices: a choice needs choices")
            fields.append(
                Field(
                    raw["id"],
                    kind,
                    raw["label"],
                    bool(raw.get("required")),
                    int(raw.get("max", 500)),
                    choices,
                    raw.get("help"),
                )
            )
        sections.append(Section(section["id"], section["title"], tuple(fields)))
    return FormTemplate(data["id"], data["title"], data.get("intro", ""), tuple(sections))


def answers_from(form: FormTemplate, step: int, submitted: dict[str, Any]) -> dict[str, str]:
    """The values of this step's fields in a card submission, as text (anything else is ignored)."""
    values: dict[str, str] = {}
    for field in form.sections[step].fields:
        value = submitted.get(field.id)
        if value is None:
            continue
        values[field.id] = value if isinstance(value, str) else json.dumps(value)
    return values


def check_step(
    form: FormTemplate, step: int, answers: dict[str, Any], *, cases: tuple[str, ...] = ()
) -> dict[str, str]:
    """What is wrong with this step's answers, by field id; empty when all is well."""
    errors: dict[str, str] = {}
    for field in form.sections[step].fields:
        value = str(answers.get(field.id) or "").strip()
        if not value:
            if field.required:
                errors[field.id] = f"Please fill in “{field.label}”."
            continue
        if len(value) > field.max:
            errors[field.id] = f"Please keep this to {field.max} characters; it has {len(value)}."
        elif field.type is FieldType.DATE and not _is_date(value):
            errors[field.id] = "Please give a real date, such as 2026-11-30."
        elif field.type is FieldType.CASE and value not in cases:
            errors[field.id] = "Please choose one of the cases allocated to you."
        elif field.choices and value not in dict(field.choices):
            errors[field.id] = "Please choose one of the options."
    return errors


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def step_card(
    form: FormTemplate,
    step: int,
    answers: dict[str, Any],
    *,
    thread: str,
    version: int,
    errors: dict[str, str] | None = None,
    note: str | None = None,
    cases: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One section of a form as an Adaptive Card, filled with the answers so far."""
    section = form.sections[step]
    last = step == len(form.sections) - 1
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": escape(form.title), "size": "Medium", "weight": "Bolder", "wrap": True},
        {
            "type": "TextBlock",
            "text": f"Step {step + 1} of {len(form.sections)}: {escape(section.title)}",
            "isSubtle": True,
            "spacing": "None",
            "wrap": True,
        },
    ]
    if step == 0 and form.intro:
        body.append({"type": "TextBlock", "text": escape(form.intro), "wrap": True})
    if note:
        body.append({"type": "TextBlock", "text": escape(note), "wrap": True, "color": "Good"})
    if errors:
        body.append(
            {
                "type": "TextBlock",
                "text": "Please check the answers marked below. Nothing you typed has been lost.",
                "wrap": True,
                "color": "Attention",
                "weight": "Bolder",
            }
        )
    for field in section.fields:
        body.append(_input(field, answers.get(field.id), cases))
        if field.help:
            body.append(
                {"type": "TextBlock", "text": escape(field.help), "isSubtle": True, "wrap": True, "spacing": "None"}
            )
        if errors and field.id in errors:
            body.append(
                {
                    "type": "TextBlock",
                    "text": escape(errors[field.id]),
                    "color": "Attention",
                    "wrap": True,
                    "spacing": "None",
                }
            )
    data = {"form": form.id, "thread": thread, "step": step, "version": version}
    actions: list[dict[str, Any]] = []
    if step > 0:
        actions.append(_submit("Back", "form.back", data, inputs="none"))
    actions.append(_submit("Save draft", "form.save", data))
    actions.append(_submit("Finish" if last else "Next", "form.finish" if last else "form.next", data, primary=True))
    actions.append(_submit("Cancel", "form.cancel", data, inputs="none"))
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
        "actions": actions,
    }


def _input(field: Field, value: Any, cases: tuple[str, ...]) -> dict[str, Any]:
    common: dict[str, Any] = {"id": field.id, "label": field.label, "isRequired": field.required}
    if field.required:
        common["errorMessage"] = f"Please fill in “{field.label}”."
    text = "" if value is None else str(value)
    if field.type in {FieldType.SHORT_TEXT, FieldType.LONG_TEXT}:
        return {
            "type": "Input.Text",
            **common,
            "isMultiline": field.type is FieldType.LONG_TEXT,
            "maxLength": field.max,
            "value": text,
        }
    if field.type is FieldType.DATE:
        return {"type": "Input.Date", **common, "value": text}
    choices = (
        [{"title": case_id, "value": case_id} for case_id in cases]
        if field.type is FieldType.CASE
        else [{"title": title, "value": value} for value, title in field.choices]
    )
    return {"type": "Input.ChoiceSet", **common, "style": "compact", "choices": choices, "value": text}


def _submit(
    title: str, action: str, data: dict[str, Any], *, inputs: str = "auto", primary: bool = False
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "Action.Submit",
        "title": title,
        "data": {"action": action, **data},
        "associatedInputs": inputs,
    }
    if primary:
        button["style"] = "positive"
    return button


def summary_card(
    form: FormTemplate, answers: dict[str, Any], *, heading: str, actions: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A finished form as a read-only card."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": escape(form.title), "size": "Medium", "weight": "Bolder", "wrap": True},
        {"type": "TextBlock", "text": escape(heading), "isSubtle": True, "spacing": "None", "wrap": True},
    ]
    for section in form.sections:
        body.append(
            {"type": "TextBlock", "text": escape(section.title), "weight": "Bolder", "wrap": True, "separator": True}
        )
        for field in section.fields:
            value = str(answers.get(field.id) or "").strip()
            shown = dict(field.choices).get(value, value) if field.choices else value
            body.append({"type": "TextBlock", "text": escape(field.label), "isSubtle": True, "wrap": True})
            body.append(
                {
                    "type": "TextBlock",
                    "text": escape(shown) if shown else "(left blank)",
                    "wrap": True,
                    "spacing": "None",
                }
            )
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
        "actions": actions or [],
    }


def as_text(form: FormTemplate, answers: dict[str, Any]) -> str:
    """The answers as plain text, ready to paste into a record."""
    lines = [form.title, ""]
    for section in form.sections:
        lines.append(section.title)
        for field in section.fields:
            value = str(answers.get(field.id) or "").strip() or "(left blank)"
            lines.append(f"{field.label} {value}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
