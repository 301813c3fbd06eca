"""The bot's conversation: welcome on install, help, `due`, and the demo's "try as".

```mermaid
stateDiagram-v2
    [*] --> Identify: any message or card press
    Identify --> NotSetUp: Teams identity unknown
    NotSetUp --> Identify: demo only, "Try as" pressed
    Identify --> NotSetUp: demo only, "switch" typed (try it as someone else)
    Identify --> Route: known person (conversation remembered)
    Route --> Due: "due" or "What is due" pressed
    Route --> Form: "journal", "drafts" then "Carry on"
    Form --> Form: Next, Back, Save draft (saved before it is checked)
    Form --> Summary: Finish (the card becomes a read-only summary)
    Form --> [*]: Cancel, or typing cancel (the draft is kept)
    Route --> Urgent: "urgent" (a short form; finishing sends it to the supervisor at once)
    Route --> Reminder: a button on a reminder (checked still due first) or on an urgent request
    Route --> Help: "help" or anything not understood
```
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.schema import Activity, ChannelAccount

from bot.cards import attachment
from bot.dialogs.commands import read_command
from bot.domain import ConversationReference
from bot.forms import known_forms
from bot.service import Companion, FormOutcome, Forms, FormView, NotAllowed, Person
from bot.urgent import Reply
from bot.views import drafts_card, due_card, help_card, not_set_up_card, reply_card, welcome_card

log = logging.getLogger(__name__)

MAX_TEXT = 4000
FORM_COMMANDS = {
    "journal": "journal",
    "case": "case_discussion",
    "record": "personal_record",
    "agreement": "agreement",
    "urgent": "urgent",
}


class CompanionBot(ActivityHandler):
    """Routes each turn to the service and answers with a card; holds no state of its own."""

    def __init__(self, companion: Companion, *, deliver_soon: Callable[[Sequence[int]], None] | None = None) -> None:
        self.companion = companion
        self.forms = Forms(companion)
        self.deliver_soon = deliver_soon  # sends what a turn queued for other people, without holding up the reply

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        if any(member.id == turn_context.activity.recipient.id for member in members_added):
            await self._welcome(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        # Teams announces an install twice, as this and as the bot joining the conversation: greet once, there.
        return

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        person = await self._person(turn_context)
        value = activity.value if isinstance(activity.value, dict) else {}
        action = value.get("action") if isinstance(value.get("action"), str) else None
        if action == "demo.try_as" and isinstance(value.get("staff"), str):
            await self._try_as(turn_context, value["staff"])
            return
        if person is None:
            await self._not_set_up(turn_context)
            return
        if self.companion.demo and (activity.text or "").strip().lower() == "switch":
            await self._not_set_up(turn_context, switching=True)
            return
        if len(activity.text or "") > MAX_TEXT:
            await turn_context.send_activity(
                f"That message is longer than I can read ({MAX_TEXT} characters at most). Nothing was changed."
            )
            return
        if action and action.startswith("form."):
            await self._form_press(turn_context, person, value)
            return
        if action and action.startswith("urgent."):
            await self._reply(turn_context, await self.companion.act_on_urgent(person, value))
            return
        if action and action.startswith("nudge."):
            await self._reply(turn_context, await self.companion.act_on_reminder(person, value))
            return
        if "nudge" in value:  # the job button on a reminder: only while the reminder is still due
            stale = await self.companion.act_on_reminder(person, {"nudge": value["nudge"]})
            if stale.text:
                await turn_context.send_activity(stale.text)
                return
        command = "due" if action == "due.show" else read_command(activity.text)
        if (
            action in {"drafts.resume", "open.form"}
            and isinstance(value.get("form"), str)
            and value["form"] in known_forms()
        ):
            view = await self.forms.open(person, value["form"], case=value.get("case"), held=value.get("session"))
            await self._show(turn_context, view)
        elif command in FORM_COMMANDS:
            await self._show(turn_context, await self.forms.open(person, FORM_COMMANDS[command]))
        elif action == "case.recorded":
            await turn_context.send_activity(await self.forms.mark_recorded(person, value.get("session")))
        elif action == "edit.form":
            await self._show(turn_context, await self.forms.edit(person, value.get("thread")))
        elif action == "journal.share":
            await turn_context.send_activity(await self.forms.share_journal(person, value.get("entry")))
        elif action == "record.read":
            await self._show(turn_context, await self.forms.read_record(person, value.get("session")))
        elif action == "agreement.read":
            await self._show(turn_context, await self.forms.read_agreement(person, value.get("id")))
        elif action == "agreement.sign":
            await turn_context.send_activity(await self.forms.sign_agreement(person, value.get("id")))
        elif action == "agreement.change":
            await self._show(turn_context, await self.forms.change_agreement(person, value.get("id")))
        elif action == "record.sign":
            await turn_context.send_activity(await self.forms.sign_record(person, value.get("session")))
        elif command == "cancel":
            await turn_context.send_activity(
                "Stopped. Anything you had started is kept as a draft: type drafts to carry on."
            )
        elif command == "drafts":
            await self._drafts(turn_context, person)
        elif command == "due":
            await self._due(turn_context, person)
        else:
            await self._help(turn_context, understood=command == "help" or action is not None)

    # -- steps -------------------------------------------------------------------------------

    async def _person(self, turn_context: TurnContext) -> Person | None:
        sender = turn_context.activity.from_property
        teams_id = getattr(sender, "aad_object_id", None) if sender else None
        if not teams_id:
            return None
        return await self.companion.identify(teams_id, _reference(turn_context.activity))

    async def _welcome(self, turn_context: TurnContext) -> None:
        person = await self._person(turn_context)
        if person is None:
            await self._not_set_up(turn_context)
            return
        await _send_card(turn_context, welcome_card(person.name, self.companion.profile.title))

    async def _help(self, turn_context: TurnContext, *, understood: bool) -> None:
        await _send_card(turn_context, help_card(understood=understood))

    async def _due(self, turn_context: TurnContext, person: Person) -> None:
        await _send_card(turn_context, due_card(person.name, await self.companion.due_for(person)))

    async def _drafts(self, turn_context: TurnContext, person: Person) -> None:
        await _send_card(turn_context, drafts_card(await self.forms.drafts(person)))

    async def _reply(self, turn_context: TurnContext, reply: Reply) -> None:
        if reply.offer:
            await _send_card(turn_context, reply_card(reply.text, reply.offer))
        else:
            await turn_context.send_activity(reply.text)
        self._send_queued(reply.queued)

    def _send_queued(self, queued: Sequence[int]) -> None:
        if queued and self.deliver_soon is not None:
            self.deliver_soon(queued)

    async def _form_press(self, turn_context: TurnContext, person: Person, value: dict[str, Any]) -> None:
        view = await self.forms.press(person, value)
        self._send_queued(view.queued)
        if view.outcome is FormOutcome.FINISHED and view.card is not None:
            pressed = turn_context.activity.reply_to_id
            if pressed:
                summary = Activity(id=pressed, type="message", attachments=[attachment(view.card)])
                await turn_context.update_activity(summary)
            else:
                await _send_card(turn_context, view.card)
            if view.message:
                await turn_context.send_activity(view.message)
            return
        await self._show(turn_context, view)

    async def _show(self, turn_context: TurnContext, view: FormView) -> None:
        if view.message:
            await turn_context.send_activity(view.message)
        if view.card is not None:
            await _send_card(turn_context, view.card)

    async def _not_set_up(self, turn_context: TurnContext, *, switching: bool = False) -> None:
        people = await self.companion.demo_people() if self.companion.demo else None
        await _send_card(turn_context, not_set_up_card(people, switching=switching))

    async def _try_as(self, turn_context: TurnContext, staff_id: str) -> None:
        sender = turn_context.activity.from_property
        try:
            await self.companion.try_as(sender.aad_object_id, staff_id)
        except NotAllowed as refusal:
            await turn_context.send_activity(str(refusal))
            return
        await self._welcome(turn_context)


async def _send_card(turn_context: TurnContext, card: dict[str, Any]) -> None:
    message = MessageFactory.attachment(attachment(card))
    await turn_context.send_activity(message)


def _reference(activity: Activity) -> ConversationReference:
    tenant = None
    if activity.conversation is not None:
        tenant = getattr(activity.conversation, "tenant_id", None)
    if not tenant and isinstance(activity.channel_data, dict):
        tenant = (activity.channel_data.get("tenant") or {}).get("id")
    return ConversationReference(
        service_url=activity.service_url or "",
        tenant_id=tenant,
        conversation_id=activity.conversation.id if activity.conversation else "",
    )
