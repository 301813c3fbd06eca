"""Every card the bot can send, built by the bot's own card code with sample data, for checking
them with Microsoft's Adaptive Cards parser and for looking at: `python -m bot cards`.

Each form step comes empty, filled and with the errors the bot would show; each form's summary;
every kind and stage of queued message (reminders, the digest, urgent requests, reports); and the
chat's own cards. Names are `<group>-<what>.json`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.domain import Nudge
from bot.forms import (
    ROWS,
    FieldType,
    FormContext,
    FormTemplate,
    OpenAction,
    check_step,
    known_forms,
    load_form,
    step_card,
    summary_card,
)
from bot.messages import REPORT, message_for
from bot.rules.facts import Role
from bot.rules.nudges import DIGEST, NOT_NUDGED
from bot.rules.profile import ObligationKind, Profile, load_profile
from bot.service import Draft, DueLine, Person
from bot.urgent import KIND as URGENT
from bot.urgent import deadline, form_words
from bot.views import drafts_card, due_card, help_card, not_set_up_card, reply_card, welcome_card

Card = dict[str, Any]

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)
CONTEXT = FormContext(
    cases=("C-1001", "C-1002", "C-1003"),
    previous_actions=(
        OpenAction(1, "Visit the school", "Priya", "20 November 2026"),
        OpenAction(2, "Ask the family doctor for a report", "Sam", "24 November 2026"),
    ),
    oversight=("Change of care plan", "Use of professional opinion"),
    people=(("p1", "Priya Shah"), ("p2", "Nia Evans")),
    today=NOW.date(),
)
REMINDER_STAGES = {"soon": "soon", "due": "due", "overdue": "overdue-2", "escalated": "escalated"}
# The subject and the person a reminder of each kind is about; any other kind is about a supervisee, p1.
SAMPLES = {
    "case_discussion": ("C-1001", "Priya Shah"),
    "recording": ("S-02", "Priya Shah"),
    "sign_off": ("S-02", "Priya Shah"),
    "group_supervision": ("north", ""),
}
URGENT_STAGES = ("to", "no-answer", "overdue", "arranged", "passed", "held")


def gallery(profile: Profile | None = None) -> dict[str, Card]:
    """Every card the bot can send, by file name (without `.json`)."""
    profile = profile or load_profile("devon")
    cards: dict[str, Card] = {}
    cards |= dict(_chat_cards(profile))
    words = form_words(profile, NOW)
    for form_id in known_forms():
        if form_id != "urgent" or profile.takes_urgent_requests:  # the urgent form is refused under such a policy
            cards |= dict(_form_cards(load_form(form_id).worded(words)))
    cards |= dict(_queued_cards(profile))
    return cards


def write_gallery(folder: Path, profile: Profile | None = None) -> list[Path]:
    """Write every card into `folder` as `<name>.json`, replacing what was there; the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    written = []
    for name, card in sorted(gallery(profile).items()):
        path = folder / f"{name}.json"
        path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _chat_cards(profile: Profile) -> Iterator[tuple[str, Card]]:
    people = [Person("p1", "Priya Shah", Role.PRACTITIONER), Person("s1", "Sam Okafor", Role.SUPERVISOR)]
    lines = [
        _line("recording", "S-02", "Record the session", "Wednesday 25 November 2026, 14:00"),
        _line("case_discussion", "C-1012", "Case discussion", "Tuesday 24 November 2026, 00:00", overdue=True),
        _line("sign_off", "S-01", "Sign the record", "Monday 23 November 2026, 16:00", waiting=True),
        _line("group_supervision", "north", "Group supervision", "Friday 4 December 2026, 00:00"),
    ]
    yield "chat-welcome", welcome_card("Priya Shah", profile.title)
    yield "chat-help", help_card(understood=True)
    yield "chat-help-not-understood", help_card(understood=False)
    yield "chat-due", due_card("Priya Shah", lines)
    yield "chat-due-nothing", due_card("Priya Shah", [])
    yield (
        "chat-drafts",
        drafts_card([Draft("journal", "Reflective journal", "t-1", "Wednesday 25 November 2026, 10:00")]),
    )
    yield "chat-drafts-none", drafts_card([])
    yield (
        "chat-reply",
        reply_card(
            "Your urgent supervision is recorded as held.",
            [("Write it up", {"action": "open.form", "form": "case_discussion"})],
        ),
    )
    yield "chat-not-set-up", not_set_up_card(None)
    yield "chat-not-set-up-demo", not_set_up_card(people)
    yield "chat-not-set-up-switching", not_set_up_card(people, switching=True)


def _line(kind: str, subject: str, what: str, due: str, *, overdue: bool = False, waiting: bool = False) -> DueLine:
    return DueLine(kind, subject, what, subject, "Priya Shah", due, overdue=overdue, waiting=waiting)


def _form_cards(form: FormTemplate) -> Iterator[tuple[str, Card]]:
    filled = _filled(form)
    walks = {"": form.steps(editing=False)}
    if form.editable is not None:
        walks["-editing"] = form.steps(editing=True)
    for variant, walk in walks.items():
        editing = {"_editing": True} if variant else {}
        for number, step in enumerate(walk, start=1):
            name = f"form-{form.id}{variant}-step{number}"
            yield f"{name}-empty", step_card(form, step, editing, thread="t-1", version=1, context=CONTEXT)
            note = "Draft saved at 10:30."
            yield (
                f"{name}-filled",
                step_card(form, step, filled | editing, thread="t-1", version=1, context=CONTEXT, note=note),
            )
            wrong = editing if check_step(form, step, editing, CONTEXT) else _wrong(form, step) | editing
            errors = check_step(form, step, wrong, CONTEXT)
            if errors:
                yield (
                    f"{name}-errors",
                    step_card(form, step, wrong, thread="t-1", version=1, context=CONTEXT, errors=errors),
                )
    actions = [{"type": "Action.Submit", "title": "Edit", "data": {"action": "edit.form", "thread": "t-1"}}]
    heading = "Finished Wednesday 25 November 2026, 10:30."
    yield f"summary-{form.id}", summary_card(form, filled, heading=heading, context=CONTEXT, actions=actions)
    yield f"summary-{form.id}-empty", summary_card(form, {}, heading="Not finished.", context=CONTEXT)


def _filled(form: FormTemplate) -> dict[str, Any]:
    """Sample answers for every field, as a person would give them."""
    answers: dict[str, Any] = {}
    for section in form.sections:
        for field in section.fields:
            if field.type is FieldType.PREVIOUS_ACTIONS:
                answers[f"{field.id}.1"] = "done"
                answers[f"{field.id}.2"] = "not_done"
                answers[f"{field.id}.2.why"] = "The surgery asked for consent first"
            elif field.type is FieldType.ACTION_ROWS:
                for row in range(ROWS - 1):
                    answers[f"{field.id}.{row}.what"] = f"Action number {row + 1}"
                    answers[f"{field.id}.{row}.who"] = "Priya"
                    answers[f"{field.id}.{row}.by"] = (NOW.date() + timedelta(days=7 * (row + 1))).isoformat()
            elif field.type is FieldType.DATE:
                answers[field.id] = (NOW.date() - timedelta(days=1)).isoformat()
            elif field.type is FieldType.CASE:
                answers[field.id] = CONTEXT.cases[0]
            elif field.type is FieldType.SUPERVISEE:
                answers[field.id] = CONTEXT.people[0][0]
            elif field.type is FieldType.OVERSIGHT:
                answers[field.id] = ",".join(CONTEXT.oversight)
            elif field.choices:
                answers[field.id] = field.choices[0][0]
            else:
                answers[field.id] = f"What a person wrote for “{field.label}”, with *stars* and a [bracket]."
    return answers


def _wrong(form: FormTemplate, step: int) -> dict[str, Any]:
    """Answers the bot refuses, for a step whose empty answers are all allowed."""
    wrong: dict[str, Any] = {}
    for field in form.sections[step].fields:
        if field.type is FieldType.ACTION_ROWS:
            wrong[f"{field.id}.0.what"] = "An action with nobody and no date"
        elif field.type is FieldType.DATE:
            wrong[field.id] = "2026-02-30"
        else:
            wrong[field.id] = "x" * (field.max + 1)
    return wrong


def _queued_cards(profile: Profile) -> Iterator[tuple[str, Card]]:
    card = message_for(profile)
    due = NOW + timedelta(hours=3)

    def queued(kind: str, subject: str, stage: str, payload: dict[str, Any]) -> Nudge:
        return Nudge(1, kind, subject, stage, "p1", due, payload, NOW)

    for name, stage in REMINDER_STAGES.items():
        yield (
            f"reminder-{name}",
            card(queued("recording", "S-02", f"{stage}@{due.isoformat()}", {"who": "Priya Shah"})),
        )
    for kind in ObligationKind:
        if kind not in NOT_NUDGED:
            subject, who = SAMPLES.get(kind, ("p1", "Priya Shah"))
            yield f"reminder-{kind}", card(queued(kind, subject, f"soon@{due.isoformat()}", {"who": who}))
    held = {"who": "Priya Shah", "held_as": "personal"}
    yield "reminder-with-held", card(queued("personal_supervision", "p1", f"overdue-1@{due.isoformat()}", held))
    items = [{"kind": "personal_supervision", "subject": "Nia Evans", "due": (NOW - timedelta(days=3)).isoformat()}]
    digest = {"items": items, "unreachable": ["Tom Baker"]}
    yield "digest", card(queued(DIGEST, "s1", "daily", digest))
    yield "digest-nothing-overdue", card(queued(DIGEST, "s1", "daily", {"items": [], "unreachable": ["Tom Baker"]}))
    if profile.takes_urgent_requests:  # under a policy with no urgent supervision, none of these are sent
        request = {
            "requester": "Priya Shah",
            "handler": "Sam Okafor",
            "about": "A parent threatened me on a visit this morning",
            "case": "C-1001",
            "free_at": "Any time after 2pm",
            "requested_at": NOW.isoformat(),
            "deadline": deadline(profile, NOW).isoformat(),
            "moment": (NOW + timedelta(hours=4)).isoformat(),
            "leave_out": ["p1", "s1"],
        }
        everyone = [("s1", "Sam Okafor"), ("s2", "Rhian Price"), ("m1", "Morgan Ellis")]  # who could take one
        for stage in URGENT_STAGES:
            yield f"urgent-{stage}", card(queued(URGENT, "U-1", stage, request | {"stage": stage}), everyone)
        alone = {key: value for key, value in request.items() if key not in {"case", "free_at", "about"}}
        yield "urgent-to-nobody-else", card(queued(URGENT, "U-2", "to", alone | {"stage": "to"}), everyone[:1])
    report = {"reporter": "Priya Shah", "kind": "recording", "subject": "S-02", "what": "It was recorded on Monday."}
    yield "report", card(queued(REPORT, "1", "report", report))
