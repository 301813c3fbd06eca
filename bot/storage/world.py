"""The rules' facts to and from the store: `load_facts` for the engine, `load_world` and `import_world` for files.

`load_facts` reads only what the engine needs at a moment, in a fixed handful of queries whatever
the size of the council, so a sweep over years of history costs little more than one over a month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    String,
    Table,
    and_,
    any_,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    sql,
    text,
    true,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, aliased

from bot.domain import SessionStatus
from bot.rules.calendar import Calendar
from bot.rules.engine import counting_from, reads
from bot.rules.facts import (
    Agreement,
    Case,
    CaseCategory,
    Employment,
    Hours,
    Risk,
    Role,
    SessionKind,
    Staff,
    UrgentRequest,
    World,
)
from bot.rules.facts import Session as HeldSession
from bot.rules.profile import ObligationKind, Profile
from bot.storage.db import on_postgresql
from bot.storage.models import (
    AgreementRow,
    Base,
    CaseRow,
    RelationshipRow,
    SessionCaseRow,
    SessionRow,
    StaffRow,
    UrgentRequestRow,
    UTCDateTime,
)
from bot.storage.repositories import (
    CHUNK,
    CaseRepository,
    SessionRepository,
    StaffRepository,
    UrgentRequestRepository,
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
    """Every fact the store holds, whatever its date (for exporting, and for checking `load_facts` against)."""
    reader = _Reader(session, calendar or Calendar())
    cases_by_session: dict[str, list[str]] = defaultdict(list)
    for session_id, case_id in session.execute(
        select(SessionCaseRow.session_id, SessionCaseRow.case_id).order_by(SessionCaseRow.case_id)
    ):
        cases_by_session[session_id].append(case_id)
    rows = session.execute(select(*_SESSION_COLUMNS).where(*_HELD).order_by(SessionRow.held_at, SessionRow.id))
    sessions = tuple(reader.session(row, cases_by_session.get(row[0], ())) for row in rows)
    agreements = tuple(
        Agreement(supervisee, supervisor, reader.local(max(supervisee_signed, supervisor_signed)))
        for supervisee, supervisor, supervisee_signed, supervisor_signed in session.execute(
            select(
                AgreementRow.supervisee_id,
                AgreementRow.supervisor_id,
                AgreementRow.supervisee_signed_at,
                AgreementRow.supervisor_signed_at,
            )
            .where(AgreementRow.supervisee_signed_at.is_not(None), AgreementRow.supervisor_signed_at.is_not(None))
            .order_by(AgreementRow.id)
        )
        if supervisee_signed is not None and supervisor_signed is not None
    )
    return World(
        staff=reader.staff(),
        sessions=sessions,
        agreements=agreements,
        cases=reader.cases(),
        urgent_requests=reader.urgent_requests(),
    )


def load_facts(session: Session, profile: Profile, now: datetime) -> World:
    """The facts the rules engine reads at `now` under `profile`, and no more (see `bot.rules.engine.Reads`).

    A council's store holds years of sessions, but the duties due now turn on the latest few of each kind for
    each person, team and case, and on the sessions still to be recorded or signed; `obligations_due` finds the
    same duties from these as from the whole store. A fixed handful of queries, whatever the council's size."""
    need = reads(profile)
    reader = _Reader(session, profile.calendar)
    held = select(*_SESSION_COLUMNS).where(*_HELD, SessionRow.held_at <= now)
    found = _Found()
    staff = reader.staff()
    found.add_all(_plain(session, _latest_of_each_person(session, now, need.depth)))
    teams = held.where(SessionRow.kind == SessionKind.GROUP.value, SessionRow.team.is_not(None)).subquery()
    found.add_all(_plain(session, _newest(teams, (teams.c.team,), need.depth)))
    open_cases = reader.cases()
    _discussions(session, held, now, open_cases, need.case_counts, found)
    _undone(session, held, now, need.open_deadlines, found)
    agreements = _latest_agreements(session, reader, now)
    if need.first_sessions:
        signed = {(a.supervisee, a.supervisor) for a in agreements}
        unsigned = {p.id: p for p in staff if p.supervisor is not None and (p.id, p.supervisor) not in signed}
        found.add_all(_first_sessions(session, held, reader, unsigned))
    # Made in the order the rules read them (held at, then id), so they lie in memory in that order too: made in
    # the order found and read in another, ten times as many took twenty times as long to index.
    rows = sorted(found.rows.values(), key=itemgetter(4, 0))
    sessions = [reader.session(row, sorted(found.cases.get(row[0], ()))) for row in rows]
    return World(
        staff=staff,
        sessions=tuple(sessions),
        agreements=agreements,
        cases=open_cases,
        urgent_requests=reader.urgent_requests(),
    )


@dataclass(slots=True)
class _Found:
    """The sessions `load_facts` keeps, by id, and the open cases each is kept for."""

    rows: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    cases: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, row: tuple[Any, ...], case_id: str | None = None) -> None:
        self.rows.setdefault(row[0], row)
        if case_id is not None:
            self.cases[row[0]].add(case_id)

    def add_all(self, rows: Iterable[tuple[Any, ...]]) -> None:
        for row in rows:
            self.add(row)


def _newest(sessions: Any, partition: Sequence[Any], depth: int, *where: Any, joined: Any = None) -> Any:
    """The newest `depth` of `sessions` (held at, then id) in each partition, with `joined`'s columns if given."""
    rank = func.row_number().over(partition_by=partition, order_by=(sessions.c.held_at.desc(), sessions.c.id.desc()))
    extra = [joined.c.case_id] if joined is not None else []
    source = select(*[sessions.c[c.key] for c in _SESSION_COLUMNS], *extra, rank.label("rank"))
    if joined is not None:
        source = source.join_from(sessions, joined, sessions.c.id == joined.c.session_id)
    ranked = source.where(*where).subquery()
    return select(*[column for column in ranked.c if column.key != "rank"]).where(ranked.c.rank <= depth)


def _latest_of_each_person(session: Session, now: datetime, depth: int) -> Any:
    """The newest `depth` sessions of each kind held by `now` with each person as supervisee (held at, then id).

    Each is found by walking the index on (supervisee, kind, held at, id) back from `now`, a few steps for each
    person and kind however long the history, instead of ranking every session ever held."""
    kinds = union_all(*(select(literal(kind.value).label("kind")) for kind in SessionKind)).subquery("kinds")

    def newest(*columns: Any) -> Any:
        return (
            select(*columns)
            .where(SessionRow.supervisee_id == StaffRow.id, SessionRow.kind == kinds.c.kind, *_HELD)
            .where(SessionRow.held_at <= now)
            .order_by(SessionRow.held_at.desc(), SessionRow.id.desc())
            .limit(depth)
        )

    people_and_kinds = select().select_from(StaffRow).join(kinds, true())
    if on_postgresql(session):
        found = newest(*_SESSION_COLUMNS).lateral("newest")
        return people_and_kinds.add_columns(*found.c).join(found, true())
    # SQLite has no LATERAL; it runs a correlated IN list once for each person and kind, then reads those by id.
    picked = aliased(SessionRow, name="picked")
    columns = [getattr(picked, column.key) for column in _SESSION_COLUMNS]
    return people_and_kinds.add_columns(*columns).join(picked, picked.id.in_(newest(SessionRow.id)))


def _discussions(
    session: Session,
    held: Any,
    now: datetime,
    open_cases: Sequence[Case],
    counted_kinds: Sequence[frozenset[SessionKind]],
    found: _Found,
) -> None:
    """The latest session of each kind to discuss each open case: among recent sessions first; then, for a case
    not discussed lately by a session of some kind in each of `counted_kinds`, over its whole history. Closed
    cases are left out here rather than joined in SQL, so no query plan turns on the database's statistics."""
    open_ids = {case.id for case in open_cases}
    kinds_lately: dict[str, set[str]] = defaultdict(set)
    links = SessionCaseRow.__table__

    def look(sessions: Any, *where: Any) -> None:
        partition = (links.c.case_id, sessions.c.kind)
        for *row, case_id in _plain(session, _newest(sessions, partition, 1, *where, joined=links)):
            if case_id in open_ids:
                found.add(tuple(row), case_id)
                kinds_lately[case_id].add(row[3])

    # MATERIALIZED: picked out first, else SQLite walks every link in case order to save a sort.
    look(held.where(SessionRow.held_at >= now - RECENT).cte("lately").prefix_with("MATERIALIZED"))
    counted = [{kind.value for kind in kinds} for kinds in counted_kinds]
    earlier = [case.id for case in open_cases if any(not kinds & kinds_lately[case.id] for kinds in counted)]
    everything = held.subquery()
    if earlier and on_postgresql(session):  # one array, however many: one look
        look(everything, links.c.case_id == any_(bindparam("earlier", earlier, type_=ARRAY(String))))
        return
    for start in range(0, len(earlier), MANY):  # each look walks every session: as few looks as can be
        look(everything, links.c.case_id.in_(earlier[start : start + MANY]))


def _undone(
    session: Session,
    held: Any,
    now: datetime,
    deadlines: Mapping[ObligationKind, frozenset[SessionKind]],
    found: _Found,
) -> None:
    """Sessions of these kinds still to be recorded or signed off at `now`, with every case they discussed."""
    columns = {ObligationKind.RECORDING: SessionRow.recorded_at, ObligationKind.SIGN_OFF: SessionRow.signed_off_at}
    undone = [
        and_(SessionRow.kind.in_(sorted(kinds)), or_(columns[kind].is_(None), columns[kind] > now))
        for kind, kinds in deadlines.items()
        if kind in columns and kinds
    ]
    if not undone:
        return
    query = (
        held.add_columns(SessionCaseRow.case_id)
        .outerjoin(SessionCaseRow, SessionCaseRow.session_id == SessionRow.id)
        .where(or_(*undone))
    )
    for *row, case_id in _plain(session, query):
        found.add(tuple(row), case_id)


def _first_sessions(
    session: Session, held: Any, reader: _Reader, unsigned: Mapping[str, Staff]
) -> Iterator[tuple[Any, ...]]:
    """For each of these people (with no agreement signed with their supervisor), the first session of each kind
    with that supervisor since `counting_from(person)`."""
    ids = sorted(unsigned)
    for start in range(0, len(ids), CHUNK):
        theirs = held.where(SessionRow.supervisee_id.in_(ids[start : start + CHUNK])).order_by(
            SessionRow.held_at.desc(), SessionRow.id.desc()
        )
        first: dict[tuple[str, str], tuple[Any, ...]] = {}  # newest first, so the earliest of each kind stays
        for row in _plain(session, theirs):
            person = unsigned[row[1]]
            if row[2] == person.supervisor and reader.local(row[4]) >= counting_from(person):
                first[(row[1], row[3])] = row
        yield from first.values()


MANY = 30_000  # values in one IN (...) list on SQLite, where fewer looks matter: inside its limit of 32,766
RECENT = timedelta(days=183)  # how far back the sweep looks first for a case's latest discussion (any length is right)
_SESSION_COLUMNS = (
    SessionRow.id,
    SessionRow.supervisee_id,
    SessionRow.supervisor_id,
    SessionRow.kind,
    SessionRow.held_at,
    SessionRow.recorded_at,
    SessionRow.signed_off_at,
    SessionRow.team,
)
_HELD = (SessionRow.status == SessionStatus.HELD.value, SessionRow.held_at.is_not(None))


def _plain(session: Session, query: Any) -> Iterator[tuple[Any, ...]]:
    """The rows as plain tuples."""
    return (tuple(row) for row in session.execute(query))


def _latest_agreements(session: Session, reader: _Reader, now: datetime) -> tuple[Agreement, ...]:
    """The latest agreement each pair had signed by `now` (it takes effect when the second of them signs)."""
    later = sql.case(
        (AgreementRow.supervisee_signed_at > AgreementRow.supervisor_signed_at, AgreementRow.supervisee_signed_at),
        else_=AgreementRow.supervisor_signed_at,
    )
    query = (
        select(AgreementRow.supervisee_id, AgreementRow.supervisor_id, func.max(type_coerce(later, UTCDateTime())))
        .where(AgreementRow.supervisee_signed_at <= now, AgreementRow.supervisor_signed_at <= now)
        .group_by(AgreementRow.supervisee_id, AgreementRow.supervisor_id)
        .order_by(AgreementRow.supervisee_id, AgreementRow.supervisor_id)
    )
    return tuple(
        Agreement(supervisee, supervisor, reader.local(signed))
        for supervisee, supervisor, signed in session.execute(query)
    )


class _Reader:
    """Store rows to the engine's facts, as plain rows rather than mapped objects (a council holds thousands)."""

    def __init__(self, session: Session, calendar: Calendar) -> None:
        self.db, self.calendar, self.zone = session, calendar, calendar.zone
        self.midnights: dict[date, datetime] = {}
        self.kinds = {kind.value: kind for kind in SessionKind}

    def midnight(self, day: date) -> datetime:
        found = self.midnights.get(day)
        if found is None:
            found = self.midnights[day] = self.calendar.midnight(day)
        return found

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def staff(self) -> tuple[Staff, ...]:
        supervisors = {
            supervisee: (supervisor, started_on)
            for supervisee, supervisor, started_on in self.db.execute(
                select(RelationshipRow.supervisee_id, RelationshipRow.supervisor_id, RelationshipRow.started_on).where(
                    RelationshipRow.ended_on.is_(None), RelationshipRow.is_cover.is_(False)
                )
            )
        }
        staff = []
        for id, name, role, employment, hours, nqsw, start_date, line_manager, team in self.db.execute(
            select(
                StaffRow.id,
                StaffRow.name,
                StaffRow.role,
                StaffRow.employment,
                StaffRow.hours,
                StaffRow.nqsw,
                StaffRow.start_date,
                StaffRow.line_manager_id,
                StaffRow.team,
            ).order_by(StaffRow.id)
        ):
            supervisor, since = supervisors.get(id, (None, None))
            staff.append(
                Staff(
                    id=id,
                    name=name,
                    role=Role(role),
                    employment=Employment(employment),
                    hours=Hours(hours),
                    nqsw=nqsw,
                    start_date=self.midnight(start_date),
                    supervisor=supervisor,
                    supervisor_since=self.midnight(since) if since is not None else None,
                    line_manager=line_manager,
                    team=team,
                )
            )
        return tuple(staff)

    def session(self, row: tuple[Any, ...], cases: Iterable[str]) -> HeldSession:
        id, supervisee, supervisor, kind, held_at, recorded_at, signed_off_at, team = row
        return HeldSession(
            id=id,
            supervisee=supervisee,
            supervisor=supervisor,
            kind=self.kinds[kind],
            held_at=held_at.astimezone(self.zone),
            recorded_at=recorded_at.astimezone(self.zone) if recorded_at else None,
            cases=tuple(cases),
            signed_off_at=signed_off_at.astimezone(self.zone) if signed_off_at else None,
            team=team,
        )

    def cases(self) -> tuple[Case, ...]:
        """The open cases."""
        categories = {category.value: category for category in CaseCategory}
        return tuple(
            Case(
                id=id,
                worker=worker,
                category=categories[category],
                allocated_on=self.midnight(allocated_on),
                risk=Risk(risk) if risk else None,
                age=age,
            )
            for id, worker, category, allocated_on, risk, age in self.db.execute(
                select(CaseRow.id, CaseRow.worker_id, CaseRow.category, CaseRow.allocated_on, CaseRow.risk, CaseRow.age)
                .where(CaseRow.closed_on.is_(None))
                .order_by(CaseRow.id)
            )
        )

    def urgent_requests(self) -> tuple[UrgentRequest, ...]:
        return tuple(
            UrgentRequest(id, requester, requested_at.astimezone(self.zone))
            for id, requester, requested_at in self.db.execute(
                select(UrgentRequestRow.id, UrgentRequestRow.requester_id, UrgentRequestRow.requested_at).order_by(
                    UrgentRequestRow.requested_at
                )
            )
        )


def import_world(session: Session, world: World, calendar: Calendar | None = None) -> ImportSummary:
    """Add or update the facts of `world` in the store; running it twice changes nothing the second time.

    Facts the store does not hold yet go in as a few multi-row inserts (a council's history is tens of thousands
    of sessions); facts it holds already are compared and updated one by one."""
    cal = calendar or Calendar()

    def local_date(moment: datetime) -> date:
        return cal.local(moment).date()

    summary = ImportSummary()
    people = StaffRepository(session)
    known_staff = set(session.scalars(select(StaffRow.id)))
    # Two passes: everyone must exist before anyone can point at them as line manager or supervisor.
    outcome: list[tuple[bool, bool]] = []  # (added, changed) for each person listed
    new_staff: dict[str, Staff] = {}
    for person in world.staff:
        if person.id in known_staff:
            outcome.append((False, people.save(person, local_date=local_date)))
        elif person.id in new_staff:  # the same person twice: the later details win
            before = _staff_values(new_staff[person.id], local_date)
            outcome.append((False, _staff_values(person, local_date) != before))
            new_staff[person.id] = person
        else:
            new_staff[person.id] = person
            outcome.append((True, True))
    _insert(session, StaffRow, [_staff_values(person, local_date) for person in new_staff.values()])
    session.flush()
    line_managers, supervisors = [], []
    for person, (is_new, changed) in zip(world.staff, outcome, strict=True):
        linked = False
        if person.id in new_staff:  # just added: nobody supervises or manages them yet
            final = new_staff.pop(person.id)  # once, with the later details if listed twice
            if final.line_manager is not None:
                line_managers.append({"staff_id": final.id, "line_manager": final.line_manager})
            if final.supervisor is not None:
                since = local_date(final.supervisor_since or final.start_date)
                supervisors.append({"supervisee_id": final.id, "supervisor_id": final.supervisor, "started_on": since})
        elif person.id in known_staff:
            since = local_date(person.supervisor_since or person.start_date)
            linked = people.set_line_manager(person.id, person.line_manager)
            linked = people.set_supervisor(person.id, person.supervisor, since) or linked
        summary.count("staff", added=is_new, changed=changed or linked)
    if line_managers:
        staff_table = _table(StaffRow)
        statement = (
            update(staff_table)
            .where(staff_table.c.id == bindparam("staff_id"))
            .values(line_manager_id=bindparam("line_manager"))
        )
        session.execute(statement, line_managers)
    _insert(session, RelationshipRow, supervisors)
    session.flush()

    case_repository = CaseRepository(session)
    known_cases = set(session.scalars(select(CaseRow.id)))
    new_cases: dict[str, dict[str, object]] = {}
    for case in world.cases:
        if case.id in known_cases:
            summary.count("cases", changed=case_repository.save(case, local_date(case.allocated_on)))
            continue
        if case.id in new_cases:
            summary.count("cases", changed=_case_values(case, local_date) != new_cases[case.id])
        else:
            summary.count("cases", added=True)
        new_cases[case.id] = _case_values(case, local_date)
    session.flush()
    _insert(session, CaseRow, list(new_cases.values()))

    sessions = SessionRepository(session)
    known_sessions = set(session.scalars(select(SessionRow.id)))
    new_sessions: dict[str, HeldSession] = {}
    for held in world.sessions:
        if held.id in known_sessions:
            summary.count("sessions", **_save_session(session, sessions, held))
        elif held.id in new_sessions:
            summary.count("sessions", changed=held != new_sessions[held.id])
            new_sessions[held.id] = held
        else:
            summary.count("sessions", added=True)
            new_sessions[held.id] = held
    session.flush()
    _insert(session, SessionRow, [{"id": held.id, **_session_values(held)} for held in new_sessions.values()])
    _insert(
        session,
        SessionCaseRow,
        [{"session_id": held.id, "case_id": case_id} for held in new_sessions.values() for case_id in set(held.cases)],
    )

    # An agreement is known by when it took effect: a signing at a moment already on file is the same agreement.
    signed: dict[tuple[str, str], set[datetime]] = defaultdict(set)
    latest: dict[tuple[str, str], int] = defaultdict(int)
    for supervisee, supervisor, version, supervisee_signed, supervisor_signed in session.execute(
        select(
            AgreementRow.supervisee_id,
            AgreementRow.supervisor_id,
            AgreementRow.version,
            AgreementRow.supervisee_signed_at,
            AgreementRow.supervisor_signed_at,
        )
    ):
        pair = (supervisee, supervisor)
        latest[pair] = max(latest[pair], version)
        if supervisee_signed is not None and supervisor_signed is not None:
            signed[pair].add(max(supervisee_signed, supervisor_signed))
    new_agreements = []
    for agreement in world.agreements:
        pair = (agreement.supervisee, agreement.supervisor)
        if agreement.signed_at in signed[pair]:
            summary.count("agreements")
            continue
        signed[pair].add(agreement.signed_at)
        latest[pair] += 1
        new_agreements.append(
            {
                "supervisee_id": agreement.supervisee,
                "supervisor_id": agreement.supervisor,
                "version": latest[pair],
                "content": {},
                "created_at": agreement.signed_at,
                "supervisee_signed_at": agreement.signed_at,
                "supervisor_signed_at": agreement.signed_at,
            }
        )
        summary.count("agreements", added=True)
    _insert(session, AgreementRow, new_agreements)

    requests = UrgentRequestRepository(session)
    known_requests = set(session.scalars(select(UrgentRequestRow.id)))
    new_requests: dict[str, dict[str, object]] = {}
    for request in world.urgent_requests:
        if request.id in known_requests:
            existing = requests.get(request.id)
            assert existing is not None
            changed = requests.save(replace(existing, requester=request.requester, requested_at=request.requested_at))
            summary.count("urgent requests", changed=changed)
            continue
        values = {"id": request.id, "requester_id": request.requester, "requested_at": request.requested_at}
        if request.id in new_requests:
            summary.count("urgent requests", changed=values != new_requests[request.id])
        else:
            summary.count("urgent requests", added=True)
        new_requests[request.id] = values
    session.flush()
    _insert(session, UrgentRequestRow, list(new_requests.values()))
    if on_postgresql(session):
        # PostgreSQL plans from statistics it gathers in the background, some time after rows arrive; until then
        # it guesses, and after a council's import it guessed a bitmap scan and a sort for every person in the
        # sweep (0.43 s at ten times Birmingham's size, 0.26 s with statistics). Gathered now, as its manual
        # advises after loading in bulk; ANALYZE counts this transaction's own rows.
        tables = (StaffRow, RelationshipRow, CaseRow, SessionRow, SessionCaseRow, AgreementRow, UrgentRequestRow)
        session.execute(text("ANALYZE " + ", ".join(_table(model).name for model in tables)))
    return summary


def _insert(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Add new rows in one multi-row statement (plain values, no mapped objects)."""
    if rows:
        session.execute(insert(_table(model)), rows)


def _table(model: type[Base]) -> Table:
    return Base.metadata.tables[str(model.__tablename__)]


def _staff_values(person: Staff, local_date: Callable[[datetime], date]) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "role": person.role.value,
        "employment": person.employment.value,
        "hours": person.hours.value,
        "nqsw": person.nqsw,
        "start_date": local_date(person.start_date),
        "team": person.team,
    }


def _case_values(case: Case, local_date: Callable[[datetime], date]) -> dict[str, Any]:
    return {
        "id": case.id,
        "worker_id": case.worker,
        "category": case.category.value,
        "allocated_on": local_date(case.allocated_on),
        "risk": case.risk.value if case.risk else None,
        "age": case.age,
        "closed_on": None,
    }


def _session_values(held: HeldSession) -> dict[str, Any]:
    return {
        "supervisee_id": held.supervisee,
        "supervisor_id": held.supervisor,
        "kind": held.kind.value,
        "status": SessionStatus.HELD.value,
        "held_at": held.held_at,
        "team": held.team,
        "recorded_at": held.recorded_at,
        "signed_off_at": held.signed_off_at,
    }


def _save_session(session: Session, sessions: SessionRepository, held: HeldSession) -> dict[str, bool]:
    row = session.get(SessionRow, held.id)
    assert row is not None
    values = _session_values(held)
    changed = any(getattr(row, key) != value for key, value in values.items())
    for key, value in values.items():
        setattr(row, key, value)
    changed = sessions.set_cases(held.id, held.cases) or changed
    return {"changed": changed}
