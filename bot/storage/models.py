"""The database tables, as SQLAlchemy 2 typed models.

Children appear only as case IDs: no table has a column for a child's name. Every date-time is
stored in UTC and comes back timezone-aware; plain dates are stored as dates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

ID = String(64)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware date-time, stored as UTC on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a date-time without a time zone cannot be stored")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON(), date: Date()}


class StaffRow(Base):
    __tablename__ = "staff"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    employment: Mapped[str] = mapped_column(String(20))
    hours: Mapped[str] = mapped_column(String(20))
    nqsw: Mapped[bool] = mapped_column(Boolean)
    start_date: Mapped[date]
    team: Mapped[str | None] = mapped_column(ID)
    line_manager_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    aad_object_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    service_url: Mapped[str | None] = mapped_column(String(500))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    conversation_id: Mapped[str | None] = mapped_column(String(500))
    conversation_updated_at: Mapped[datetime | None]
    unreachable_since: Mapped[datetime | None]


class RelationshipRow(Base):
    __tablename__ = "supervisory_relationships"
    __table_args__ = (Index(None, "supervisee_id", "ended_on"), Index(None, "supervisor_id", "ended_on"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    supervisee_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    supervisor_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    is_cover: Mapped[bool] = mapped_column(Boolean, default=False)
    cover_until: Mapped[date | None]


class AgreementRow(Base):
    __tablename__ = "agreements"
    __table_args__ = (UniqueConstraint("supervisee_id", "supervisor_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    supervisee_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    supervisor_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    version: Mapped[int]
    content: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    supervisee_signed_at: Mapped[datetime | None]
    supervisor_signed_at: Mapped[datetime | None]


class CaseRow(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    worker_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    allocated_on: Mapped[date]
    risk: Mapped[str | None] = mapped_column(String(10))
    age: Mapped[int | None]
    closed_on: Mapped[date | None]


class SessionRow(Base):
    __tablename__ = "supervision_sessions"
    __table_args__ = (Index(None, "supervisee_id", "held_at"), Index(None, "supervisee_id", "kind", "held_at", "id"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    supervisee_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    supervisor_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    planned_for: Mapped[datetime | None]
    held_at: Mapped[datetime | None]
    rebooked_from_id: Mapped[str | None] = mapped_column(ForeignKey("supervision_sessions.id"))
    team: Mapped[str | None] = mapped_column(ID)
    recorded_at: Mapped[datetime | None]
    signed_off_at: Mapped[datetime | None]


class SessionCaseRow(Base):
    __tablename__ = "session_cases"

    session_id: Mapped[str] = mapped_column(ForeignKey("supervision_sessions.id", ondelete="CASCADE"), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True, index=True)


class RecordRow(Base):
    __tablename__ = "records"
    __table_args__ = (UniqueConstraint("thread", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    thread: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    form: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    session_id: Mapped[str | None] = mapped_column(ForeignKey("supervision_sessions.id"))
    status: Mapped[str] = mapped_column(String(20))
    answers: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    supervisee_signed_at: Mapped[datetime | None]
    supervisor_signed_at: Mapped[datetime | None]


class ActionRow(Base):
    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    text: Mapped[str] = mapped_column(String(1000))
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(1000))
    raised_in_record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"))
    closed_in_record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"))


class JournalEntryRow(Base):
    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    answers: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    shared_at: Mapped[datetime | None]
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"))


class UrgentRequestRow(Base):
    __tablename__ = "urgent_requests"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    requester_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    requested_at: Mapped[datetime]
    about: Mapped[str | None] = mapped_column(String(1000))
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"))
    free_at: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    closed_at: Mapped[datetime | None]
    session_id: Mapped[str | None] = mapped_column(ForeignKey("supervision_sessions.id"))
    handler_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    arranged_for: Mapped[datetime | None]


class NudgeRow(Base):
    __tablename__ = "nudge_outbox"
    __table_args__ = (
        UniqueConstraint("obligation_kind", "subject", "stage", "recipient_id"),
        Index(None, "sent_at", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    obligation_kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(ID)
    stage: Mapped[str] = mapped_column(String(40))
    recipient_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    due: Mapped[datetime]
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    not_before: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str | None] = mapped_column(ID)
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]]
