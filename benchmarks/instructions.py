"""The sweep's work counted rather than timed: `python -m benchmarks.instructions` (needs valgrind; about ten minutes).

On this shared machine the same sweep's time swings by a third from run to run, and the time each item takes
rises as a program's memory outgrows the processor's caches. The instructions a sweep carries out do neither:
valgrind's cachegrind counts them (the same to a fraction of a per cent from run to run), with the misses of a
simulated processor's caches (see CACHES). Counted for the first sweep of
the council at the size and at ten times it, on SQLite: each figure is the difference between a process that
connects and sweeps once and one that only connects, so start-up is left out. The processor's own counters, which
would show what each instruction cost, are not open to programs on this virtual machine.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.sweep import built, child, copy_of, run_child

# The caches of one core complex of this machine's processor (size, ways, line): 32 KB first level for instructions
# and for data, 32 MB last level. Given, not read from the machine: its virtual processor reports a last level
# of 320 MB with one way, and valgrind would simulate that.
CACHES = ("--I1=32768,8,64", "--D1=32768,8,64", "--LL=33554432,16,64")
COUNTS = {"instructions": r"I\s+refs", "first_level_misses": r"D1\s+misses", "last_level_misses": r"LLd\s+misses"}


def count(url: str, sweeps: int) -> dict[str, int]:
    """What cachegrind counts for a process that connects to the council at `url` and sweeps it `sweeps` times
    (with no dry run first: it would be counted in both, and take valgrind minutes more)."""
    valgrind = ["valgrind", "--tool=cachegrind", "--cache-sim=yes", *CACHES, "--cachegrind-out-file=/dev/null"]
    said = run_child([*valgrind, *child("sweep", url, "--sweeps", str(sweeps), "--cold")]).stderr
    found = {}
    for name, label in COUNTS.items():
        line = re.search(rf"^==\d+==\s+{label}:\s+([\d,]+)", said, re.MULTILINE)
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
