"""The rules' facts to and from the store: `load_world` for the engine, `import_world` for imports.

`load_world` runs a fixed handful of queries whatever the size of the council, so a sweep over
thousands of staff and cases costs the same number of round trips as one over ten.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import Party, SessionStatus, UrgentRequestDetail
from bot.rules.calendar import Calendar
from bot.rules.facts import Agreement, SessionKind, UrgentRequest, World
from bot.rules.facts import Session as HeldSession
from bot.storage.models import (
    AgreementRow,
    CaseRow,
    RelationshipRow,
    SessionCaseRow,
    SessionRow,
    StaffRow,
    UrgentRequestRow,
)
from bot.storage.repositories import (
    AgreementRepository,
    CaseRepository,
    SessionRepository,
    StaffRepository,
    UrgentRequestRepository,
    case_from_row,
    staff_from_row,
)


@dataclass(slots=True)
class ImportSummary:
    """How many facts of each kind an import added, updated or found unchanged."""

    added: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unchanged: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def count(self, kind: str, *, added: bool = False, changed: bool = False) -> None:
        target = self.added if added else self.updated if changed else self.unchanged
        target[kind] += 1

    def __str__(self) -> str:
        kinds = ["staff", "cases", "sessions", "agreements", "urgent requests"]
        parts = [
            f"{kind}: {self.added[kind]} added, {self.updated[kind]} updated, {self.unchanged[kind]} unchanged"
            for kind in kinds
        ]
        return "; ".join(parts)


def load_world(session: Session, calendar: Calendar | None = None) -> World:
    """Everything the rules engine needs, from the store."""
    cal = calendar or Calendar()
    supervisors = {
        row.supervisee_id: row
        for row in session.scalars(
            select(RelationshipRow).where(RelationshipRow.ended_on.is_(None), RelationshipRow.is_cover.is_(False))
        )
    }
    staff = []
    for row in session.scalars(select(StaffRow).order_by(StaffRow.id)):
        link = supervisors.get(row.id)
        staff.append(
            staff_from_row(
                row,
                link.supervisor_id if link else None,
                cal.midnight(link.started_on) if link else None,
                cal.midnight(row.start_date),
            )
        )
    cases_by_session: dict[str, list[str]] = defaultdict(list)
    for session_id, case_id in session.execute(
        select(SessionCaseRow.session_id, SessionCaseRow.case_id).order_by(SessionCaseRow.case_id)
    ):
        cases_by_session[session_id].append(case_id)
    # Plain rows, not mapped objects: a council's store holds tens of thousands of sessions.
    columns = (
        SessionRow.id,
        SessionRow.supervisee_id,
        SessionRow.supervisor_id,
        SessionRow.kind,
        SessionRow.held_at,
        SessionRow.recorded_at,
        SessionRow.signed_off_at,
        SessionRow.team,
    )
    sessions = tuple(
        HeldSession(
            id=id,
            supervisee=supervisee,
            supervisor=supervisor,
            kind=SessionKind(kind),
            held_at=cal.local(held_at),
            recorded_at=cal.local(recorded_at) if recorded_at else None,
            cases=tuple(cases_by_session.get(id, ())),
            signed_off_at=cal.local(signed_off_at) if signed_off_at else None,
            team=team,
        )
        for id, supervisee, supervisor, kind, held_at, recorded_at, signed_off_at, team in session.execute(
            select(*columns)
            .where(SessionRow.status == SessionStatus.HELD.value, SessionRow.held_at.is_not(None))
            .order_by(SessionRow.held_at, SessionRow.id)
        )
        if held_at is not None
    )
    agreements = tuple(
        Agreement(
            row.supervisee_id, row.supervisor_id, cal.local(max(row.supervisee_signed_at, row.supervisor_signed_at))
        )
        for row in session.scalars(
            select(AgreementRow)
            .where(AgreementRow.supervisee_signed_at.is_not(None), AgreementRow.supervisor_signed_at.is_not(None))
            .order_by(AgreementRow.id)
        )
        if row.supervisee_signed_at is not None and row.supervisor_signed_at is not None
    )
    cases = tuple(
        case_from_row(row, cal.midnight(row.allocated_on))
        for row in session.scalars(select(CaseRow).where(CaseRow.closed_on.is_(None)).order_by(CaseRow.id))
    )
    urgent = tuple(
        UrgentRequest(row.id, row.requester_id, cal.local(row.requested_at))
        for row in session.scalars(select(UrgentRequestRow).order_by(UrgentRequestRow.requested_at))
    )
    return World(staff=tuple(staff), sessions=sessions, agreements=agreements, cases=cases, urgent_requests=urgent)


def import_world(session: Session, world: World, calendar: Calendar | None = None) -> ImportSummary:
    """Add or update the facts of `world` in the store; running it twice changes nothing the second time."""
    cal = calendar or Calendar()

    def local_date(moment: datetime) -> date:
        return cal.local(moment).date()

    summary = ImportSummary()
    people = StaffRepository(session)
    # Two passes: everyone must exist before anyone can point at them as line manager or supervisor.
    outcome: dict[str, tuple[bool, bool]] = {}
    for person in world.staff:
        is_new = people.get(person.id) is None
        outcome[person.id] = (is_new, people.save(person, local_date=local_date))
    session.flush()
    for person in world.staff:
        since = local_date(person.supervisor_since or person.start_date)
        linked = people.set_line_manager(person.id, person.line_manager)
        linked = people.set_supervisor(person.id, person.supervisor, since) or linked
        is_new, changed = outcome[person.id]
        summary.count("staff", added=is_new, changed=changed or linked)
    session.flush()

    case_repository = CaseRepository(session)
    for case in world.cases:
        is_new = case_repository.get(case.id) is None
        summary.count("cases", added=is_new, changed=case_repository.save(case, local_date(case.allocated_on)))
    session.flush()

    sessions = SessionRepository(session)
    for held in world.sessions:
        summary.count("sessions", **_save_session(session, sessions, held))
    agreements = AgreementRepository(session)
    for agreement in world.agreements:
        signed = {v.signed_at for v in agreements.versions(agreement.supervisee, agreement.supervisor)}
        if agreement.signed_at in signed:
            summary.count("agreements")
            continue
        version = agreements.add_version(agreement.supervisee, agreement.supervisor, {}, agreement.signed_at)
        agreements.sign(version.id, Party.SUPERVISEE, agreement.signed_at)
        agreements.sign(version.id, Party.SUPERVISOR, agreement.signed_at)
        summary.count("agreements", added=True)
    requests = UrgentRequestRepository(session)
    for request in world.urgent_requests:
        existing = requests.get(request.id)
        if existing is None:
            requests.save(UrgentRequestDetail(request.id, request.requester, request.requested_at))
            summary.count("urgent requests", added=True)
        else:
            changed = requests.save(replace(existing, requester=request.requester, requested_at=request.requested_at))
            summary.count("urgent requests", changed=changed)
    session.flush()
    return summary


def _save_session(session: Session, sessions: SessionRepository, held: HeldSession) -> dict[str, bool]:
    row = session.get(SessionRow, held.id)
    values = {
        "supervisee_id": held.supervisee,
        "supervisor_id": held.supervisor,
        "kind": held.kind.value,
        "status": SessionStatus.HELD.value,
        "held_at": held.held_at,
        "team": held.team,
        "recorded_at": held.recorded_at,
        "signed_off_at": held.signed_off_at,
    }
    if row is None:
        session.add(SessionRow(id=held.id, **values))
        session.flush()
        sessions.set_cases(held.id, held.cases)
        return {"added": True}
    changed = any(getattr(row, key) != value for key, value in values.items())
    for key, value in values.items():
        setattr(row, key, value)
    changed = sessions.set_cases(held.id, held.cases) or changed
    return {"changed": changed}
