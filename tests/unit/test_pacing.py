"""Pacing and back-off for messages nobody asked for, on a pretend clock: Teams' limits, kept."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import UTC, datetime

import pytest

from bot.delivery import Pacer, Pacing, backoff, retry_after


class PretendTime:
    """A monotonic clock that moves only when something sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_back_off_doubles_with_jitter_and_is_capped() -> None:
    pacing = Pacing(first_wait=1.0, longest_wait=60.0)
    assert [backoff(n, None, pacing, rng=lambda: 1.0) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert [backoff(n, None, pacing, rng=lambda: 0.0) for n in range(3)] == [0.5, 1, 2]


def test_back_off_is_never_shorter_than_teams_asked() -> None:
    assert backoff(0, 7.0, Pacing(), rng=lambda: 0.0) == 7.0
    assert backoff(5, 7.0, Pacing(), rng=lambda: 1.0) == 32.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"Retry-After": "Wed, 25 Nov 2026 12:00:10 GMT"}, 10.0),
        ({"Retry-After": "Wed, 25 Nov 2026 11:00:00 GMT"}, 0.0),  # a date already passed: go now
        ({"Retry-After": "soon"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_as_a_date(header: dict[str, str] | None, seconds: float | None) -> None:
    assert retry_after(header, datetime(2026, 11, 25, 12, 0, tzinfo=UTC)) == seconds


async def test_one_conversation_gets_at_most_one_message_a_second() -> None:
    time = PretendTime()
    pacer = Pacer(Pacing(per_second=25, per_conversation_gap=1.0), monotonic=time.monotonic, sleep=time.sleep)
    sent_at = []
    for _ in range(4):
        await pacer.wait_turn("priya")
        sent_at.append(time.now)
    assert [round(b - a, 6) for a, b in itertools.pairwise(sent_at)] == [1.0, 1.0, 1.0]


async def test_many_conversations_together_keep_to_the_overall_rate() -> None:
    time = PretendTime()
    pacer = Pacer(Pacing(per_second=25, per_conversation_gap=1.0), monotonic=time.monotonic, sleep=time.sleep)
    start = time.now
    for person in range(50):
        await pacer.wait_turn(f"person-{person}")
    # 50 messages at 25 a second: the last goes out 49/25 seconds after the first.
    assert time.now - start == pytest.approx(49 / 25)


async def test_a_hold_after_too_many_requests_delays_only_that_conversation() -> None:
    time = PretendTime()
    pacer = Pacer(Pacing(per_second=1000, per_conversation_gap=1.0), monotonic=time.monotonic, sleep=time.sleep)
    await pacer.wait_turn("priya")
    pacer.hold("priya", 5.0)
    start = time.now
    await pacer.wait_turn("sam")
    assert time.now - start == pytest.approx(0.001)
    await pacer.wait_turn("priya")
    assert time.now == pytest.approx(start + 5.0)


class WaitingTime:
    """A monotonic clock for tasks that wait side by side: it jumps to the next wake-up when all are waiting."""

    def __init__(self) -> None:
        self.now = 100.0
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (self.now + seconds, next(self._order), woken))
        await woken

    async def run_out(self) -> None:
        await _settle()
        while self._waiting:
            self.now, _, woken = heapq.heappop(self._waiting)
            woken.set_result(None)
            await _settle()


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_conversation_waiting_out_its_second_does_not_hold_back_the_others() -> None:
    time = WaitingTime()
    pacer = Pacer(Pacing(per_second=50, per_conversation_gap=1.0), monotonic=time.monotonic, sleep=time.sleep)
    sent: dict[str, float] = {}

    async def send(conversation: str, message: str) -> None:
        await pacer.wait_turn(conversation)
        sent[message] = time.now

    await send("priya", "priya-1")
    time.now = 100.5
    waiting = [asyncio.create_task(send("priya", "priya-2"))]
    await _settle()
    waiting.append(asyncio.create_task(send("sam", "sam-1")))
    await time.run_out()
    await asyncio.gather(*waiting)
    assert sent["sam-1"] == pytest.approx(100.5)  # the slot was free: Priya's wait does not take it
    assert sent["priya-2"] == pytest.approx(101.0)
