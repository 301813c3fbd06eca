"""Finding a supervisor's supervisees without reading every relationship (each form step that offers cases)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_supervisory_relationships_supervisor_id_ended_on"),
        "supervisory_relationships",
        ["supervisor_id", "ended_on"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_supervisory_relationships_supervisor_id_ended_on"), table_name="supervisory_relationships")
