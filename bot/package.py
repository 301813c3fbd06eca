"""The Teams app package: manifest/manifest.json filled in, with its two icons, zipped."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

from bot.dialogs.commands import COMMANDS

MANIFEST = Path(__file__).resolve().parents[1] / "manifest"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class PackageError(ValueError):
    """The package cannot be built; the message says what to set."""


def manifest(bot_id: str, *, developer: str, website: str) -> dict[str, Any]:
    """The manifest for this bot registration."""
    if not GUID.match(bot_id or ""):
        raise PackageError(
            "MicrosoftAppId: set it to the bot's app id from its registration (a GUID such as "
            "00000000-0000-0000-0000-000000000000) before building the package"
        )
    if not website.startswith("https://"):
        raise PackageError(f"DEVELOPER_WEBSITE: Teams needs an https address, got {website!r}")
    text = (MANIFEST / "manifest.json").read_text(encoding="utf-8")
    values = {"BOT_ID": bot_id, "DEVELOPER_NAME": developer, "DEVELOPER_WEBSITE": website.rstrip("/")}
    filled = re.sub(r"\$\{(BOT_ID|DEVELOPER_NAME|DEVELOPER_WEBSITE)\}", lambda m: values[m.group(1)], text)
    document: dict[str, Any] = json.loads(filled)
    document["bots"][0]["commandLists"][0]["commands"] = [
        {"title": command.word, "description": command.description} for command in COMMANDS
    ]
    return document


def build(bot_id: str, destination: Path, *, developer: str, website: str) -> Path:
    """Write the zip Teams installs: manifest.json, color.png and outline.png at its top level."""
    document = manifest(bot_id, developer=developer, website=website)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(document, indent=2, ensure_ascii=False))
        for icon in ("color.png", "outline.png"):
            package.write(MANIFEST / icon, icon)
    return destination
