"""What the bot does, without the Bot Framework: who someone is, where to reach them, what is due.

Dialogs call this service; it calls the rules and the store. Database work runs in a worker
thread so the web server's event loop never waits on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.domain import (
    ActionStatus,
    AgreementVersion,
    AuditEntry,
    ConversationReference,
    Outcome,
    Party,
    PlannedSession,
    Record,
    RecordStatus,
)
from bot.forms import (
    ROWS,
    FieldType,
    FormContext,
    FormTemplate,
    OpenAction,
    answers_from,
    as_message,
    check_step,
    known_forms,
    load_form,
    step_card,
    summary_card,
    worded_form,
)
from bot.nudge_actions import NudgeDesk
from bot.rules.engine import Obligation, obligations_due
from bot.rules.facts import Role, World
from bot.rules.profile import Profile
from bot.storage.db import in_session
from bot.storage.repositories import (
    ActionRepository,
    AgreementRepository,
    AuditRepository,
    CaseRepository,
    JournalRepository,
    NotFound,
    RecordRepository,
    SessionRepository,
    StaffRepository,
)
from bot.storage.world import load_facts
from bot.urgent import NOT_COVERED, Reply, UrgentDesk, form_words
from bot.wording import duty_name, on_day, when

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
    subject: str
    what: str
    about: str
    who: str
    due: str
    overdue: bool
    waiting: bool = False


class NotAllowed(PermissionError):
    """The person may not do this; the message says so politely."""


IDENTITY_KEPT_FOR = 60.0  # seconds a Teams identity's lookup is reused
IDENTITIES_KEPT = 10_000


class Companion:
    """The companion's actions, shared by every conversation."""

    def __init__(self, *, sessions: sessionmaker[Session], profile: Profile, clock: Clock, demo: bool = False) -> None:
        self.sessions = sessions
        self.profile = profile
        self.clock = clock
        self.demo = demo
        self._known: dict[str, tuple[float, Person, ConversationReference | None]] = {}

    async def in_session(self, work: Callable[[Session], T]) -> T:
        """Run `work` with a database session in a worker thread, committing if it succeeds."""
        return await in_session(self.sessions, work)

    def form(self, form_id: str) -> FormTemplate:
        """The form as people see it: in the policy's own words (how soon urgent supervision must happen)."""
        return worded_form(form_id, tuple(form_words(self.profile, self.clock.now()).items()))

    async def act_on_urgent(self, person: Person, value: dict[str, Any]) -> Reply:
        """A button on an urgent request: arrange it, pass it on, or record it as held."""
        desk, now, action = UrgentDesk(self.profile), self.clock.now(), value.get("action")
        request = value.get("request")

        def act(session: Session) -> Reply:
            if action == "urgent.arrange":
                return desk.arrange(session, person.id, request, value.get("meet_on"), value.get("meet_at"), now)
            if action == "urgent.pass":
                return desk.pass_on(session, person.id, request, value.get("to"), value.get("why"), now)
            return desk.held(session, person.id, request, value.get("held_on"), value.get("held_at"), now)

        return await self.in_session(act)

    async def act_on_reminder(self, person: Person, value: dict[str, Any]) -> Reply:
        """A button on a reminder: held, remind me tomorrow, this is wrong; or, for any other button, only the
        check that the reminder is still due (an empty reply means carry on)."""
        desk, now, action, nudge = NudgeDesk(self.profile), self.clock.now(), value.get("action"), value.get("nudge")

        def act(session: Session) -> Reply:
            if action == "nudge.held":
                return desk.held(session, person.id, nudge, value.get("held_on"), now)
            if action == "nudge.snooze":
                return desk.snooze(session, person.id, nudge, now)
            if action == "nudge.wrong":
                return desk.wrong(session, person.id, nudge, value.get("what"), now)
            return Reply(desk.check(session, person.id, nudge, now)[1])

        return await self.in_session(act)

    async def identify(self, teams_id: str, reference: ConversationReference | None = None) -> Person | None:
        """The person with this Teams identity, if they are set up; on the way, keep `reference`, where to reach
        them for messages they did not ask for.

        Who someone is, and where they were reached, is remembered for a minute (IDENTITY_KEPT_FOR), so a
        conversation's turns after the first skip this lookup; linking a Teams identity here forgets it at
        once, and a change made elsewhere (an import, a person marked unreachable) shows within the minute."""
        kept = self._known.get(teams_id)
        if kept is not None and kept[0] > time.monotonic() and kept[2] == reference:
            return kept[1]
        now = self.clock.now()

        def find(session: Session) -> Person | None:
            people = StaffRepository(session)
            row = people.get_by_teams_id(teams_id)
            if row is None:
                return None
            if reference is not None:
                people.save_conversation(row.id, reference, now)
            return Person(row.id, row.name, Role(row.role))

        person = await self.in_session(find)
        if person is not None:
            if len(self._known) >= IDENTITIES_KEPT:
                self._known.clear()
            self._known[teams_id] = (time.monotonic() + IDENTITY_KEPT_FOR, person, reference)
        return person

    async def demo_people(self) -> list[Person]:
        """One practitioner, one supervisor and one manager to try the demo as."""

        def pick(session: Session) -> list[Person]:
            chosen: dict[Role, Person] = {}
            for id, name, role in StaffRepository(session).roles():
                chosen.setdefault(Role(role), Person(id, name, Role(role)))
            return [chosen[role] for role in (Role.PRACTITIONER, Role.SUPERVISOR, Role.MANAGER) if role in chosen]

        return await self.in_session(pick)

    async def try_as(self, teams_id: str, staff_id: str) -> Person:
        """In demo mode, let this Teams user act as a demo person."""
        allowed = {person.id: person for person in await self.demo_people()} if self.demo else {}
        if staff_id not in allowed:
            now = self.clock.now()
            entry = AuditEntry(
                now, None, "try as", "staff", staff_id[:100], Outcome.REFUSED, {"teams_id": teams_id[:100]}
            )
            await self.in_session(lambda session: AuditRepository(session).add(entry))
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

        await self.in_session(link)
        self._known.clear()
        return allowed[staff_id]

    async def due_for(self, person: Person) -> list[DueLine]:
        """What is due for this person and, for a supervisor or manager, for those they oversee, soonest first."""
        now = self.clock.now()

        def read(
            session: Session,
        ) -> tuple[World, list[Obligation], list[tuple[Record, str]], list[AgreementVersion]]:
            world = load_facts(session, self.profile, now)
            AuditRepository(session).add(
                AuditEntry(now, person.id, "list due", "obligations", person.id, Outcome.ALLOWED)
            )
            unsigned = RecordRepository(session).awaiting_signature(person.id)
            agreements = AgreementRepository(session).awaiting_signature(person.id)
            return world, obligations_due(self.profile, world, now), unsigned, agreements

        world, found, unsigned, unsigned_agreements = await self.in_session(read)
        names = {staff.id: staff.name for staff in world.staff}
        managers = {staff.id: staff.line_manager or staff.supervisor for staff in world.staff}
        mine = [
            o
            for o in found
            if person.id in o.notify
            or (o.overdue and o.supervisor is not None and managers.get(o.supervisor) == person.id)
        ]
        lines = [_line(o, names, self.profile.calendar.local(o.due)) for o in mine]
        listed = {line.subject for line in lines if line.kind == "sign_off"}
        lines += [
            DueLine(
                "sign_off",
                session_id,
                "Sign the record",
                f"{load_form(record.form).title}, session {session_id}",
                names.get(record.author, record.author),
                when(self.profile.calendar.local(record.updated_at)),
                overdue=False,
                waiting=True,
            )
            for record, session_id in unsigned
            if session_id not in listed and record.form in known_forms()
        ]
        lines += [
            DueLine(
                "agreement_sign",
                str(version.id),
                "Sign the agreement",
                f"Version {version.version}",
                names.get(version.supervisee, version.supervisee),
                when(self.profile.calendar.local(version.created_at)),
                overdue=False,
                waiting=True,
            )
            for version in unsigned_agreements
        ]
        return lines


def _held_session(session: Session, session_id: str) -> PlannedSession | None:
    try:
        held = SessionRepository(session).get(session_id)
    except NotFound:
        return None
    return held if held.held_at is not None else None


def _party(person: Person, held: PlannedSession) -> Party | None:
    if person.id == held.supervisee:
        return Party.SUPERVISEE
    if person.id == held.supervisor:
        return Party.SUPERVISOR
    return None


def _name(session: Session, staff_id: str) -> str:
    return StaffRepository(session).name_of(staff_id)


def _signatures(record: Record | AgreementVersion) -> str:
    if record.supervisee_signed_at and record.supervisor_signed_at:
        return "Signed by both."
    if record.supervisee_signed_at:
        return "Signed by the supervisee; waiting for the supervisor."
    if record.supervisor_signed_at:
        return "Signed by the supervisor; waiting for the supervisee."
    return "Not signed yet."


def _line(obligation: Obligation, names: dict[str, str], due: datetime) -> DueLine:
    kind = obligation.kind.value
    who = names.get(obligation.supervisee or "", "The team")
    about = f"Case {obligation.subject}" if kind == "case_discussion" else ""
    if kind in {"recording", "sign_off"}:
        about = f"Session {obligation.subject}"
    if kind == "urgent_supervision":
        about = f"Request {obligation.subject}"
    return DueLine(kind, obligation.subject, duty_name(kind), about, who, when(due), obligation.overdue)


# ---------------------------------------------------------------------------------------------
# Guided forms


class FormOutcome(StrEnum):
    STEP = "step"
    FINISHED = "finished"
    STALE = "stale"
    CANCELLED = "cancelled"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class FormView:
    """What to show after opening a form or pressing one of its buttons."""

    outcome: FormOutcome
    card: dict[str, Any] | None = None
    message: str | None = None
    queued: tuple[int, ...] = ()  # messages for other people, to send straight away


@dataclass(frozen=True, slots=True)
class Draft:
    """A form someone started and has not finished."""

    form: str
    title: str
    thread: str
    updated: str


STEP = "_step"
ENTRY = "_entry"
EDITABLE = {"journal", "personal_record", "case_discussion"}
EDITING = "_editing"
PREVIOUS = "_previous"
SESSION = "_session"  # a session already held (urgent supervision, or one marked held), written up by this form


def _edit_button(thread: str) -> dict[str, Any]:
    return {"type": "Action.Submit", "title": "Edit", "data": {"action": "edit.form", "thread": thread}}


class Forms:
    """Opening, saving, checking and finishing guided forms; every word typed is saved first."""

    def __init__(self, companion: Companion) -> None:
        self.companion = companion

    async def open(self, person: Person, form_id: str, *, case: Any = None, held: Any = None) -> FormView:
        """The person's draft of this form where they left it, or a new one (about `case`, if given; writing up
        the session `held`, if given and theirs)."""
        if self._not_covered(form_id):
            return FormView(FormOutcome.REFUSED, message=NOT_COVERED)
        form = self.companion.form(form_id)
        now = self.companion.clock.now()

        def begin(session: Session) -> FormView:
            records = RecordRepository(session)
            existing = [draft for draft in records.drafts_by(person.id) if draft.form == form_id]
            if existing:
                draft = existing[0]
                saved = when(self.companion.profile.calendar.local(draft.updated_at))
                note = f"Welcome back. This is your draft from {saved}."
                return FormView(FormOutcome.STEP, self._card(session, person, form, draft, note=note))
            start: dict[str, Any] = {STEP: 0}
            if isinstance(held, str) and form_id in {"personal_record", "case_discussion"}:
                held_session = _held_session(session, held)
                if held_session is not None and person.id in {held_session.supervisee, held_session.supervisor}:
                    start[SESSION] = held
                    if form_id == "personal_record" and held_session.supervisee and held_session.held_at:
                        start["supervisee"] = held_session.supervisee
                        start["held_on"] = (
                            self.companion.profile.calendar.local(held_session.held_at).date().isoformat()
                        )
            if isinstance(case, str) and case in self._context(session, person, form, start).cases:
                start["case"] = case
            draft = records.save_draft(form_id, person.id, start, now)
            self._audit(session, person, "start form", draft.thread, Outcome.ALLOWED)
            return FormView(FormOutcome.STEP, self._card(session, person, form, draft))

        return await self.companion.in_session(begin)

    async def drafts(self, person: Person) -> list[Draft]:
        """The person's unfinished forms, most recently touched first."""
        calendar = self.companion.profile.calendar

        def read(session: Session) -> list[Draft]:
            return [
                Draft(d.form, load_form(d.form).title, d.thread, when(calendar.local(d.updated_at)))
                for d in RecordRepository(session).drafts_by(person.id)
                if d.form in known_forms()
            ]

        return await self.companion.in_session(read)

    async def press(self, person: Person, data: dict[str, Any]) -> FormView:
        """Handle a button on a form card: save what was typed, then check it and move on."""
        action, form_id, thread = data.get("action"), data.get("form"), data.get("thread")
        step, version = data.get("step"), data.get("version")
        if (
            not isinstance(form_id, str)
            or form_id not in known_forms()
            or not isinstance(thread, str)
            or not isinstance(step, int)
            or not isinstance(version, int)
            or isinstance(step, bool)
        ):
            return FormView(
                FormOutcome.STALE, message="I could not tell which form that button belongs to, so nothing was changed."
            )
        # An urgent request begun before the policy stopped taking them: what was typed is kept, then refused.
        form = load_form(form_id) if self._not_covered(form_id) else self.companion.form(form_id)
        now = self.companion.clock.now()

        def handle(session: Session) -> FormView:
            records = RecordRepository(session)
            record = records.latest(thread)
            if record is None or record.form != form_id:
                return FormView(FormOutcome.STALE, message="I could not find that form, so nothing was changed.")
            if record.author != person.id:
                self._audit(session, person, f"press {action}", thread, Outcome.REFUSED)
                return FormView(
                    FormOutcome.REFUSED, message="That form belongs to someone else, so I have not changed it."
                )
            if record.status is RecordStatus.FINAL:
                return FormView(FormOutcome.STALE, message="That form is already finished, so nothing was changed.")
            current = int(record.answers.get(STEP, 0))
            if version != record.version or step != current:
                note = "That card was out of date, so nothing was changed. Here is where you are now."
                return FormView(FormOutcome.STALE, self._card(session, person, form, record, note=note))
            answers = dict(record.answers)
            if action in {"form.save", "form.next", "form.finish"}:
                answers.update(answers_from(form, step, data))
                record = records.save_draft(form_id, person.id, answers, now, thread=thread, latest=record)
                self._audit(session, person, "save draft", thread, Outcome.ALLOWED)
                session.commit()  # kept now: should anything after this fail, what was typed is not lost with it
            if self._not_covered(form_id):
                return FormView(FormOutcome.REFUSED, message=f"{NOT_COVERED} What you typed is kept.")
            if action == "form.save":
                saved_at = self.companion.profile.calendar.local(now)
                note = f"Draft saved at {saved_at:%H:%M}. Type drafts to come back to it."
                return FormView(FormOutcome.STEP, self._card(session, person, form, record, note=note))
            if action == "form.cancel":
                return FormView(
                    FormOutcome.CANCELLED,
                    message=f"Stopped. Your draft of the {form.title.lower()} is kept: type drafts to carry on.",
                )
            walk = form.steps(editing=bool(answers.get(EDITING)))
            if action == "form.back":
                answers[STEP] = walk[max(0, walk.index(step) - 1)] if step in walk else walk[0]
                record = records.save_draft(form_id, person.id, answers, now, thread=thread, latest=record)
                return FormView(FormOutcome.STEP, self._card(session, person, form, record))
            moving_on = action == "form.next" and step in walk and step != walk[-1]
            following = walk[walk.index(step) + 1] if moving_on else None
            # Finishing checks every step; moving on needs only this step and the next one.
            shown = None if action == "form.finish" else [step] if following is None else [step, following]
            context = self._context(session, person, form, answers, steps=shown)
            if errors := check_step(form, step, answers, context):
                return FormView(FormOutcome.STEP, self._card(session, person, form, record, context, errors=errors))
            if following is not None:
                answers[STEP] = following
                record = records.save_draft(form_id, person.id, answers, now, thread=thread, latest=record)
                return FormView(FormOutcome.STEP, self._card(session, person, form, record, context))
            if action != "form.finish":
                return FormView(
                    FormOutcome.STALE,
                    self._card(session, person, form, record, context),
                    "I did not recognise that button.",
                )
            for earlier in walk:
                if problems := check_step(form, earlier, answers, context):
                    answers[STEP] = earlier
                    record = records.save_draft(form_id, person.id, answers, now, thread=thread, latest=record)
                    return FormView(
                        FormOutcome.STEP, self._card(session, person, form, record, context, errors=problems)
                    )
            if form_id == "case_discussion" and not answers.get(EDITING):
                # Keep what was brought forward, so later versions and summaries show it truly.
                answers[PREVIOUS] = [[a.id, a.text, a.owner, a.due] for a in context.previous_actions]
                record = records.save_draft(form_id, person.id, answers, now, thread=thread, latest=record)
            if form_id == "journal":
                # The private journal entry is kept in step with the newest finished version.
                journals = JournalRepository(session)
                content = {k: v for k, v in answers.items() if not k.startswith("_")}
                if ENTRY in answers:
                    journals.update(int(answers[ENTRY]), content, now)
                else:
                    answers[ENTRY] = journals.add(person.id, content, now).id
                record = records.save_draft(form_id, person.id, answers, now, thread=thread, latest=record)
            finished = records.finalise(record.id, now)
            self._audit(session, person, "finish form", thread, Outcome.ALLOWED)
            finished_at = when(self.companion.profile.calendar.local(now))
            if form_id == "case_discussion":
                editing = bool(answers.get(EDITING))
                session_id = self._finish_case_discussion(session, person, finished, answers, context)
                button = {
                    "type": "Action.Submit",
                    "title": "Recorded on the child's file",
                    "data": {"action": "case.recorded", "session": session_id},
                }
                heading = f"Corrected {finished_at}." if editing else f"Held {finished_at}."
                card = summary_card(
                    form, answers, heading=heading, context=context, actions=[button, _edit_button(thread)]
                )
                record_text = as_message(form, answers, context)
                which = "the corrected record" if editing else "the record"
                message = (
                    f"Here is {which} to paste into the child's file. When it is there, press "
                    f"“Recorded on the child's file”.\n\n{record_text}"
                )
                return FormView(FormOutcome.FINISHED, card, message)
            if form_id == "agreement":
                message = self._finish_agreement(session, person, answers)
                heading = f"Version signed by you {finished_at}."
                return FormView(
                    FormOutcome.FINISHED, summary_card(form, answers, heading=heading, context=context), message
                )
            if form_id == "urgent":
                reply = UrgentDesk(self.companion.profile).ask(session, person.id, answers, now)
                card = summary_card(form, answers, heading=f"Asked {finished_at}.", context=context)
                return FormView(FormOutcome.FINISHED, card, reply.text, reply.queued)
            if form_id == "personal_record":
                message = self._finish_personal_record(session, person, finished, answers)
                heading = f"Held {answers['held_on']}. Signed by you {finished_at}."
                card = summary_card(form, answers, heading=heading, context=context, actions=[_edit_button(thread)])
                return FormView(FormOutcome.FINISHED, card, message)
            entry = int(answers[ENTRY])
            buttons = [
                {
                    "type": "Action.Submit",
                    "title": "Share with my supervisor",
                    "data": {"action": "journal.share", "entry": entry},
                },
                _edit_button(thread),
            ]
            heading = f"Finished {finished_at}. Private to you."
            return FormView(
                FormOutcome.FINISHED,
                summary_card(form, finished.answers, heading=heading, context=context, actions=buttons),
                f"Your {form.title.lower()} is saved.",
            )

        return await self.companion.in_session(handle)

    def _not_covered(self, form_id: str) -> bool:
        """Whether this is the urgent request form under a policy that takes no urgent requests."""
        return form_id == "urgent" and not self.companion.profile.takes_urgent_requests

    def _context(
        self,
        session: Session,
        person: Person,
        form: FormTemplate,
        answers: dict[str, Any],
        steps: Collection[int] | None = None,
    ) -> FormContext:
        """What this person's form may offer: their own cases, the child's open actions, the policy's triggers.

        Only what the sections in `steps` show or check is looked up (None: every section): most steps ask
        for nothing from the store, so pressing Next on them reads nothing but the draft."""
        shown = {
            f.type for s in (range(len(form.sections)) if steps is None else steps) for f in form.sections[s].fields
        }
        wants_previous = FieldType.PREVIOUS_ACTIONS in shown
        wants_cases = wants_previous or FieldType.CASE in shown
        wants_people = FieldType.SUPERVISEE in shown
        cases: tuple[str, ...] = ()
        previous: tuple[OpenAction, ...] = ()
        listed: list[tuple[str, str]] = []
        if wants_cases or wants_people:
            people = StaffRepository(session)
            names = {person.id: person.name, **people.supervisees_named(person.id)}
            workers = list(names)
            supervisees = workers[1:]
            held = _held_session(session, answers[SESSION]) if isinstance(answers.get(SESSION), str) else None
            if held is not None and held.supervisee and held.supervisee not in workers:
                workers.append(held.supervisee)  # writing up urgent supervision for someone they cover
                names |= people.names_of([held.supervisee])
                supervisees = workers[1:]
            listed = [(staff_id, names.get(staff_id, staff_id)) for staff_id in (supervisees or [person.id])]
            if wants_cases:
                cases = tuple(CaseRepository(session).open_for_workers(workers))
        if wants_previous:
            chosen = answers.get("case")
            if answers.get(EDITING) and isinstance(answers.get(PREVIOUS), list):
                previous = tuple(OpenAction(*item) for item in answers[PREVIOUS])
            elif isinstance(chosen, str) and chosen in cases:
                previous = tuple(
                    OpenAction(a.id, a.text, a.owner, on_day(a.due_on) if a.due_on else "no date")
                    for a in ActionRepository(session).open_for_case(chosen)
                )
        oversight = self.companion.profile.oversight
        return FormContext(
            cases=cases,
            previous_actions=previous,
            oversight=oversight.triggers if oversight else (),
            people=tuple(listed),
            required=self.companion.profile.required_fields(form.id),
            today=self.companion.profile.calendar.local(self.companion.clock.now()).date(),
        )

    def _card(
        self,
        session: Session,
        person: Person,
        form: FormTemplate,
        record: Record,
        context: FormContext | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """The card for the record's current step; `context`, when the caller has just worked it out for the
        same answers (it does not depend on the step)."""
        step = int(record.answers.get(STEP, 0))
        context = context or self._context(session, person, form, record.answers, steps=[step])
        return step_card(
            form, step, record.answers, thread=record.thread, version=record.version, context=context, **extra
        )

    async def mark_recorded(self, person: Person, session_id: Any) -> str:
        """Stamp a case discussion as recorded on the child's file, closing the recording duty."""
        now = self.companion.clock.now()
        calendar = self.companion.profile.calendar

        def stamp(session: Session) -> str:
            sessions = SessionRepository(session)
            try:
                held = sessions.get(session_id) if isinstance(session_id, str) else None
            except NotFound:
                held = None
            if held is None:
                return "I could not find that discussion, so nothing was changed."
            if person.id not in {held.supervisee, held.supervisor}:
                AuditRepository(session).add(
                    AuditEntry(now, person.id, "mark recorded", "session", session_id, Outcome.REFUSED)
                )
                return "That discussion is not one of yours, so I have not changed it."
            if held.recorded_at is not None:
                recorded = when(calendar.local(held.recorded_at))
                return f"This was already marked as recorded on the child's file on {recorded}."
            sessions.mark_recorded(session_id, now)
            AuditRepository(session).add(
                AuditEntry(now, person.id, "mark recorded", "session", session_id, Outcome.ALLOWED)
            )
            return f"Marked as recorded on the child's file at {calendar.local(now):%H:%M}. That duty is done."

        return await self.companion.in_session(stamp)

    async def edit(self, person: Person, thread: Any) -> FormView:
        """Open a finished record again as a new version; the finished one is kept as it was."""
        now = self.companion.clock.now()

        def reopen(session: Session) -> FormView:
            records = RecordRepository(session)
            latest = records.latest(thread) if isinstance(thread, str) else None
            if latest is None or latest.form not in EDITABLE:
                return FormView(FormOutcome.STALE, message="I could not find that record, so nothing was changed.")
            if latest.author != person.id:
                self._audit(session, person, "edit record", thread, Outcome.REFUSED)
                return FormView(FormOutcome.REFUSED, message="That record is someone else's, so you cannot edit it.")
            form = self.companion.form(latest.form)
            if latest.status is RecordStatus.DRAFT:
                return FormView(
                    FormOutcome.STEP, self._card(session, person, form, latest, note="You are already editing this.")
                )
            walk = form.steps(editing=True)
            answers = {**latest.answers, STEP: walk[0], EDITING: True}
            draft = records.save_draft(latest.form, person.id, answers, now, thread=thread)
            self._audit(session, person, "edit record", thread, Outcome.ALLOWED)
            note = f"Editing makes version {draft.version}; version {latest.version} is kept as it was."
            return FormView(FormOutcome.STEP, self._card(session, person, form, draft, note=note))

        return await self.companion.in_session(reopen)

    async def share_journal(self, person: Person, entry_id: Any) -> str:
        """Share a journal entry with the supervisor as a reflective supervision record, signed by its author."""
        now = self.companion.clock.now()

        def share(session: Session) -> str:
            journals = JournalRepository(session)
            entry = journals.get(entry_id) if isinstance(entry_id, int) and not isinstance(entry_id, bool) else None
            if entry is None or entry.author != person.id:
                if entry is not None:
                    self._audit(session, person, "share journal", str(entry_id), Outcome.REFUSED)
                return "I could not find that journal entry among yours, so nothing was shared."
            if entry.shared_at is not None:
                return "You have already shared this entry with your supervisor."
            relationship = StaffRepository(session).current_supervisor(person.id)
            if relationship is None:
                return "You have no supervisor recorded, so there is no one to share it with. Please ask your manager."
            records = RecordRepository(session)
            record = records.save_draft("journal", person.id, entry.answers, now)
            record = records.finalise(record.id, now)
            session_id = f"RJ-{entry.id}"
            sessions = SessionRepository(session)
            sessions.plan(session_id, person.id, relationship.supervisor, "reflective", now)
            sessions.hold(session_id, now)
            sessions.mark_recorded(session_id, now)
            records.attach_session(record.id, session_id)
            records.sign(record.id, Party.SUPERVISEE, now)
            journals.share(entry.id, record.id, now)
            self._audit(session, person, "share journal", session_id, Outcome.ALLOWED)
            return (
                "Shared with your supervisor as a reflective supervision record, signed by you. "
                "It is complete once your supervisor signs it too."
            )

        return await self.companion.in_session(share)

    async def read_record(self, person: Person, session_id: Any) -> FormView:
        """A session's record, for its supervisee or supervisor only, with a Sign button if they have not signed."""

        def read(session: Session) -> FormView:
            found = self._session_record(session, session_id)
            if found is None:
                return FormView(FormOutcome.STALE, message="I could not find that record.")
            held, record = found
            party = _party(person, held)
            if party is None:
                self._audit(session, person, "read record", str(session_id), Outcome.REFUSED)
                return FormView(FormOutcome.REFUSED, message="That record is not one of yours, so I cannot show it.")
            self._audit(session, person, "read record", str(session_id), Outcome.ALLOWED)
            signed = record.supervisee_signed_at if party is Party.SUPERVISEE else record.supervisor_signed_at
            buttons = (
                []
                if signed
                else [{"type": "Action.Submit", "title": "Sign", "data": {"action": "record.sign", "session": held.id}}]
            )
            form = self.companion.form(record.form)
            heading = f"Shared by {_name(session, record.author)}. " + _signatures(record)
            return FormView(FormOutcome.STEP, summary_card(form, record.answers, heading=heading, actions=buttons))

        return await self.companion.in_session(read)

    async def sign_record(self, person: Person, session_id: Any) -> str:
        """Sign a session's record; once both have signed, the sign-off duty is done."""
        now = self.companion.clock.now()

        def sign(session: Session) -> str:
            found = self._session_record(session, session_id)
            if found is None:
                return "I could not find that record, so nothing was signed."
            held, record = found
            party = _party(person, held)
            if party is None:
                self._audit(session, person, "sign record", str(session_id), Outcome.REFUSED)
                return "That record is not one of yours, so you cannot sign it."
            already = record.supervisee_signed_at if party is Party.SUPERVISEE else record.supervisor_signed_at
            if already is not None:
                return "You have already signed this record."
            record = RecordRepository(session).sign(record.id, party, now)
            self._audit(session, person, "sign record", held.id, Outcome.ALLOWED)
            if record.supervisee_signed_at and record.supervisor_signed_at:
                SessionRepository(session).mark_signed_off(held.id, now)
                return "Signed. Both of you have now signed, so the record is complete."
            return "Signed. It is complete once the other person signs too."

        return await self.companion.in_session(sign)

    @staticmethod
    def _session_record(session: Session, session_id: Any) -> tuple[PlannedSession, Record] | None:
        if not isinstance(session_id, str):
            return None
        try:
            held = SessionRepository(session).get(session_id)
        except NotFound:
            return None
        record = RecordRepository(session).for_session(session_id)
        return (held, record) if record is not None else None

    def _finish_agreement(self, session: Session, person: Person, answers: dict[str, Any]) -> str:
        """Make the answers a new version of the agreement, signed by whoever finished it."""
        now = self.companion.clock.now()
        supervisee = str(answers["supervisee"])
        relationship = StaffRepository(session).current_supervisor(supervisee)
        supervisor = relationship.supervisor if supervisee == person.id and relationship else person.id
        if supervisor == supervisee:
            return "You have no supervisor recorded, so the agreement has no one to sign with. Please ask your manager."
        content = {key: value for key, value in answers.items() if key != STEP}
        agreements = AgreementRepository(session)
        version = agreements.add_version(supervisee, supervisor, content, now)
        agreements.sign(version.id, Party.SUPERVISEE if person.id == supervisee else Party.SUPERVISOR, now)
        self._audit(session, person, "agreement version", str(version.id), Outcome.ALLOWED)
        other = supervisor if person.id == supervisee else supervisee
        return (
            f"Version {version.version} saved and signed by you. {_name(session, other)} can read it from their "
            "due list, then sign it or suggest changes."
        )

    async def read_agreement(self, person: Person, agreement_id: Any) -> FormView:
        """An agreement version for one of its parties, with Sign and Suggest changes if they have not signed."""

        def read(session: Session) -> FormView:
            version = self._agreement_for(session, person, agreement_id, "read agreement")
            if isinstance(version, str):
                return FormView(FormOutcome.REFUSED, message=version)
            self._audit(session, person, "read agreement", str(version.id), Outcome.ALLOWED)
            mine = version.supervisee_signed_at if person.id == version.supervisee else version.supervisor_signed_at
            data = {"id": version.id}
            buttons = (
                []
                if mine
                else [
                    {"type": "Action.Submit", "title": "Sign", "data": {"action": "agreement.sign", **data}},
                    {
                        "type": "Action.Submit",
                        "title": "Suggest changes",
                        "data": {"action": "agreement.change", **data},
                    },
                ]
            )
            heading = f"Version {version.version}. " + _signatures(version)
            card = summary_card(self.companion.form("agreement"), version.content, heading=heading, actions=buttons)
            return FormView(FormOutcome.STEP, card)

        return await self.companion.in_session(read)

    async def sign_agreement(self, person: Person, agreement_id: Any) -> str:
        """Sign the newest version; once both have, say when the policy wants it reviewed."""
        now = self.companion.clock.now()
        calendar = self.companion.profile.calendar

        def sign(session: Session) -> str:
            version = self._agreement_for(session, person, agreement_id, "sign agreement")
            if isinstance(version, str):
                return version
            party = Party.SUPERVISEE if person.id == version.supervisee else Party.SUPERVISOR
            mine = version.supervisee_signed_at if party is Party.SUPERVISEE else version.supervisor_signed_at
            if mine is not None:
                return "You have already signed this version."
            signed = AgreementRepository(session).sign(version.id, party, now)
            self._audit(session, person, "sign agreement", str(version.id), Outcome.ALLOWED)
            if signed.signed_at is None:
                return "Signed. It takes effect once the other person signs too."
            session.flush()
            world = load_facts(session, self.companion.profile, now)
            renewal = [
                o
                for o in obligations_due(self.companion.profile, world, now)
                if o.kind.value == "agreement" and o.subject == version.supervisee
            ]
            review = f" It is due for review by {when(calendar.local(renewal[0].due))}." if renewal else ""
            return f"Signed by both of you, so the agreement is in force.{review}"

        return await self.companion.in_session(sign)

    async def change_agreement(self, person: Person, agreement_id: Any) -> FormView:
        """Open the agreement as a new draft, filled with this version, for the reader to change and sign."""
        now = self.companion.clock.now()

        def change(session: Session) -> FormView:
            version = self._agreement_for(session, person, agreement_id, "change agreement")
            if isinstance(version, str):
                return FormView(FormOutcome.REFUSED, message=version)
            draft = RecordRepository(session).save_draft("agreement", person.id, {**version.content, STEP: 1}, now)
            note = "Change what you need, then finish and sign. The other person will be asked to sign the new version."
            return FormView(
                FormOutcome.STEP, self._card(session, person, self.companion.form("agreement"), draft, note=note)
            )

        return await self.companion.in_session(change)

    def _agreement_for(
        self, session: Session, person: Person, agreement_id: Any, action: str
    ) -> AgreementVersion | str:
        """The newest version of an agreement this person is party to, or why not."""
        agreements = AgreementRepository(session)
        valid = isinstance(agreement_id, int) and not isinstance(agreement_id, bool)
        version = agreements.get(agreement_id) if valid else None
        if version is None:
            return "I could not find that agreement, so nothing was changed."
        if person.id not in {version.supervisee, version.supervisor}:
            self._audit(session, person, action, str(agreement_id), Outcome.REFUSED)
            return "That agreement is not one of yours, so I cannot show or change it."
        newest = agreements.versions(version.supervisee, version.supervisor)[-1]
        if newest.id != version.id:
            return f"There is a newer version (version {newest.version}); please read that one from your due list."
        return version

    def _finish_personal_record(self, session: Session, person: Person, record: Record, answers: dict[str, Any]) -> str:
        """Hold the personal supervision session on the day given and sign the record as its author."""
        now = self.companion.clock.now()
        calendar = self.companion.profile.calendar
        supervisee = str(answers["supervisee"])
        relationship = StaffRepository(session).current_supervisor(supervisee)
        supervisor = relationship.supervisor if supervisee == person.id and relationship else person.id
        held_on = date.fromisoformat(str(answers["held_on"]))
        held_at = now if held_on == calendar.local(now).date() else calendar.midnight(held_on)
        sessions = SessionRepository(session)
        linked = answers.get(SESSION) if isinstance(answers.get(SESSION), str) else None
        session_id = record.session_id or linked or f"PS-{record.thread[:12]}"
        if linked and record.session_id is None:
            held_at = sessions.get(linked).held_at or held_at  # written up afterwards: keep when it was held
        elif record.session_id is None:
            sessions.plan(session_id, supervisee, supervisor, "personal", held_at)
        else:  # an edit of a finished record: the same session, perhaps corrected
            sessions.reassign(session_id, supervisee, supervisor)
        sessions.hold(session_id, held_at, sessions.get(session_id).cases)
        sessions.mark_recorded(session_id, now)
        records = RecordRepository(session)
        records.attach_session(record.id, session_id)
        records.sign(record.id, Party.SUPERVISEE if person.id == supervisee else Party.SUPERVISOR, now)
        other = supervisor if person.id == supervisee else supervisee
        return f"Saved and signed by you. {_name(session, other or '')} can read and sign it from their due list."

    def _finish_case_discussion(
        self, session: Session, person: Person, record: Record, answers: dict[str, Any], context: FormContext
    ) -> str:
        """Hold the session naming the child, settle the earlier actions and add the new ones."""
        now = self.companion.clock.now()
        case_id = str(answers["case"])
        case_row = CaseRepository(session).get(case_id)
        assert case_row is not None
        worker = case_row.worker_id
        relationship = StaffRepository(session).current_supervisor(worker)
        supervisor = person.id if worker != person.id else (relationship.supervisor if relationship else None)
        sessions = SessionRepository(session)
        records = RecordRepository(session)
        party = Party.SUPERVISEE if person.id == worker else Party.SUPERVISOR
        if answers.get(EDITING) and record.session_id:
            # A correction: the same discussion, its actions untouched; the corrected record must reach the file.
            sessions.mark_recorded(record.session_id, None)
            records.sign(record.id, party, now)
            return record.session_id
        linked = str(answers[SESSION]) if isinstance(answers.get(SESSION), str) else None
        if linked:  # the discussion was held already (urgent supervision): this is its record
            session_id = linked
            sessions.hold(session_id, sessions.get(linked).held_at or now, [case_id])
        else:
            session_id = f"CD-{record.thread[:12]}"
            sessions.plan(session_id, worker, supervisor, "case", now)
            sessions.hold(session_id, now, [case_id])
        records.attach_session(record.id, session_id)
        records.sign(record.id, party, now)
        actions = ActionRepository(session)
        for action in context.previous_actions:
            outcome = answers.get(f"previous.{action.id}")
            if outcome in {"done", "not_done"}:
                why = str(answers.get(f"previous.{action.id}.why") or "").strip() or None
                actions.close(action.id, ActionStatus(outcome), why, record.id)
        for row in range(ROWS):
            what = str(answers.get(f"actions.{row}.what") or "").strip()
            if what:
                who = str(answers.get(f"actions.{row}.who") or "").strip()
                by = date.fromisoformat(str(answers[f"actions.{row}.by"]))
                actions.add(case_id, what, who, by, raised_in=record.id)
        return session_id

    def _audit(self, session: Session, person: Person, action: str, thread: str, outcome: Outcome) -> None:
        AuditRepository(session).add(
            AuditEntry(self.companion.clock.now(), person.id, action, "record", thread, outcome)
        )
