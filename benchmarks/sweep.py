"""The due sweep over a whole council's store, on SQLite and on PostgreSQL: `python -m benchmarks.sweep`.

Builds the council (benchmarks/council.py) in a fresh database, then times one full sweep (every
duty worked out, every reminder due queued) and a second, steady one (nothing new to queue), at
the given scale and ten times it.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.council import council
from bot.rules.profile import load_profile
from bot.storage.db import create_engine_for, migrate, scratch_postgres, session_factory
from bot.storage.world import import_world
from bot.sweep import sweep

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)  # a Wednesday morning, inside working hours
POSTGRES = os.environ.get("DATABASE_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextlib.contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh, migrated database of this kind, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'council.db'}"
            migrate(url)
            yield url
        return
    with scratch_postgres(POSTGRES, "companion_bench") as url:
        yield url


def measure(kind: str, scale: float, policy: str = "devon") -> dict[str, Any]:
    """Seconds to load the council, to sweep it the first time, and to sweep it again."""
    profile = load_profile(policy)
    world = council(NOW, scale)
    size = {"staff": len(world.staff), "cases": len(world.cases), "sessions": len(world.sessions)}
    with database(kind) as url:
        engine = create_engine_for(url)
        sessions = session_factory(engine)
        started = time.perf_counter()
        with sessions() as session:
            import_world(session, world, profile.calendar)
            session.commit()
        loaded = time.perf_counter() - started
        # The generated council is in the store now: a running bot never holds one in memory beside its sweep.
        del world
        gc.collect()
        timings = []
        queued = []
        for _ in range(2):
            started = time.perf_counter()
            with sessions() as session:
                found = sweep(session, profile, NOW)
                session.commit()
            timings.append(time.perf_counter() - started)
            queued.append(len(found))
        engine.dispose()
    return {
        "database": kind,
        "scale": scale,
        **size,
        "load_seconds": round(loaded, 2),
        "first_sweep_seconds": round(timings[0], 3),
        "steady_sweep_seconds": round(timings[1], 3),
        "queued_first": queued[0],
        "queued_again": queued[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--times", default="1,10", help="the sizes to run, as multiples of --scale")
    args = parser.parse_args()
    results = [
        measure(kind, args.scale * float(times))
        for kind in args.databases.split(",")
        for times in args.times.split(",")
    ]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
