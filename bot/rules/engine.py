"""The rules engine: from a policy profile, the facts and a moment, what is due for whom and when.

`obligations_due(profile, world, now)` is a pure function. It reads no clock, database or
network; it only looks at facts dated at or before `now`, so asking about a past moment gives
the answer that was true then. The contract it keeps is written out in the README.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import attrgetter
from typing import Any

from bot.rules.calendar import Calendar
from bot.rules.facts import Case, Role, Session, SessionKind, Staff, UrgentRequest, World
from bot.rules.profile import (
    CaseRule,
    Citation,
    Condition,
    FrequencyRule,
    ObligationKind,
    Profile,
)


@dataclass(frozen=True, slots=True)
class Obligation:
    """One duty that is due: what, about whom, by when, and who should hear about it."""

    kind: ObligationKind
    subject: str
    supervisee: str | None
    due: datetime
    overdue: bool
    notify: tuple[str, ...]
    rule_id: str
    source: Citation
    supervisor: str | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The obligation as the `due` command prints it."""
        return {
            "kind": self.kind.value,
            "subject": self.subject,
            "supervisee": self.supervisee,
            "due": self.due.isoformat(),
            "overdue": self.overdue,
            "notify": list(self.notify),
            "rule": self.source.cite,
        }


@dataclass(frozen=True, slots=True)
class _Candidate:
    due: datetime
    rule_id: str
    source: Citation


@dataclass(frozen=True, slots=True)
class Reads:
    """How much of a council's history `obligations_due` reads under a profile, so a store can load only that.

    Given, as of the moment asked about, every person, open case and urgent request, the latest signed agreement
    of each pair, and of the sessions held:
    - the latest `depth` of each kind for each person, and of group sessions for each team;
    - for each open case, the latest session to discuss it of a kind in each of `case_counts`;
    - every one of a kind in `open_deadlines` not yet recorded (or signed off, as the duty says);
    - with `first_sessions`, for each person with no agreement signed with their supervisor, the first session of
      each kind with that supervisor since `counting_from(person)`;
    the engine finds the same duties as it would over the whole history."""

    depth: int
    case_counts: tuple[frozenset[SessionKind], ...]
    open_deadlines: dict[ObligationKind, frozenset[SessionKind]]
    first_sessions: bool


def reads(profile: Profile) -> Reads:
    """What the engine reads of the history under this profile (see `Reads`)."""
    deadlines: dict[ObligationKind, frozenset[SessionKind]] = {}
    for rule in profile.deadlines:
        deadlines[rule.kind] = deadlines.get(rule.kind, frozenset()) | rule.sessions
    return Reads(
        # `at least N within` looks back N sessions; every other rule looks only at the latest
        depth=max((rule.at_least or 1 for rule in profile.frequencies), default=1),
        case_counts=tuple(dict.fromkeys(rule.counts for rule in profile.case_discussions)),
        open_deadlines=deadlines,
        first_sessions=any(rule.within is None for rule in profile.agreements),
    )


def obligations_due(profile: Profile, world: World, now: datetime) -> list[Obligation]:
    """Every open duty under `profile` for the people and cases in `world`, soonest first."""
    facts = _Facts.index(world, now)
    calendar = profile.calendar
    found: list[Obligation] = []
    found += _agreements(profile, facts, calendar, now)
    found += _frequencies(profile, facts, calendar, now)
    found += _group_supervision(profile, facts, calendar, now)
    found += _case_discussions(profile, facts, calendar, now)
    found += _session_deadlines(profile, facts, calendar, now)
    found += _urgent_requests(profile, facts, calendar, now)
    found = [_escalate(profile, facts, calendar, now, obligation) for obligation in found]
    return sorted(found, key=lambda o: (o.due, o.kind, o.subject, o.supervisee or ""))  # a kind sorts as its value


# ---------------------------------------------------------------------------------------------
# Facts as of `now`, indexed once so each person and case costs a look-up, not a scan.


@dataclass(slots=True)
class _Facts:
    staff: dict[str, Staff]
    sessions_by_supervisee: dict[str, list[Session]]
    sessions_by_case: dict[str, list[Session]]
    group_sessions_by_team: dict[str, list[Session]]
    held_sessions: list[Session]
    signed_agreements: dict[tuple[str, str], datetime]
    cases: list[Case]
    case_holders: set[str]
    urgent_requests: list[UrgentRequest]

    @classmethod
    def index(cls, world: World, now: datetime) -> _Facts:
        held = sorted((s for s in world.sessions if s.held_at <= now), key=attrgetter("held_at", "id"))
        by_supervisee: dict[str, list[Session]] = defaultdict(list)
        by_case: dict[str, list[Session]] = defaultdict(list)
        by_team: dict[str, list[Session]] = defaultdict(list)
        for session in held:
            if session.supervisee is not None:
                by_supervisee[session.supervisee].append(session)
            for case_id in session.cases:
                by_case[case_id].append(session)
            if session.kind is SessionKind.GROUP and session.team is not None:
                by_team[session.team].append(session)
        agreements: dict[tuple[str, str], datetime] = {}
        for agreement in world.agreements:
            if agreement.signed_at <= now:
                pair = (agreement.supervisee, agreement.supervisor)
                agreements[pair] = max(agreements.get(pair, agreement.signed_at), agreement.signed_at)
        cases = [case for case in world.cases if case.allocated_on <= now]
        return cls(
            staff={person.id: person for person in world.staff if person.start_date <= now},
            sessions_by_supervisee=by_supervisee,
            sessions_by_case=by_case,
            group_sessions_by_team=by_team,
            held_sessions=held,
            signed_agreements=agreements,
            cases=cases,
            case_holders={case.worker for case in cases},
            urgent_requests=[r for r in world.urgent_requests if r.requested_at <= now],
        )

    def supervised(self) -> Iterator[Staff]:
        """Everyone who has started and has a supervisor."""
        return (person for person in self.staff.values() if person.supervisor is not None)

    def line_manager_of(self, staff_id: str | None) -> str | None:
        """Whom to escalate to above a supervisor: their line manager, else their own supervisor."""
        person = self.staff.get(staff_id) if staff_id else None
        if person is None:
            return None
        return person.line_manager or person.supervisor

    def times(self, supervisee: str, kinds: Iterable[SessionKind], since: datetime | None = None) -> list[datetime]:
        """When sessions of these kinds were held with this person, oldest first."""
        wanted = frozenset(kinds)
        return [
            s.held_at
            for s in self.sessions_by_supervisee.get(supervisee, ())
            if s.kind in wanted and (since is None or s.held_at >= since)
        ]


def counting_from(person: Staff) -> datetime:
    """Where counting starts with no session yet: the later of start date and relationship start."""
    if person.supervisor_since is None:
        return person.start_date
    return max(person.start_date, person.supervisor_since)


def _notify(*people: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p for p in people if p))


def _obligation(
    kind: ObligationKind,
    subject: str,
    supervisee: str | None,
    supervisor: str | None,
    best: _Candidate,
    now: datetime,
    notify: tuple[str, ...] | None = None,
) -> Obligation:
    return Obligation(
        kind=kind,
        subject=subject,
        supervisee=supervisee,
        due=best.due,
        overdue=now > best.due,
        notify=notify if notify is not None else _notify(supervisee, supervisor),
        rule_id=best.rule_id,
        source=best.source,
        supervisor=supervisor,
    )


def _soonest(candidates: Iterable[_Candidate]) -> _Candidate | None:
    """Where several rules apply, the one that falls due first wins."""
    return min(candidates, key=lambda c: c.due, default=None)


# ---------------------------------------------------------------------------------------------
# Recurring supervision for each person


def _applies(condition: Condition, person: Staff, moment: datetime, calendar: Calendar, holds_cases: bool) -> bool:
    """Whether a rule's conditions hold for this person at this moment (the phase in force)."""
    if condition.nqsw is not None and person.nqsw != condition.nqsw:
        return False
    if condition.employment is not None and person.employment not in condition.employment:
        return False
    if condition.hours is not None and person.hours not in condition.hours:
        return False
    if condition.roles is not None and person.role not in condition.roles:
        return False
    if condition.case_holding is not None and holds_cases != condition.case_holding:
        return False
    if condition.since_start_from is not None and moment < calendar.add(person.start_date, condition.since_start_from):
        return False
    return not (
        condition.since_start_until is not None
        and moment >= calendar.add(person.start_date, condition.since_start_until)
    )


def _rule_due(
    rule: FrequencyRule,
    history: Sequence[datetime],
    anchor: datetime,
    calendar: Calendar,
    in_force: Callable[[FrequencyRule, datetime], bool],
) -> _Candidate | None:
    """When the next session falls due under one rule, if it is in force on the day of the last."""
    last = history[-1] if history else None
    reference = last if last is not None else anchor
    if not in_force(rule, reference):
        return None
    if rule.at_least is not None and rule.within is not None and len(history) >= rule.at_least:
        due = calendar.add(history[-rule.at_least], rule.within)
    elif last is None and rule.first is not None:
        due = calendar.add(anchor, rule.first)
    elif rule.every is not None:
        due = calendar.add(reference, rule.every)
    else:
        return None
    return _Candidate(due, rule.id, rule.source)


def _person_due(
    rules: Sequence[FrequencyRule], person: Staff, facts: _Facts, calendar: Calendar, *, fresh: bool = False
) -> _Candidate | None:
    """The next due date for one person under one kind of duty; `fresh` ignores past sessions."""
    holds_cases = person.id in facts.case_holders
    sessions = () if fresh else facts.sessions_by_supervisee.get(person.id, ())

    def in_force(rule: FrequencyRule, moment: datetime) -> bool:
        return _applies(rule.when, person, moment, calendar, holds_cases)

    return _soonest(
        found
        for rule in rules
        if (
            found := _rule_due(
                rule, [s.held_at for s in sessions if s.kind in rule.counts], counting_from(person), calendar, in_force
            )
        )
        is not None
    )


def _frequencies(profile: Profile, facts: _Facts, calendar: Calendar, now: datetime) -> Iterator[Obligation]:
    for kind in (
        ObligationKind.PERSONAL_SUPERVISION,
        ObligationKind.CASE_SUPERVISION,
        ObligationKind.REFLECTIVE_SUPERVISION,
        ObligationKind.OBSERVED_PRACTICE,
    ):
        rules = profile.frequency_rules(kind)
        if not rules:
            continue
        for person in facts.supervised():
            best = _person_due(rules, person, facts, calendar)
            if best is not None:
                yield _obligation(kind, person.id, person.id, person.supervisor, best, now)


def _group_supervision(profile: Profile, facts: _Facts, calendar: Calendar, now: datetime) -> Iterator[Obligation]:
    rules = profile.frequency_rules(ObligationKind.GROUP_SUPERVISION)
    if not rules:
        return
    teams: dict[str, list[Staff]] = defaultdict(list)
    for person in facts.staff.values():
        if person.team:
            teams[person.team].append(person)
    for team, members in sorted(teams.items()):
        anchor = min(person.start_date for person in members)
        candidates = []
        for rule in rules:
            times = [s.held_at for s in facts.group_sessions_by_team.get(team, ()) if s.kind in rule.counts]
            found = _rule_due(rule, times, anchor, calendar, lambda _rule, _moment: True)
            if found is not None:
                candidates.append(found)
        best = _soonest(candidates)
        if best is None:
            continue
        leads = [p.id for p in members if p.role is Role.SUPERVISOR] or [
            p.id for p in members if p.role is Role.MANAGER
        ]
        leads = leads or sorted({p.supervisor for p in members if p.supervisor})
        yield _obligation(ObligationKind.GROUP_SUPERVISION, team, None, None, best, now, _notify(*sorted(leads)))


# ---------------------------------------------------------------------------------------------
# Agreements


def _agreements(profile: Profile, facts: _Facts, calendar: Calendar, now: datetime) -> Iterator[Obligation]:
    if not profile.agreements:
        return
    supervision_rules = profile.frequency_rules(ObligationKind.PERSONAL_SUPERVISION) + profile.frequency_rules(
        ObligationKind.CASE_SUPERVISION
    )
    first_session_kinds = (
        frozenset().union(*(rule.counts for rule in supervision_rules)) if supervision_rules else frozenset()
    )
    for person in facts.supervised():
        assert person.supervisor is not None
        anchor = counting_from(person)
        signed = facts.signed_agreements.get((person.id, person.supervisor))
        candidates = []
        for rule in profile.agreements:
            if signed is not None:
                if rule.renew_every is None:
                    continue
                due = calendar.add(signed, rule.renew_every)
            elif rule.within is not None:
                due = calendar.add(anchor, rule.within)
            else:
                due = _first_session_of_relationship(
                    person, facts, calendar, anchor, first_session_kinds, supervision_rules
                )
            candidates.append(_Candidate(due, rule.id, rule.source))
        best = _soonest(candidates)
        if best is not None:
            yield _obligation(ObligationKind.AGREEMENT, person.id, person.id, person.supervisor, best, now)


def _first_session_of_relationship(
    person: Staff,
    facts: _Facts,
    calendar: Calendar,
    anchor: datetime,
    kinds: frozenset[SessionKind],
    rules: Sequence[FrequencyRule],
) -> datetime:
    """When the first supervision of this relationship falls due, or was held if that was sooner.

    Holding the first session late does not move the date later: the agreement was due when the first
    supervision was, and a date that moved would turn an overdue reminder back into a "due today" one."""
    first = _person_due(rules, person, facts, calendar, fresh=True)
    due = first.due if first is not None else calendar.local(anchor)
    for session in facts.sessions_by_supervisee.get(person.id, ()):
        if session.supervisor == person.supervisor and session.kind in kinds and session.held_at >= anchor:
            return min(due, calendar.local(session.held_at))
    return due


# ---------------------------------------------------------------------------------------------
# Each child's case


def _case_matches(rule: CaseRule, case: Case) -> bool:
    """A rule about a risk level or age applies when the case's is that, or is not recorded."""
    if "*" not in rule.categories and case.category.value not in rule.categories:
        return False
    if rule.risk is not None and case.risk is not None and case.risk not in rule.risk:
        return False
    if case.age is not None:
        if rule.age_from is not None and case.age < rule.age_from:
            return False
        if rule.age_below is not None and case.age >= rule.age_below:
            return False
    return True


def _case_discussions(profile: Profile, facts: _Facts, calendar: Calendar, now: datetime) -> Iterator[Obligation]:
    if not profile.case_discussions:
        return
    for case in facts.cases:
        worker = facts.staff.get(case.worker)
        if worker is None:
            continue
        sessions = [s for s in facts.sessions_by_case.get(case.id, ()) if s.held_at >= case.allocated_on]
        candidates = []
        for rule in profile.case_discussions:
            if not _case_matches(rule, case):
                continue
            times = [s.held_at for s in sessions if s.kind in rule.counts]
            opening = rule.first or rule.every
            if not times and opening is not None:
                due = calendar.add(case.allocated_on, opening)
            elif times and rule.every is not None:
                due = calendar.add(times[-1], rule.every)
            else:
                continue
            candidates.append(_Candidate(due, rule.id, rule.source))
        best = _soonest(candidates)
        if best is not None:
            yield _obligation(ObligationKind.CASE_DISCUSSION, case.id, worker.id, worker.supervisor, best, now)


# ---------------------------------------------------------------------------------------------
# Recording and signing after a session; urgent requests


def _session_deadlines(profile: Profile, facts: _Facts, calendar: Calendar, now: datetime) -> Iterator[Obligation]:
    for kind in (ObligationKind.RECORDING, ObligationKind.SIGN_OFF):
        rules = [rule for rule in profile.deadlines if rule.kind is kind]
        if not rules:
            continue
        for session in facts.held_sessions:
            done_at = session.recorded_at if kind is ObligationKind.RECORDING else session.signed_off_at
            if done_at is not None and done_at <= now:
                continue
            best = _soonest(
                _Candidate(calendar.add(session.held_at, rule.within), rule.id, rule.source)
                for rule in rules
                if session.kind in rule.sessions and (session.cases or not rule.only_naming_children)
            )
            if best is not None:
                yield _obligation(kind, session.id, session.supervisee, session.supervisor, best, now)


def _urgent_requests(profile: Profile, facts: _Facts, calendar: Calendar, now: datetime) -> Iterator[Obligation]:
    for request in facts.urgent_requests:
        requester = facts.staff.get(request.requester)
        supervisor = requester.supervisor if requester else None
        candidates = []
        for rule in profile.urgent:
            if facts.times(request.requester, rule.counts, since=request.requested_at):
                continue
            candidates.append(_Candidate(calendar.add(request.requested_at, rule.within), rule.id, rule.source))
        best = _soonest(candidates)
        if best is not None:
            yield _obligation(ObligationKind.URGENT_SUPERVISION, request.id, request.requester, supervisor, best, now)


# ---------------------------------------------------------------------------------------------
# Escalation


def _escalate(profile: Profile, facts: _Facts, calendar: Calendar, now: datetime, obligation: Obligation) -> Obligation:
    """Add the supervisor's line manager once a duty is later than the policy allows."""
    for rule in profile.escalations:
        if obligation.kind in rule.applies_to and now > calendar.add(obligation.due, rule.after):
            manager = facts.line_manager_of(obligation.supervisor)
            if manager is not None:
                obligation = replace(obligation, notify=_notify(*obligation.notify, manager))
    return obligation
