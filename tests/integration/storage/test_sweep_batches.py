"""A sweep queues its reminders in batches (OutboxRepository.enqueue_many, fed by bot.sweep): batches change nothing
but how many statements it takes, on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.rules.profile import load_profile
from bot.storage.models import NudgeRow
from bot.storage.world import import_world
from bot.sweep import sweep
from bot.worldfile import read_world_file

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)


def outbox(db: Session) -> list[tuple[str, str, str, str, dict[str, object]]]:
    rows = db.execute(select(NudgeRow.obligation_kind, NudgeRow.subject, NudgeRow.stage, NudgeRow.recipient_id,
                             NudgeRow.payload)).all()  # fmt: skip
    return sorted((kind, subject, stage, recipient, payload) for kind, subject, stage, recipient, payload in rows)


def test_a_sweep_in_batches_of_two_queues_just_what_it_would_in_one(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = load_profile("wokingham")
    import_world(db, read_world_file(ROOT / "examples" / "wokingham.json", profile.calendar), profile.calendar)
    db.commit()
    planned = sweep(db, profile, NOW, dry_run=True)
    assert len(planned) > 2  # more than one batch
    monkeypatch.setattr("bot.storage.repositories.QUEUE_AT_ONCE", 2)
    queued = sweep(db, profile, NOW)
    db.commit()
    assert queued == planned
    in_batches = outbox(db)
    assert [row[:4] for row in in_batches] == sorted(n.outbox_key for n in planned)

    db.execute(NudgeRow.__table__.delete())
    db.commit()
    monkeypatch.undo()
    assert sweep(db, profile, NOW) == planned
    db.commit()
    assert outbox(db) == in_batches  # the same messages, word for word
    assert sweep(db, profile, NOW) == []
