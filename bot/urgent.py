"""Urgent supervision: asked for in chat, sent at once to whoever can take it, chased until it is held.

```mermaid
stateDiagram-v2
    [*] --> Asked: practitioner finishes the urgent form (sent to supervisor, or cover while away)
    Asked --> Arranged: "I can do this at…"
    Asked --> Asked: "I can't, passing to…" (the new person must answer afresh)
    Asked --> Chased: nobody answered in the policy's time (the line manager is told)
    Chased --> Arranged: anyone told answers
    Arranged --> Held: "Supervision held" (a session is recorded; the write-up is offered)
    Asked --> Late: the policy's deadline passed, nothing held (supervisor and line manager told)
    Arranged --> Late
    Held --> [*]
```

No Bot Framework here: the dialogs call `UrgentDesk`, and it queues what other people must be told
in the outbox, where the deliverer picks it up straight away. Every time comes from the policy
profile (`[[urgent_supervision]]` and `[urgent_requests]`); under a policy that sets neither, the
companion takes no urgent requests and says so, rather than inventing a deadline.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.domain import AuditEntry, Outcome, UrgentRequestDetail
from bot.rules.engine import Obligation, obligations_due
from bot.rules.facts import Role
from bot.rules.nudges import in_working_hours
from bot.rules.profile import ObligationKind, Profile, UrgentHandling, UrgentRule
from bot.storage.repositories import (
    AuditRepository,
    OutboxKey,
    OutboxRepository,
    Queueing,
    SessionRepository,
    StaffRepository,
    UrgentRequestRepository,
)
from bot.storage.world import load_facts
from bot.wording import when

KIND = "urgent_request"  # what urgent messages are called in the outbox
NOT_COVERED = (
    "Your council's policy, as the companion has it, does not set out urgent supervision, so I cannot send a "
    "request. If you need urgent supervision, please speak to your supervisor or manager now."
)
SLACK = timedelta(minutes=5)  # a time "now" typed a little early or late is still now
FURTHEST_AHEAD = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class Reply:
    """What to say to the person who acted, and which queued messages to send at once."""

    text: str
    queued: tuple[int, ...] = ()
    offer: tuple[tuple[str, dict[str, Any]], ...] = ()  # buttons: (title, card data)


def handling(profile: Profile) -> UrgentHandling:
    """How this policy answers urgent requests; only asked of a profile that takes them."""
    if profile.urgent_handling is None:
        raise ValueError(f"{profile.title} sets no [urgent_requests]")
    return profile.urgent_handling


def soonest(profile: Profile, requested_at: datetime) -> UrgentRule:
    """The policy's urgent rule that falls due first for a request made then."""
    if not profile.urgent:
        raise ValueError(f"{profile.title} sets no [[urgent_supervision]]")
    return min(profile.urgent, key=lambda rule: profile.calendar.add(requested_at, rule.within))


def deadline(profile: Profile, requested_at: datetime) -> datetime:
    """When urgent supervision must have happened: the soonest of the policy's urgent rules."""
    return profile.calendar.add(requested_at, soonest(profile, requested_at).within)


def form_words(profile: Profile, now: datetime) -> dict[str, str]:
    """The policy's words for the forms (bot.forms.WORDS): how soon urgent supervision must happen, if it says."""
    return {"urgent_within": str(soonest(profile, now).within)} if profile.urgent else {}


def handler_for(session: Session, requester: str, today: date) -> str | None:
    """Who an urgent request goes to: the cover supervisor while one is set, else the supervisor, else the line
    manager."""
    return StaffRepository(session).handlers_on([requester], today)[requester]


def payload(session: Session, profile: Profile, request: UrgentRequestDetail, **extra: Any) -> dict[str, Any]:
    """Everything a message about this request shows but the list of people it could be passed to, which is
    the same for every request and is looked up when the message is sent (`takers`): kept in every message,
    it made a council's messages grow with its requests times its supervisors."""
    people = StaffRepository(session)
    return {
        "request": request.id,
        "requester": people.name_of(request.requester),
        "handler": people.name_of(request.handler, unknown="nobody yet"),
        "about": request.about or "",
        "case": request.case_id or "",
        "free_at": request.free_at or "",
        "requested_at": request.requested_at.isoformat(),
        "deadline": deadline(profile, request.requested_at).isoformat(),
        "arranged_for": request.arranged_for.isoformat() if request.arranged_for else "",
        "leave_out": involved(request),
        **extra,
    }


def involved(request: UrgentRequestDetail) -> list[str]:
    """Who the request is about already: the person who asked and whoever has it."""
    return [staff for staff in (request.requester, request.handler) if staff]


def takers(session: Session) -> list[tuple[str, str]]:
    """(id, name) of everyone who could take an urgent request passed on: the supervisors and managers."""
    return StaffRepository(session).in_roles([Role.SUPERVISOR, Role.MANAGER])


def others(everyone: Sequence[tuple[str, str]], leave_out: Sequence[str]) -> list[tuple[str, str]]:
    """Whom a request could be passed to: everyone who could take one but the people it is about already."""
    return [(staff_id, name) for staff_id, name in everyone if staff_id not in leave_out]


class UrgentDesk:
    """Asking for urgent supervision, answering it, and chasing it; each method runs inside one transaction."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile

    # -- asking -------------------------------------------------------------------------------

    def ask(self, session: Session, requester: str, answers: dict[str, Any], now: datetime) -> Reply:
        """Record the request and queue it for whoever should take it; the reply says what happens next."""
        if not self.profile.takes_urgent_requests:
            return Reply(NOT_COVERED)
        calendar = self.profile.calendar
        requests = UrgentRequestRepository(session)
        request = UrgentRequestDetail(
            id=f"U-{uuid.uuid4().hex[:10]}",
            requester=requester,
            requested_at=now,
            about=str(answers.get("about") or "").strip() or None,
            case_id=str(answers.get("case") or "").strip() or None,
            free_at=str(answers.get("free_at") or "").strip() or None,
            handler=handler_for(session, requester, calendar.local(now).date()),
        )
        requests.save(request)
        session.flush()
        by = when(calendar.local(deadline(self.profile, now)))
        self._audit(session, requester, "ask for urgent supervision", request.id, now)
        if request.handler is None:
            text = (
                "I have saved your request for urgent supervision, but you have no supervisor or line manager "
                f"in the companion, so I could not send it. Please phone your manager now. It should happen by {by}."
            )
            return Reply(self._out_of_hours(text, now))
        queued = self._queue(session, request, f"to:{request.handler}:{now.isoformat()}", [request.handler], now)
        handler_name = StaffRepository(session).name_of(request.handler)
        manager = StaffRepository(session).line_manager_of(request.handler)
        chase = handling(self.profile).acknowledge_within
        text = (
            f"Your request for urgent supervision has gone to {handler_name}. It should happen by {by}. "
            f"I will tell you as soon as they answer."
        )
        if manager:
            text += f" If nobody answers within {chase}, {StaffRepository(session).name_of(manager)} will be told."
        return Reply(self._out_of_hours(text, now), queued)

    def _out_of_hours(self, text: str, now: datetime) -> str:
        # Without the council's working day in the profile ([nudges]), every hour may be out of hours: say it.
        plan = self.profile.nudges
        working = plan is not None and in_working_hours(plan, self.profile.calendar, now)
        return text if working else f"{text}\n\n{handling(self.profile).out_of_hours}"

    # -- answering ----------------------------------------------------------------------------

    def arrange(self, session: Session, person: str, request_id: Any, on: Any, at: Any, now: datetime) -> Reply:
        """The answer "I can do this at…": the request is acknowledged and the requester told when."""
        request, moment, refusal = self._open_at(session, person, request_id, "arrange", on, at, now, "you can meet")
        if request is None or moment is None:
            return Reply(refusal)
        if moment < now - SLACK:
            return Reply(f"{when(self.profile.calendar.local(moment))} has already passed. Please choose a later time.")
        if moment > now + FURTHEST_AHEAD:
            return Reply(
                "That is more than two weeks away, which is not urgent supervision. Please choose a sooner time."
            )
        request = UrgentRequestRepository(session).acknowledge(request.id, person, now, moment)
        self._audit(session, person, "arrange urgent supervision", request.id, now)
        queued = self._queue(
            session, request, f"arranged:{now.isoformat()}", [request.requester], now, moment=moment.isoformat()
        )
        limit = deadline(self.profile, request.requested_at)
        meeting = when(self.profile.calendar.local(moment))
        text = (
            f"Thank you. {StaffRepository(session).name_of(request.requester)} has been told you will meet {meeting}."
        )
        if moment > limit:
            text += (
                f" That is after the time the policy allows ({when(self.profile.calendar.local(limit))}). "
                "Please find an earlier time if you can."
            )
        return Reply(text, queued)

    def pass_on(self, session: Session, person: str, request_id: Any, to: Any, why: Any, now: datetime) -> Reply:
        """The answer "I can't, passing to…": the request goes to someone else, who must answer it afresh."""
        request, refusal = self._open_for(session, person, request_id, "pass", now)
        if request is None:
            return Reply(refusal)
        choices = {staff_id for staff_id, _ in others(takers(session), involved(request))} - {person}
        if not isinstance(to, str) or to not in choices:
            return Reply("Please choose who should take it from the list. Nothing was changed.")
        reason = str(why or "").strip()
        if len(reason) > 500:
            return Reply("Please keep the reason under 500 characters. Nothing was changed.")
        request = UrgentRequestRepository(session).pass_to(request.id, to)
        self._audit(session, person, "pass urgent request", request.id, now)
        names = StaffRepository(session)
        passer, taker, requester = names.name_of(person), names.name_of(to), names.name_of(request.requester)
        note = f"Passed to you by {passer}" + (f": {reason}" if reason else ".")
        queued = self._queue(session, request, f"to:{to}:{now.isoformat()}", [to], now, note=note)
        told = f"{passer} cannot take it, so it has gone to {taker}."
        queued += self._queue(session, request, f"passed:{to}:{now.isoformat()}", [request.requester], now, note=told)
        return Reply(f"Passed to {taker}. {requester} has been told.", queued)

    def held(self, session: Session, person: str, request_id: Any, on: Any, at: Any, now: datetime) -> Reply:
        """The answer "Supervision held": the urgent session is recorded, the request closed, the write-up offered."""
        request, moment, refusal = self._open_at(session, person, request_id, "close", on, at, now, "it was held")
        if request is None or moment is None:
            return Reply(refusal)
        if moment > now + SLACK:
            return Reply("That time is still to come. Press this once the supervision has happened.")
        if moment < request.requested_at - SLACK:
            asked = when(self.profile.calendar.local(request.requested_at))
            return Reply(f"That is before the request was made ({asked}). Please check the date and time.")
        session_id = f"US-{request.id[2:]}"
        sessions = SessionRepository(session)
        sessions.plan(session_id, request.requester, person, "urgent", moment)
        sessions.hold(session_id, moment, [request.case_id] if request.case_id else [])
        closed = UrgentRequestRepository(session).close(request.id, session_id, now)
        self._audit(session, person, "close urgent request", request.id, now)
        queued = self._queue(
            session, closed, f"held:{now.isoformat()}", [request.requester], now, moment=moment.isoformat()
        )
        offer = [("Write up the session", {"action": "open.form", "form": "personal_record", "session": session_id})]
        if request.case_id:
            offer.append(
                (
                    f"Discuss case {request.case_id}",
                    {"action": "open.form", "form": "case_discussion", "case": request.case_id, "session": session_id},
                )
            )
        text = f"Closed: urgent supervision held {when(self.profile.calendar.local(moment))}. Please write it up."
        return Reply(text, queued, tuple(offer))

    # -- chasing, at each sweep ---------------------------------------------------------------

    def chase(self, session: Session, now: datetime, obligations: Sequence[Obligation] | None = None) -> set[OutboxKey]:
        """Tell the line manager about requests nobody answered in time, and both about requests past the policy's
        deadline; nothing under a policy that sets no times for urgent supervision.

        `obligations`: what is due now, if the caller has worked it out already (a sweep has)."""
        requests = UrgentRequestRepository(session).still_open() if self.profile.takes_urgent_requests else []
        if not requests:
            return set()
        if obligations is None:
            obligations = obligations_due(self.profile, load_facts(session, self.profile, now), now)
        open_duties = {o.subject for o in obligations if o.kind is ObligationKind.URGENT_SUPERVISION}
        chase_after = handling(self.profile).acknowledge_within
        today = self.profile.calendar.local(now).date()
        people = StaffRepository(session)
        # imported from a file, with no handler: it is with whoever would have had it
        handlers = people.handlers_on([request.requester for request in requests if request.handler is None], today)
        requests = [
            replace(request, handler=handlers[request.requester]) if request.handler is None else request
            for request in requests
        ]
        held = people.load({staff for request in requests for staff in involved(request)})
        chasing: list[tuple[UrgentRequestDetail, str, list[str]]] = []
        for request in requests:
            manager = people.line_manager_of(request.handler) or people.line_manager_of(request.requester)
            late = now > deadline(self.profile, request.requested_at) and request.id in open_duties
            if late:
                chasing.append((request, "overdue", [staff for staff in (request.handler, manager) if staff]))
            elif request.acknowledged_at is None and now >= self.profile.calendar.add(
                request.requested_at, chase_after
            ):
                chasing.append((request, "no-answer", [manager] if manager else []))
        # Each sweep finds the same late requests again: look once for what is queued already, and build the
        # messages only for the rest.
        present = OutboxRepository(session).existing(
            [(KIND, request.id, stage, staff) for request, stage, told in chasing for staff in told]
        )
        queueing = []
        for request, stage, told in chasing:
            fresh = [staff for staff in told if (KIND, request.id, stage, staff) not in present]
            if fresh:
                body = payload(session, self.profile, request, stage=stage)
                due = deadline(self.profile, request.requested_at)
                queueing += [Queueing(KIND, request.id, stage, staff, due, body) for staff in fresh]
        queued = OutboxRepository(session).enqueue_many(queueing, now)
        del held  # kept till here, so the session has each of them at hand
        return queued

    # -- helpers ------------------------------------------------------------------------------

    def _open_for(
        self, session: Session, person: str, request_id: Any, verb: str, now: datetime
    ) -> tuple[UrgentRequestDetail | None, str]:
        if not self.profile.takes_urgent_requests:
            return None, NOT_COVERED
        request = UrgentRequestRepository(session).get(request_id) if isinstance(request_id, str) else None
        if request is None:
            return None, "I could not find that request, so nothing was changed."
        if request.closed_at is not None:
            closed = when(self.profile.calendar.local(request.closed_at))
            return None, f"That request was already closed {closed}, so nothing was changed."
        allowed = {request.handler, StaffRepository(session).line_manager_of(request.handler)}
        current = StaffRepository(session).current_supervisor(request.requester)
        if current is not None:
            allowed.add(current.supervisor)
        if person not in allowed:
            AuditRepository(session).add(
                AuditEntry(now, person, f"{verb} urgent request", "urgent_request", request.id, Outcome.REFUSED)
            )
            return None, "That request is with someone else, so I have not changed it."
        return request, ""

    def _open_at(
        self, session: Session, person: str, request_id: Any, verb: str, on: Any, at: Any, now: datetime, what: str
    ) -> tuple[UrgentRequestDetail | None, datetime | None, str]:
        """The open request this person may answer, and the date and time they gave; or why not."""
        request, refusal = self._open_for(session, person, request_id, verb, now)
        if request is None:
            return None, None, refusal
        moment = self._moment(on, at)
        if moment is None:
            return request, None, f"Please give the date and the time {what}, for example 26/11/2026 and 14:00."
        return request, moment, ""

    def _moment(self, on: Any, at: Any) -> datetime | None:
        try:
            day = date.fromisoformat(str(on).strip())
            clock = time.fromisoformat(str(at).strip())
        except ValueError:
            return None
        local = datetime.combine(day, clock.replace(second=0, microsecond=0), tzinfo=self.profile.calendar.zone)
        return self.profile.calendar.local(local)

    def _queue(
        self,
        session: Session,
        request: UrgentRequestDetail,
        stage: str,
        recipients: list[str],
        now: datetime,
        **extra: Any,
    ) -> tuple[int, ...]:
        outbox = OutboxRepository(session)
        body = payload(session, self.profile, request, stage=stage.split(":")[0], **extra)
        due = deadline(self.profile, request.requested_at)
        queued = [outbox.enqueue(KIND, request.id, stage, recipient, due, body, now) for recipient in recipients]
        return tuple(new_id for new_id in queued if new_id is not None)

    @staticmethod
    def _audit(session: Session, person: str, action: str, request_id: str, now: datetime) -> None:
        AuditRepository(session).add(AuditEntry(now, person, action, "urgent_request", request_id, Outcome.ALLOWED))
