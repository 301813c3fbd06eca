"""The facts the rules engine reasons over: staff, sessions, agreements, cases and urgent requests.

These are plain frozen dataclasses with no behaviour of their own. The store maps its rows to
them and the world-file reader parses JSON into them; the engine never sees anything else.
All date-times are timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    PRACTITIONER = "practitioner"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"


class Employment(StrEnum):
    PERMANENT = "permanent"
    AGENCY = "agency"
    TEMPORARY = "temporary"


class Hours(StrEnum):
    FULL_TIME = "full_time"
    PART_TIME = "part_time"


class SessionKind(StrEnum):
    PERSONAL = "personal"
    CASE = "case"
    REFLECTIVE = "reflective"
    GROUP = "group"
    URGENT = "urgent"
    OBSERVATION = "observation"


class CaseCategory(StrEnum):
    EARLY_HELP = "early_help"
    LEVEL_2 = "level_2"
    ASSESSMENT = "assessment"
    CHILD_IN_NEED = "child_in_need"
    CHILD_PROTECTION = "child_protection"
    CHILD_IN_CARE = "child_in_care"
    CARE_LEAVER = "care_leaver"
    SUPERVISING_SOCIAL_WORKER = "supervising_social_worker"


class Risk(StrEnum):
    HIGH = "high"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class Staff:
    """A member of staff and who supervises them."""

    id: str
    name: str
    role: Role
    employment: Employment
    hours: Hours
    nqsw: bool
    start_date: datetime
    supervisor: str | None = None
    supervisor_since: datetime | None = None
    line_manager: str | None = None
    team: str | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """A supervision session that was held."""

    id: str
    supervisee: str | None
    supervisor: str | None
    kind: SessionKind
    held_at: datetime
    recorded_at: datetime | None = None
    cases: tuple[str, ...] = ()
    signed_off_at: datetime | None = None
    team: str | None = None


@dataclass(frozen=True, slots=True)
class Agreement:
    """A supervision agreement signed by both parties."""

    supervisee: str
    supervisor: str
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class Case:
    """A child's case, known only by its case ID, and the worker it is allocated to."""

    id: str
    worker: str
    category: CaseCategory
    allocated_on: datetime
    risk: Risk | None = None
    age: int | None = None


@dataclass(frozen=True, slots=True)
class UrgentRequest:
    """A practitioner's request for urgent supervision."""

    id: str
    requester: str
    requested_at: datetime


@dataclass(frozen=True, slots=True)
class World:
    """Everything the engine needs to know about one council at one moment."""

    staff: tuple[Staff, ...] = ()
    sessions: tuple[Session, ...] = ()
    agreements: tuple[Agreement, ...] = ()
    cases: tuple[Case, ...] = ()
    urgent_requests: tuple[UrgentRequest, ...] = field(default=())
