"""Cards as message attachments: what the Bot Framework sends is the card the bot built, never a copy of it."""

from __future__ import annotations

import copy
from typing import Any

from botbuilder.core import BotAdapter, MessageFactory, TurnContext
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ResourceResponse

from bot.cards import attachment
from bot.gallery import gallery


class Recording(BotAdapter):  # type: ignore[misc]
    """An adapter that keeps what the SDK hands it to send."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Activity] = []

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        self.sent.extend(activities)
        return [ResourceResponse(id="sent-1") for _ in activities]

    async def update_activity(self, context: TurnContext, activity: Activity) -> None:
        raise NotImplementedError

    async def delete_activity(self, context: TurnContext, reference: Any) -> None:
        raise NotImplementedError


async def test_the_sdk_sends_a_copy_of_the_message_that_shares_the_card_instead_of_copying_it() -> None:
    adapter = Recording()
    incoming = Activity(
        type="message",
        id="in-1",
        channel_id="msteams",
        service_url="http://teams.test/",
        from_property=ChannelAccount(id="29:someone"),
        recipient=ChannelAccount(id="28:companion"),
        conversation=ConversationAccount(id="conv-1"),
    )
    card = gallery()["form-case_discussion-step2-filled"]
    as_built = copy.deepcopy(card)
    message = MessageFactory.attachment(attachment(card))
    await TurnContext(adapter, incoming).send_activity(message)
    [sent] = adapter.sent
    assert sent is not message and sent.attachments[0] is not message.attachments[0]
    assert sent.attachments[0]["content"] is card  # shared, not copied value by value
    assert sent.conversation.id == "conv-1" and message.conversation is None  # the SDK changed only its copy
    assert card == as_built and message.attachments[0]["content"] is card


def test_a_copied_attachment_is_an_attachment_of_its_own_around_the_same_card() -> None:
    card = {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "Hello"}]}
    original = attachment(card)
    copied = copy.deepcopy(original)
    copied["content"] = None  # as the edge's serializer does for a moment
    assert original == {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
    assert copy.deepcopy(original)["content"] is card
