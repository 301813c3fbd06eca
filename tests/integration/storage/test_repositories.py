"""One contract for every repository, run against a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.demo import demo_world
from bot.domain import (
    ActionStatus,
    AuditEntry,
    ConversationReference,
    Outcome,
    Party,
    RecordStatus,
    SessionStatus,
    UrgentRequestDetail,
)
from bot.rules.facts import Employment, Hours, Role, Staff, World
from bot.storage.db import MIGRATIONS, create_engine_for, is_reachable, migrate, session_factory
from bot.storage.models import NudgeRow, RecordRow, StaffRow
from bot.storage.repositories import (
    QUEUE_AT_ONCE,
    ActionRepository,
    AgreementRepository,
    AuditRepository,
    CaseRepository,
    JournalRepository,
    OutboxRepository,
    Queueing,
    RecordRepository,
    SessionRepository,
    StaffRepository,
    UrgentRequestRepository,
)
from bot.storage.world import import_world, load_world

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    """An open session on a migrated database holding the demo team."""
    engine = create_engine_for(database_url)
    with session_factory(engine)() as session:
        import_world(session, demo_world(TODAY))
        session.commit()
        yield session
    engine.dispose()


def canonical(world: World) -> tuple[Any, ...]:
    return tuple(tuple(sorted(items, key=repr)) for items in (world.staff, world.sessions, world.agreements,
                                                               world.cases, world.urgent_requests))  # fmt: skip


# --- the facts the rules engine reads ---------------------------------------------------------


def test_the_facts_read_back_from_the_store_are_the_facts_imported(db: Session) -> None:
    assert canonical(load_world(db)) == canonical(demo_world(TODAY))


def test_importing_the_same_facts_again_reports_everything_unchanged(db: Session) -> None:
    summary = import_world(db, demo_world(TODAY))
    assert sum(summary.added.values()) == 0
    assert sum(summary.updated.values()) == 0
    assert summary.unchanged["staff"] == len(demo_world(TODAY).staff)
    assert summary.unchanged["sessions"] == len(demo_world(TODAY).sessions)
    db.commit()
    assert canonical(load_world(db)) == canonical(demo_world(TODAY))


def test_a_session_in_summer_time_reads_back_as_the_same_instant_after_the_clocks_change(db: Session) -> None:
    sessions = SessionRepository(db)
    summer = datetime(2026, 10, 24, 23, 30, tzinfo=LONDON)  # 22:30 UTC, the night before the clocks go back
    sessions.plan("S-summer", "p1", "s1", "personal", summer)
    sessions.hold("S-summer", summer)
    db.commit()
    held = sessions.get("S-summer").held_at
    assert held == summer
    assert held is not None and held.astimezone(LONDON).isoformat() == "2026-10-24T23:30:00+01:00"


# --- staff and supervision ---------------------------------------------------------------------


def test_changing_supervisor_keeps_the_old_relationship_in_history(db: Session) -> None:
    people = StaffRepository(db)
    assert people.set_supervisor("p1", "s2", date(2026, 12, 1)) is True
    db.commit()
    history = people.history("p1")
    assert [(r.supervisor, r.started_on, r.ended_on) for r in history] == [
        ("s1", TODAY - timedelta(days=400), date(2026, 12, 1)),
        ("s2", date(2026, 12, 1), None),
    ]
    assert people.current_supervisor("p1") == history[-1]
    person = next(s for s in load_world(db).staff if s.id == "p1")
    assert person.supervisor == "s2"
    assert person.supervisor_since == datetime(2026, 12, 1, tzinfo=LONDON)


def test_a_cover_supervisor_is_found_only_while_the_cover_lasts(db: Session) -> None:
    people = StaffRepository(db)
    people.add_cover("p1", "s2", date(2026, 12, 1), date(2026, 12, 14))
    db.commit()
    cover = people.cover_on("p1", date(2026, 12, 7))
    assert cover is not None and cover.supervisor == "s2" and cover.is_cover
    assert people.cover_on("p1", date(2026, 12, 15)) is None
    assert people.current_supervisor("p1") is not None
    assert people.current_supervisor("p1").supervisor == "s1"  # type: ignore[union-attr]


def test_a_teams_identity_and_conversation_are_kept_for_messages_later(db: Session) -> None:
    people = StaffRepository(db)
    people.link_teams_identity("p2", "aad-0002")
    reference = ConversationReference("https://smba.example.test/uk/", "tenant-1", "a:conversation-2")
    people.save_conversation("p2", reference, NOW)
    db.commit()
    row = people.get_by_teams_id("aad-0002")
    assert row is not None and row.id == "p2"
    assert people.get_conversation("p2") == reference
    people.mark_unreachable("p2", NOW)
    db.commit()
    assert people.get("p2").unreachable_since == NOW  # type: ignore[union-attr]


def test_two_people_cannot_share_one_teams_identity(db: Session) -> None:
    people = StaffRepository(db)
    people.link_teams_identity("p1", "aad-same")
    db.commit()
    people.link_teams_identity("p2", "aad-same")
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


# --- agreements ------------------------------------------------------------------------------


def test_an_agreement_takes_effect_only_when_both_have_signed_and_versions_are_kept(db: Session) -> None:
    agreements = AgreementRepository(db)
    first = agreements.add_version("p2", "s1", {"mandate": "Support and challenge"}, NOW)
    agreements.sign(first.id, Party.SUPERVISEE, NOW)
    db.commit()
    assert agreements.latest_signed("p2", "s1") is None
    signed = agreements.sign(first.id, Party.SUPERVISOR, NOW + timedelta(hours=2))
    assert signed.signed_at == NOW + timedelta(hours=2)
    second = agreements.add_version("p2", "s1", {"mandate": "Support, challenge and reflection"}, NOW)
    db.commit()
    versions = agreements.versions("p2", "s1")
    assert [(v.version, v.content["mandate"]) for v in versions] == [
        (1, "Support and challenge"),
        (2, "Support, challenge and reflection"),
    ]
    assert second.signed_at is None
    assert agreements.latest_signed("p2", "s1") == versions[0]


# --- sessions ----------------------------------------------------------------------------------


def test_a_cancelled_session_is_rebooked_and_remembers_what_it_replaces(db: Session) -> None:
    sessions = SessionRepository(db)
    sessions.plan("S-100", "p2", "s1", "personal", NOW + timedelta(days=2))
    rebooked = sessions.rebook("S-100", "S-101", NOW + timedelta(days=3))
    db.commit()
    assert sessions.get("S-100").status is SessionStatus.CANCELLED
    assert (rebooked.status, rebooked.rebooked_from, rebooked.supervisee) == (SessionStatus.PLANNED, "S-100", "p2")
    held = sessions.hold("S-101", NOW + timedelta(days=3), ["C-1004"])
    sessions.mark_recorded("S-101", NOW + timedelta(days=4))
    db.commit()
    assert (held.status, held.cases) == (SessionStatus.HELD, ("C-1004",))
    world = load_world(db)
    assert "S-100" not in {s.id for s in world.sessions}
    assert next(s for s in world.sessions if s.id == "S-101").recorded_at == NOW + timedelta(days=4)


# --- records, actions, journals --------------------------------------------------------------


def test_a_draft_is_updated_in_place_and_an_edit_after_finishing_makes_a_new_version(db: Session) -> None:
    records = RecordRepository(db)
    draft = records.save_draft("case_discussion", "s1", {"key_issues": "School attendance"}, NOW)
    again = records.save_draft("case_discussion", "s1", {"key_issues": "School attendance, housing"}, NOW,
                               thread=draft.thread)  # fmt: skip
    assert (again.id, again.version) == (draft.id, 1)
    finished = records.finalise(draft.id, NOW)
    assert finished.answers == {"key_issues": "School attendance, housing"}
    assert records.latest(draft.thread) == finished  # seen finished before any commit
    edit = records.save_draft("case_discussion", "s1", {"key_issues": "Housing"}, NOW, thread=draft.thread)
    db.commit()
    history = records.history(draft.thread)
    assert [(r.version, r.status, r.answers["key_issues"]) for r in history] == [
        (1, RecordStatus.FINAL, "School attendance, housing"),
        (2, RecordStatus.DRAFT, "Housing"),
    ]
    assert records.drafts_by("s1") == [history[1]]
    assert edit.id != draft.id


def test_keeping_what_was_typed_shows_in_the_row_already_loaded_in_the_session(db: Session) -> None:
    records = RecordRepository(db)
    draft = records.save_draft("case_discussion", "s1", {"key_issues": "School attendance"}, NOW)
    loaded = db.get(RecordRow, draft.id)
    assert loaded is not None
    records.save_draft("case_discussion", "s1", {"key_issues": "Housing"}, NOW + timedelta(minutes=1),
                       thread=draft.thread, latest=draft)  # fmt: skip
    assert (loaded.answers, loaded.updated_at) == ({"key_issues": "Housing"}, NOW + timedelta(minutes=1))
    assert records.finalise(draft.id, NOW).answers == {"key_issues": "Housing"}


def test_actions_for_a_child_are_carried_forward_until_done_or_not_done(db: Session) -> None:
    actions = ActionRepository(db)
    visit = actions.add("C-1001", "Visit the school", "p1", date(2026, 12, 4))
    letter = actions.add("C-1001", "Write to the family doctor", "p1", None)
    actions.add("C-1002", "Review the care plan", "s1", date(2026, 12, 10))
    db.commit()
    assert [a.text for a in actions.open_for_case("C-1001")] == ["Visit the school", "Write to the family doctor"]
    actions.close(visit.id, ActionStatus.DONE, None, None)
    closed = actions.close(letter.id, ActionStatus.NOT_DONE, "The doctor asked for a meeting instead", None)
    db.commit()
    assert actions.open_for_case("C-1001") == []
    assert closed.reason == "The doctor asked for a meeting instead"


def test_a_journal_entry_is_private_to_its_author_until_shared(db: Session) -> None:
    journals = JournalRepository(db)
    records = RecordRepository(db)
    entry = journals.add("p1", {"event": "A difficult home visit"}, NOW)
    db.commit()
    assert journals.get_for(entry.id, "p1") is not None
    assert journals.get_for(entry.id, "s1", supervisees=["p1"]) is None
    assert journals.get_for(entry.id, "p3") is None
    record = records.save_draft("reflective_journal", "p1", entry.answers, NOW)
    journals.share(entry.id, record.id, NOW)
    db.commit()
    assert journals.get_for(entry.id, "s1", supervisees=["p1"]) is not None
    assert journals.get_for(entry.id, "s2", supervisees=["p4", "p5"]) is None


def test_an_urgent_request_is_acknowledged_and_closed(db: Session) -> None:
    requests = UrgentRequestRepository(db)
    requests.save(UrgentRequestDetail("U-2", "p3", NOW, about="A disclosure at a visit", case_id="C-1005"))
    requests.acknowledge("U-2", "s1", NOW + timedelta(minutes=20))
    closed = requests.close("U-2", None, NOW + timedelta(hours=3))
    db.commit()
    assert requests.get("U-2") == closed
    assert (closed.acknowledged_by, closed.closed_at) == ("s1", NOW + timedelta(hours=3))


# --- the outbox and the audit log -----------------------------------------------------------


def test_the_same_nudge_is_queued_only_once(db: Session) -> None:
    outbox = OutboxRepository(db)
    first = outbox.enqueue("recording", "S-02", "due", "s1", NOW, {"text": "Record it"}, NOW)
    second = outbox.enqueue("recording", "S-02", "due", "s1", NOW, {"text": "Record it"}, NOW + timedelta(hours=1))
    other = outbox.enqueue("recording", "S-02", "overdue", "s1", NOW, {}, NOW)
    db.commit()
    assert first is not None and other is not None and second is None
    assert outbox.count() == 2


def test_a_batch_of_nudges_queues_only_those_not_already_queued_or_sent(db: Session) -> None:
    outbox = OutboxRepository(db)
    outbox.enqueue("recording", "S-02", "due", "s1", NOW, {}, NOW)
    batch = [
        Queueing("recording", "S-02", "due", "s1", NOW, {}),  # queued already
        Queueing("recording", "S-02", "due", "p1", NOW, {"who": "Priya"}),
        Queueing("sign_off", "S-02", "overdue", "s1", NOW, {}),
        Queueing("sign_off", "S-02", "overdue", "s1", NOW, {}),  # twice in one batch: queued once
    ]
    added = outbox.enqueue_many(batch, NOW)
    db.commit()
    assert added == {("recording", "S-02", "due", "p1"), ("sign_off", "S-02", "overdue", "s1")}
    assert outbox.count() == 3
    assert outbox.enqueue_many(batch, NOW + timedelta(hours=1)) == set()
    assert outbox.existing([("recording", "S-02", "due", "p1"), ("recording", "S-09", "due", "p1")]) == {
        ("recording", "S-02", "due", "p1")
    }


def test_more_nudges_than_go_in_one_statement_are_all_queued_once(db: Session) -> None:
    outbox = OutboxRepository(db)
    outbox.enqueue("recording", "S-3", "due", "s1", NOW, {}, NOW)
    many = QUEUE_AT_ONCE * 2 + 3  # three statements, the last part full
    batch = [Queueing("recording", f"S-{n}", "due", "s1", NOW + timedelta(minutes=n), {"n": n}) for n in range(many)]
    added = outbox.enqueue_many(batch, NOW)
    db.commit()
    assert added == {("recording", f"S-{n}", "due", "s1") for n in range(many) if n != 3}
    assert outbox.count() == many
    payloads = db.scalars(select(NudgeRow.payload).where(NudgeRow.subject == f"S-{many - 1}")).all()
    assert payloads == [{"n": many - 1}]


def test_on_postgresql_reminders_are_copied_in_and_one_queued_meanwhile_sends_the_batch_by_the_statement(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COPY cannot leave out what is queued already: a batch holding such a reminder is undone to its savepoint and
    queued by the statement instead, and the batches copied before it stay."""
    engine = create_engine_for(postgres_url)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    monkeypatch.setattr("bot.storage.repositories.QUEUE_AT_ONCE", 2)
    with session_factory(engine)() as db:
        import_world(db, demo_world(TODAY))
        outbox = OutboxRepository(db)
        outbox.enqueue("recording", "S-4", "due", "s1", NOW, {}, NOW)  # queued since the caller looked
        # someone added in this session and not yet written: COPY, going past the session, must still find them
        db.add(StaffRow(id="new", name="Nia New", role="practitioner", employment="permanent", hours="full_time",
                        nqsw=False, start_date=TODAY))  # fmt: skip
        statements.clear()
        batch = [Queueing("recording", f"S-{n}", "due", "s1" if n else "new", NOW, {"n": n}) for n in range(6)]
        added = outbox.enqueue_many(batch, NOW)
        db.commit()
        assert added == {("recording", f"S-{n}", "due", "s1" if n else "new") for n in (0, 1, 2, 3, 5)}
        by_statement = [s for s in statements if "INSERT INTO nudge_outbox" in s]
        assert len(by_statement) == 1  # of three batches, only the one with S-4 in it
        rows = db.execute(select(NudgeRow.subject, NudgeRow.payload, NudgeRow.due, NudgeRow.created_at)).all()
        copied = [(f"S-{n}", {"n": n}, NOW, NOW) for n in (0, 1, 2, 3, 5)]
        assert sorted(rows) == sorted([("S-4", {}, NOW, NOW), *copied])
    engine.dispose()


def test_a_nudge_held_back_until_tomorrow_is_not_claimed_before_then(db: Session) -> None:
    outbox = OutboxRepository(db)
    later = outbox.enqueue("recording", "S-1", "again", "s1", NOW, {}, NOW, not_before=NOW + timedelta(days=1))
    now_id = outbox.enqueue("recording", "S-2", "due", "s1", NOW, {}, NOW)
    db.commit()
    assert [n.id for n in outbox.claim("w", 10, NOW)] == [now_id]
    assert [n.id for n in outbox.claim("w", 10, NOW + timedelta(days=1))] == [later]


def test_a_sender_can_claim_only_the_nudges_it_was_asked_to_send(db: Session) -> None:
    outbox = OutboxRepository(db)
    ids = [outbox.enqueue("recording", f"S-{n}", "due", "s1", NOW, {}, NOW) for n in range(3)]
    db.commit()
    assert [n.id for n in outbox.claim("w", 10, NOW, only=[ids[2]])] == [ids[2]]


def test_a_claimed_nudge_is_not_claimed_again_and_a_failed_one_is_retried(db: Session) -> None:
    outbox = OutboxRepository(db)
    for subject in ("A", "B", "C"):
        outbox.enqueue("personal_supervision", subject, "due", "s1", NOW, {}, NOW)
    db.commit()
    first = outbox.claim("worker-1", 2, NOW)
    db.commit()
    second = outbox.claim("worker-2", 5, NOW)
    db.commit()
    assert {n.subject for n in first} == {"A", "B"}
    assert [n.subject for n in second] == ["C"]
    outbox.mark_sent(first[0].id, NOW)
    outbox.mark_failed(first[1].id, "429 Too Many Requests", NOW)
    db.commit()
    retry = outbox.claim("worker-3", 5, NOW)
    db.commit()
    assert [n.subject for n in retry] == [first[1].subject]
    assert retry[0].attempts == 1 and retry[0].last_error == "429 Too Many Requests"
    assert outbox.get(first[0].id).sent_at == NOW


def test_claims_left_by_a_stopped_sender_are_released_but_sent_nudges_are_not(db: Session) -> None:
    outbox = OutboxRepository(db)
    outbox.enqueue("recording", "S-1", "due", "s1", NOW, {}, NOW)
    outbox.enqueue("recording", "S-2", "due", "s1", NOW, {}, NOW)
    claimed = outbox.claim("crashed", 2, NOW)
    outbox.mark_sent(claimed[0].id, NOW)
    db.commit()
    assert outbox.release_stale_claims(NOW + timedelta(minutes=5)) == 1
    db.commit()
    assert [n.subject for n in outbox.claim("restarted", 5, NOW)] == [claimed[1].subject]


def test_every_audit_entry_is_kept_in_order(db: Session) -> None:
    audit = AuditRepository(db)
    audit.add(AuditEntry(NOW, "p1", "read", "record", "7", Outcome.ALLOWED))
    audit.add(
        AuditEntry(NOW + timedelta(seconds=1), "p3", "read", "record", "7", Outcome.REFUSED, {"why": "not theirs"})
    )
    db.commit()
    assert [(e.actor, e.outcome, e.detail) for e in audit.for_target("record", "7")] == [
        ("p1", Outcome.ALLOWED, {}),
        ("p3", Outcome.REFUSED, {"why": "not theirs"}),
    ]


# --- the schema itself ------------------------------------------------------------------------


def test_the_cases_table_has_no_place_for_a_childs_name(database_url: str) -> None:
    engine = create_engine_for(database_url)
    columns = {column["name"] for column in inspect(engine).get_columns("cases")}
    engine.dispose()
    assert columns == {"id", "worker_id", "category", "allocated_on", "risk", "age", "closed_on"}
    assert not any("name" in column for column in columns)


def test_migrating_twice_changes_nothing(database_url: str) -> None:
    migrate(database_url)
    engine = create_engine_for(database_url)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert is_reachable(engine)
    engine.dispose()
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert versions == [head]


def test_the_migrations_build_exactly_the_tables_the_models_describe(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.storage.models import Base

    engine = create_engine_for(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_a_case_for_someone_who_does_not_exist_is_refused(db: Session) -> None:
    from bot.rules.facts import Case, CaseCategory

    CaseRepository(db).save(Case("C-9999", "nobody", CaseCategory.EARLY_HELP, NOW), TODAY)
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_a_new_member_of_staff_can_be_added_and_found(db: Session) -> None:
    people = StaffRepository(db)
    person = Staff("p9", "Ana Cole", Role.PRACTITIONER, Employment.TEMPORARY, Hours.PART_TIME, False,
                   datetime(2026, 11, 2, tzinfo=LONDON))  # fmt: skip
    assert people.save(person, local_date=lambda moment: moment.astimezone(LONDON).date()) is True
    db.commit()
    assert "p9" in people.list_ids()
    assert people.get("p9").start_date == date(2026, 11, 2)  # type: ignore[union-attr]


def test_two_senders_on_postgresql_never_claim_the_same_nudge(postgres_url: str) -> None:
    engine = create_engine_for(postgres_url, pool_size=4)
    factory = session_factory(engine)
    with factory() as session:
        import_world(session, demo_world(TODAY))
        outbox = OutboxRepository(session)
        for index in range(60):
            outbox.enqueue("case_discussion", f"C-{index:03}", "due", "s1", NOW, {}, NOW)
        session.commit()
    claimed: dict[str, list[str]] = {"one": [], "two": []}
    barrier = threading.Barrier(2)

    def sender(name: str) -> None:
        with factory() as session:
            barrier.wait()
            while True:
                batch = OutboxRepository(session).claim(name, 5, NOW)
                if not batch:
                    session.commit()
                    return
                claimed[name] += [nudge.subject for nudge in batch]
                session.commit()

    threads = [threading.Thread(target=sender, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    engine.dispose()
    every = claimed["one"] + claimed["two"]
    assert sorted(every) == [f"C-{index:03}" for index in range(60)]
    assert len(set(every)) == 60
