"""The Teams app package: bot id from the environment, the bot's own command list, valid icons."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

from bot.dialogs.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
BOT_ID = "11111111-2222-3333-4444-555555555555"


def build(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "MicrosoftAppId"} | env
    return subprocess.run(
        [sys.executable, "-m", "bot", "package", "--output", str(tmp_path / "app.zip")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env=environment,
    )


def pixels(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Width, height and RGBA pixels of a PNG (8-bit RGBA, no filtering, as ours are)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 6)
    chunks, position = b"", 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            chunks += data[position + 8 : position + 8 + length]
        position += 12 + length
    raw = zlib.decompress(chunks)
    stride = 1 + width * 4
    found = []
    for row in range(height):
        line = raw[row * stride : (row + 1) * stride]
        assert line[0] == 0
        found += [tuple(line[1 + x * 4 : 5 + x * 4]) for x in range(width)]
    return width, height, found


def test_the_package_carries_the_bot_id_from_the_environment_and_the_bots_commands(tmp_path: Path) -> None:
    result = build(tmp_path, MicrosoftAppId=BOT_ID)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "app.zip") as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        colour = package.read("color.png")
        outline = package.read("outline.png")
    assert manifest["id"] == manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["bots"][0]["scopes"] == ["personal"]
    commands = manifest["bots"][0]["commandLists"][0]["commands"]
    assert [c["title"] for c in commands] == [command.word for command in COMMANDS]
    assert all(len(c["title"]) <= 32 and len(c["description"]) <= 128 for c in commands)
    assert len(commands) <= 10
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    assert "${" not in json.dumps(manifest)
    assert pixels(colour)[:2] == (192, 192)
    width, height, outline_pixels = pixels(outline)
    assert (width, height) == (32, 32)
    assert {p[3] for p in outline_pixels} == {0, 255}  # transparent background, opaque drawing
    assert {p[:3] for p in outline_pixels if p[3]} == {(255, 255, 255)}  # white on transparent, as Teams asks


def test_without_a_bot_id_the_package_is_refused_with_one_line(tmp_path: Path) -> None:
    result = build(tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: MicrosoftAppId: set it to the bot's app id")
    assert not (tmp_path / "app.zip").exists()


def test_the_help_card_the_welcome_card_and_the_manifest_share_one_command_list() -> None:
    from bot.dialogs.commands import command_facts

    assert [fact["title"] for fact in command_facts()] == [command.word for command in COMMANDS]
