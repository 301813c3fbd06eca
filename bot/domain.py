"""Domain types beyond the rules' facts: records, journals, agreements, nudges and the audit log.

Plain frozen dataclasses; the store maps its rows to these at its edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class SessionStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class RecordStatus(StrEnum):
    DRAFT = "draft"
    FINAL = "final"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    NOT_DONE = "not_done"


class Party(StrEnum):
    SUPERVISEE = "supervisee"
    SUPERVISOR = "supervisor"


class Outcome(StrEnum):
    ALLOWED = "allowed"
    REFUSED = "refused"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class ConversationReference:
    """Where to reach someone in Teams for a message they did not ask for."""

    service_url: str
    tenant_id: str | None
    conversation_id: str


@dataclass(frozen=True, slots=True)
class Relationship:
    """Who supervised whom, from when to when, and whether as cover."""

    supervisee: str
    supervisor: str
    started_on: date
    ended_on: date | None = None
    is_cover: bool = False
    cover_until: date | None = None


@dataclass(frozen=True, slots=True)
class AgreementVersion:
    """One version of a supervision agreement and who has signed it."""

    id: int
    supervisee: str
    supervisor: str
    version: int
    content: dict[str, Any]
    created_at: datetime
    supervisee_signed_at: datetime | None = None
    supervisor_signed_at: datetime | None = None

    @property
    def signed_at(self) -> datetime | None:
        """When the agreement took effect: the later signature, once both have signed."""
        if self.supervisee_signed_at is None or self.supervisor_signed_at is None:
            return None
        return max(self.supervisee_signed_at, self.supervisor_signed_at)


@dataclass(frozen=True, slots=True)
class PlannedSession:
    """A supervision session in any state: planned, held or cancelled."""

    id: str
    supervisee: str | None
    supervisor: str | None
    kind: str
    status: SessionStatus
    planned_for: datetime | None = None
    held_at: datetime | None = None
    rebooked_from: str | None = None
    team: str | None = None
    recorded_at: datetime | None = None
    signed_off_at: datetime | None = None
    cases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Record:
    """One version of a form's answers: a draft, or final and signed."""

    id: int
    thread: str
    version: int
    form: str
    author: str
    status: RecordStatus
    answers: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    session_id: str | None = None
    supervisee_signed_at: datetime | None = None
    supervisor_signed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """Something agreed for a child's case, carried forward until done or not done."""

    id: int
    case_id: str
    text: str
    owner: str
    due_on: date | None
    status: ActionStatus = ActionStatus.OPEN
    reason: str | None = None
    raised_in_record: int | None = None
    closed_in_record: int | None = None


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A reflective journal entry, private to its author until shared."""

    id: int
    author: str
    answers: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    shared_at: datetime | None = None
    record_id: int | None = None


@dataclass(frozen=True, slots=True)
class UrgentRequestDetail:
    """An urgent supervision request and what has happened to it."""

    id: str
    requester: str
    requested_at: datetime
    about: str | None = None
    case_id: str | None = None
    free_at: str | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    closed_at: datetime | None = None
    session_id: str | None = None
    handler: str | None = None  # who has the request now: the supervisor, their cover, or whoever it was passed to
    arranged_for: datetime | None = None


@dataclass(frozen=True, slots=True)
class Nudge:
    """A reminder waiting in the outbox, unique on (kind, subject, stage, recipient)."""

    id: int
    obligation_kind: str
    subject: str
    stage: str
    recipient: str
    due: datetime
    payload: dict[str, Any]
    created_at: datetime
    claimed_at: datetime | None = None
    claimed_by: str | None = None
    sent_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    not_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did or tried what to which record, and whether it was allowed."""

    at: datetime
    actor: str | None
    action: str
    target_type: str
    target_id: str | None
    outcome: Outcome
    detail: dict[str, Any] = field(default_factory=dict)
