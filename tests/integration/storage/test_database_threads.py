"""Database work runs off the event loop in the database's own threads: one for SQLite, whose writers
would otherwise sleep on each other's lock, and several for PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
import time

from sqlalchemy.orm import Session

from bot.storage.db import create_engine_for, in_session, session_factory


async def _most_at_once(url: str) -> tuple[int, set[str]]:
    engine = create_engine_for(url)
    active = most = 0
    names: set[str] = set()
    lock = threading.Lock()

    def work(session: Session) -> None:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
            names.add(threading.current_thread().name)
        time.sleep(0.02)
        with lock:
            active -= 1

    try:
        await asyncio.gather(*(in_session(session_factory(engine), work) for _ in range(8)))
    finally:
        engine.dispose()
    return most, names


async def test_sqlite_work_queues_for_one_database_thread(sqlite_url: str) -> None:
    most, names = await _most_at_once(sqlite_url)
    assert most == 1
    assert len(names) == 1 and next(iter(names)).startswith("database")
    assert threading.main_thread().name not in names


async def test_postgresql_work_runs_side_by_side(postgres_url: str) -> None:
    most, names = await _most_at_once(postgres_url)
    assert most > 1
    assert all(name.startswith("database") for name in names)


async def test_disposing_of_an_engine_lets_its_database_thread_go(sqlite_url: str) -> None:
    engine = create_engine_for(sqlite_url)
    sessions = session_factory(engine)
    worker = await in_session(sessions, lambda session: threading.current_thread())
    assert worker.is_alive() and worker.name.startswith("database")
    engine.dispose()
    worker.join(timeout=5)
    assert not worker.is_alive()
    # the engine still works after dispose, in a thread of its own again
    again = await in_session(sessions, lambda session: threading.current_thread())
    assert again is not worker and again.name.startswith("database")
    engine.dispose()
