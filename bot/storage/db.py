"""Connecting to the database and bringing its tables up to date.

SQLite (a file, with write-ahead logging and foreign keys on) by default; PostgreSQL through
`postgresql+psycopg://` addresses. Migrations are Alembic's, configured from this package so they
run from any working directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_database_url() -> str:
    """DATABASE_URL, else a SQLite file under the project's var/ folder."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{PROJECT_ROOT / 'var' / 'companion.db'}"


def create_engine_for(url: str, **options: Any) -> Engine:
    """An engine for a SQLite file or PostgreSQL, set up the way the companion needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **options)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def on_postgresql(session: Session) -> bool:
    """Whether this session's database is PostgreSQL (else SQLite), for the few statements written for each."""
    return session.get_bind().dialect.name == "postgresql"


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine` that keep loaded rows usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


T = TypeVar("T")


async def in_session(sessions: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """Run `work` with a database session in one of the database's own threads, committing if it succeeds,
    so the event loop never waits on the database."""

    def in_thread() -> T:
        with sessions() as session:
            result = work(session)
            session.commit()
            return result

    engine: Engine = sessions.kw["bind"]  # session_factory binds every maker to its one engine
    return await asyncio.get_running_loop().run_in_executor(_threads_for(engine), in_thread)


_THREADS: weakref.WeakKeyDictionary[Engine, ThreadPoolExecutor] = weakref.WeakKeyDictionary()
_THREADS_LOCK = threading.Lock()


def _threads_for(engine: Engine) -> ThreadPoolExecutor:
    """The threads that do this database's work. SQLite lets one writer in at a time and makes the others
    sleep and try again, so its work queues here for a single thread instead; PostgreSQL gets one thread
    for each pooled connection."""
    with _THREADS_LOCK:
        threads = _THREADS.get(engine)
        if threads is None:
            size = 1 if engine.dialect.name == "sqlite" else max(1, getattr(engine.pool, "size", lambda: 5)())
            threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="database")
            _THREADS[engine] = threads
            event.listen(engine, "engine_disposed", _stop_threads)
        return threads


def _stop_threads(engine: Engine) -> None:
    """Disposing of an engine lets its threads go, once their work is done (used again, it gets new ones)."""
    with _THREADS_LOCK:
        threads = _THREADS.pop(engine, None)
    if threads is not None:
        threads.shutdown(wait=False)


@contextlib.contextmanager
def scratch_postgres(server_url: str, prefix: str, *, template: str | None = None) -> Iterator[str]:
    """A migrated PostgreSQL database of its own on the server at `server_url`, named `prefix` and a random
    suffix, dropped afterwards (for tests and benchmarks); with `template`, a copy of that database instead."""
    base = make_url(server_url)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"' + (_copying(connection, template) if template else "")))
    except SQLAlchemyError:
        admin.dispose()
        raise
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        if template is None:
            migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _copying(connection: Connection, template: str) -> str:
    """How CREATE DATABASE copies `template`: file by file where the server can (PostgreSQL 15 and later), which
    leaves no copy of it in the write-ahead log for a later checkpoint to write out while something is timed."""
    version = int(connection.execute(text("SHOW server_version_num")).scalar_one())
    return f' TEMPLATE "{template}"' + (" STRATEGY FILE_COPY" if version >= 150000 else "")


def migrate(url: str) -> None:
    """Create or update every table to the newest migration; does nothing when already there."""
    engine = create_engine_for(url)
    try:
        with engine.begin() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def is_reachable(engine: Engine) -> bool:
    """Whether the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False
