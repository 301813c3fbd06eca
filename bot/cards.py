"""Adaptive Cards from the JSON templates in `cards/`, filled with values and escaped.

A placeholder is `${name}`. A string that is only a placeholder takes the value whole (text,
a list of card elements, a table); inside a longer string the value is escaped text. A list
value in a list is spliced in. A placeholder left unfilled is an error, never sent.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

CARDS = Path(__file__).resolve().parents[1] / "cards"
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
_MARKDOWN = re.compile(r"([\\*_\[\]`~#>])")


class CardError(KeyError):
    """A card template that cannot be filled."""


def escape(text: str) -> str:
    """Text as it was typed, with nothing in it read as formatting."""
    return _MARKDOWN.sub(r"\\\1", text)


@lru_cache(maxsize=64)
def _template(name: str) -> str:
    path = CARDS / f"{name}.json"
    if not path.is_file():
        raise CardError(f"no card template {name!r} in {CARDS}")
    return path.read_text(encoding="utf-8")


def render(template: str, /, **values: Any) -> dict[str, Any]:
    """The card `template` filled with `values`."""
    filled = _fill(json.loads(_template(template)), values, template)
    assert isinstance(filled, dict)
    return filled


def _fill(node: Any, values: dict[str, Any], name: str) -> Any:
    if isinstance(node, str):
        whole = _PLACEHOLDER.fullmatch(node)
        if whole:
            value = _value(whole.group(1), values, name)
            return escape(value) if isinstance(value, str) else value
        return _PLACEHOLDER.sub(lambda m: escape(str(_value(m.group(1), values, name))), node)
    if isinstance(node, list):
        result: list[Any] = []
        for item in node:
            filled = _fill(item, values, name)
            if isinstance(item, str) and _PLACEHOLDER.fullmatch(item) and isinstance(filled, list):
                result.extend(filled)
            else:
                result.append(filled)
        return result
    if isinstance(node, dict):
        return {key: _fill(value, values, name) for key, value in node.items()}
    return node


def _value(key: str, values: dict[str, Any], name: str) -> Any:
    if key not in values:
        raise CardError(f"card {name!r} needs a value for ${{{key}}}")
    return values[key]


class CardAttachment(dict[str, Any]):
    """A card as a message attachment. The Bot Framework deep-copies every message before sending it, which for a
    form's card (a few hundred values) cost a twentieth of a turn; a card is never changed once it is filled, so
    a copy of the attachment shares its card instead of copying it value by value."""

    def __deepcopy__(self, memo: dict[int, Any]) -> CardAttachment:
        return CardAttachment(self)


def attachment(card: dict[str, Any]) -> CardAttachment:
    """The card as a message attachment."""
    return CardAttachment(contentType="application/vnd.microsoft.card.adaptive", content=card)
