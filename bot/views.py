"""The chat's own cards, built from what the service answers: welcome, help, what is due, drafts,
a reply with buttons, and "not set up". Pure functions, so the gallery renders exactly these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.cards import render
from bot.dialogs.commands import command_facts
from bot.jobs import job_for
from bot.service import Draft, DueLine, Person

NOT_UNDERSTOOD = "Sorry, I did not understand that. Here is what I can do."


def welcome_card(name: str, policy: str) -> dict[str, Any]:
    """The first card a known person sees: what the companion does, and the commands."""
    return render("welcome", name=name, policy=policy, commands=command_facts())


def help_card(*, understood: bool) -> dict[str, Any]:
    """The commands, after `help` or anything not understood."""
    heading = "Here is what I can do." if understood else NOT_UNDERSTOOD
    return render("help", heading=heading, commands=command_facts())


def due_card(name: str, lines: Sequence[DueLine]) -> dict[str, Any]:
    """What is due for a person, soonest first, each with a button that does the job."""
    overdue = sum(line.overdue for line in lines)
    summary = (
        "Nothing is due. Well done."
        if not lines
        else f"{len(lines)} to do, {overdue} overdue. Soonest first."
        if overdue
        else f"{len(lines)} to do, none overdue. Soonest first."
    )
    items = [_due_item(line) for line in lines]
    return render("due", heading=f"What is due, {name}", summary=summary, items=items)


def _due_item(line: DueLine) -> dict[str, Any]:
    detail = " · ".join(part for part in (line.who, line.about) if part)
    status = f"Overdue since {line.due}" if line.overdue else f"Due {line.due}"
    if line.waiting:
        status = f"Waiting for your signature since {line.due}"
    job = job_for(line.kind, line.subject)
    buttons = [{"type": "Action.Submit", "title": job[0], "data": job[1]}] if job else []
    return render(
        "due_item",
        buttons=[{"type": "ActionSet", "actions": buttons}] if buttons else [],
        what=line.what,
        detail=detail,
        status=status,
        style="attention" if line.overdue else "default",
        colour="Attention" if line.overdue else "Default",
    )


def drafts_card(drafts: Sequence[Draft]) -> dict[str, Any]:
    """The forms a person started and has not finished, each with a button to carry on."""
    heading = "Forms you have started" if drafts else "You have no unfinished forms."
    items = [
        {"type": "TextBlock", "text": f"{draft.title}, last saved {draft.updated}", "wrap": True} for draft in drafts
    ]
    actions = [
        {
            "type": "Action.Submit",
            "title": f"Carry on: {draft.title}",
            "data": {"action": "drafts.resume", "form": draft.form},
        }
        for draft in drafts
    ]
    return render("drafts", heading=heading, items=items, actions=actions)


def reply_card(text: str, offer: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """A short answer with buttons for what to do next."""
    actions = [{"type": "Action.Submit", "title": title, "data": data} for title, data in offer]
    return render("reply", text=text, actions=actions)


def not_set_up_card(demo_people: Sequence[Person] | None, *, switching: bool = False) -> dict[str, Any]:
    """For someone the council has not added; in the demo (`demo_people` given), who they can try it as."""
    if demo_people is None:
        explanation = "Your council has not added you to the companion yet. Please ask your manager to add you."
        actions: list[dict[str, Any]] = []
    else:
        explanation = (
            "This is the demo. Choose who to try it as next."
            if switching
            else "Your council has not added you to the companion yet. This is the demo, so you can try it "
            "as one of these people. Type switch at any time to try it as someone else."
        )
        actions = [
            {
                "type": "Action.Submit",
                "title": f"Try as {person.name} ({person.role.value})",
                "data": {"action": "demo.try_as", "staff": person.id},
            }
            for person in demo_people
        ]
    return render("not_set_up", explanation=explanation, actions=actions)
