"""The guided-form engine: form templates (cards/forms/*.json) as data, checked answers, and cards.

One engine serves every form. A template lists sections and their fields; the engine renders a
section as an Adaptive Card 1.5 (labelled inputs, required marks with error messages, Back, Save
draft, Next or Finish, Cancel), checks answers on the server, and renders a read-only summary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.cards import CARDS, escape
from bot.wording import on_day

FORMS = CARDS / "forms"


class FieldType(StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    DATE = "date"
    CASE = "case"
    RATING = "rating"
    YES_NO = "yes_no"
    PREVIOUS_ACTIONS = "previous_actions"
    ACTION_ROWS = "action_rows"
    OVERSIGHT = "oversight"
    SUPERVISEE = "supervisee"


RATINGS = {"red": "Red: very worried", "amber": "Amber: some worries", "green": "Green: on track"}
PREVIOUS = {"done": "Done", "not_done": "Not done", "carried": "Still open: carry forward"}
ROW_PARTS = ("what", "who", "by")
ROWS = 3
YES_NO = {"yes": "Yes", "no": "No"}


_FIELD_KEYS = {"id", "type", "label", "required", "max", "choices", "help", "past_only"}


class FormError(ValueError):
    """A form template that cannot be used."""


@dataclass(frozen=True, slots=True)
class OpenAction:
    """An action agreed earlier for the child, brought forward to be marked."""

    id: int
    text: str
    owner: str
    due: str


@dataclass(frozen=True, slots=True)
class FormContext:
    """What a form may offer: the person's cases, the child's open actions, the policy's triggers."""

    cases: tuple[str, ...] = ()
    previous_actions: tuple[OpenAction, ...] = ()
    oversight: tuple[str, ...] = ()
    people: tuple[tuple[str, str], ...] = ()
    required: frozenset[str] = frozenset()
    today: date | None = None

    def requires(self, field: Field) -> bool:
        """Whether the template or the council's policy makes this field compulsory."""
        return field.required or field.id in self.required


NO_CONTEXT = FormContext()


@dataclass(frozen=True, slots=True)
class Field:
    id: str
    type: FieldType
    label: str
    required: bool = False
    max: int = 500
    choices: tuple[tuple[str, str], ...] = ()
    help: str | None = None
    past_only: bool = False


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
    editable: tuple[str, ...] | None = None  # sections that may change after finishing; None: all

    def steps(self, *, editing: bool) -> list[int]:
        """The sections to walk through: all of them, or while editing only those that may change."""
        every = list(range(len(self.sections)))
        if not editing or self.editable is None:
            return every
        return [index for index in every if self.sections[index].id in self.editable]

    @property
    def field_ids(self) -> set[str]:
        return {field.id for section in self.sections for field in section.fields}

    def worded(self, words: Mapping[str, str]) -> FormTemplate:
        """The form with each `${name}` in its introduction, labels and help in the policy's own words (see
        WORDS): what a policy sets, such as how soon urgent supervision must happen, is never written in a form."""

        def fill(text: str) -> str:
            def value(match: re.Match[str]) -> str:
                if match.group(1) not in words:
                    raise FormError(f"form {self.id!r} needs the policy's words for ${{{match.group(1)}}}")
                return words[match.group(1)]

            return _PLACEHOLDER.sub(value, text)

        sections = tuple(
            replace(
                section,
                fields=tuple(
                    replace(field, label=fill(field.label), help=fill(field.help) if field.help else field.help)
                    for field in section.fields
                ),
            )
            for section in self.sections
        )
        return replace(self, intro=fill(self.intro), sections=sections)


def known_forms() -> list[str]:
    return list(_forms_in(FORMS))


@lru_cache(maxsize=4)
def _forms_in(folder: Path) -> tuple[str, ...]:
    """The forms in a folder, looked for once (every button pressed on a form asks)."""
    return tuple(sorted(path.stem for path in folder.glob("*.json")))


# The policy's words a form may use, as ${name} in its introduction, labels and help.
WORDS = {"urgent_within": "how soon urgent supervision must happen, as the policy says it (such as 24 hours)"}
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


@lru_cache(maxsize=64)
def worded_form(form_id: str, words: tuple[tuple[str, str], ...]) -> FormTemplate:
    """The form with this id in these words (see FormTemplate.worded), worked out once for each."""
    return load_form(form_id).worded(dict(words))


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
            unknown = set(raw) - _FIELD_KEYS
            if unknown:
                raise FormError(
                    f"{where}: unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(_FIELD_KEYS))})"
                )
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
                    bool(raw.get("past_only")),
                )
            )
        sections.append(Section(section["id"], section["title"], tuple(fields)))
    editable = data.get("editable")
    if editable is not None and not set(editable) <= {section.id for section in sections}:
        raise FormError(f"{form_id}.editable: names a section the form does not have")
    texts = [data.get("intro", "")] + [f.label + (f.help or "") for section in sections for f in section.fields]
    for name in {match.group(1) for text in texts for match in _PLACEHOLDER.finditer(text)} - set(WORDS):
        raise FormError(f"{form_id}: ${{{name}}} is not one of the policy's words ({', '.join(sorted(WORDS))})")
    return FormTemplate(
        data["id"],
        data["title"],
        data.get("intro", ""),
        tuple(sections),
        tuple(editable) if editable is not None else None,
    )


def answers_from(form: FormTemplate, step: int, submitted: dict[str, Any]) -> dict[str, str]:
    """The values of this step's fields in a card submission, as text (anything else is ignored)."""
    values: dict[str, str] = {}
    for field in form.sections[step].fields:
        for key, value in submitted.items():
            if key == field.id or (field.type in _EXPANDED and key.startswith(f"{field.id}.")):
                values[key] = value if isinstance(value, str) else json.dumps(value)
    return values


_EXPANDED = {FieldType.PREVIOUS_ACTIONS, FieldType.ACTION_ROWS}


def check_step(
    form: FormTemplate, step: int, answers: dict[str, Any], context: FormContext = NO_CONTEXT
) -> dict[str, str]:
    """What is wrong with this step's answers, by field id; empty when all is well."""
    errors: dict[str, str] = {}
    for field in form.sections[step].fields:
        if field.type is FieldType.PREVIOUS_ACTIONS:
            errors |= _check_previous(field, answers, context)
            continue
        if field.type is FieldType.ACTION_ROWS:
            errors |= _check_rows(field, answers)
            continue
        value = str(answers.get(field.id) or "").strip()
        if not value:
            if context.requires(field):
                errors[field.id] = f"Please fill in “{field.label}”."
            continue
        if len(value) > field.max:
            errors[field.id] = f"Please keep this to {field.max} characters; it has {len(value)}."
        elif field.type is FieldType.DATE and not _is_date(value):
            errors[field.id] = "Please give a real date, such as 2026-11-30."
        elif (
            field.type is FieldType.DATE
            and field.past_only
            and context.today
            and date.fromisoformat(value) > context.today
        ):
            errors[field.id] = "That date is still to come; please give the date it was held."
        elif field.type is FieldType.SUPERVISEE and value not in dict(context.people):
            errors[field.id] = "Please choose one of the people listed."
        elif field.type is FieldType.CASE and value not in context.cases:
            errors[field.id] = "Please choose one of the cases allocated to you."
        elif field.type is FieldType.OVERSIGHT and not set(value.split(",")) <= set(context.oversight):
            errors[field.id] = "Please choose from the listed points."
        elif field.choices and value not in dict(field.choices):
            errors[field.id] = "Please choose one of the options."
    return errors


def _check_previous(field: Field, answers: dict[str, Any], context: FormContext) -> dict[str, str]:
    errors: dict[str, str] = {}
    for action in context.previous_actions:
        key = f"{field.id}.{action.id}"
        status = str(answers.get(key) or "")
        why = str(answers.get(f"{key}.why") or "").strip()
        if status not in PREVIOUS:
            errors[key] = "Please say whether this was done."
        elif status == "not_done" and not why:
            errors[f"{key}.why"] = "Please say why it was not done."
        elif len(why) > field.max:
            errors[f"{key}.why"] = f"Please keep this to {field.max} characters; it has {len(why)}."
    return errors


def _check_rows(field: Field, answers: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    filled = 0
    for row in range(ROWS):
        parts = {part: str(answers.get(f"{field.id}.{row}.{part}") or "").strip() for part in ROW_PARTS}
        if not any(parts.values()):
            continue
        filled += 1
        for part, label in (("what", "what"), ("who", "who"), ("by", "by when")):
            if not parts[part]:
                errors[f"{field.id}.{row}.{part}"] = f"Please say {label} for this action."
        if parts["by"] and not _is_date(parts["by"]):
            errors[f"{field.id}.{row}.by"] = "Please give a real date, such as 2026-11-30."
        if len(parts["what"]) > field.max:
            errors[f"{field.id}.{row}.what"] = (
                f"Please keep this to {field.max} characters; it has {len(parts['what'])}."
            )
    if field.required and not filled:
        errors[f"{field.id}.0.what"] = "Please agree at least one action."
    return errors


def _day(value: str) -> str:
    """A date from a date input as people write it, or the text as it came if it is not a date."""
    try:
        return on_day(date.fromisoformat(value))
    except ValueError:
        return value


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
    context: FormContext = NO_CONTEXT,
) -> dict[str, Any]:
    """One section of a form as an Adaptive Card, filled with the answers so far."""
    section = form.sections[step]
    walk = form.steps(editing=bool(answers.get("_editing")))
    last = step == walk[-1]
    first = step == walk[0]
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": escape(form.title), "size": "Medium", "weight": "Bolder", "wrap": True},
        {
            "type": "TextBlock",
            "text": f"Step {walk.index(step) + 1} of {len(walk)}: {escape(section.title)}"
            if len(walk) > 1
            else escape(section.title),
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
    shown_errors = errors or {}
    for field in section.fields:
        for element in _inputs(field, answers, context):
            body.append(element)
            if element.get("id") in shown_errors:
                body.append(_error(shown_errors[element["id"]]))
        if field.help:
            body.append(
                {"type": "TextBlock", "text": escape(field.help), "isSubtle": True, "wrap": True, "spacing": "None"}
            )
    data = {"form": form.id, "thread": thread, "step": step, "version": version}
    actions: list[dict[str, Any]] = []
    if not first:
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


def _error(message: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": escape(message), "color": "Attention", "wrap": True, "spacing": "None"}


def _inputs(field: Field, answers: dict[str, Any], context: FormContext) -> list[dict[str, Any]]:
    """The card elements for one field (several for brought-forward actions and action rows)."""
    if field.type is FieldType.PREVIOUS_ACTIONS:
        if not context.previous_actions:
            return [{"type": "TextBlock", "text": "No actions were left open for this child.", "wrap": True}]
        elements: list[dict[str, Any]] = []
        for action in context.previous_actions:
            key = f"{field.id}.{action.id}"
            label = f"{action.text} ({action.owner}, by {action.due})"
            elements.append(_choice(key, label, list(PREVIOUS.items()), answers.get(key), required=True))
            elements.append(
                _text(f"{key}.why", "If not done, why?", answers.get(f"{key}.why"), field.max, multiline=False)
            )
        return elements
    if field.type is FieldType.ACTION_ROWS:
        elements = [{"type": "TextBlock", "text": escape(field.label), "weight": "Bolder", "wrap": True}]
        for row in range(ROWS):
            base = f"{field.id}.{row}"
            elements.append(
                _text(f"{base}.what", f"Action {row + 1}: what", answers.get(f"{base}.what"), field.max, multiline=True)
            )
            elements.append(
                _text(f"{base}.who", f"Action {row + 1}: who", answers.get(f"{base}.who"), 200, multiline=False)
            )
            elements.append(
                {
                    "type": "Input.Date",
                    "id": f"{base}.by",
                    "label": f"Action {row + 1}: by when",
                    "value": str(answers.get(f"{base}.by") or ""),
                }
            )
        return elements
    text = "" if answers.get(field.id) is None else str(answers.get(field.id))
    required = context.requires(field)
    if field.type in {FieldType.SHORT_TEXT, FieldType.LONG_TEXT}:
        element = _text(field.id, field.label, text, field.max, multiline=field.type is FieldType.LONG_TEXT)
        element["isRequired"] = required
        if required:
            element["errorMessage"] = f"Please fill in “{field.label}”."
        return [element]
    if field.type is FieldType.DATE:
        element = {
            "type": "Input.Date",
            "id": field.id,
            "label": field.label,
            "value": text,
            "isRequired": required,
        }
        if required:
            element["errorMessage"] = f"Please give “{field.label}”."
        return [element]
    if field.type is FieldType.CASE:
        choices = [(case_id, f"Case {case_id}") for case_id in context.cases]
    elif field.type is FieldType.SUPERVISEE:
        choices = list(context.people)
    elif field.type is FieldType.OVERSIGHT:
        choices = [(trigger, trigger) for trigger in context.oversight]
        if not choices:
            return []
        element = _choice(field.id, field.label, choices, text, required=required)
        element["isMultiSelect"] = True
        element["style"] = "expanded"
        return [element]
    else:
        choices = list(field.choices)
    return [_choice(field.id, field.label, choices, text, required=required)]


def _text(input_id: str, label: str, value: Any, limit: int, *, multiline: bool) -> dict[str, Any]:
    return {
        "type": "Input.Text",
        "id": input_id,
        "label": label,
        "isMultiline": multiline,
        "maxLength": limit,
        "value": "" if value is None else str(value),
    }


def _choice(input_id: str, label: str, choices: list[tuple[str, str]], value: Any, *, required: bool) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "style": "compact",
        "isRequired": required,
        "choices": [{"title": title, "value": key} for key, title in choices],
        "value": "" if value is None else str(value),
    }
    if required:
        element["errorMessage"] = f"Please choose for “{label}”."
    return element


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


def answered(field: Field, answers: dict[str, Any], context: FormContext = NO_CONTEXT) -> list[tuple[str, str]]:
    """A field's answers as (question, answer) lines, for summaries and records."""
    if field.type is FieldType.PREVIOUS_ACTIONS:
        if not context.previous_actions:
            return [(field.label, "None were left open.")]
        lines = []
        for action in context.previous_actions:
            key = f"{field.id}.{action.id}"
            outcome = PREVIOUS.get(str(answers.get(key) or ""), "Not marked")
            why = str(answers.get(f"{key}.why") or "").strip()
            lines.append(
                (f"{action.text} ({action.owner}, by {action.due})", f"{outcome}. {why}".strip() if why else outcome)
            )
        return lines
    if field.type is FieldType.ACTION_ROWS:
        rows: list[tuple[str, str]] = []
        for row in range(ROWS):
            what, who, by = (str(answers.get(f"{field.id}.{row}.{part}") or "").strip() for part in ROW_PARTS)
            if what:
                rows.append((f"Action {len(rows) + 1}:", f"{what}. Who: {who}. By: {_day(by)}."))
        return rows or [(field.label, "(none)")]
    value = str(answers.get(field.id) or "").strip()
    if not value:
        return [(field.label, "(left blank)")]
    if field.type is FieldType.CASE:
        return [(field.label, f"Case {value}")]
    if field.type is FieldType.OVERSIGHT:
        return [(field.label, "; ".join(part for part in value.split(",") if part))]
    return [(field.label, dict(field.choices).get(value, value) if field.choices else value)]


def summary_card(
    form: FormTemplate,
    answers: dict[str, Any],
    *,
    heading: str,
    context: FormContext = NO_CONTEXT,
    actions: list[dict[str, Any]] | None = None,
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
            for question, answer in answered(field, answers, context):
                body.append({"type": "TextBlock", "text": escape(question), "isSubtle": True, "wrap": True})
                body.append({"type": "TextBlock", "text": escape(answer), "wrap": True, "spacing": "None"})
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
        "actions": actions or [],
    }


def as_message(form: FormTemplate, answers: dict[str, Any], context: FormContext = NO_CONTEXT) -> str:
    """The answers as a chat message, one paragraph a line, so that it shows and copies as it reads."""
    paragraphs = [f"**{escape(form.title)}**"]
    for section in form.sections:
        paragraphs.append(f"**{escape(section.title)}**")
        for field in section.fields:
            paragraphs += [
                f"{escape(question)} {escape(answer)}" for question, answer in answered(field, answers, context)
            ]
    return "\n\n".join(paragraphs)
