"""The commands people can type, in one list shared by help, the welcome card and the manifest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Command:
    word: str
    description: str


COMMANDS = (
    Command("case", "Discuss one child's case and get a record for the child's file"),
    Command("agreement", "Write or review your supervision agreement together; both of you sign it"),
    Command("record", "Write up a personal supervision session; both of you sign it"),
    Command("urgent", "Ask for urgent supervision: it goes to your supervisor at once"),
    Command("journal", "Write a reflective journal entry, private to you until you share it"),
    Command("drafts", "Carry on with a form you started"),
    Command("cancel", "Stop the form you are filling in; your draft is kept"),
    Command("due", "What is due for you, and for the people you supervise, soonest first"),
    Command("help", "What you can ask me"),
)


def command_facts() -> list[dict[str, str]]:
    """The commands as rows of a card's fact table."""
    return [{"title": command.word, "value": command.description} for command in COMMANDS]


def read_command(text: str | None) -> str | None:
    """The command a message asks for, if it is one of ours."""
    word = (text or "").strip().lower().rstrip(".!?")
    known = {command.word for command in COMMANDS}
    return word if word in known else None
