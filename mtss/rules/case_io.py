"""CASE.json in, result JSON out (``manage.py evaluate_case``; README.md, "Evaluating one case").

``load_case(data)`` validates a parsed CASE.json (pydantic, unknown keys are
errors), resolves its policy (a preset name or an inline document) into a
``RuleConfig`` through ``mtss.policy.adapters.rule_config`` and builds the
engine's ``Case``. Every problem is reported as ``CaseError`` whose ``errors``
are ``(path, message)`` pairs such as ``probes[2].date: not a date ...``.
``evaluation_to_json`` gives the output shape.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from mtss.rules.calendar import WEEKDAY_NAMES, WEEKDAYS, expand_ranges
from mtss.rules.config import RuleConfig
from mtss.rules.engine import Case, Evaluation, Goal, Probe, Session, changes_tier, recommended_tier
from mtss.rules.norms import NormPoint

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CaseError(Exception):
    """CASE.json is invalid; ``errors`` are (path, message) pairs naming each field."""

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        self.errors = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(f"{path}: {message}" for path, message in self.errors)


def _iso_date(value: Any) -> datetime.date:
    # Only "YYYY-MM-DD": pydantic would also take a number as a Unix timestamp.
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError(f"must be a date written YYYY-MM-DD, got {value!r}")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"is not a calendar date: {value!r}") from None


IsoDate = Annotated[datetime.date, BeforeValidator(_iso_date)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
PositiveNumber = Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProbeIn(_Model):
    date: IsoDate
    score: Number


class SessionIn(_Model):
    date: IsoDate
    minutes: Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
    status: Literal["delivered", "student_absent", "provider_absent", "cancelled"] = "delivered"


class GoalIn(_Model):
    measure: str = ""
    target: Number | None = None  # a benchmark score (RULES.md 1.2)
    roi: Number | None = None  # or a weekly growth rate
    target_date: IsoDate
    direction: Literal["up", "down"] = "up"

    @model_validator(mode="after")
    def _target_or_roi(self) -> GoalIn:
        if (self.target is None) == (self.roi is None):
            raise ValueError("give exactly one of target (a benchmark score) or roi (a weekly growth rate)")
        return self


class PlanIn(_Model):
    start: IsoDate
    sessions_per_week: PositiveNumber | None = None
    sessions_per_cycle: PositiveNumber | None = None
    cycle_days: Annotated[int, Field(strict=True, ge=1)] | None = None
    minutes_per_session: PositiveNumber | None = None
    goal: GoalIn
    tier_start: IsoDate | None = None
    last_review: IsoDate | None = None

    @model_validator(mode="after")
    def _dosage(self) -> PlanIn:
        if self.sessions_per_week is not None and self.sessions_per_cycle is not None:
            raise ValueError("give sessions_per_week or sessions_per_cycle with cycle_days, not both")
        if (self.sessions_per_cycle is None) != (self.cycle_days is None):
            raise ValueError("sessions_per_cycle and cycle_days go together")
        return self


class StudentIn(_Model):
    grade: Annotated[int, Field(strict=True, ge=0, le=12)]  # 0 = kindergarten
    area: str
    tier: Annotated[int, Field(strict=True, ge=1)]
    subgroups: list[str] = []


class NormPointIn(_Model):
    grade: Annotated[int, Field(strict=True, ge=0, le=12)]
    season: Literal["fall", "winter", "spring"]
    percentile: Annotated[float, Field(strict=True, gt=0, lt=100)]
    score: Number


class NormsIn(_Model):
    """Either the cuts themselves, or a percentile table (the policy's percentiles pick the cuts)."""

    level_cut: Number | None = None
    roi_cut: Number | None = None
    name: str = "norm table"
    table: list[NormPointIn] = []
    weeks_fall_to_winter: PositiveNumber = 18.0
    weeks_winter_to_spring: PositiveNumber = 18.0

    @model_validator(mode="after")
    def _cuts_or_table(self) -> NormsIn:
        if self.table and (self.level_cut is not None or self.roi_cut is not None):
            raise ValueError("give level_cut and roi_cut, or a table, not both")
        if (self.level_cut is None) != (self.roi_cut is None):
            raise ValueError("level_cut and roi_cut go together")
        return self


class BreakIn(_Model):
    start: IsoDate
    end: IsoDate
    name: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> BreakIn:
        if self.end < self.start:
            raise ValueError(f"end {self.end.isoformat()} is before start {self.start.isoformat()}")
        return self


class CalendarIn(_Model):
    """The school calendar: dates without school; weekends are implicit."""

    non_instructional: list[IsoDate] = []
    breaks: list[BreakIn] = []
    weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] | None = None

    @model_validator(mode="after")
    def _no_overlap(self) -> CalendarIn:
        ordered = sorted(self.breaks, key=lambda b: b.start)
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            if later.start <= earlier.end:
                raise ValueError(
                    f"breaks overlap: {earlier.start.isoformat()}..{earlier.end.isoformat()} and "
                    f"{later.start.isoformat()}..{later.end.isoformat()}"
                )
        if self.weekdays is not None and (not self.weekdays or len(set(self.weekdays)) != len(self.weekdays)):
            raise ValueError("weekdays lists each school weekday once, at least one")
        return self


class CaseIn(_Model):
    policy: str | dict[str, Any]
    as_of: IsoDate
    student: StudentIn
    plan: PlanIn
    baseline_probes: list[ProbeIn] = []
    probes: list[ProbeIn] = []
    sessions: list[SessionIn] = []
    norms: NormsIn | None = None
    calendar: CalendarIn | None = None


@dataclass(frozen=True)
class LoadedCase:
    config: RuleConfig
    case: Case
    policy_label: str
    warnings: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------


def _path(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(case)"


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model a location points into, to list the keys allowed there."""
    model: type[BaseModel] | None = CaseIn
    for part in loc:
        if model is None or isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        model = next((m for m in _models_in(field.annotation)), None)
    return model


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for argument in getattr(annotation, "__args__", ()):
        found.extend(_models_in(argument))
    return found


def _message(error: Mapping[str, Any]) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        model = _model_at(error["loc"][:-1])
        allowed = list(model.model_fields) if model else []
        close = difflib.get_close_matches(str(error["loc"][-1]), allowed, n=1, cutoff=0.6)
        if close:
            return f"unknown key; did you mean {close[0]!r}?"
        return "unknown key; allowed here: " + ", ".join(allowed) if allowed else "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error") or error["msg"]).removeprefix("Value error, ")
    if kind in {"float_type", "float_parsing", "finite_number"}:
        return f"must be a number, got {value!r}"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"must be a whole number, got {value!r}"
    if kind == "literal_error":
        return f"must be one of {error.get('ctx', {}).get('expected')}, got {value!r}"
    if kind in {"model_type", "dict_type"}:
        return f"must be an object, got {value!r}"
    return f"{error['msg']} (got {value!r})"


def _errors_from(exc: ValidationError) -> list[tuple[str, str]]:
    found: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        loc = list(error["loc"])
        # "policy" is a string or an object: one message, not one per member of the union.
        if loc and loc[0] == "policy":
            found.setdefault("policy", []).append("must be a preset name or an inline policy document (an object)")
            continue
        message = _message(error)
        if message not in found.setdefault(_path(loc), []):
            found[_path(loc)].append(message)
    return [(path, "; ".join(dict.fromkeys(messages))) for path, messages in found.items()]


def _resolve_policy(
    raw: str | dict[str, Any], student: StudentIn, goal: GoalIn
) -> tuple[RuleConfig, str, Any, Any, list[str]]:
    # Imported here: the policy package pulls in its schema only when a case needs it.
    from mtss import policy as policies
    from mtss.policy.adapters import find_measure, rule_config

    if isinstance(raw, str):
        try:
            document = policies.load_preset(raw)
        except LookupError as exc:
            raise CaseError([("policy", str(exc).strip("'\""))]) from None
        version = str(policies.preset_data(raw).get("version") or "preset")
    else:
        try:
            document = policies.validate_policy(raw)
        except policies.PolicyValidationError as exc:
            raise CaseError([(f"policy.{error.path}", error.message) for error in exc.errors]) from None
        version = str(raw.get("version") or "inline")

    warnings: list[str] = []
    found = find_measure(document, goal.measure) if goal.measure else None
    if goal.measure and found is None:
        known = ", ".join(m.key for m in document.progress_monitoring.measures) or "none"
        warnings.append(
            f"plan.goal.measure: {goal.measure!r} is not a measure of this policy (measures: {known}); "
            "the case is evaluated without the measure's norms or tolerance"
        )
    measure = found.key if found is not None else None
    try:
        config = rule_config(
            document, tier=student.tier, area=student.area, grade=student.grade, measure=measure, version=version
        )
    except LookupError as exc:
        message = str(exc).strip("'\"")
        if "measure" in message:
            path = "plan.goal.measure"
        elif "area" in message:
            path = "student.area"
        else:
            path = "student.tier"
        raise CaseError([(path, message)]) from None
    return config, f"{document.name}@{version}", document, found, warnings


def load_case(data: Any) -> LoadedCase:
    """Validate a parsed CASE.json and resolve its policy; raise CaseError naming every bad field."""
    if not isinstance(data, Mapping):
        raise CaseError([("(case)", "CASE.json must be a JSON object")])
    try:
        parsed = CaseIn.model_validate(dict(data))
    except ValidationError as exc:
        raise CaseError(_errors_from(exc)) from None

    config, label, document, measure, warnings = _resolve_policy(parsed.policy, parsed.student, parsed.plan.goal)
    plan, goal = parsed.plan, parsed.plan.goal
    norms = parsed.norms or NormsIn()

    from mtss.policy.adapters import instructional_weekdays, norm_cuts

    level_cut, roi_cut, norms_source = norms.level_cut, norms.roi_cut, None
    if level_cut is not None:
        norms_source = "criteria given in the case"
    else:
        points = None
        if norms.table:
            points = [NormPoint(p.grade, p.season, p.percentile, p.score) for p in norms.table]
        cuts = norm_cuts(document, measure=measure, grade=parsed.student.grade, on=parsed.as_of, points=points)
        if cuts is None and norms.table:
            warnings.append(
                f"norms.table: no rows for grade {parsed.student.grade} in the seasons needed; "
                "dual discrepancy is not checked"
            )
        if cuts is not None:
            level_cut, roi_cut, norms_source = cuts.level_cut, cuts.roi_cut, cuts.source
            if norms.table:
                norms_source = norms_source.replace("norm table", norms.name, 1)

    calendar = parsed.calendar or CalendarIn()
    weekdays = (
        tuple(sorted(WEEKDAY_NAMES.index(day) for day in calendar.weekdays))
        if calendar.weekdays is not None
        else instructional_weekdays(document)
    )
    non_instructional = frozenset(calendar.non_instructional) | expand_ranges((b.start, b.end) for b in calendar.breaks)
    if (
        parsed.as_of >= plan.start
        and Case(
            start=plan.start,
            as_of=parsed.as_of,
            goal=Goal(target_date=goal.target_date, target=0.0),
            non_instructional=non_instructional,
            weekdays=weekdays,
        ).instructional_days(plan.start, parsed.as_of)
        == 0
    ):
        raise CaseError(
            [
                (
                    "calendar",
                    f"no instructional day from {plan.start.isoformat()} to "
                    f"{parsed.as_of.isoformat()}: every day is a weekend, holiday or break",
                )
            ]
        )
    case = Case(
        start=plan.start,
        as_of=parsed.as_of,
        goal=Goal(
            target_date=goal.target_date,
            target=goal.target,
            roi=goal.roi,
            direction=goal.direction,
            measure=goal.measure,
        ),
        baseline_probes=tuple(Probe(p.date, p.score) for p in parsed.baseline_probes),
        probes=tuple(Probe(p.date, p.score) for p in parsed.probes),
        sessions=tuple(Session(s.date, s.minutes, s.status) for s in parsed.sessions),
        sessions_per_week=plan.sessions_per_week,
        sessions_per_cycle=plan.sessions_per_cycle,
        cycle_days=plan.cycle_days,
        minutes_per_session=plan.minutes_per_session,
        level_cut=level_cut,
        roi_cut=roi_cut,
        tier_start=plan.tier_start,
        last_review=plan.last_review,
        non_instructional=non_instructional,
        weekdays=weekdays if weekdays else WEEKDAYS,
        norms_source=norms_source,
    )
    return LoadedCase(config=config, case=case, policy_label=label, warnings=tuple(warnings))


def evaluation_to_json(
    evaluation: Evaluation, policy_label: str | None = None, loaded: LoadedCase | None = None
) -> dict[str, Any]:
    """The output shape of ``evaluate_case`` (README.md, "Evaluating one case")."""
    extra: dict[str, Any] = {}
    if loaded is not None:
        extra = {
            "recommended_tier": recommended_tier(loaded.config, evaluation.recommendation),
            "changes_tier": changes_tier(loaded.config, evaluation.recommendation),
            "warnings": list(loaded.warnings),
        }
    return {
        "recommendation": evaluation.recommendation,
        **extra,
        "findings": [
            {"rule": f.rule, "status": f.status, "values": f.values, "explanation": f.explanation}
            for f in evaluation.findings
        ],
        "baseline": evaluation.baseline,
        "goal_roi": evaluation.goal_roi,
        "roi": evaluation.roi,
        "policy": policy_label or evaluation.policy,
    }
