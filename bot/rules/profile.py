"""Policy profiles: a council's supervision policy as data, read from TOML and checked at load.

A profile names each duty its policy fixes, how often or how soon, whom it applies to, which
sessions meet it, and the paragraph it comes from. The engine reads profiles; it never spells a
frequency itself. A profile that cannot be right (an unknown key, an impossible interval, a rule
with no citation) fails at load with the file, the key and the reason.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from bot.rules.calendar import (
    DEFAULT_BANK_HOLIDAYS,
    DEFAULT_TIME_ZONE,
    Calendar,
    Interval,
    IntervalError,
    check_bank_holidays,
    time_zone,
)
from bot.rules.facts import CaseCategory, Employment, Hours, Risk, Role, SessionKind


class ObligationKind(StrEnum):
    AGREEMENT = "agreement"
    PERSONAL_SUPERVISION = "personal_supervision"
    CASE_SUPERVISION = "case_supervision"
    CASE_DISCUSSION = "case_discussion"
    RECORDING = "recording"
    SIGN_OFF = "sign_off"
    REFLECTIVE_SUPERVISION = "reflective_supervision"
    GROUP_SUPERVISION = "group_supervision"
    OBSERVED_PRACTICE = "observed_practice"
    URGENT_SUPERVISION = "urgent_supervision"


# Duties that recur for each supervised person at a frequency, met by sessions of given kinds.
FREQUENCY_KINDS = (
    ObligationKind.PERSONAL_SUPERVISION,
    ObligationKind.CASE_SUPERVISION,
    ObligationKind.REFLECTIVE_SUPERVISION,
    ObligationKind.OBSERVED_PRACTICE,
    ObligationKind.GROUP_SUPERVISION,
)
# Duties that fall due a set time after a session, until the session is recorded or signed.
DEADLINE_KINDS = (ObligationKind.RECORDING, ObligationKind.SIGN_OFF)

ANY_CATEGORY = "*"
FIRST_SESSION = "first session"


class ProfileError(ValueError):
    """A policy profile that cannot be used; the message names the file, the key and the reason."""


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a rule comes from and, where the text is ambiguous, how it was read."""

    cite: str
    interpretation: str | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    """Whom a frequency rule applies to, and during which part of their employment."""

    nqsw: bool | None = None
    employment: frozenset[Employment] | None = None
    hours: frozenset[Hours] | None = None
    roles: frozenset[Role] | None = None
    case_holding: bool | None = None
    since_start_from: Interval | None = None
    since_start_until: Interval | None = None


@dataclass(frozen=True, slots=True)
class FrequencyRule:
    """A duty that recurs: every so often, or at least N times within a rolling window."""

    id: str
    kind: ObligationKind
    counts: frozenset[SessionKind]
    source: Citation
    every: Interval | None = None
    first: Interval | None = None
    at_least: int | None = None
    within: Interval | None = None
    when: Condition = field(default_factory=Condition)


@dataclass(frozen=True, slots=True)
class CaseRule:
    """How often a child's case must be discussed, by category, risk and age."""

    id: str
    categories: frozenset[str]
    counts: frozenset[SessionKind]
    source: Citation
    every: Interval | None = None
    first: Interval | None = None
    risk: frozenset[Risk] | None = None
    age_from: int | None = None
    age_below: int | None = None


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    """A session must be recorded (or signed off) within a set time of being held."""

    id: str
    kind: ObligationKind
    within: Interval
    sessions: frozenset[SessionKind]
    source: Citation
    only_naming_children: bool = False


@dataclass(frozen=True, slots=True)
class AgreementRule:
    """When a supervision agreement must be signed and how often it is renewed."""

    id: str
    source: Citation
    within: Interval | None = None  # None: by the relationship's first supervision session
    renew_every: Interval | None = None


@dataclass(frozen=True, slots=True)
class UrgentRule:
    """How soon urgent supervision must happen after it is asked for."""

    id: str
    within: Interval
    counts: frozenset[SessionKind]
    source: Citation


@dataclass(frozen=True, slots=True)
class EscalationRule:
    """When the supervisor's line manager must also be told about a late duty."""

    id: str
    after: Interval
    applies_to: frozenset[ObligationKind]
    source: Citation


@dataclass(frozen=True, slots=True)
class NotTracked:
    """A duty in the policy that the companion deliberately does not track, and why."""

    duty: str
    reason: str
    source: Citation


@dataclass(frozen=True, slots=True)
class NudgePlan:
    """When to remind: how long before, then on the day, then how often while overdue; and in which hours."""

    before_due: Interval
    repeat_overdue: Interval
    day_starts: time
    day_ends: time
    source: Citation


@dataclass(frozen=True, slots=True)
class UrgentHandling:
    """How an urgent request is answered: how soon someone must say they will take it, and what to do out of hours."""

    acknowledge_within: Interval
    out_of_hours: str
    source: Citation


@dataclass(frozen=True, slots=True)
class FormRequirement:
    """A question the policy says every record of a form must answer."""

    form: str
    field: str
    source: Citation


@dataclass(frozen=True, slots=True)
class Oversight:
    """The key points at which the policy wants management oversight on the child's record."""

    triggers: tuple[str, ...]
    source: Citation


@dataclass(frozen=True, slots=True)
class Profile:
    """One council's supervision policy."""

    name: str
    title: str
    source_document: str
    calendar: Calendar
    agreements: tuple[AgreementRule, ...] = ()
    frequencies: tuple[FrequencyRule, ...] = ()
    case_discussions: tuple[CaseRule, ...] = ()
    deadlines: tuple[DeadlineRule, ...] = ()
    urgent: tuple[UrgentRule, ...] = ()
    escalations: tuple[EscalationRule, ...] = ()
    not_tracked: tuple[NotTracked, ...] = ()
    oversight: Oversight | None = None
    form_requirements: tuple[FormRequirement, ...] = ()
    nudges: NudgePlan | None = None
    urgent_handling: UrgentHandling | None = None

    @property
    def takes_urgent_requests(self) -> bool:
        """Whether this policy sets both how soon urgent supervision must happen and how soon someone must answer
        a request: without both, the companion has no deadline of its own to invent."""
        return bool(self.urgent) and self.urgent_handling is not None

    def required_fields(self, form: str) -> frozenset[str]:
        """The fields this policy makes compulsory on a form."""
        return frozenset(r.field for r in self.form_requirements if r.form == form)

    def counted_by(self, rule_id: str) -> frozenset[SessionKind]:
        """The kinds of session that meet the duty set by this rule (none for a deadline or an agreement)."""
        rules: tuple[FrequencyRule | CaseRule, ...] = (*self.frequencies, *self.case_discussions)
        return next((rule.counts for rule in rules if rule.id == rule_id), frozenset())

    def frequency_rules(self, kind: ObligationKind) -> tuple[FrequencyRule, ...]:
        """The frequency rules for one kind of duty."""
        return tuple(rule for rule in self.frequencies if rule.kind is kind)


# ---------------------------------------------------------------------------------------------
# Loading


def known_profiles() -> list[str]:
    """Names of the profiles shipped with the companion."""
    folder = resources.files("bot.rules") / "profiles"
    return sorted(item.name[: -len(".toml")] for item in folder.iterdir() if item.name.endswith(".toml"))


def load_profile(name_or_path: str) -> Profile:
    """Load a shipped profile by name, or a council's own profile from a TOML file."""
    if name_or_path.endswith(".toml") or "/" in name_or_path or Path(name_or_path).is_file():
        path = Path(name_or_path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ProfileError(f"{path}: cannot read the policy file: {error.strerror}") from error
        return parse_profile(text, source=str(path))
    if name_or_path not in known_profiles():
        raise ProfileError(f'unknown policy "{name_or_path}" (known: {", ".join(known_profiles())})')
    resource = resources.files("bot.rules") / "profiles" / f"{name_or_path}.toml"
    return parse_profile(resource.read_text(encoding="utf-8"), source=f"{name_or_path}.toml")


def parse_profile(text: str, *, source: str) -> Profile:
    """Build a profile from TOML text; `source` names the file in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"{source}: not valid TOML: {error}") from error
    return _Reader(source).profile(data)


T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

_TOP_KEYS = {
    "name", "title", "source", "time_zone", "bank_holidays",
    "agreement", "case_discussion", "recording", "sign_off", "urgent_supervision",
    "escalation", "not_tracked", "oversight", "form_requirement", "nudges",
    "urgent_requests", *(kind.value for kind in FREQUENCY_KINDS),
}  # fmt: skip
_CITATION_KEYS = {"cite", "interpretation"}


class _Reader:
    """Reads one profile document, naming the exact key in every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, reason: str) -> ProfileError:
        return ProfileError(f"{self.source}: {key}: {reason}")

    def profile(self, data: Mapping[str, Any]) -> Profile:
        self.only_keys(data, _TOP_KEYS, "")
        zone = self.text(data, "time_zone", "", default=DEFAULT_TIME_ZONE)
        region = self.text(data, "bank_holidays", "", default=DEFAULT_BANK_HOLIDAYS)
        try:
            time_zone(zone)
        except IntervalError as error:
            raise self.fail("time_zone", str(error)) from error
        try:
            check_bank_holidays(region)
        except IntervalError as error:
            raise self.fail("bank_holidays", str(error)) from error
        frequencies: list[FrequencyRule] = []
        for kind in FREQUENCY_KINDS:
            frequencies += self.rules(data, kind.value, partial(self.frequency, kind=kind))
        return Profile(
            name=self.text(data, "name", ""),
            title=self.text(data, "title", ""),
            source_document=self.text(data, "source", ""),
            calendar=Calendar(zone_name=zone, bank_holiday_region=region),
            agreements=self.rules(data, "agreement", self.agreement),
            frequencies=tuple(frequencies),
            case_discussions=self.rules(data, "case_discussion", self.case_rule),
            deadlines=self.rules(data, "recording", lambda d, k: self.deadline(d, k, ObligationKind.RECORDING))
            + self.rules(data, "sign_off", lambda d, k: self.deadline(d, k, ObligationKind.SIGN_OFF)),
            urgent=self.rules(data, "urgent_supervision", self.urgent),
            escalations=self.rules(data, "escalation", self.escalation),
            not_tracked=self.rules(data, "not_tracked", self.not_tracked),
            oversight=self.oversight(data["oversight"]) if "oversight" in data else None,
            form_requirements=self.rules(data, "form_requirement", self.form_requirement),
            nudges=self.nudge_plan(data["nudges"]) if "nudges" in data else None,
            urgent_handling=self.urgent_handling(data["urgent_requests"]) if "urgent_requests" in data else None,
        )

    def urgent_handling(self, data: Any) -> UrgentHandling:
        if not isinstance(data, Mapping):
            raise self.fail("urgent_requests", "expected a table")
        self.only_keys(data, {"acknowledge_within", "out_of_hours"} | _CITATION_KEYS, "urgent_requests")
        within = self.interval(data, "acknowledge_within", "urgent_requests", required=True)
        assert within is not None
        instruction = self.text(data, "out_of_hours", "urgent_requests")
        if len(instruction) > 1000:
            raise self.fail("urgent_requests.out_of_hours", "keep it under 1000 characters: it is shown in a chat")
        return UrgentHandling(within, instruction, self.citation(data, "urgent_requests"))

    def nudge_plan(self, data: Any) -> NudgePlan:
        if not isinstance(data, Mapping):
            raise self.fail("nudges", "expected a table")
        self.only_keys(data, {"before_due", "repeat_overdue", "day_starts", "day_ends"} | _CITATION_KEYS, "nudges")
        before = self.interval(data, "before_due", "nudges", required=True)
        repeat = self.interval(data, "repeat_overdue", "nudges", required=True)
        starts, ends = self.clock_time(data, "day_starts"), self.clock_time(data, "day_ends")
        if ends <= starts:
            raise self.fail("nudges.day_ends", "must be later than day_starts")
        assert before is not None and repeat is not None
        return NudgePlan(before, repeat, starts, ends, self.citation(data, "nudges"))

    def clock_time(self, data: Mapping[str, Any], name: str) -> time:
        value = data.get(name)
        try:
            return time.fromisoformat(value) if isinstance(value, str) else time.fromisoformat("")
        except ValueError:
            raise self.fail(f"nudges.{name}", f'expected a time such as "09:00", got {value!r}') from None

    def form_requirement(self, data: Mapping[str, Any], key: str) -> FormRequirement:
        self.only_keys(data, {"form", "field"} | _CITATION_KEYS, key)
        return FormRequirement(self.text(data, "form", key), self.text(data, "field", key), self.citation(data, key))

    def oversight(self, data: Any) -> Oversight:
        if not isinstance(data, Mapping):
            raise self.fail("oversight", "expected a table with triggers and cite")
        self.only_keys(data, {"triggers"} | _CITATION_KEYS, "oversight")
        return Oversight(
            triggers=tuple(self.string_list(data, "triggers", "oversight")), source=self.citation(data, "oversight")
        )

    # -- one reader per kind of rule -------------------------------------------------------

    def frequency(self, data: Mapping[str, Any], key: str, *, kind: ObligationKind) -> FrequencyRule:
        self.only_keys(data, {"id", "every", "first", "at_least", "within", "when", "counts"} | _CITATION_KEYS, key)
        every = self.interval(data, "every", key, required=False)
        at_least = self.optional_int(data, "at_least", key, minimum=1)
        within = self.interval(data, "within", key, required=False)
        if (at_least is None) != (within is None):
            raise self.fail(f"{key}.at_least", "at_least and within go together (at least N within a time)")
        if at_least is not None and every is None:
            raise self.fail(f"{key}.every", "say how often sessions fall due while fewer than at_least are on record")
        first = self.interval(data, "first", key, required=False)
        if every is None and first is None:
            raise self.fail(f"{key}.every", "a rule needs every (how often) or first (how soon)")
        return FrequencyRule(
            id=self.text(data, "id", key),
            kind=kind,
            counts=self.enum_set(data, "counts", key, SessionKind),
            source=self.citation(data, key),
            every=every,
            first=first,
            at_least=at_least,
            within=within,
            when=self.condition(data.get("when", {}), f"{key}.when"),
        )

    def condition(self, data: Any, key: str) -> Condition:
        if not isinstance(data, Mapping):
            raise self.fail(key, 'expected a table such as { until = "6 weeks" }')
        self.only_keys(data, {"nqsw", "employment", "hours", "roles", "case_holding", "from", "until"}, key)
        return Condition(
            nqsw=self.optional_bool(data, "nqsw", key),
            employment=self.enum_set(data, "employment", key, Employment) if "employment" in data else None,
            hours=self.enum_set(data, "hours", key, Hours) if "hours" in data else None,
            roles=self.enum_set(data, "roles", key, Role) if "roles" in data else None,
            case_holding=self.optional_bool(data, "case_holding", key),
            since_start_from=self.interval(data, "from", key, required=False),
            since_start_until=self.interval(data, "until", key, required=False),
        )

    def case_rule(self, data: Mapping[str, Any], key: str) -> CaseRule:
        self.only_keys(
            data,
            {"id", "categories", "every", "first", "risk", "age_from", "age_below", "counts"} | _CITATION_KEYS,
            key,
        )
        categories = self.string_list(data, "categories", key)
        known = {c.value for c in CaseCategory} | {ANY_CATEGORY}
        for category in categories:
            if category not in known:
                raise self.fail(
                    f"{key}.categories", f'unknown category "{category}" (known: {", ".join(sorted(known))})'
                )
        every = self.interval(data, "every", key, required=False)
        first = self.interval(data, "first", key, required=False)
        if every is None and first is None:
            raise self.fail(f"{key}.every", "a rule needs every (how often) or first (how soon after allocation)")
        age_from = self.optional_int(data, "age_from", key, minimum=0)
        age_below = self.optional_int(data, "age_below", key, minimum=1)
        if age_from is not None and age_below is not None and age_below <= age_from:
            raise self.fail(f"{key}.age_below", "must be more than age_from")
        return CaseRule(
            id=self.text(data, "id", key),
            categories=frozenset(categories),
            counts=self.enum_set(data, "counts", key, SessionKind),
            source=self.citation(data, key),
            every=every,
            first=first,
            risk=self.enum_set(data, "risk", key, Risk) if "risk" in data else None,
            age_from=age_from,
            age_below=age_below,
        )

    def deadline(self, data: Mapping[str, Any], key: str, kind: ObligationKind) -> DeadlineRule:
        self.only_keys(data, {"id", "within", "sessions", "only_naming_children"} | _CITATION_KEYS, key)
        within = self.interval(data, "within", key, required=True)
        assert within is not None
        return DeadlineRule(
            id=self.text(data, "id", key),
            kind=kind,
            within=within,
            sessions=self.enum_set(data, "sessions", key, SessionKind),
            source=self.citation(data, key),
            only_naming_children=bool(self.optional_bool(data, "only_naming_children", key)),
        )

    def agreement(self, data: Mapping[str, Any], key: str) -> AgreementRule:
        self.only_keys(data, {"id", "within", "renew_every"} | _CITATION_KEYS, key)
        within_text = data.get("within")
        within = None if within_text == FIRST_SESSION else self.interval(data, "within", key, required=True)
        return AgreementRule(
            id=self.text(data, "id", key),
            source=self.citation(data, key),
            within=within,
            renew_every=self.interval(data, "renew_every", key, required=False),
        )

    def urgent(self, data: Mapping[str, Any], key: str) -> UrgentRule:
        self.only_keys(data, {"id", "within", "counts"} | _CITATION_KEYS, key)
        within = self.interval(data, "within", key, required=True)
        assert within is not None
        return UrgentRule(
            id=self.text(data, "id", key),
            within=within,
            counts=self.enum_set(data, "counts", key, SessionKind),
            source=self.citation(data, key),
        )

    def escalation(self, data: Mapping[str, Any], key: str) -> EscalationRule:
        self.only_keys(data, {"id", "after", "applies_to"} | _CITATION_KEYS, key)
        after = self.interval(data, "after", key, required=True)
        assert after is not None
        return EscalationRule(
            id=self.text(data, "id", key),
            after=after,
            applies_to=self.enum_set(data, "applies_to", key, ObligationKind),
            source=self.citation(data, key),
        )

    def not_tracked(self, data: Mapping[str, Any], key: str) -> NotTracked:
        self.only_keys(data, {"duty", "reason"} | _CITATION_KEYS, key)
        return NotTracked(
            duty=self.text(data, "duty", key),
            reason=self.text(data, "reason", key),
            source=self.citation(data, key),
        )

    # -- small checked getters ---------------------------------------------------------------

    def rules(self, data: Mapping[str, Any], name: str, read: Callable[[Mapping[str, Any], str], T]) -> tuple[T, ...]:
        items = data.get(name, [])
        if not isinstance(items, list) or not all(isinstance(item, Mapping) for item in items):
            raise self.fail(name, f"expected a list of rules written as [[{name}]]")
        built = tuple(read(item, f"{name}[{index}]") for index, item in enumerate(items))
        ids = [getattr(rule, "id", None) for rule in built]
        for index, rule_id in enumerate(ids):
            if rule_id is not None and rule_id in ids[:index]:
                raise self.fail(f"{name}[{index}].id", f'"{rule_id}" is used twice')
        return built

    def only_keys(self, data: Mapping[str, Any], allowed: set[str], key: str) -> None:
        for name in data:
            if name not in allowed:
                where = f"{key}.{name}" if key else name
                raise self.fail(where, f"unknown key (allowed here: {', '.join(sorted(allowed))})")

    def citation(self, data: Mapping[str, Any], key: str) -> Citation:
        cite = data.get("cite")
        if not isinstance(cite, str) or not cite.strip():
            raise self.fail(f"{key}.cite", "every rule must cite the paragraph of the policy it comes from")
        interpretation = data.get("interpretation")
        if interpretation is not None and (not isinstance(interpretation, str) or not interpretation.strip()):
            raise self.fail(f"{key}.interpretation", "expected a sentence explaining how the text was read")
        return Citation(cite=cite.strip(), interpretation=interpretation.strip() if interpretation else None)

    def text(self, data: Mapping[str, Any], name: str, key: str, *, default: str | None = None) -> str:
        value = data.get(name, default)
        where = f"{key}.{name}" if key else name
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "missing or empty")
        return value.strip()

    def interval(self, data: Mapping[str, Any], name: str, key: str, *, required: bool) -> Interval | None:
        if name not in data:
            if required:
                raise self.fail(f"{key}.{name}", "missing")
            return None
        try:
            return Interval.parse(data[name])
        except IntervalError as error:
            raise self.fail(f"{key}.{name}", str(error)) from error

    def optional_int(self, data: Mapping[str, Any], name: str, key: str, *, minimum: int) -> int | None:
        value = data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(f"{key}.{name}", f"expected a whole number of at least {minimum}, got {value!r}")
        return value

    def optional_bool(self, data: Mapping[str, Any], name: str, key: str) -> bool | None:
        value = data.get(name)
        if value is not None and not isinstance(value, bool):
            raise self.fail(f"{key}.{name}", f"expected true or false, got {value!r}")
        return value

    def string_list(self, data: Mapping[str, Any], name: str, key: str) -> list[str]:
        value = data.get(name)
        if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
            raise self.fail(f"{key}.{name}", "expected a non-empty list of names")
        return value

    def enum_set(self, data: Mapping[str, Any], name: str, key: str, enum: type[E]) -> frozenset[E]:
        values = self.string_list(data, name, key)
        known = [member.value for member in enum]
        result: set[E] = set()
        for value in values:
            if value not in known:
                raise self.fail(f"{key}.{name}", f'unknown value "{value}" (known: {", ".join(known)})')
            result.add(enum(value))
        return frozenset(result)
