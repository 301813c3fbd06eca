"""What the buttons on a reminder do: check it is still due, mark supervision held, remind again tomorrow,
or tell the supervisor the reminder is wrong. A reminder that is no longer due says so and changes nothing.

No Bot Framework here; each method runs inside one database transaction.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.domain import AuditEntry, Nudge, Outcome
from bot.messages import REPORT
from bot.rules.engine import Obligation, obligations_due
from bot.rules.nudges import held_as
from bot.rules.profile import ObligationKind, Profile
from bot.storage.models import NudgeRow
from bot.storage.repositories import AuditRepository, OutboxRepository, SessionRepository, StaffRepository
from bot.storage.world import load_facts
from bot.urgent import Reply
from bot.wording import duty_name, when

FURTHEST_BACK = timedelta(days=366)


class NudgeDesk:
    """The actions on a reminder card."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile

    def check(self, session: Session, person: str, nudge_id: Any, now: datetime) -> tuple[Nudge | None, str]:
        """The reminder, if it is this person's and still due; otherwise why not, in a sentence."""
        row = session.get(NudgeRow, nudge_id) if isinstance(nudge_id, int) and not isinstance(nudge_id, bool) else None
        if row is None:
            return None, "I could not find that reminder, so nothing was changed."
        nudge = OutboxRepository(session).get(row.id)
        if nudge.recipient != person:
            AuditRepository(session).add(
                AuditEntry(now, person, "press reminder", "reminder", str(row.id), Outcome.REFUSED)
            )
            return None, "That reminder was for someone else, so nothing was changed."
        if nudge.obligation_kind == "digest":
            return nudge, ""
        if self._duty(session, nudge, now) is None:
            return None, "That is no longer due, so nothing was changed. Type due to see what is."
        return nudge, ""

    def _duty(self, session: Session, nudge: Nudge, now: datetime) -> Obligation | None:
        """The duty the reminder was about, if it is still due by the same date (a recurring duty met since then
        has moved on to a later date, so its old reminder is stale)."""
        world = load_facts(session, self.profile, now)
        return next(
            (
                o
                for o in obligations_due(self.profile, world, now)
                if o.kind.value == nudge.obligation_kind and o.subject == nudge.subject and o.due == nudge.due
            ),
            None,
        )

    def held(self, session: Session, person: str, nudge_id: Any, on: Any, now: datetime) -> Reply:
        """The button "Supervision held" (on a date): record the session, so the duty moves on."""
        nudge, refusal = self.check(session, person, nudge_id, now)
        if nudge is None:
            return Reply(refusal)
        duty = self._duty(session, nudge, now)
        kind = held_as(self.profile, duty) if duty is not None else None
        if kind is None or duty is None or duty.supervisee is None:
            return Reply("This reminder is not about a supervision session, so there is nothing to mark as held.")
        calendar = self.profile.calendar
        today = calendar.local(now).date()
        try:
            day = date.fromisoformat(str(on).strip())
        except ValueError:
            return Reply("Please choose the date it was held. Nothing was changed.")
        if day > today:
            return Reply("That date is still to come. Press this once the supervision has happened.")
        if day < today - FURTHEST_BACK:
            return Reply("That is more than a year ago. Please check the date. Nothing was changed.")
        supervisor = duty.supervisor
        held_at = now if day == today else calendar.local(datetime.combine(day, time(12), tzinfo=calendar.zone))
        session_id = f"H-{nudge.id}-{day.isoformat()}"
        sessions = SessionRepository(session)
        cases = [nudge.subject] if duty.kind is ObligationKind.CASE_DISCUSSION else []
        sessions.plan(session_id, duty.supervisee, supervisor, kind, held_at)
        sessions.hold(session_id, held_at, cases)
        AuditRepository(session).add(
            AuditEntry(now, person, "mark supervision held", "session", session_id, Outcome.ALLOWED)
        )
        form = "case_discussion" if cases else "personal_record"
        button = {"action": "open.form", "form": form, "session": session_id}
        if cases:
            button["case"] = nudge.subject
        return Reply(
            f"Noted: {duty_name(nudge.obligation_kind).lower()} held on {day:%A} {day.day} {day:%B %Y}. "
            "Please write it up.",
            offer=(("Write it up", button),),
        )

    def snooze(self, session: Session, person: str, nudge_id: Any, now: datetime) -> Reply:
        """The button "Remind me tomorrow": the same reminder again at the start of the next working day."""
        nudge, refusal = self.check(session, person, nudge_id, now)
        if nudge is None:
            return Reply(refusal)
        calendar, plan = self.profile.calendar, self.profile.nudges
        if plan is None:  # only reminders have this button, and only a policy with [nudges] sends them
            return Reply("Reminders are not set up under this policy, so nothing was changed.")
        day = calendar.local(now).date() + timedelta(days=1)
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
        at = calendar.local(datetime.combine(day, plan.day_starts, tzinfo=calendar.zone))
        stage = f"{nudge.stage.split('~')[0]}~{day.isoformat()}"  # the due date stays in the stage
        outbox = OutboxRepository(session)
        new = outbox.enqueue(
            nudge.obligation_kind, nudge.subject, stage, person, nudge.due, nudge.payload, now, not_before=at
        )
        if new is None:
            return Reply(f"You will already be reminded again {when(at)}.")
        return Reply(f"I will remind you again {when(at)}.")

    def wrong(self, session: Session, person: str, nudge_id: Any, what: Any, now: datetime) -> Reply:
        """The button "This is wrong": tell the supervisor (or, for a supervisor, their line manager) what is wrong."""
        nudge, refusal = self.check(session, person, nudge_id, now)
        if nudge is None:
            return Reply(refusal)
        text = str(what or "").strip()
        if not text:
            return Reply("Please say what is wrong, so your supervisor knows what to put right. Nothing was sent.")
        if len(text) > 1000:
            return Reply("Please keep it under 1000 characters. Nothing was sent.")
        people = StaffRepository(session)
        current = people.current_supervisor(person)
        told = current.supervisor if current is not None else None
        if told is None or told == person:
            told = people.line_manager_of(person)
        AuditRepository(session).add(
            AuditEntry(
                now, person, "report a wrong reminder", "reminder", str(nudge.id), Outcome.ALLOWED, {"what": text}
            )
        )
        if told is None:
            return Reply("Thank you. I have noted it, but there is nobody above you in the companion to tell.")
        payload = {
            "reporter": people.name_of(person),
            "kind": nudge.obligation_kind,
            "subject": nudge.subject,
            "what": text,
        }
        new = OutboxRepository(session).enqueue(
            REPORT, str(nudge.id), f"wrong:{person}:{now.isoformat()}", told, nudge.due, payload, now
        )
        return Reply(
            f"Thank you. I have told {people.name_of(told)}, who can put it right.",
            (new,) if new is not None else (),
        )
