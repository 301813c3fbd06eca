"""Small repositories: the only code that builds queries. Each takes an open SQLAlchemy session;
the caller commits. Rows go in and out as domain dataclasses."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TypeVar, cast

from psycopg.errors import UniqueViolation
from sqlalchemy import Row, Table, and_, bindparam, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from bot.domain import (
    Action,
    ActionStatus,
    AgreementVersion,
    AuditEntry,
    ConversationReference,
    JournalEntry,
    Nudge,
    Outcome,
    Party,
    PlannedSession,
    Record,
    RecordStatus,
    Relationship,
    SessionStatus,
    UrgentRequestDetail,
)
from bot.rules.facts import Case, Staff
from bot.storage.db import on_postgresql
from bot.storage.models import (
    ActionRow,
    AgreementRow,
    AuditRow,
    CaseRow,
    JournalEntryRow,
    NudgeRow,
    RecordRow,
    RelationshipRow,
    SessionCaseRow,
    SessionRow,
    StaffRow,
    UrgentRequestRow,
    UTCDateTime,
)


class NotFound(LookupError):
    """The record asked for does not exist."""


RowT = TypeVar("RowT")


def _get(session: Session, model: type[RowT], key: Any) -> RowT:
    row = session.get(model, key)
    if row is None:
        raise NotFound(f"no {model.__name__.removesuffix('Row').lower()} with id {key!r}")
    return row


def _sign(row: AgreementRow | RecordRow, party: Party, now: datetime) -> None:
    """Record one party's signature on an agreement or a record."""
    if party is Party.SUPERVISEE:
        row.supervisee_signed_at = now
    else:
        row.supervisor_signed_at = now


# ---------------------------------------------------------------------------------------------
# Staff and who supervises them


class StaffRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, staff_id: str) -> StaffRow | None:
        return self.session.get(StaffRow, staff_id)

    def load(self, staff_ids: Collection[str]) -> list[StaffRow]:
        """Read these people in a query or two: while the caller holds what this returns, `get`, `name_of` and
        `line_manager_of` find them in the session without another (it keeps only rows someone holds)."""
        ids = sorted(set(staff_ids))
        rows: list[StaffRow] = []
        for start in range(0, len(ids), CHUNK):
            rows += self.session.scalars(select(StaffRow).where(StaffRow.id.in_(ids[start : start + CHUNK])))
        return rows

    def names_of(self, staff_ids: Sequence[str]) -> dict[str, str]:
        """The names of these people, by id (anyone not in the store left out)."""
        if not staff_ids:
            return {}
        rows = self.session.execute(select(StaffRow.id, StaffRow.name).where(StaffRow.id.in_(list(staff_ids))))
        return {staff_id: name for staff_id, name in rows}

    def get_by_teams_id(self, aad_object_id: str) -> StaffRow | None:
        return self.session.scalar(select(StaffRow).where(StaffRow.aad_object_id == aad_object_id))

    def list_ids(self) -> list[str]:
        return list(self.session.scalars(select(StaffRow.id).order_by(StaffRow.id)))

    def roles(self) -> list[tuple[str, str, str]]:
        """Everyone's ID, name and role, in order of ID."""
        query = select(StaffRow.id, StaffRow.name, StaffRow.role).order_by(StaffRow.id)
        return [(id, name, role) for id, name, role in self.session.execute(query)]

    def add(self, person: Staff, *, local_date: Any) -> StaffRow:
        """Add someone new; `local_date` turns a moment into its local date."""
        row = StaffRow(id=person.id)
        self.session.add(row)
        self._fill(row, person, local_date)
        return row

    def save(self, person: Staff, *, local_date: Any) -> bool:
        """Add or update someone's details (not their supervisor); True if anything changed."""
        row = self.get(person.id)
        if row is None:
            self.add(person, local_date=local_date)
            return True
        before = _staff_fields(row)
        self._fill(row, person, local_date)
        return _staff_fields(row) != before

    @staticmethod
    def _fill(row: StaffRow, person: Staff, local_date: Any) -> None:
        row.name = person.name
        row.role = person.role.value
        row.employment = person.employment.value
        row.hours = person.hours.value
        row.nqsw = person.nqsw
        row.start_date = local_date(person.start_date)
        row.team = person.team

    def set_line_manager(self, staff_id: str, line_manager: str | None) -> bool:
        row = _get(self.session, StaffRow, staff_id)
        changed = row.line_manager_id != line_manager
        row.line_manager_id = line_manager
        return changed

    def link_teams_identity(self, staff_id: str, aad_object_id: str) -> None:
        _get(self.session, StaffRow, staff_id).aad_object_id = aad_object_id

    def save_conversation(self, staff_id: str, reference: ConversationReference, now: datetime) -> None:
        """Keep where to reach this person; written only when it changed (or they had been unreachable)."""
        row = _get(self.session, StaffRow, staff_id)
        if (row.service_url, row.tenant_id, row.conversation_id) == (
            reference.service_url,
            reference.tenant_id,
            reference.conversation_id,
        ) and row.unreachable_since is None:
            return
        row.service_url = reference.service_url
        row.tenant_id = reference.tenant_id
        row.conversation_id = reference.conversation_id
        row.conversation_updated_at = now
        row.unreachable_since = None

    def get_conversation(self, staff_id: str) -> ConversationReference | None:
        row = _get(self.session, StaffRow, staff_id)
        if row.service_url is None or row.conversation_id is None:
            return None
        return ConversationReference(row.service_url, row.tenant_id, row.conversation_id)

    def mark_unreachable(self, staff_id: str, now: datetime) -> None:
        _get(self.session, StaffRow, staff_id).unreachable_since = now

    # -- supervisory relationships ----------------------------------------------------------

    def name_of(self, staff_id: str | None, *, unknown: str | None = None) -> str:
        """The person's name; for someone not in the store, `unknown` if given, else the id itself."""
        row = self.get(staff_id) if staff_id else None
        if row is not None:
            return row.name
        return unknown if unknown is not None else staff_id or ""

    def line_manager_of(self, staff_id: str | None) -> str | None:
        row = self.get(staff_id) if staff_id else None
        return row.line_manager_id if row else None

    def in_roles(self, roles: Sequence[str]) -> list[tuple[str, str]]:
        """(id, name) of everyone in these roles, by name."""
        query = select(StaffRow.id, StaffRow.name).where(StaffRow.role.in_(list(roles))).order_by(StaffRow.name)
        return [(staff_id, name) for staff_id, name in self.session.execute(query)]

    def unreachable_ids(self) -> set[str]:
        """People Teams said the companion can no longer reach (they removed it, or never added it)."""
        return set(self.session.scalars(select(StaffRow.id).where(StaffRow.unreachable_since.is_not(None))))

    def current_supervisor(self, supervisee: str) -> Relationship | None:
        row = self._open_relationship(supervisee)
        return _relationship(row) if row else None

    def set_supervisor(self, supervisee: str, supervisor: str | None, since: date) -> bool:
        """Make `supervisor` the supervisor from `since`, closing the old relationship; True if changed."""
        current = self._open_relationship(supervisee)
        if current is not None and current.supervisor_id == supervisor:
            if current.started_on == since:
                return False
            current.started_on = since
            return True
        if current is not None:
            current.ended_on = since
        if supervisor is not None:
            self.session.add(RelationshipRow(supervisee_id=supervisee, supervisor_id=supervisor, started_on=since))
        return current is not None or supervisor is not None

    def add_cover(self, supervisee: str, supervisor: str, since: date, until: date) -> None:
        self.session.add(
            RelationshipRow(
                supervisee_id=supervisee, supervisor_id=supervisor, started_on=since, is_cover=True, cover_until=until
            )
        )

    def supervisees_of(self, supervisor: str) -> list[str]:
        """Everyone this person currently supervises (not as cover)."""
        return list(
            self.session.scalars(
                select(RelationshipRow.supervisee_id)
                .where(
                    RelationshipRow.supervisor_id == supervisor,
                    RelationshipRow.ended_on.is_(None),
                    RelationshipRow.is_cover.is_(False),
                )
                .order_by(RelationshipRow.supervisee_id)
            )
        )

    def supervisees_named(self, supervisor: str) -> dict[str, str]:
        """Everyone this person currently supervises (not as cover), with their names, in id order."""
        rows = self.session.execute(_SUPERVISEES_NAMED, {"supervisor": supervisor})
        return {row.id: row.name for row in rows}

    def handlers_on(self, supervisees: Collection[str], day: date) -> dict[str, str | None]:
        """For each person, who takes what needs their supervisor on `day`: the cover supervisor while one is set,
        else the supervisor, else the line manager (None if they have none of these)."""
        ids = sorted(set(supervisees))
        found: dict[str, str | None] = {}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            people = select(StaffRow.id, StaffRow.line_manager_id).where(StaffRow.id.in_(chunk))
            found.update({staff_id: manager for staff_id, manager in self.session.execute(people)})
            mine = RelationshipRow.supervisee_id.in_(chunk)
            current = and_(mine, RelationshipRow.ended_on.is_(None), RelationshipRow.is_cover.is_(False))
            covering = and_(
                mine,
                RelationshipRow.is_cover.is_(True),
                RelationshipRow.started_on <= day,
                RelationshipRow.cover_until >= day,
            )
            # the supervisor over the line manager, and the latest cover begun over both
            for supervisee, supervisor, _ in self.session.execute(
                select(RelationshipRow.supervisee_id, RelationshipRow.supervisor_id, RelationshipRow.is_cover)
                .where(or_(current, covering))
                .order_by(RelationshipRow.is_cover, RelationshipRow.started_on, RelationshipRow.id)
            ):
                found[supervisee] = supervisor
        return {supervisee: found.get(supervisee) for supervisee in supervisees}

    def cover_on(self, supervisee: str, day: date) -> Relationship | None:
        """Who covers for the supervisor on `day`, if anyone."""
        row = self.session.scalar(
            select(RelationshipRow)
            .where(
                RelationshipRow.supervisee_id == supervisee,
                RelationshipRow.is_cover.is_(True),
                RelationshipRow.started_on <= day,
                RelationshipRow.cover_until >= day,
            )
            .order_by(RelationshipRow.started_on.desc())
        )
        return _relationship(row) if row else None

    def history(self, supervisee: str) -> list[Relationship]:
        rows = self.session.scalars(
            select(RelationshipRow)
            .where(RelationshipRow.supervisee_id == supervisee)
            .order_by(RelationshipRow.started_on, RelationshipRow.id)
        )
        return [_relationship(row) for row in rows]

    def _open_relationship(self, supervisee: str) -> RelationshipRow | None:
        return self.session.scalar(
            select(RelationshipRow).where(
                RelationshipRow.supervisee_id == supervisee,
                RelationshipRow.ended_on.is_(None),
                RelationshipRow.is_cover.is_(False),
            )
        )


def _staff_fields(row: StaffRow) -> tuple[Any, ...]:
    return (row.name, row.role, row.employment, row.hours, row.nqsw, row.start_date, row.team)


def _relationship(row: RelationshipRow) -> Relationship:
    return Relationship(
        row.supervisee_id, row.supervisor_id, row.started_on, row.ended_on, row.is_cover, row.cover_until
    )


# ---------------------------------------------------------------------------------------------
# Agreements


class AgreementRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_version(self, supervisee: str, supervisor: str, content: dict[str, Any], now: datetime) -> AgreementVersion:
        """Start a new version (the history is kept); unsigned until both sign."""
        latest = self.session.scalar(
            select(func.max(AgreementRow.version)).where(
                AgreementRow.supervisee_id == supervisee, AgreementRow.supervisor_id == supervisor
            )
        )
        row = AgreementRow(
            supervisee_id=supervisee,
            supervisor_id=supervisor,
            version=(latest or 0) + 1,
            content=content,
            created_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return _agreement(row)

    def sign(self, agreement_id: int, party: Party, now: datetime) -> AgreementVersion:
        row = _get(self.session, AgreementRow, agreement_id)
        _sign(row, party, now)
        return _agreement(row)

    def versions(self, supervisee: str, supervisor: str) -> list[AgreementVersion]:
        rows = self.session.scalars(
            select(AgreementRow)
            .where(AgreementRow.supervisee_id == supervisee, AgreementRow.supervisor_id == supervisor)
            .order_by(AgreementRow.version)
        )
        return [_agreement(row) for row in rows]

    def get(self, agreement_id: int) -> AgreementVersion | None:
        row = self.session.get(AgreementRow, agreement_id)
        return _agreement(row) if row else None

    def awaiting_signature(self, staff_id: str) -> list[AgreementVersion]:
        """The newest version of each agreement this person is party to, where they have not signed it."""
        rows = self.session.scalars(
            select(AgreementRow)
            .where(or_(AgreementRow.supervisee_id == staff_id, AgreementRow.supervisor_id == staff_id))
            .order_by(AgreementRow.supervisee_id, AgreementRow.supervisor_id, AgreementRow.version)
        )
        newest: dict[tuple[str, str], AgreementRow] = {}
        for row in rows:
            newest[(row.supervisee_id, row.supervisor_id)] = row
        return [
            _agreement(row)
            for row in newest.values()
            if (row.supervisee_id == staff_id and row.supervisee_signed_at is None)
            or (row.supervisor_id == staff_id and row.supervisor_signed_at is None)
        ]

    def latest_signed(self, supervisee: str, supervisor: str) -> AgreementVersion | None:
        signed = [v for v in self.versions(supervisee, supervisor) if v.signed_at is not None]
        return max(signed, key=lambda v: v.signed_at or v.created_at, default=None)


def _agreement(row: AgreementRow) -> AgreementVersion:
    return AgreementVersion(
        row.id,
        row.supervisee_id,
        row.supervisor_id,
        row.version,
        dict(row.content),
        row.created_at,
        row.supervisee_signed_at,
        row.supervisor_signed_at,
    )


# ---------------------------------------------------------------------------------------------
# Cases and the actions carried forward on them


class CaseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self, case: Case, allocated_on: date) -> bool:
        """Add or update a case (known only by its ID); True if anything changed."""
        row = self.session.get(CaseRow, case.id)
        values = (case.worker, case.category.value, allocated_on, case.risk.value if case.risk else None, case.age)
        if row is not None and (row.worker_id, row.category, row.allocated_on, row.risk, row.age) == values:
            return False
        if row is None:
            row = CaseRow(id=case.id)
            self.session.add(row)
        row.worker_id, row.category, row.allocated_on, row.risk, row.age = values
        row.closed_on = None
        return True

    def get(self, case_id: str) -> CaseRow | None:
        return self.session.get(CaseRow, case_id)

    def open_for_workers(self, workers: Sequence[str]) -> list[str]:
        """The open cases allocated to any of these workers, by case ID."""
        return list(self.session.execute(_OPEN_CASES_OF, {"workers": list(workers)}).scalars())

    def open_for_worker(self, worker: str) -> list[str]:
        return list(
            self.session.scalars(
                select(CaseRow.id).where(CaseRow.worker_id == worker, CaseRow.closed_on.is_(None)).order_by(CaseRow.id)
            )
        )

    def close(self, case_id: str, on: date) -> None:
        _get(self.session, CaseRow, case_id).closed_on = on


class ActionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, case_id: str, text: str, owner: str, due_on: date | None, raised_in: int | None = None) -> Action:
        row = ActionRow(
            case_id=case_id,
            text=text,
            owner=owner,
            due_on=due_on,
            status=ActionStatus.OPEN.value,
            raised_in_record_id=raised_in,
        )
        self.session.add(row)
        self.session.flush()
        return _action(row)

    def open_for_case(self, case_id: str) -> list[Action]:
        """The actions still open for a child, to bring forward to the next discussion."""
        return [_action(row) for row in self.session.execute(_OPEN_ACTIONS_OF, {"case": case_id})]

    def close(self, action_id: int, status: ActionStatus, reason: str | None, record_id: int | None) -> Action:
        row = _get(self.session, ActionRow, action_id)
        row.status, row.reason, row.closed_in_record_id = status.value, reason, record_id
        return _action(row)


def _action(row: ActionRow | Row[Any]) -> Action:
    return Action(
        row.id,
        row.case_id,
        row.text,
        row.owner,
        row.due_on,
        ActionStatus(row.status),
        row.reason,
        row.raised_in_record_id,
        row.closed_in_record_id,
    )


# ---------------------------------------------------------------------------------------------
# Sessions: planned, held, cancelled and rebooked


class SessionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def plan(
        self,
        session_id: str,
        supervisee: str | None,
        supervisor: str | None,
        kind: str,
        planned_for: datetime,
        *,
        team: str | None = None,
        rebooked_from: str | None = None,
    ) -> PlannedSession:
        row = SessionRow(
            id=session_id,
            supervisee_id=supervisee,
            supervisor_id=supervisor,
            kind=kind,
            status=SessionStatus.PLANNED.value,
            planned_for=planned_for,
            team=team,
            rebooked_from_id=rebooked_from,
        )
        self.session.add(row)
        self.session.flush()
        return self.get(session_id)

    def hold(self, session_id: str, held_at: datetime, cases: Sequence[str] = ()) -> PlannedSession:
        row = _get(self.session, SessionRow, session_id)
        row.status, row.held_at = SessionStatus.HELD.value, held_at
        self.set_cases(session_id, cases)
        return self.get(session_id)

    def cancel(self, session_id: str) -> PlannedSession:
        _get(self.session, SessionRow, session_id).status = SessionStatus.CANCELLED.value
        return self.get(session_id)

    def rebook(self, session_id: str, new_id: str, planned_for: datetime) -> PlannedSession:
        """Cancel a session and plan its replacement at once, remembering which it replaces."""
        old = self.cancel(session_id)
        return self.plan(
            new_id, old.supervisee, old.supervisor, old.kind, planned_for, team=old.team, rebooked_from=session_id
        )

    def reassign(self, session_id: str, supervisee: str | None, supervisor: str | None) -> None:
        """Correct who a session was between."""
        row = _get(self.session, SessionRow, session_id)
        row.supervisee_id, row.supervisor_id = supervisee, supervisor

    def mark_recorded(self, session_id: str, at: datetime | None) -> None:
        """Stamp when the session was recorded (None: its record must be put on file again)."""
        _get(self.session, SessionRow, session_id).recorded_at = at

    def mark_signed_off(self, session_id: str, at: datetime) -> None:
        _get(self.session, SessionRow, session_id).signed_off_at = at

    def set_cases(self, session_id: str, cases: Sequence[str]) -> bool:
        current = set(
            self.session.scalars(select(SessionCaseRow.case_id).where(SessionCaseRow.session_id == session_id))
        )
        wanted = set(cases)
        for case_id in current - wanted:
            self.session.delete(self.session.get(SessionCaseRow, (session_id, case_id)))
        self.session.add_all(SessionCaseRow(session_id=session_id, case_id=case_id) for case_id in wanted - current)
        return current != wanted

    def get(self, session_id: str) -> PlannedSession:
        row = _get(self.session, SessionRow, session_id)
        cases = self.session.scalars(
            select(SessionCaseRow.case_id)
            .where(SessionCaseRow.session_id == session_id)
            .order_by(SessionCaseRow.case_id)
        )
        return PlannedSession(
            row.id,
            row.supervisee_id,
            row.supervisor_id,
            row.kind,
            SessionStatus(row.status),
            row.planned_for,
            row.held_at,
            row.rebooked_from_id,
            row.team,
            row.recorded_at,
            row.signed_off_at,
            tuple(cases),
        )


# ---------------------------------------------------------------------------------------------
# Records (versions of form answers) and journal entries


class RecordRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def save_draft(
        self,
        form: str,
        author: str,
        answers: dict[str, Any],
        now: datetime,
        *,
        thread: str | None = None,
        session_id: str | None = None,
        latest: Record | None = None,
    ) -> Record:
        """Keep what was typed: update the thread's open draft, or start a new version after a final one.
        `latest`: the thread's newest version, when the caller has just read it."""
        if latest is None or latest.thread != thread:
            latest = self.latest(thread) if thread else None
        if latest is not None and latest.status is RecordStatus.DRAFT:
            self.session.execute(_KEEP_TYPED, {"record": latest.id, "typed": answers, "touched": now})
            loaded = self.session.identity_map.get(identity_key(RecordRow, latest.id))
            if loaded is not None:  # the same row loaded earlier in this session shows the change too
                set_committed_value(loaded, "answers", answers)
                set_committed_value(loaded, "updated_at", now)
            return replace(latest, answers=dict(answers), updated_at=now)
        row = RecordRow(
            thread=thread or uuid.uuid4().hex,
            version=(latest.version + 1) if latest else 1,
            form=form,
            author_id=author,
            session_id=session_id if session_id else (latest.session_id if latest else None),
            status=RecordStatus.DRAFT.value,
            answers=answers,
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return _record(row)

    def attach_session(self, record_id: int, session_id: str) -> Record:
        row = _get(self.session, RecordRow, record_id)
        row.session_id = session_id
        return _record(row)

    def finalise(self, record_id: int, now: datetime) -> Record:
        row = _get(self.session, RecordRow, record_id)
        row.status, row.updated_at = RecordStatus.FINAL.value, now
        return _record(row)

    def sign(self, record_id: int, party: Party, now: datetime) -> Record:
        row = _get(self.session, RecordRow, record_id)
        _sign(row, party, now)
        return _record(row)

    def latest(self, thread: str) -> Record | None:
        row = self.session.execute(_NEWEST_VERSION, {"wanted": thread}).first()
        return _record(row) if row else None

    def awaiting_signature(self, staff_id: str) -> list[tuple[Record, str]]:
        """Finished records of sessions this person took part in that they have not signed, oldest first."""
        as_supervisee = and_(SessionRow.supervisee_id == staff_id, RecordRow.supervisee_signed_at.is_(None))
        as_supervisor = and_(SessionRow.supervisor_id == staff_id, RecordRow.supervisor_signed_at.is_(None))
        query = (
            select(RecordRow, SessionRow.id)
            .join(SessionRow, RecordRow.session_id == SessionRow.id)
            .where(RecordRow.status == RecordStatus.FINAL.value, or_(as_supervisee, as_supervisor))
            .order_by(RecordRow.updated_at, RecordRow.id)
        )
        found = [(_record(row), session_id) for row, session_id in self.session.execute(query)]
        threads = {record.thread for record, _ in found}
        newest: dict[str, int] = {}
        if threads:
            latest_versions = (
                select(RecordRow.thread, func.max(RecordRow.version))
                .where(RecordRow.thread.in_(threads))
                .group_by(RecordRow.thread)
            )
            newest = {thread: version for thread, version in self.session.execute(latest_versions)}
        return [(record, session_id) for record, session_id in found if newest.get(record.thread) == record.version]

    def for_session(self, session_id: str) -> Record | None:
        """The newest record attached to a session."""
        row = self.session.scalar(
            select(RecordRow).where(RecordRow.session_id == session_id).order_by(RecordRow.id.desc())
        )
        return _record(row) if row else None

    def history(self, thread: str) -> list[Record]:
        rows = self.session.scalars(select(RecordRow).where(RecordRow.thread == thread).order_by(RecordRow.version))
        return [_record(row) for row in rows]

    def drafts_by(self, author: str) -> list[Record]:
        rows = self.session.scalars(
            select(RecordRow)
            .where(RecordRow.author_id == author, RecordRow.status == RecordStatus.DRAFT.value)
            .order_by(RecordRow.updated_at.desc())
        )
        return [_record(row) for row in rows]


def _record(row: RecordRow | Row[Any]) -> Record:
    return Record(
        row.id,
        row.thread,
        row.version,
        row.form,
        row.author_id,
        RecordStatus(row.status),
        dict(row.answers),
        row.created_at,
        row.updated_at,
        row.session_id,
        row.supervisee_signed_at,
        row.supervisor_signed_at,
    )


class JournalRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, author: str, answers: dict[str, Any], now: datetime) -> JournalEntry:
        row = JournalEntryRow(author_id=author, answers=answers, created_at=now, updated_at=now)
        self.session.add(row)
        self.session.flush()
        return _journal(row)

    def update(self, entry_id: int, answers: dict[str, Any], now: datetime) -> JournalEntry:
        row = _get(self.session, JournalEntryRow, entry_id)
        row.answers, row.updated_at = answers, now
        return _journal(row)

    def share(self, entry_id: int, record_id: int, now: datetime) -> JournalEntry:
        row = _get(self.session, JournalEntryRow, entry_id)
        row.shared_at, row.record_id = now, record_id
        return _journal(row)

    def get_for(self, entry_id: int, viewer: str, supervisees: Sequence[str] = ()) -> JournalEntry | None:
        """An entry if `viewer` may read it: its author always; their supervisor only once shared."""
        row = self.session.get(JournalEntryRow, entry_id)
        if row is None:
            return None
        if row.author_id == viewer or (row.shared_at is not None and row.author_id in supervisees):
            return _journal(row)
        return None

    def get(self, entry_id: int) -> JournalEntry | None:
        row = self.session.get(JournalEntryRow, entry_id)
        return _journal(row) if row else None

    def by_author(self, author: str) -> list[JournalEntry]:
        rows = self.session.scalars(
            select(JournalEntryRow).where(JournalEntryRow.author_id == author).order_by(JournalEntryRow.created_at)
        )
        return [_journal(row) for row in rows]


def _journal(row: JournalEntryRow) -> JournalEntry:
    return JournalEntry(
        row.id, row.author_id, dict(row.answers), row.created_at, row.updated_at, row.shared_at, row.record_id
    )


# ---------------------------------------------------------------------------------------------
# Urgent requests


class UrgentRequestRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self, request: UrgentRequestDetail) -> bool:
        """Add or update a request; True if anything changed."""
        row = self.session.get(UrgentRequestRow, request.id)
        values = {
            "requester_id": request.requester,
            "requested_at": request.requested_at,
            "about": request.about,
            "case_id": request.case_id,
            "free_at": request.free_at,
            "acknowledged_at": request.acknowledged_at,
            "acknowledged_by": request.acknowledged_by,
            "closed_at": request.closed_at,
            "session_id": request.session_id,
            "handler_id": request.handler,
            "arranged_for": request.arranged_for,
        }
        if row is None:
            self.session.add(UrgentRequestRow(id=request.id, **values))
            return True
        changed = any(getattr(row, key) != value for key, value in values.items())
        for key, value in values.items():
            setattr(row, key, value)
        return changed

    def get(self, request_id: str) -> UrgentRequestDetail | None:
        row = self.session.get(UrgentRequestRow, request_id)
        return _urgent(row) if row else None

    def acknowledge(
        self, request_id: str, by: str, now: datetime, arranged_for: datetime | None = None
    ) -> UrgentRequestDetail:
        """Someone has answered the request, saying when they can meet; they have it from now on."""
        row = _get(self.session, UrgentRequestRow, request_id)
        row.acknowledged_at, row.acknowledged_by = now, by
        row.handler_id, row.arranged_for = by, arranged_for
        return _urgent(row)

    def pass_to(self, request_id: str, to: str) -> UrgentRequestDetail:
        """Hand the request to someone else, who must answer it afresh."""
        row = _get(self.session, UrgentRequestRow, request_id)
        row.handler_id, row.acknowledged_at, row.acknowledged_by, row.arranged_for = to, None, None, None
        return _urgent(row)

    def still_open(self) -> list[UrgentRequestDetail]:
        """Requests not yet closed, oldest first."""
        query = select(UrgentRequestRow).where(UrgentRequestRow.closed_at.is_(None))
        return [_urgent(row) for row in self.session.scalars(query.order_by(UrgentRequestRow.requested_at))]

    def close(self, request_id: str, session_id: str | None, now: datetime) -> UrgentRequestDetail:
        row = _get(self.session, UrgentRequestRow, request_id)
        row.closed_at, row.session_id = now, session_id
        return _urgent(row)


def _urgent(row: UrgentRequestRow) -> UrgentRequestDetail:
    return UrgentRequestDetail(
        row.id,
        row.requester_id,
        row.requested_at,
        row.about,
        row.case_id,
        row.free_at,
        row.acknowledged_at,
        row.acknowledged_by,
        row.closed_at,
        row.session_id,
        row.handler_id,
        row.arranged_for,
    )


# ---------------------------------------------------------------------------------------------
# The nudge outbox: exactly-once delivery comes from its unique key, not from memory


MAX_ATTEMPTS = 5  # after this many failed tries a reminder is left for the supervisor's digest to surface
CHUNK = 500  # values in one IN (...) list, well inside every database's limit
OutboxKey = tuple[str, str, str, str]  # duty kind, subject, stage, recipient: the outbox's unique key


@dataclass(frozen=True, slots=True)
class Queueing:
    """A nudge to queue: what it is about, for whom, and what its message shows."""

    obligation_kind: str
    subject: str
    stage: str
    recipient: str
    due: datetime
    payload: dict[str, Any]


def _outbox_row(item: Queueing, now: datetime, not_before: datetime | None = None) -> dict[str, Any]:
    return {
        "obligation_kind": item.obligation_kind,
        "subject": item.subject,
        "stage": item.stage,
        "recipient_id": item.recipient,
        "due": item.due,
        "payload": item.payload,
        "created_at": now,
        "attempts": 0,
        "not_before": not_before,
    }


_OUTBOX_COLUMNS = "nudge_outbox (obligation_kind, subject, stage, recipient_id, due, payload, created_at, attempts)"
_ENQUEUE_COLUMNS = "INSERT INTO " + _OUTBOX_COLUMNS
_ENQUEUED = " ON CONFLICT DO NOTHING RETURNING obligation_kind, subject, stage, recipient_id"
_ENQUEUE_JSON = {  # new reminders from a JSON array of rows
    "postgresql": _ENQUEUE_COLUMNS
    + " SELECT kind, subject, stage, recipient, due, payload, :now, 0 FROM json_to_recordset(CAST(:rows AS json))"
    " AS queued(kind text, subject text, stage text, recipient text, due timestamptz, payload json)" + _ENQUEUED,
    "sqlite": _ENQUEUE_COLUMNS
    + " SELECT json_extract(value, '$.kind'), json_extract(value, '$.subject'), json_extract(value, '$.stage'),"
    " json_extract(value, '$.recipient'), json_extract(value, '$.due'), json_extract(value, '$.payload'), :now, 0"
    " FROM json_each(:rows) WHERE true" + _ENQUEUED,  # WHERE: else SQLite reads ON CONFLICT as a join's ON
}


_COPY = f"COPY {_OUTBOX_COLUMNS} FROM STDIN"  # the same columns, in the same order, as the statement fills

# Reminders queued in one statement. On PostgreSQL one statement for 92,000 (a council ten times Birmingham's
# on its first sweep) took 3.1 s where statements of 5,000 took 2.2 s, ten times what 9,000 take.
QUEUE_AT_ONCE = 5_000


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(
        self,
        obligation_kind: str,
        subject: str,
        stage: str,
        recipient: str,
        due: datetime,
        payload: dict[str, Any],
        now: datetime,
        *,
        not_before: datetime | None = None,
    ) -> int | None:
        """Queue a nudge unless the same one is already queued or sent; its id if it was new, else None.

        `not_before` holds it back until then (a reminder someone asked for again tomorrow)."""
        values = _outbox_row(Queueing(obligation_kind, subject, stage, recipient, due, payload), now, not_before)
        statement = self._insert().values(**values).on_conflict_do_nothing().returning(NudgeRow.id)
        new_id = self.session.execute(statement).scalar()
        return int(new_id) if new_id is not None else None

    def enqueue_many(self, items: Iterable[Queueing], now: datetime) -> set[OutboxKey]:
        """Queue each nudge not already queued or sent, QUEUE_AT_ONCE to a statement however many there are; the
        keys of those that were new. (The outbox's unique key keeps out what is there, and RETURNING says which
        went in.) `items` is read a batch at a time, so a caller can build each message only as it is needed; a
        nudge named twice is queued once, as first named."""
        # A JSON document of rows in each statement: thousands of rows as VALUES lists, or as arrays of text, cost
        # the driver more to prepare than the database to insert.
        dialect = self.session.get_bind().dialect
        stored = cast(Table, NudgeRow.__table__).c.due.type.bind_processor(dialect)  # as the column stores it

        def moment(value: datetime) -> str:
            kept = stored(value) if stored else value
            return kept.isoformat() if isinstance(kept, datetime) else str(kept)

        statement = text(_ENQUEUE_JSON[dialect.name]).bindparams(bindparam("now", type_=UTCDateTime()))
        seen: set[OutboxKey] = set()
        new: set[OutboxKey] = set()
        waiting = iter(items)
        while batch := list(itertools.islice(waiting, QUEUE_AT_ONCE)):
            rows, keys = [], []
            for item in batch:
                key = (item.obligation_kind, item.subject, item.stage, item.recipient)
                if key not in seen:
                    seen.add(key)
                    keys.append(key)
                    rows.append(
                        {
                            "kind": item.obligation_kind,
                            "subject": item.subject,
                            "stage": item.stage,
                            "recipient": item.recipient,
                            "due": moment(item.due),
                            "payload": item.payload,
                        }
                    )
            if rows and on_postgresql(self.session) and self._copied(rows, now):
                new.update(keys)
            elif rows:
                inserted = self.session.execute(statement, {"now": now, "rows": json.dumps(rows)})
                new.update(tuple(row) for row in inserted)
        return new

    def _copied(self, rows: list[dict[str, Any]], now: datetime) -> bool:
        """On PostgreSQL, whether the rows went in with COPY; False, with nothing copied, if one of them was queued
        already (by another sweep since the caller looked), for the statement that leaves those out.

        COPY took 0.11 s for a sweep's 9,238 new reminders where the statement took 0.2 to 0.27 s, half of it
        reading the JSON document. It goes through the session's own connection, inside its transaction."""
        try:
            # A savepoint, so a refused COPY leaves the transaction as it was; making one first writes what the
            # session holds unwritten (someone just added, say), which COPY, going past the session, could not see.
            with self.session.begin_nested():
                driver = self.session.connection().connection.driver_connection
                assert driver is not None  # the session's connection is open
                with driver.cursor().copy(_COPY) as copy:
                    for row in rows:
                        values = (row["kind"], row["subject"], row["stage"], row["recipient"], row["due"])
                        copy.write_row((*values, json.dumps(row["payload"]), now, 0))
        except UniqueViolation:
            return False
        return True

    def existing(self, keys: Sequence[OutboxKey]) -> set[OutboxKey]:
        """Which of these nudges are already queued or sent."""
        found: set[OutboxKey] = set()
        stages = sorted({stage for _, _, stage, _ in keys})
        for start in range(0, len(stages), CHUNK):
            query = select(NudgeRow.obligation_kind, NudgeRow.subject, NudgeRow.stage, NudgeRow.recipient_id).where(
                NudgeRow.stage.in_(stages[start : start + CHUNK])
            )
            found |= {
                (kind, subject, stage, recipient) for kind, subject, stage, recipient in self.session.execute(query)
            }
        return found & set(keys)

    def _insert(self) -> Any:
        # Into the table itself, not through the mapped class: thousands of reminders go in as plain rows.
        dialect = postgresql if on_postgresql(self.session) else sqlite
        return dialect.insert(cast(Table, NudgeRow.__table__))

    def claim(
        self,
        worker: str,
        limit: int,
        now: datetime,
        *,
        only: Sequence[int] | None = None,
        skip: Collection[int] = (),
    ) -> list[Nudge]:
        """Take up to `limit` unsent, unclaimed nudges for `worker` (skipping rows another worker holds),
        leaving those held back until later; `only` restricts it to these ids, and `skip` leaves these out."""
        query = (
            select(NudgeRow)
            .where(
                NudgeRow.sent_at.is_(None),
                NudgeRow.claimed_at.is_(None),
                NudgeRow.attempts < MAX_ATTEMPTS,
                or_(NudgeRow.not_before.is_(None), NudgeRow.not_before <= now),
            )
            .order_by(NudgeRow.due, NudgeRow.id)
            .limit(limit)
        )
        if only is not None:
            query = query.where(NudgeRow.id.in_(list(only)))
        if skip:
            query = query.where(NudgeRow.id.not_in(list(skip)))
        if on_postgresql(self.session):
            query = query.with_for_update(skip_locked=True)
        rows = list(self.session.scalars(query))
        for row in rows:
            row.claimed_at, row.claimed_by = now, worker
        self.session.flush()
        return [_nudge(row) for row in rows]

    def release_stale_claims(self, older_than: datetime) -> int:
        """Return claims left by a sender that stopped before sending, so they are sent once after all."""
        result = self.session.execute(
            update(NudgeRow)
            .where(NudgeRow.sent_at.is_(None), NudgeRow.claimed_at < older_than)
            .values(claimed_at=None, claimed_by=None)
        )
        return int(getattr(result, "rowcount", 0))

    def mark_sent(self, nudge_id: int, now: datetime) -> None:
        row = _get(self.session, NudgeRow, nudge_id)
        row.sent_at = now
        row.attempts += 1

    def mark_failed(self, nudge_id: int, error: str, now: datetime, *, give_up: bool = False) -> None:
        """Note a failed attempt and release the claim so it is tried again (or, giving up, never again)."""
        row = _get(self.session, NudgeRow, nudge_id)
        row.attempts = MAX_ATTEMPTS if give_up else row.attempts + 1
        row.last_error = error[:2000]
        row.claimed_at, row.claimed_by = None, None

    def get(self, nudge_id: int) -> Nudge:
        return _nudge(_get(self.session, NudgeRow, nudge_id))

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(NudgeRow)) or 0)


def _nudge(row: NudgeRow) -> Nudge:
    return Nudge(
        row.id,
        row.obligation_kind,
        row.subject,
        row.stage,
        row.recipient_id,
        row.due,
        dict(row.payload),
        row.created_at,
        row.claimed_at,
        row.claimed_by,
        row.sent_at,
        row.attempts,
        row.last_error,
        row.not_before,
    )


# ---------------------------------------------------------------------------------------------
# The audit log


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, entry: AuditEntry) -> None:
        self.session.execute(
            _AUDIT_LINE,
            {
                "at": entry.at,
                "actor": entry.actor,
                "action": entry.action,
                "target_type": entry.target_type,
                "target_id": entry.target_id,
                "outcome": entry.outcome.value,
                "detail": entry.detail,
            },
        )

    def for_target(self, target_type: str, target_id: str) -> list[AuditEntry]:
        rows = self.session.scalars(
            select(AuditRow)
            .where(AuditRow.target_type == target_type, AuditRow.target_id == target_id)
            .order_by(AuditRow.at, AuditRow.id)
        )
        return [
            AuditEntry(r.at, r.actor, r.action, r.target_type, r.target_id, Outcome(r.outcome), dict(r.detail))
            for r in rows
        ]


# ---------------------------------------------------------------------------------------------
# Statements on a form's every step, built once: building a statement anew costs more than running it.

_RECORDS = cast(Table, RecordRow.__table__)
_NEWEST_VERSION = (
    select(_RECORDS).where(_RECORDS.c.thread == bindparam("wanted")).order_by(_RECORDS.c.version.desc()).limit(1)
)
_KEEP_TYPED = (
    update(_RECORDS)
    .where(_RECORDS.c.id == bindparam("record"))
    .values(
        answers=bindparam("typed", type_=_RECORDS.c.answers.type),
        updated_at=bindparam("touched", type_=_RECORDS.c.updated_at.type),
    )
)
_AUDIT_LINE = insert(cast(Table, AuditRow.__table__))
_RELATIONSHIPS, _STAFF = cast(Table, RelationshipRow.__table__), cast(Table, StaffRow.__table__)
_SUPERVISEES_NAMED = (
    select(_STAFF.c.id, _STAFF.c.name)
    .join(_RELATIONSHIPS, _RELATIONSHIPS.c.supervisee_id == _STAFF.c.id)
    .where(
        _RELATIONSHIPS.c.supervisor_id == bindparam("supervisor"),
        _RELATIONSHIPS.c.ended_on.is_(None),
        _RELATIONSHIPS.c.is_cover.is_(False),
    )
    .order_by(_STAFF.c.id)
)
_CASES = cast(Table, CaseRow.__table__)
_OPEN_CASES_OF = (
    select(_CASES.c.id)
    .where(_CASES.c.worker_id.in_(bindparam("workers", expanding=True)), _CASES.c.closed_on.is_(None))
    .order_by(_CASES.c.id)
)
_ACTIONS = cast(Table, ActionRow.__table__)
_OPEN_ACTIONS_OF = (
    select(_ACTIONS)
    .where(_ACTIONS.c.case_id == bindparam("case"), _ACTIONS.c.status == ActionStatus.OPEN.value)
    .order_by(_ACTIONS.c.id)
)
