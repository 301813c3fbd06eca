"""The due sweep over a whole council's store, on SQLite and on PostgreSQL: `python -m benchmarks.sweep`.

Builds the council (benchmarks/council.py) once for each database and size, then times one full
sweep (every duty worked out, every reminder due queued) and a second, steady one (nothing new to
queue) on a fresh copy of it, several times over. Each measurement runs in a process of its own on
its own copy, and the sizes take turns, so a slow spell on the machine falls on both sizes rather
than on one; the figures are the medians.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import itertools
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text

from benchmarks.council import council
from bot.rules.profile import load_profile
from bot.storage.db import create_engine_for, migrate, scratch_postgres, session_factory
from bot.storage.world import import_world
from bot.sweep import sweep

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)  # a Wednesday morning, inside working hours
POSTGRES = os.environ.get("DATABASE_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
POLICY = "devon"
REPEATS = 3  # measurements of each database and size; the figures are their medians
ROOT = Path(__file__).resolve().parents[1]


def build(url: str, scale: float) -> dict[str, Any]:
    """Load the council at `scale` into the migrated, empty database at `url`: its size, and the seconds taken."""
    profile = load_profile(POLICY)
    world = council(NOW, scale)
    size = {"staff": len(world.staff), "cases": len(world.cases), "sessions": len(world.sessions)}
    engine = create_engine_for(url)
    started = time.perf_counter()
    with session_factory(engine)() as session:
        import_world(session, world, profile.calendar)
        session.commit()
    loaded = time.perf_counter() - started
    engine.dispose()
    return {**size, "load_seconds": round(loaded, 2)}


def time_sweeps(url: str, sweeps: int = 2, *, warm: bool = True) -> dict[str, Any]:
    """Seconds for each of `sweeps` sweeps of the council at `url` in turn (the first queues what is due, the next
    finds nothing new), and how many reminders each queued."""
    profile = load_profile(POLICY)
    engine = create_engine_for(url)
    sessions = session_factory(engine)
    with sessions() as session:
        if warm:
            # The store read once (a dry run, which queues nothing) before the clock starts: a running bot sweeps
            # every few minutes, so its database has the council in memory; a fresh copy has none of it.
            sweep(session, profile, NOW, dry_run=True)
        else:
            session.execute(text("SELECT 1"))
    gc.collect()
    timings, queued = [], []
    for _ in range(sweeps):
        started = time.perf_counter()
        with sessions() as session:
            found = sweep(session, profile, NOW)
            session.commit()
        timings.append(round(time.perf_counter() - started, 3))
        queued.append(len(found))
    engine.dispose()
    return {"seconds": timings, "queued": queued}


@contextlib.contextmanager
def built(kind: str, scale: float, folder: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """The council at `scale` built once in a database of this kind (in a process of its own, so the sweeps never
    run in the memory it took), and what `build` said; the database is removed afterwards."""
    if kind == "sqlite":
        path = folder / f"council-{scale:g}.db"
        url = f"sqlite:///{path}"
        migrate(url)
        yield url, _apart("build", url, "--scale", str(scale))
        return
    with scratch_postgres(POSTGRES, "companion_bench") as url:
        yield url, _apart("build", url, "--scale", str(scale))


@contextlib.contextmanager
def copy_of(url: str, folder: Path) -> Iterator[str]:
    """A fresh copy of the built database at `url`, removed afterwards: each sweep starts from the same store."""
    if not url.startswith("sqlite"):
        with scratch_postgres(POSTGRES, "companion_bench_copy", template=make_url(url).database) as copy:
            yield copy
        return
    copy = folder / f"copy-{uuid.uuid4().hex[:8]}.db"
    # SQLite's own backup, not a file copy: it reads the database as a connection sees it, write-ahead log and all.
    source, target = sqlite3.connect(make_url(url).database or ""), sqlite3.connect(copy)
    with contextlib.closing(source), contextlib.closing(target):
        source.backup(target)
    try:
        yield f"sqlite:///{copy}"
    finally:
        for leftover in folder.glob(f"{copy.name}*"):
            leftover.unlink()


def measure(kinds: Sequence[str], scales: Sequence[float], repeats: int = REPEATS) -> list[dict[str, Any]]:
    """For each database and size: its size, the load time, every measurement, and the medians of them."""
    if repeats < 1 or len(set(scales)) != len(scales):
        raise ValueError("at least one measurement of each size, and each size once")
    with tempfile.TemporaryDirectory() as name, contextlib.ExitStack() as stack:
        folder = Path(name)
        councils = {key: stack.enter_context(built(*key, folder)) for key in itertools.product(kinds, scales)}
        runs: dict[tuple[str, float], list[dict[str, Any]]] = {key: [] for key in councils}
        for _ in range(repeats):
            for key, (url, _size) in councils.items():  # the sizes take turns
                with copy_of(url, folder) as copy:
                    runs[key].append(_apart("sweep", copy))
    measured = []
    for (kind, scale), (_url, size) in councils.items():
        queued = {tuple(run["queued"]) for run in runs[(kind, scale)]}
        if len(queued) != 1 or next(iter(queued))[1] != 0:  # every copy the same store, and a second sweep idle
            raise RuntimeError(f"{kind} at {scale}: the sweeps queued {sorted(queued)} across the runs")
        first, again = next(iter(queued))
        measured.append(
            {
                "database": kind,
                "scale": scale,
                **size,
                "first_sweep_seconds": _median(run["seconds"][0] for run in runs[(kind, scale)]),
                "steady_sweep_seconds": _median(run["seconds"][1] for run in runs[(kind, scale)]),
                "slower_sweep_seconds": _median(max(run["seconds"]) for run in runs[(kind, scale)]),
                "queued_first": first,
                "queued_again": again,
                "runs": runs[(kind, scale)],
            }
        )
    return measured


def growth(measured: Sequence[dict[str, Any]], kind: str, small: float, large: float) -> float:
    """How many times as long the larger size's sweep took as the smaller's (the slower of first and steady in each
    run), as the median of the runs taken in turn, so that each pair shared whatever the machine was doing."""
    by_size = {m["scale"]: m["runs"] for m in measured if m["database"] == kind}
    pairs = zip(by_size[small], by_size[large], strict=True)
    return _median((max(big["seconds"]) / max(little["seconds"]) for little, big in pairs), places=2)


def _median(values: Iterable[float], places: int = 3) -> float:
    return round(statistics.median(values), places)


def child(step: str, url: str, *options: str) -> list[str]:
    """The command that runs one step of this benchmark (`build` or `sweep`) in a process of its own."""
    return [sys.executable, "-m", "benchmarks.sweep", "--step", step, "--url", url, *options]


def _apart(step: str, url: str, *options: str) -> dict[str, Any]:
    """Run one step in a process of its own and return what it printed."""
    return dict(json.loads(run_child(child(step, url, *options)).stdout))


def run_child(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run `command` from the project's folder, with what it prints kept; if it fails, the error says why."""
    finished = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if finished.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({finished.returncode}):\n{finished.stderr[-3000:]}")
    return finished


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--times", default="1,10", help="the sizes to run, as multiples of --scale")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--step", choices=("build", "sweep"), help=argparse.SUPPRESS)  # one step, in a child
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--sweeps", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)  # no dry run first
    args = parser.parse_args()
    if args.step == "build":
        print(json.dumps(build(args.url, args.scale)))
        return
    if args.step == "sweep":
        print(json.dumps(time_sweeps(args.url, args.sweeps, warm=not args.cold)))
        return
    scales = [args.scale * float(times) for times in args.times.split(",")]
    print(json.dumps(measure(args.databases.split(","), scales, args.repeats), indent=2))


if __name__ == "__main__":
    main()
