"""What the bot does, without the Bot Framework: who someone is, where to reach them, what is due.

Dialogs call this service; it calls the rules and the store. Database work runs in a worker
thread so the web server's event loop never waits on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.domain import AuditEntry, ConversationReference, Outcome
from bot.rules.engine import Obligation, obligations_due
from bot.rules.facts import Role, World
from bot.rules.profile import Profile
from bot.storage.repositories import AuditRepository, StaffRepository
from bot.storage.world import load_world
from bot.wording import duty_name, when

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Person:
    """Someone the bot knows."""

    id: str
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class DueLine:
    """One duty as a person sees it in their list."""

    kind: str
    what: str
    about: str
    who: str
    due: str
    overdue: bool


class NotAllowed(PermissionError):
    """The person may not do this; the message says so politely."""


class Companion:
    """The companion's actions, shared by every conversation."""

    def __init__(self, *, sessions: sessionmaker[Session], profile: Profile, clock: Clock, demo: bool = False) -> None:
        self._sessions = sessions
        self.profile = profile
        self.clock = clock
        self.demo = demo

    async def _run(self, work: Callable[[Session], T]) -> T:
        def in_thread() -> T:
            with self._sessions() as session:
                result = work(session)
                session.commit()
                return result

        return await asyncio.to_thread(in_thread)

    async def identify(self, teams_id: str) -> Person | None:
        """The person with this Teams identity, if they are set up."""

        def find(session: Session) -> Person | None:
            row = StaffRepository(session).get_by_teams_id(teams_id)
            return Person(row.id, row.name, Role(row.role)) if row else None

        return await self._run(find)

    async def remember_conversation(self, person: Person, reference: ConversationReference) -> None:
        """Keep where to reach this person for messages they did not ask for."""
        now = self.clock.now()
        await self._run(lambda session: StaffRepository(session).save_conversation(person.id, reference, now))

    async def demo_people(self) -> list[Person]:
        """One practitioner, one supervisor and one manager to try the demo as."""

        def pick(session: Session) -> list[Person]:
            world = load_world(session, self.profile.calendar)
            chosen: dict[Role, Person] = {}
            for staff in world.staff:
                chosen.setdefault(staff.role, Person(staff.id, staff.name, staff.role))
            return [chosen[role] for role in (Role.PRACTITIONER, Role.SUPERVISOR, Role.MANAGER) if role in chosen]

        return await self._run(pick)

    async def try_as(self, teams_id: str, staff_id: str) -> Person:
        """In demo mode, let this Teams user act as a demo person."""
        allowed = {person.id: person for person in await self.demo_people()} if self.demo else {}
        if staff_id not in allowed:
            now = self.clock.now()
            entry = AuditEntry(
                now, None, "try as", "staff", staff_id[:100], Outcome.REFUSED, {"teams_id": teams_id[:100]}
            )
            await self._run(lambda session: AuditRepository(session).add(entry))
            if not self.demo:
                raise NotAllowed("Trying the companion as someone else is only possible in the demo.")
            raise NotAllowed("That is not one of the demo people.")

        def link(session: Session) -> None:
            people = StaffRepository(session)
            previous = people.get_by_teams_id(teams_id)
            if previous is not None:
                previous.aad_object_id = None
                session.flush()
            current = people.get(staff_id)
            if current is not None and current.aad_object_id and current.aad_object_id != teams_id:
                current.aad_object_id = None
                session.flush()
            people.link_teams_identity(staff_id, teams_id)

        await self._run(link)
        return allowed[staff_id]

    async def due_for(self, person: Person) -> list[DueLine]:
        """What is due for this person and, for a supervisor or manager, for those they oversee, soonest first."""
        now = self.clock.now()

        def read(session: Session) -> tuple[World, list[Obligation]]:
            world = load_world(session, self.profile.calendar)
            AuditRepository(session).add(
                AuditEntry(now, person.id, "list due", "obligations", person.id, Outcome.ALLOWED)
            )
            return world, obligations_due(self.profile, world, now)

        world, found = await self._run(read)
        names = {staff.id: staff.name for staff in world.staff}
        managers = {staff.id: staff.line_manager or staff.supervisor for staff in world.staff}
        mine = [
            o
            for o in found
            if person.id in o.notify
            or (o.overdue and o.supervisor is not None and managers.get(o.supervisor) == person.id)
        ]
        return [_line(o, names, self.profile.calendar.local(o.due)) for o in mine]


def _line(obligation: Obligation, names: dict[str, str], due: datetime) -> DueLine:
    kind = obligation.kind.value
    who = names.get(obligation.supervisee or "", "The team")
    about = f"Case {obligation.subject}" if kind == "case_discussion" else ""
    if kind in {"recording", "sign_off"}:
        about = f"Session {obligation.subject}"
    if kind == "urgent_supervision":
        about = f"Request {obligation.subject}"
    return DueLine(kind, duty_name(kind), about, who, when(due), obligation.overdue)
