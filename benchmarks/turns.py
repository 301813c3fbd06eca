"""A chat turn, side by side with the floor: `python -m benchmarks.turns`.

Two apps on loopback, each in its own process pinned to one core: the stock echo bot
(benchmarks/echo_bot.py) and the companion. A load generator in this process (on the other core)
sends Teams-shaped activities over HTTP and times each from sending to the bot's answer; the bot
answers through the connector stand-in (benchmarks/connector.py), also here, so every turn
includes the reply reaching "Teams".

For the companion, each turn is a step of the case-discussion form as a supervisor takes it: the
card's Next (or, at the end, Back) pressed with its inputs filled in, which saves the draft,
checks the answers and sends the next card. The generator presses the buttons on the card it was
last sent, as Teams would.

Three loads, the same for both apps:
- one conversation, one turn after another (the median and 99th percentile of a single turn);
- 50 conversations at once, each sending its next turn as soon as the last is answered (turns a second);
- turns arriving at a steady 100 a second across 100 conversations (timed from when each was due to
  be sent, so a slow bot cannot hide its queue).
Then the companion's resident memory. A third app, the echo bot with only our change at the edge
(clients built once), shows what the SDK's own work on a turn costs: the floor under any bot on it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.connector import ConnectorStandIn

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)
TENANT = "benchmark-tenant"
PEOPLE = 100  # supervisors with Teams linked, one conversation each


@dataclass(frozen=True, slots=True)
class Sizes:
    single_turns: int = 600
    concurrent_seconds: float = 15.0
    steady_seconds: float = 20.0
    council_scale: float = 1.0

    def tenth(self) -> Sizes:
        """A quick look: a tenth of the turns and of the council, and a few seconds of each load."""
        return Sizes(self.single_turns // 10, self.concurrent_seconds / 5, self.steady_seconds / 10, 0.1)


# -- the two apps, each served from its own process ---------------------------------------------------


def serve(app_kind: str, port: int, database: str) -> None:
    """Run one app on loopback until stopped (the child process's whole life)."""
    import logging

    from aiohttp import web

    logging.basicConfig(level=logging.WARNING)
    if app_kind.startswith("echo"):
        from benchmarks.echo_bot import create_echo_app

        app = create_echo_app(reusing=app_kind == "echo-reusing")
    else:
        from bot.app import create_app
        from bot.config import Settings

        app = create_app(Settings(database_url=database, policy="devon", port=port, sweep_every=0))
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def seed(database: str, scale: float) -> list[tuple[str, str]]:
    """A council in a fresh store, with Teams linked for PEOPLE supervisors; their (Teams id, a case they hold)."""
    from benchmarks.council import council
    from bot.rules.facts import Role
    from bot.rules.profile import load_profile
    from bot.storage.db import create_engine_for, migrate, session_factory
    from bot.storage.repositories import StaffRepository
    from bot.storage.world import import_world

    migrate(database)
    world = council(NOW, scale)
    engine = create_engine_for(database)
    with session_factory(engine)() as session:
        import_world(session, world, load_profile("devon").calendar)
        staff = StaffRepository(session)
        cases_of: dict[str, str] = {}
        supervisor_of = {person.id: person.supervisor for person in world.staff}
        for case in world.cases:
            cases_of.setdefault(supervisor_of.get(case.worker) or "", case.id)
        chosen = [p.id for p in world.staff if p.role is Role.SUPERVISOR and p.id in cases_of][:PEOPLE]
        for staff_id in chosen:
            staff.link_teams_identity(staff_id, f"aad-{staff_id}")
        session.commit()
    engine.dispose()
    return [(f"aad-{staff_id}", cases_of[staff_id]) for staff_id in chosen]


@contextlib.contextmanager
def bot_process(app_kind: str, database: str) -> Iterator[tuple[str, int]]:
    """The app running in a child process on the first core; its messages address and process id."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = f"from benchmarks.turns import serve; serve({app_kind!r}, {port}, {database!r})"
    child = subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1])
    try:
        _pin(child.pid, 0)
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the {app_kind} app did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/api/messages", child.pid
    finally:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()


@functools.cache
def _cores() -> tuple[int, ...]:
    """The cores this run may use, read once: before the generator pins itself to one of them, not after."""
    return tuple(sorted(os.sched_getaffinity(0)))


def _pin(pid: int, core: int) -> None:
    cores = _cores()
    if len(cores) > 1:
        os.sched_setaffinity(pid, {cores[core % len(cores)]})


def cpu_seconds(pid: int) -> float:
    """Processor time the process has used so far, user and system (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def resident_megabytes(pid: int) -> float:
    """The process's resident memory now, in megabytes (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no resident memory figure")


# -- conversations, as Teams would hold them --------------------------------------------------------


@dataclass(slots=True)
class Conversation:
    """One person's chat with the bot."""

    number: int
    teams_id: str
    case: str = ""
    id: str = field(init=False)
    forward: bool = True

    def __post_init__(self) -> None:
        self.id = f"a:benchmark-{self.number}"

    def activity(self, service_url: str, *, text: str | None = None, value: Any = None) -> dict[str, Any]:
        activity: dict[str, Any] = {
            "type": "message",
            "id": uuid.uuid4().hex,
            "timestamp": datetime.now(UTC).isoformat(),
            "channelId": "msteams",
            "serviceUrl": service_url,
            "from": {"id": f"29:{self.teams_id}", "aadObjectId": self.teams_id, "name": "Benchmark"},
            "recipient": {"id": "28:companion", "name": "Companion"},
            "conversation": {"id": self.id, "conversationType": "personal", "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}},
        }
        if text is not None:
            activity["text"] = text
        if value is not None:
            activity["value"] = value
            activity["replyToId"] = uuid.uuid4().hex
        return activity


class Load:
    """Sends turns and keeps their times."""

    def __init__(self, app_kind: str, url: str, standin: ConnectorStandIn, service_url: str) -> None:
        self.app_kind = app_kind
        self.url = url
        self.standin = standin
        self.service_url = service_url
        self.http: aiohttp.ClientSession | None = None

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[None]:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            self.http = http
            yield

    async def open_forms(self, conversations: list[Conversation]) -> None:
        """Each supervisor opens a case discussion (not timed)."""
        for conversation in conversations:
            value = {"action": "open.form", "form": "case_discussion", "case": conversation.case}
            await self._post(conversation.activity(self.service_url, value=value))

    def next_turn(self, conversation: Conversation) -> dict[str, Any]:
        if self.app_kind.startswith("echo"):
            return conversation.activity(self.service_url, text="How do I write a reflective journal entry?")
        return conversation.activity(self.service_url, value=self._press(conversation))

    async def turn(self, conversation: Conversation, due_ns: int | None = None) -> int:
        """One turn; nanoseconds from `due_ns` (or from sending) to the bot's answer."""
        activity = self.next_turn(conversation)
        started = due_ns if due_ns is not None else time.perf_counter_ns()
        await self._post(activity)
        return time.perf_counter_ns() - started

    async def _post(self, activity: dict[str, Any]) -> None:
        assert self.http is not None
        async with self.http.post(self.url, json=activity) as response:
            await response.read()
            if response.status >= 300:
                raise RuntimeError(f"the bot answered {response.status}: {await response.text()}")

    def _press(self, conversation: Conversation) -> dict[str, Any]:
        """Next (or Back, walking back from the last step), with every input on the card filled in."""
        card = _card(self.standin.last.get(conversation.id))
        buttons = {a["data"]["action"]: a["data"] for a in _submits(card)}
        if conversation.forward and "form.next" not in buttons:
            conversation.forward = False
        if not conversation.forward and "form.back" not in buttons:
            conversation.forward = True
        wanted = "form.next" if conversation.forward else "form.back"
        if wanted not in buttons:
            raise RuntimeError(f"the card in {conversation.id} has no {wanted} button: {json.dumps(card)[:500]}")
        return {**buttons[wanted], **_answers(card)}


def _card(activity: dict[str, Any] | None) -> dict[str, Any]:
    for attachment in (activity or {}).get("attachments") or ():
        if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
            return dict(attachment["content"])
    raise RuntimeError(f"the last message was not a card: {json.dumps(activity)[:500]}")


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _submits(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        node
        for node in _walk(card.get("actions", []))
        if node.get("type") == "Action.Submit" and isinstance(node.get("data"), dict) and "action" in node["data"]
    ]


def _answers(card: dict[str, Any]) -> dict[str, Any]:
    """What a person fills in: some words in each text box, the first choice, a date next week."""
    answers: dict[str, Any] = {}
    for node in _walk(card.get("body", [])):
        kind, key = node.get("type", ""), node.get("id")
        if not kind.startswith("Input.") or not key:
            continue
        if kind == "Input.ChoiceSet":
            choices = node.get("choices") or []
            answers[key] = node.get("value") or (choices[0]["value"] if choices else "")
        elif kind == "Input.Date":
            answers[key] = "2026-12-02"
        elif kind == "Input.Time":
            answers[key] = "10:00"
        elif kind == "Input.Toggle":
            answers[key] = node.get("valueOn", "true")
        elif kind == "Input.Number":
            answers[key] = "1"
        else:
            answers[key] = node.get("value") or "The plan is working; the school reports better attendance."
    return answers


# -- the three loads ---------------------------------------------------------------------------------


def _percentile(samples: list[int], share: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index] / 1e6


async def single(load: Load, conversation: Conversation, turns: int) -> dict[str, float]:
    for _ in range(max(20, turns // 10)):  # warm up, untimed
        await load.turn(conversation)
    times = [await load.turn(conversation) for _ in range(turns)]
    return {
        "median_ms": round(statistics.median(times) / 1e6, 2),
        "p99_ms": round(_percentile(times, 0.99), 2),
    }


async def concurrent(
    load: Load, conversations: list[Conversation], seconds: float, pid: int | None = None
) -> dict[str, float]:
    done = 0
    stop_at = time.perf_counter() + seconds
    cpu_before = cpu_seconds(pid) if pid else 0.0
    # The generator and the connector stand-in: if they run out of processor time, the bot is not the limit.
    ours_before = time.process_time()

    async def keep_going(conversation: Conversation) -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            await load.turn(conversation)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(keep_going(c) for c in conversations))
    result = {"turns_per_second": round(done / (time.perf_counter() - started), 1)}
    if pid:
        result["bot_cpu_ms_per_turn"] = round(1000 * (cpu_seconds(pid) - cpu_before) / max(1, done), 2)
        result["generator_cpu_ms_per_turn"] = round(1000 * (time.process_time() - ours_before) / max(1, done), 2)
    return result


async def steady(load: Load, conversations: list[Conversation], rate: float, seconds: float) -> dict[str, float]:
    free: asyncio.Queue[Conversation] = asyncio.Queue()
    for conversation in conversations:
        free.put_nowait(conversation)
    times: list[int] = []
    tasks = []

    async def one(due_ns: int) -> None:
        conversation = await free.get()
        try:
            times.append(await load.turn(conversation, due_ns))
        finally:
            free.put_nowait(conversation)

    start = time.perf_counter_ns()
    for number in range(int(rate * seconds)):
        due = start + int(number * 1e9 / rate)
        wait = (due - time.perf_counter_ns()) / 1e9
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(due)))
    await asyncio.gather(*tasks)
    return {
        "median_ms": round(statistics.median(times) / 1e6, 2),
        "p99_ms": round(_percentile(times, 0.99), 2),
        "turns": len(times),
    }


async def measure_app(app_kind: str, sizes: Sizes, database: str, people: list[tuple[str, str]]) -> dict[str, Any]:
    standin = ConnectorStandIn()
    service_url = await standin.start()
    conversations = [Conversation(n, teams_id, case) for n, (teams_id, case) in enumerate(people)]
    result: dict[str, Any] = {}
    try:
        with bot_process(app_kind, database) as (url, pid):
            load = Load(app_kind, url, standin, service_url)
            async with load.session():
                if app_kind == "companion":
                    await load.open_forms(conversations)
                result["single"] = await single(load, conversations[0], sizes.single_turns)
                await concurrent(load, conversations[:50], sizes.concurrent_seconds / 5)  # warm up, untimed
                result["concurrent_50"] = await concurrent(load, conversations[:50], sizes.concurrent_seconds, pid)
                result["steady_100_per_second"] = await steady(load, conversations, 100, sizes.steady_seconds)
            result["resident_mb"] = round(resident_megabytes(pid), 1)
    finally:
        await standin.stop()
    return result


async def measure(sizes: Sizes, database: str | None = None) -> dict[str, Any]:
    """Both apps under the same loads, and the figures the issue asks for."""
    with tempfile.TemporaryDirectory() as folder:
        url = database or f"sqlite:///{Path(folder) / 'turns.db'}"
        people = await asyncio.to_thread(seed, url, sizes.council_scale)
        _pin(os.getpid(), 1)
        echo = await measure_app("echo", sizes, url, people)
        floor = await measure_app("echo-reusing", sizes, url, people)
        ours = await measure_app("companion", sizes, url, people)
    return {
        "echo": echo,
        "echo_reusing_clients": floor,
        "companion": ours,
        "median_ratio": round(ours["single"]["median_ms"] / echo["single"]["median_ms"], 3),
        "throughput_ratio": round(
            ours["concurrent_50"]["turns_per_second"] / echo["concurrent_50"]["turns_per_second"], 2
        ),
        "p99_at_100_per_second_ms": ours["steady_100_per_second"]["p99_ms"],
        "resident_mb": ours["resident_mb"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tenth of the size, for a quick look")
    parser.add_argument("--database", help="a PostgreSQL address to use instead of a fresh SQLite file")
    args = parser.parse_args()
    sizes = Sizes().tenth() if args.quick else Sizes()
    print(json.dumps(asyncio.run(measure(sizes, args.database)), indent=2))


if __name__ == "__main__":
    main()
