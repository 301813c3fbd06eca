"""Facts into and out of the store (bot/storage/world.py), on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.demo import demo_world
from bot.rules.calendar import Calendar
from bot.rules.facts import (
    Agreement,
    Case,
    CaseCategory,
    Employment,
    Hours,
    Role,
    SessionKind,
    Staff,
    UrgentRequest,
    World,
)
from bot.rules.facts import Session as HeldSession
from bot.storage.db import create_engine_for, session_factory
from bot.storage.repositories import StaffRepository
from bot.storage.world import import_world, load_world

TODAY = date(2026, 11, 25)
CALENDAR = Calendar()


def canonical(world: World) -> tuple[Any, ...]:
    return tuple(tuple(sorted(items, key=repr)) for items in (world.staff, world.sessions, world.agreements,
                                                               world.cases, world.urgent_requests))  # fmt: skip


def day(offset: int) -> datetime:
    return CALENDAR.midnight(TODAY + timedelta(days=offset))


def at(offset: int, hour: int) -> datetime:
    return CALENDAR.local(datetime.combine(TODAY + timedelta(days=offset), time(hour), tzinfo=CALENDAR.zone))


def later_world() -> World:
    """The demo team a month on: someone new who manages and supervises people already on file, changed
    details, a new case, new and corrected sessions, a renewed agreement and a new urgent request."""
    demo = demo_world(TODAY)
    newcomer = Staff("s3", "Ola Bello", Role.SUPERVISOR, Employment.PERMANENT, Hours.FULL_TIME, False, day(-10),
                     "m1", day(-10), "m1", "east")  # fmt: skip
    trainee = Staff("p6", "Kit Young", Role.PRACTITIONER, Employment.AGENCY, Hours.FULL_TIME, True, day(-5),
                    "s3", day(-5), None, "east")  # fmt: skip
    staff = [
        replace(person, name="Priya Shah-Khan") if person.id == "p1"
        else replace(person, supervisor="s3", supervisor_since=day(-3), line_manager="s3") if person.id == "p5"
        else person
        for person in demo.staff
    ]  # fmt: skip
    cases = [replace(case, category=CaseCategory.CHILD_IN_NEED) if case.id == "C-1009" else case for case in demo.cases]
    sessions = [
        replace(session, recorded_at=at(-4, 9)) if session.id == "S-02" else session for session in demo.sessions
    ]
    return World(
        staff=(*staff, newcomer, trainee),
        cases=(*cases, Case("C-2001", "p6", CaseCategory.ASSESSMENT, day(-4))),
        sessions=(
            *sessions,
            HeldSession("S-20", "p6", "s3", SessionKind.PERSONAL, at(-2, 10), None, ("C-1001", "C-2001")),
        ),
        agreements=(*demo.agreements, Agreement("p1", "s1", at(-15, 11)), Agreement("p6", "s3", at(-4, 11))),
        urgent_requests=(*demo.urgent_requests, UrgentRequest("U-2", "p6", at(-1, 9))),
    )


def facts_in(world: World) -> dict[str, int]:
    """How many of each kind of fact the world holds, named as an import summary names them."""
    return {
        "staff": len(world.staff),
        "cases": len(world.cases),
        "sessions": len(world.sessions),
        "agreements": len(world.agreements),
        "urgent requests": len(world.urgent_requests),
    }


def test_importing_into_an_empty_store_adds_every_fact_and_reads_back_the_same(db: Session) -> None:
    summary = import_world(db, demo_world(TODAY))
    db.commit()
    world = demo_world(TODAY)
    assert dict(summary.added) == facts_in(world)
    assert sum(summary.updated.values()) == sum(summary.unchanged.values()) == 0
    assert canonical(load_world(db)) == canonical(world)


def test_postgresql_has_statistics_for_what_was_imported_before_it_plans_the_first_sweep(postgres_url: str) -> None:
    engine = create_engine_for(postgres_url)
    with session_factory(engine)() as session:
        import_world(session, demo_world(TODAY))
        session.commit()
        counted = dict(
            session.execute(
                text("SELECT relname, reltuples FROM pg_class WHERE relname IN ('staff', 'supervision_sessions')")
            ).all()
        )
    engine.dispose()
    world = demo_world(TODAY)  # never analysed, a table's count of rows is -1
    assert counted == {"staff": len(world.staff), "supervision_sessions": len(world.sessions)}


def test_a_later_import_adds_what_is_new_updates_what_changed_and_keeps_the_rest(db: Session) -> None:
    import_world(db, demo_world(TODAY))
    db.commit()
    summary = import_world(db, later_world())
    db.commit()
    assert str(summary) == (
        "staff: 2 added, 2 updated, 6 unchanged; cases: 1 added, 1 updated, 11 unchanged; "
        "sessions: 1 added, 1 updated, 10 unchanged; agreements: 2 added, 0 updated, 6 unchanged; "
        "urgent requests: 1 added, 0 updated, 1 unchanged"
    )
    assert canonical(load_world(db)) == canonical(later_world())
    history = StaffRepository(db).history("p5")
    assert [(r.supervisor, r.ended_on) for r in history] == [("s2", TODAY - timedelta(days=3)), ("s3", None)]


def test_the_same_facts_imported_twice_in_one_go_are_added_once(db: Session) -> None:
    world = demo_world(TODAY)
    twice = World(
        staff=world.staff + world.staff[-1:],
        cases=world.cases + world.cases[-1:],
        sessions=world.sessions + world.sessions[-1:],
        agreements=world.agreements + world.agreements[-1:],
        urgent_requests=world.urgent_requests + world.urgent_requests,
    )
    summary = import_world(db, twice)
    db.commit()
    assert dict(summary.added) == facts_in(world)
    assert canonical(load_world(db)) == canonical(world)
