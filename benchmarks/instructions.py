"""The sweep's work counted rather than timed: `python -m benchmarks.instructions` (needs valgrind; about ten minutes).

On a shared machine the same sweep's time swings by a fifth from run to run, and the time each item takes rises
as a program's memory outgrows the processor's caches. The instructions a sweep carries out do neither:
valgrind's cachegrind counts them exactly, with the misses of a simulated processor's caches (its first level,
and a last level of 32 MB, as one core complex of this machine's processor has). Counted for the first sweep of
the council at the size and at ten times it, on SQLite: each figure is the difference between a process that
connects and sweeps once and one that only connects, so start-up is left out. The processor's own counters, which
would show what each instruction cost, are not open to programs on this virtual machine.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.sweep import built, copy_of, run_child

LAST_LEVEL = "--LL=33554432,16,64"  # 32 MB, 16 ways, 64-byte lines
COUNTS = {"instructions": "I   refs", "first_level_misses": "D1  misses", "last_level_misses": "LLd misses"}


def count(url: str, sweeps: int) -> dict[str, int]:
    """What cachegrind counts for a process that connects to the council at `url` and sweeps it `sweeps` times."""
    child = [sys.executable, "-m", "benchmarks.sweep", "--step", "sweep", "--url", url, "--sweeps", str(sweeps)]
    child.append("--cold")  # no dry run first: it would be counted in both, and take valgrind minutes more
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=yes", LAST_LEVEL, "--cachegrind-out-file=/dev/null"]
    said = run_child([*command, *child]).stderr
    found = {}
    for name, label in COUNTS.items():
        line = re.search(rf"^==\d+== {re.escape(label)}:\s+([\d,]+)", said, re.MULTILINE)
        if line is None:
            raise RuntimeError(f"cachegrind said nothing of {label!r}:\n{said[-2000:]}")
        found[name] = int(line.group(1).replace(",", ""))
    return found


def measure(scale: float = 1.0) -> dict[str, Any]:
    """The first sweep's counts at `scale` and at ten times it, and how much each grew."""
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed to count instructions (Debian: apt install valgrind)")
    sizes: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for times in (1, 10):
            with built("sqlite", scale * times, folder) as (url, _size):
                with copy_of(url, folder) as copy:
                    connected = count(copy, 0)
                with copy_of(url, folder) as copy:
                    swept = count(copy, 1)
            sizes[f"{times}x"] = {key: swept[key] - connected[key] for key in COUNTS}
    return {
        "scale": scale,
        **sizes,
        "growth_at_10x": {key: round(sizes["10x"][key] / sizes["1x"][key], 2) for key in COUNTS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    print(json.dumps(measure(args.scale), indent=2))


if __name__ == "__main__":
    main()
