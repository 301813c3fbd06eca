"""Urgent requests: who has one now and when it is arranged for; reminders held back until a time

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 06:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("urgent_requests") as table:
        table.add_column(sa.Column("handler_id", sa.String(length=64), nullable=True))
        table.add_column(sa.Column("arranged_for", sa.DateTime(timezone=True), nullable=True))
        table.create_foreign_key(op.f("fk_urgent_requests_handler_id_staff"), "staff", ["handler_id"], ["id"])
    with op.batch_alter_table("nudge_outbox") as table:
        table.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("nudge_outbox") as table:
        table.drop_column("not_before")
    with op.batch_alter_table("urgent_requests") as table:
        table.drop_constraint(op.f("fk_urgent_requests_handler_id_staff"), type_="foreignkey")
        table.drop_column("arranged_for")
        table.drop_column("handler_id")
