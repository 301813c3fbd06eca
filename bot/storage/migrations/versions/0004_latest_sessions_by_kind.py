"""Finding each person's latest session of each kind by walking an index back from now (each sweep)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_supervision_sessions_supervisee_id_kind_held_at_id"),
        "supervision_sessions",
        ["supervisee_id", "kind", "held_at", "id"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_supervision_sessions_supervisee_id_kind_held_at_id"), table_name="supervision_sessions")
