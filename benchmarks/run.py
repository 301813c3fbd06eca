"""All four benchmarks in one run: `make bench` (full size) or `make bench-quick` (a tenth of it).

Writes benchmarks/results/latest.json (quick.json for a quick run): one key per figure, each with
its target and whether it was met, the machine it ran on, and every raw measurement. A full run
also rewrites the results table in BENCHMARKS.md, between its two marker comments.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from benchmarks import delivery, sweep, turns

ROOT = sweep.ROOT
RESULTS = ROOT / "benchmarks" / "results"
DOCUMENT = ROOT / "BENCHMARKS.md"
START, END = "<!-- results: start -->", "<!-- results: end -->"


@dataclass(frozen=True, slots=True)
class Target:
    words: str
    met: Callable[[float], bool]


TARGETS = {
    "turn_median_ratio": Target("at most 0.5 (half the stock echo bot's)", lambda v: v <= 0.5),
    "turn_throughput_ratio": Target("at least 3 (three times the stock echo bot's)", lambda v: v >= 3),
    "turn_p99_at_100_per_second_ms": Target("under 100 ms", lambda v: v < 100),
    "sweep_sqlite_1x_seconds": Target("under 1 s", lambda v: v < 1),
    "sweep_postgresql_1x_seconds": Target("under 1 s", lambda v: v < 1),
    "sweep_sqlite_growth_at_10x": Target("at most 10 (no faster than linear)", lambda v: v <= 10),
    "sweep_postgresql_growth_at_10x": Target("at most 10 (no faster than linear)", lambda v: v <= 10),
    "delivery_share_of_pace": Target("at least 0.9", lambda v: v >= 0.9),
    "delivery_duplicates": Target("0", lambda v: v == 0),
    "delivery_lost": Target("0", lambda v: v == 0),
    "memory_resident_mb": Target("under 150 MB", lambda v: v < 150),
}

LABELS = {
    "turn_median_ratio": "A form step's median time, as a share of the stock echo bot's",
    "turn_throughput_ratio": "Turns a second with 50 conversations at once, against the stock echo bot",
    "turn_p99_at_100_per_second_ms": "Slowest 1 in 100 form steps at a steady 100 a second",
    "sweep_sqlite_1x_seconds": "A full due sweep, SQLite (the slower of the first and a steady one), seconds",
    "sweep_postgresql_1x_seconds": "A full due sweep, PostgreSQL (the slower of the first and a steady one), seconds",
    "sweep_sqlite_growth_at_10x": "Sweep time at ten times the size, over the time at the size, SQLite",
    "sweep_postgresql_growth_at_10x": "Sweep time at ten times the size, over the time at the size, PostgreSQL",
    "delivery_share_of_pace": "Reminders delivered a second, as a share of the configured pace",
    "delivery_duplicates": "Reminders that arrived twice",
    "delivery_lost": "Reminders that never arrived",
    "memory_resident_mb": "The bot's resident memory after the turn benchmark (MB)",
}


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                      if line.startswith("model name")), "")  # fmt: skip
    postgres = ""
    try:
        engine = create_engine(sweep.POSTGRES)
        with engine.connect() as connection:
            postgres = str(connection.execute(text("SHOW server_version")).scalar())
        engine.dispose()
    except Exception as error:  # reported, not fatal: the PostgreSQL figures will say why they are missing
        postgres = f"not reachable ({type(error).__name__})"
    return {
        "cores": os.cpu_count(),
        "processor": model or platform.processor(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres,
        "system": f"{platform.system()} {platform.release()}",
    }


def loop_ms() -> int:
    """Milliseconds a fixed piece of plain Python (ten million additions) takes here, the median of five: on a
    shared virtual machine it moves from hour to hour, every timed figure with it, so a run records it at its
    start and at its end."""
    times = []
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for number in range(10_000_000):
            total += number
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000)


def run(quick: bool) -> dict[str, Any]:
    scale = 0.1 if quick else 1.0
    loop_at_start = loop_ms()
    details: dict[str, Any] = {}
    figures: dict[str, float] = {}

    sizes = turns.Sizes().tenth() if quick else turns.Sizes()
    details["turns"] = asyncio.run(turns.measure(sizes))
    figures["turn_median_ratio"] = details["turns"]["median_ratio"]
    figures["turn_throughput_ratio"] = details["turns"]["throughput_ratio"]
    figures["turn_p99_at_100_per_second_ms"] = details["turns"]["p99_at_100_per_second_ms"]
    figures["memory_resident_mb"] = details["turns"]["resident_mb"]

    # The growth figure compares the sweep at the size with ten times it; a quick run compares a tenth of the size
    # with a hundredth, so it never builds the full council; and it measures each size once, not REPEATS times.
    small, large = (scale / 10, scale) if quick else (scale, scale * 10)
    details["sweep"] = sweep.measure(("sqlite", "postgresql"), (small, large), 1 if quick else sweep.REPEATS)
    slower = {(m["database"], m["scale"]): m["slower_sweep_seconds"] for m in details["sweep"]}
    for kind in ("sqlite", "postgresql"):
        figures[f"sweep_{kind}_1x_seconds"] = slower[(kind, large if quick else small)]
        figures[f"sweep_{kind}_growth_at_10x"] = sweep.growth(details["sweep"], kind, small, large)

    size = {"nudges": 500, "people": 150} if quick else {}
    details["delivery"] = asyncio.run(delivery.measure(**size))
    figures["delivery_share_of_pace"] = details["delivery"]["share_of_pace"]
    figures["delivery_duplicates"] = details["delivery"]["duplicates"]
    figures["delivery_lost"] = details["delivery"]["lost"]

    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "size": "a tenth (make bench-quick)" if quick else "full (make bench)",
        "machine": {**machine(), "loop_ms": [loop_at_start, loop_ms()]},
        "figures": {
            name: {"value": figures[name], "target": TARGETS[name].words, "met": TARGETS[name].met(figures[name])}
            for name in TARGETS
        },
        "details": details,
    }


def table(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"Size: {results['size']}; the council at Birmingham's size (1,500 staff, 10,000 cases) in a full run.",
        "",
        f"Run {results['when'][:10]} on {m['cores']} cores ({m['processor']}), Python {m['python']}, "
        f"SQLite {m['sqlite']}, PostgreSQL {m['postgresql']}. The machine's speed: ten million additions in plain "
        f"Python took {m['loop_ms'][0]} ms at the start of the run and {m['loop_ms'][1]} ms at its end.",
        "",
        "| figure | target | result | met |",
        "|---|---|---|---|",
    ]
    for name, figure in results["figures"].items():
        met = "yes" if figure["met"] else "**no**"
        lines.append(f"| {LABELS[name]} | {figure['target']} | {figure['value']} | {met} |")
    return "\n".join(lines)


def write(results: dict[str, Any], quick: bool) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / ("quick.json" if quick else "latest.json")
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if not quick:
        document = DOCUMENT.read_text(encoding="utf-8")
        before, _, rest = document.partition(START)
        _, _, after = rest.partition(END)
        DOCUMENT.write_text(f"{before}{START}\n{table(results)}\n{END}{after}", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="each benchmark at a tenth of the size")
    args = parser.parse_args()
    results = run(args.quick)
    path = write(results, args.quick)
    print(table(results))
    print(f"\nWritten to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
