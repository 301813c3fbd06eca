"""Reading a council's facts from a world file (JSON) or CSV exports, with errors that name the place.

Every problem is reported as one line such as `staff[3].start_date: not a date: "2026-02-30"`,
so an administrator can find and fix it. Plain dates mean local midnight in the policy's zone.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from bot.rules.calendar import Calendar
from bot.rules.facts import (
    Agreement,
    Case,
    CaseCategory,
    Employment,
    Hours,
    Risk,
    Role,
    Session,
    SessionKind,
    Staff,
    UrgentRequest,
    World,
)

MAX_TEXT = 200

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


class WorldError(ValueError):
    """A world file or export that cannot be used; the message names the place and the reason."""


def parse_moment(text: str, calendar: Calendar) -> datetime:
    """An ISO 8601 date-time with offset, or a plain date meaning local midnight."""
    value = text.strip()
    if len(value) == 10:
        return calendar.midnight(date.fromisoformat(value))
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("a date-time needs its offset, such as +00:00")
    return calendar.local(moment)


class _Reader:
    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar

    def fail(self, where: str, reason: str) -> WorldError:
        return WorldError(f"{where}: {reason}")

    def table(self, value: Any, where: str, allowed: Iterable[str]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(where, "expected an object")
        allowed_keys = set(allowed)
        for key in value:
            if key not in allowed_keys:
                raise self.fail(f"{where}.{key}", f"unknown field (expected: {', '.join(sorted(allowed_keys))})")
        return value

    def text(self, row: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
        value = row.get(key)
        if value is None or value == "":
            if required:
                raise self.fail(f"{where}.{key}", "missing")
            return None
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", f"expected text, got {json.dumps(value)}")
        if len(value) > MAX_TEXT:
            raise self.fail(f"{where}.{key}", f"longer than {MAX_TEXT} characters")
        return value.strip()

    def moment(self, row: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> datetime | None:
        value = row.get(key)
        if value is None or value == "":
            if required:
                raise self.fail(f"{where}.{key}", "missing")
            return None
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", f"not a date: {json.dumps(value)}")
        try:
            return parse_moment(value, self.calendar)
        except ValueError:
            kind = "date" if len(value.strip()) <= 10 else "date-time with offset"
            raise self.fail(f"{where}.{key}", f"not a {kind}: {json.dumps(value)}") from None

    def choice(self, row: Mapping[str, Any], key: str, where: str, enum: type[E], *, default: E | None = None) -> E:
        value = row.get(key)
        if (value is None or value == "") and default is not None:
            return default
        known = [member.value for member in enum]
        if value not in known:
            raise self.fail(f"{where}.{key}", f"expected one of {', '.join(known)}, got {json.dumps(value)}")
        return enum(value)

    def flag(self, row: Mapping[str, Any], key: str, where: str) -> bool:
        value = row.get(key, False)
        if isinstance(value, str) and value.lower() in {"true", "yes", "1", "false", "no", "0", ""}:
            return value.lower() in {"true", "yes", "1"}
        if not isinstance(value, bool):
            raise self.fail(f"{where}.{key}", f"expected true or false, got {json.dumps(value)}")
        return value

    def whole(self, row: Mapping[str, Any], key: str, where: str) -> int | None:
        value = row.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 120:
            raise self.fail(f"{where}.{key}", f"expected an age in whole years, got {json.dumps(value)}")
        return value

    def rows(self, data: Mapping[str, Any], key: str) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(key, "expected a list")
        return value

    # -- one reader per kind of fact ---------------------------------------------------------

    def staff(self, raw: Any, where: str) -> Staff:
        row = self.table(raw, where, _STAFF_FIELDS)
        return Staff(
            id=_required(self.text(row, "id", where)),
            name=_required(self.text(row, "name", where)),
            role=self.choice(row, "role", where, Role),
            employment=self.choice(row, "employment", where, Employment, default=Employment.PERMANENT),
            hours=self.choice(row, "hours", where, Hours, default=Hours.FULL_TIME),
            nqsw=self.flag(row, "nqsw", where),
            start_date=_required(self.moment(row, "start_date", where)),
            supervisor=self.text(row, "supervisor", where, required=False),
            supervisor_since=self.moment(row, "supervisor_since", where, required=False),
            line_manager=self.text(row, "line_manager", where, required=False),
            team=self.text(row, "team", where, required=False),
        )

    def session(self, raw: Any, where: str) -> Session:
        row = self.table(raw, where, _SESSION_FIELDS)
        cases = row.get("cases", [])
        if not isinstance(cases, list) or not all(isinstance(c, str) and c for c in cases):
            raise self.fail(f"{where}.cases", "expected a list of case IDs")
        held_at = _required(self.moment(row, "held_at", where))
        recorded_at = self.moment(row, "recorded_at", where, required=False)
        signed_off_at = self.moment(row, "signed_off_at", where, required=False)
        for key, value in (("recorded_at", recorded_at), ("signed_off_at", signed_off_at)):
            if value is not None and value < held_at:
                raise self.fail(f"{where}.{key}", "is before the session was held")
        kind = self.choice(row, "kind", where, SessionKind)
        return Session(
            id=_required(self.text(row, "id", where)),
            supervisee=self.text(row, "supervisee", where, required=kind is not SessionKind.GROUP),
            supervisor=self.text(row, "supervisor", where, required=False),
            kind=kind,
            held_at=held_at,
            recorded_at=recorded_at,
            cases=tuple(cases),
            signed_off_at=signed_off_at,
            team=self.text(row, "team", where, required=False),
        )

    def agreement(self, raw: Any, where: str) -> Agreement:
        row = self.table(raw, where, {"supervisee", "supervisor", "signed_at"})
        return Agreement(
            supervisee=_required(self.text(row, "supervisee", where)),
            supervisor=_required(self.text(row, "supervisor", where)),
            signed_at=_required(self.moment(row, "signed_at", where)),
        )

    def case(self, raw: Any, where: str) -> Case:
        row = self.table(raw, where, _CASE_FIELDS)
        risk = row.get("risk")
        return Case(
            id=_required(self.text(row, "id", where)),
            worker=_required(self.text(row, "worker", where)),
            category=self.choice(row, "category", where, CaseCategory),
            allocated_on=_required(self.moment(row, "allocated_on", where)),
            risk=None if risk in (None, "") else self.choice(row, "risk", where, Risk),
            age=self.whole(row, "age", where),
        )

    def urgent(self, raw: Any, where: str) -> UrgentRequest:
        row = self.table(raw, where, {"id", "requester", "requested_at"})
        return UrgentRequest(
            id=_required(self.text(row, "id", where)),
            requester=_required(self.text(row, "requester", where)),
            requested_at=_required(self.moment(row, "requested_at", where)),
        )


_STAFF_FIELDS = (
    "id", "name", "role", "employment", "hours", "nqsw", "start_date",
    "supervisor", "supervisor_since", "line_manager", "team",
)  # fmt: skip
_SESSION_FIELDS = (
    "id", "supervisee", "supervisor", "kind", "held_at", "recorded_at", "cases", "signed_off_at", "team",
)  # fmt: skip
_CASE_FIELDS = ("id", "worker", "category", "allocated_on", "risk", "age")


def _required(value: T | None) -> T:
    assert value is not None  # the reader raised already when a required value was missing
    return value


def parse_world(data: Any, calendar: Calendar | None = None, *, known: World | None = None) -> World:
    """Check and convert a decoded world file into facts; raise WorldError naming the first problem.

    Ids may also point at facts in `known` (what the store already holds).
    """
    reader = _Reader(calendar or Calendar())
    top = reader.table(data, "world", ("staff", "sessions", "agreements", "cases", "urgent_requests"))

    def each(key: str, read: Callable[[Any, str], T]) -> tuple[T, ...]:
        return tuple(read(raw, f"{key}[{index}]") for index, raw in enumerate(reader.rows(top, key)))

    world = World(
        staff=each("staff", reader.staff),
        sessions=each("sessions", reader.session),
        agreements=each("agreements", reader.agreement),
        cases=each("cases", reader.case),
        urgent_requests=each("urgent_requests", reader.urgent),
    )
    check_references(world, known)
    return world


def check_references(world: World, elsewhere: World | None = None) -> None:
    """Every id a fact points at must exist here or `elsewhere`, and ids must be unique here."""
    staff_ids: set[str] = set()
    for index, person in enumerate(world.staff):
        if person.id in staff_ids:
            raise WorldError(f'staff[{index}].id: "{person.id}" is used twice')
        staff_ids.add(person.id)
    other_staff = {person.id for person in elsewhere.staff} if elsewhere else set()
    other_cases = {case.id for case in elsewhere.cases} if elsewhere else set()

    def known(where: str, value: str | None) -> None:
        if value is not None and value not in staff_ids and value not in other_staff:
            raise WorldError(f'{where}: no such staff id "{value}"')

    for index, person in enumerate(world.staff):
        known(f"staff[{index}].supervisor", person.supervisor)
        known(f"staff[{index}].line_manager", person.line_manager)
        if person.supervisor == person.id:
            raise WorldError(f"staff[{index}].supervisor: nobody can supervise themselves")
    case_ids: set[str] = set()
    for index, case in enumerate(world.cases):
        known(f"cases[{index}].worker", case.worker)
        if case.id in case_ids:
            raise WorldError(f'cases[{index}].id: "{case.id}" is used twice')
        case_ids.add(case.id)
    session_ids: set[str] = set()
    for index, session in enumerate(world.sessions):
        known(f"sessions[{index}].supervisee", session.supervisee)
        known(f"sessions[{index}].supervisor", session.supervisor)
        if session.id in session_ids:
            raise WorldError(f'sessions[{index}].id: "{session.id}" is used twice')
        session_ids.add(session.id)
        for case_index, case_id in enumerate(session.cases):
            if case_id not in case_ids and case_id not in other_cases:
                raise WorldError(f'sessions[{index}].cases[{case_index}]: no such case id "{case_id}"')
    for index, agreement in enumerate(world.agreements):
        known(f"agreements[{index}].supervisee", agreement.supervisee)
        known(f"agreements[{index}].supervisor", agreement.supervisor)
    request_ids: set[str] = set()
    for index, request in enumerate(world.urgent_requests):
        known(f"urgent_requests[{index}].requester", request.requester)
        if request.id in request_ids:
            raise WorldError(f'urgent_requests[{index}].id: "{request.id}" is used twice')
        request_ids.add(request.id)


def read_world_file(path: Path, calendar: Calendar | None = None, *, known: World | None = None) -> World:
    """Read a world file from disk; ids may also point at facts in `known`."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as error:
        raise WorldError(f"{path}: cannot read: {error.strerror}") from error
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise WorldError(f"{path}: not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}") from error
    try:
        return parse_world(data, calendar, known=known)
    except WorldError as error:
        raise WorldError(f"{path}: {error}") from None


def read_csv_export(path: Path, calendar: Calendar | None = None, *, known: World | None = None) -> World:
    """Read a CSV export of staff or of cases (the header row says which); ids may point into `known`."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise WorldError(f"{path}: cannot read: {error.strerror}") from error
    rows = list(csv.DictReader(io.StringIO(text)))
    header = set(rows[0].keys()) if rows else set()
    reader = _Reader(calendar or Calendar())
    filled = [{k: v for k, v in row.items() if v not in (None, "")} for row in rows]
    try:
        if {"id", "role", "start_date"} <= header:
            world = World(staff=tuple(reader.staff(row, f"staff[{i}]") for i, row in enumerate(filled)))
        elif {"id", "worker", "category"} <= header:
            world = World(cases=tuple(reader.case(row, f"cases[{i}]") for i, row in enumerate(filled)))
        else:
            raise WorldError(
                "not a staff or cases export (staff need columns id, name, role, start_date; "
                "cases need id, worker, category, allocated_on)"
            )
        check_references(world, known)
    except WorldError as error:
        raise WorldError(f"{path}: {error}") from None
    return world


def world_to_json(world: World) -> dict[str, Any]:
    """The facts as a world file document; `parse_world` reads it back unchanged."""

    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment is not None else None

    return {
        "staff": [
            {
                "id": p.id, "name": p.name, "role": p.role.value, "employment": p.employment.value,
                "hours": p.hours.value, "nqsw": p.nqsw, "start_date": when(p.start_date),
                "supervisor": p.supervisor, "supervisor_since": when(p.supervisor_since),
                "line_manager": p.line_manager, "team": p.team,
            }
            for p in world.staff
        ],
        "sessions": [
            {
                "id": s.id, "supervisee": s.supervisee, "supervisor": s.supervisor, "kind": s.kind.value,
                "held_at": when(s.held_at), "recorded_at": when(s.recorded_at), "cases": list(s.cases),
                "signed_off_at": when(s.signed_off_at), "team": s.team,
            }
            for s in world.sessions
        ],
        "agreements": [
            {"supervisee": a.supervisee, "supervisor": a.supervisor, "signed_at": when(a.signed_at)}
            for a in world.agreements
        ],
        "cases": [
            {
                "id": c.id, "worker": c.worker, "category": c.category.value, "allocated_on": when(c.allocated_on),
                "risk": c.risk.value if c.risk else None, "age": c.age,
            }
            for c in world.cases
        ],
        "urgent_requests": [
            {"id": r.id, "requester": r.requester, "requested_at": when(r.requested_at)}
            for r in world.urgent_requests
        ],
    }  # fmt: skip
