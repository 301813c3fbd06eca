"""The card for each queued message: a reminder with the buttons that finish the job, a supervisor's daily
digest, an urgent request and what happened to it, and a report that a reminder is wrong.

Everything a card shows is in the queued row (its payload was filled when it was queued), so a card
can be built in any process without reading the database again; the one exception is the list of
people an urgent request could be passed to, the same for every request, which the sender looks up
once for all it sends (`bot.urgent.takers`) and hands to the card.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.cards import escape, render
from bot.domain import Nudge as Queued
from bot.jobs import job_for
from bot.rules.calendar import Calendar
from bot.rules.profile import Profile
from bot.urgent import KIND as URGENT
from bot.urgent import others
from bot.wording import duty_name, when

REPORT = "report"  # someone pressed "This is wrong" on a reminder
STAGE_WORDS = {"soon": "Coming up", "due": "Due today", "escalated": "Late: passed to you"}


def message_for(profile: Profile) -> Any:
    """A function from a queued row to its card, under this council's calendar; `takers` are the people an
    urgent request could be passed to (`bot.urgent.takers`), needed only for a message about one."""
    calendar = profile.calendar

    def card(queued: Queued, takers: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
        if queued.obligation_kind == "digest":
            return _digest(queued, calendar)
        if queued.obligation_kind == URGENT:
            return _urgent(queued, calendar, takers)
        if queued.obligation_kind == REPORT:
            return _report(queued)
        return _reminder(queued, calendar)

    return card


def _digest(queued: Queued, calendar: Calendar) -> dict[str, Any]:
    overdue = queued.payload.get("items", [])
    items: list[dict[str, Any]] = [
        _text(
            f"{duty_name(item['kind'])}: {item['subject']}, overdue since {when(calendar.local(_moment(item['due'])))}"
        )
        for item in overdue
    ]
    unreachable = queued.payload.get("unreachable", [])
    if unreachable:
        items.append(_text("Not getting reminders, because they removed the companion or never added it:", bold=True))
        items += [_text(name) for name in unreachable]
    detail = f"{len(overdue)} to catch up on." if overdue else "Nothing is overdue."
    return render(
        "nudge",
        heading="Overdue today, for you and your team",
        detail=detail,
        status="Type due to see them all, with a button for each.",
        colour="Attention" if overdue else "Default",
        items=items,
        actions=[{"type": "Action.Submit", "title": "What is due", "data": {"action": "due.show"}}],
    )


def _reminder(queued: Queued, calendar: Calendar) -> dict[str, Any]:
    stage = STAGE_WORDS.get(_bare(queued.stage), "Overdue")
    job = job_for(queued.obligation_kind, queued.subject)
    mark = {"nudge": queued.id}
    actions: list[dict[str, Any]] = (
        [{"type": "Action.Submit", "title": job[0], "data": {**job[1], **mark}}] if job else []
    )
    if queued.payload.get("held_as"):  # the policy counts a session for this duty
        actions.append(
            _show(
                "Supervision held",
                [_date("held_on", "When was it held?")],
                "Save",
                {"action": "nudge.held", **mark},
            )
        )
    actions.append({"type": "Action.Submit", "title": "Remind me tomorrow", "data": {"action": "nudge.snooze", **mark}})
    actions.append(
        _show(
            "This is wrong",
            [
                {
                    "type": "Input.Text",
                    "id": "what",
                    "label": "What is wrong? Your supervisor will be told.",
                    "isMultiline": True,
                    "maxLength": 1000,
                    "isRequired": True,
                    "errorMessage": "Please say what is wrong.",
                }
            ],
            "Send",
            {"action": "nudge.wrong", **mark},
        )
    )
    overdue = _bare(queued.stage).startswith(("overdue", "escalated"))
    return render(
        "nudge",
        heading=f"{stage}: {duty_name(queued.obligation_kind)}",
        detail=_about(queued),
        status=("Was due " if overdue else "Due ") + when(calendar.local(queued.due)),
        colour="Attention" if overdue else "Default",
        items=[],
        actions=actions,
    )


def _bare(stage: str) -> str:
    """The stage without the due date or the snooze day the outbox adds to keep it unique."""
    return stage.split("~")[0].split("@")[0]


def _about(queued: Queued) -> str:
    who = str(queued.payload.get("who") or "")
    if queued.obligation_kind == "case_discussion":
        about = f"Case {queued.subject}"
    elif queued.obligation_kind in {"recording", "sign_off"}:
        about = f"Session {queued.subject}"
    elif queued.obligation_kind == "group_supervision":
        about = f"Team {queued.subject}"
    else:
        return who or queued.subject
    return f"{about}, {who}" if who else about


def _urgent(queued: Queued, calendar: Calendar, takers: Sequence[tuple[str, str]]) -> dict[str, Any]:
    data = queued.payload
    # Messages queued before the list was looked up at sending carry their own.
    choices = data["others"] if "others" in data else others(takers, data.get("leave_out", []))
    stage = data.get("stage", "")
    deadline = when(calendar.local(_moment(data["deadline"])))
    facts = [{"title": "About", "value": data.get("about") or "Not given"}]
    if data.get("case"):
        facts.append({"title": "Case", "value": data["case"]})
    if data.get("free_at"):
        facts.append({"title": "Free", "value": data["free_at"]})
    facts.append({"title": "Asked", "value": when(calendar.local(_moment(data["requested_at"])))})
    facts.append({"title": "Must happen by", "value": deadline})
    facts = [{"title": fact["title"], "value": escape(fact["value"])} for fact in facts]
    items: list[dict[str, Any]] = [{"type": "FactSet", "facts": facts}]
    actions: list[dict[str, Any]] = []
    colour = "Attention"
    if stage == "to":
        heading = f"Urgent supervision asked for by {data['requester']}"
        detail = data.get("note") or "Please answer as soon as you can."
        actions = _urgent_actions(queued.subject, choices)
    elif stage == "no-answer":
        heading = f"Nobody has answered {data['requester']}'s urgent request yet"
        detail = f"It was sent to {data['handler']}. You can answer it, pass it on, or record it as held."
        actions = _urgent_actions(queued.subject, choices)
    elif stage == "overdue":
        heading = f"Urgent supervision for {data['requester']} is overdue"
        detail = (
            f"It should have happened by {deadline} and has not been recorded as held. It is with {data['handler']}."
        )
        actions = _urgent_actions(queued.subject, choices)
    elif stage == "arranged":
        heading = "Your urgent supervision is arranged"
        detail = f"{data['handler']} will meet you {when(calendar.local(_moment(data['moment'])))}."
        colour = "Good"
    elif stage == "passed":
        heading = "Your urgent request has been passed on"
        detail = data.get("note") or f"It is now with {data['handler']}."
        colour = "Default"
    else:  # held
        heading = "Your urgent supervision is recorded as held"
        detail = f"Held {when(calendar.local(_moment(data['moment'])))} with {data['handler']}."
        colour = "Good"
    return render(
        "nudge",
        heading=heading,
        detail=detail,
        status=f"Request {queued.subject}",
        colour=colour,
        items=items,
        actions=actions,
    )


def _urgent_actions(request: str, choices: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
    mark = {"request": request}
    actions = [
        _show(
            "I can do this at…",
            [_date("meet_on", "Date"), _time("meet_at", "Time")],
            "Send",
            {"action": "urgent.arrange", **mark},
        )
    ]
    if choices:
        actions.append(
            _show(
                "I can't, passing to…",
                [
                    {
                        "type": "Input.ChoiceSet",
                        "id": "to",
                        "label": "Who should take it?",
                        "isRequired": True,
                        "errorMessage": "Please choose someone.",
                        "choices": [{"title": name, "value": staff_id} for staff_id, name in choices],
                    },
                    {"type": "Input.Text", "id": "why", "label": "Why (optional)", "maxLength": 500},
                ],
                "Pass it on",
                {"action": "urgent.pass", **mark},
            )
        )
    actions.append(
        _show(
            "Supervision held",
            [_date("held_on", "Date"), _time("held_at", "Time")],
            "Save",
            {"action": "urgent.held", **mark},
        )
    )
    return actions


def _report(queued: Queued) -> dict[str, Any]:
    data = queued.payload
    return render(
        "nudge",
        heading=f"{data['reporter']} says a reminder is wrong",
        detail=f"{duty_name(data['kind'])}: {data['subject']}",
        status=f"What is wrong: {data['what']}",
        colour="Default",
        items=[_text("Please put the record right; the reminder stops once the information is correct.")],
        actions=[],
    )


def _show(title: str, inputs: list[dict[str, Any]], submit: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Action.ShowCard",
        "title": title,
        "card": {
            "type": "AdaptiveCard",
            "body": inputs,
            "actions": [{"type": "Action.Submit", "title": submit, "data": data}],
        },
    }


def _date(input_id: str, label: str) -> dict[str, Any]:
    return _required("Input.Date", input_id, label, "Please choose a date.")


def _time(input_id: str, label: str) -> dict[str, Any]:
    return _required("Input.Time", input_id, label, "Please choose a time.")


def _required(kind: str, input_id: str, label: str, error: str) -> dict[str, Any]:
    return {"type": kind, "id": input_id, "label": label, "isRequired": True, "errorMessage": error}


def _text(text: str, *, bold: bool = False) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "TextBlock", "text": escape(text), "wrap": True}
    if bold:
        block["weight"] = "Bolder"
    return block


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)
