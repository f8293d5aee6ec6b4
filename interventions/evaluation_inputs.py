"""What every evaluation of a plan needs beside its probes and sessions: the
dual-discrepancy criteria (norms) and the school calendar (issue 12, items 1 and 2).

One place builds them for a set of plans, in a fixed number of queries however many
plans there are (the catalog's measures, the norm points of the measures used, the
school years and the calendar events), and every evaluation path uses it: the plan
page, caseload and "my students" (interventions.selectors.evaluate_plans), the
meeting view and agenda builder, letters, reminders and referral packets (which call
evaluate_plans), and the batch path (interventions/batch_evaluation.py).

Where the criteria come from, first that applies (README, "Plans and progress
monitoring"):

1. the plan's own override (``Plan.dd_level_cut``, ``dd_growth_cut``) with its reason;
   the finding says "override: <reason>";
2. the district's percentile norm table (``screening.NormTable``, loaded by
   ``import_norms`` or on the catalog page) of the measure: the policy measure the
   plan's measure names (``find_measure``: key, name, alias or a vendor name such as
   "R-CBM"), the catalog measure of the policy's ``norm_table`` for it, in the
   policy's ``dual_discrepancy.level_norm`` group if there is one; the grade is the
   student's and the season that of the evaluation date (``mtss.rules.norms``);
3. the policy's inline norm table points for the measure;
4. none: the finding says dual discrepancy is not checked, and ``NormsInput.missing``
   says which measure and grade lack norms (the page links to the catalog).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from mtss.calendars.selectors import non_instructional_by_school
from mtss.models import District
from mtss.policy.adapters import VENDOR_NAMES, find_measure, instructional_weekdays, norm_table
from mtss.policy.schema import PolicyDocument
from mtss.rules.calendar import WEEKDAYS
from mtss.rules.norms import NormPoint, SuggestedGoal, dual_discrepancy_cuts, season_of, suggested_goal
from screening.selectors import catalog_measure_names, percentile_norm_rows


@dataclass(frozen=True, slots=True)
class NormsInput:
    """The criteria of one plan measure, or why there are none."""

    level_cut: float | None = None
    roi_cut: float | None = None
    source: str | None = None
    override: bool = False
    # Why dual discrepancy is not checked (no norms for the measure and grade), for the page.
    missing: str | None = None


@dataclass(frozen=True, slots=True)
class MeasureRequest:
    """One measure of one plan to find criteria for."""

    measure: str
    grade: int
    level_cut: float | None = None
    growth_cut: float | None = None
    override_reason: str = ""


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", (text or "").lower())


def policy_measure(policy: PolicyDocument | None, text: str):
    """The policy measure a plan's measure names: the whole text ("aimsweb R-CBM"), else its
    first word ("R-CBM words read correctly" -> "R-CBM")."""
    if policy is None or not text:
        return None
    found = find_measure(policy, text)
    if found is None and " " in text.strip():
        found = find_measure(policy, text.split()[0])
    return found


def _catalog_key(text: str, catalog: list[tuple[str, str, list]]) -> str | None:
    """A catalog measure named by the plan's measure text (key, name or import name), when the
    policy has no measure for it."""
    wanted = {_normalise(text)}
    if " " in (text or "").strip():
        wanted.add(_normalise(text.split()[0]))
    wanted.discard("")
    fitting = [
        key
        for key, name, names in catalog
        if wanted & {_normalise(key), _normalise(name), *map(_normalise, names or [])}
    ]
    if not fitting:
        # A common vendor name ("R-CBM", "Maze"): the one catalog measure whose key carries it.
        words = {word for name in wanted for word in VENDOR_NAMES.get(name, ())}
        fitting = [key for key, _, _ in catalog if any(_normalise(word) in _normalise(key) for word in words)]
    return fitting[0] if len(fitting) == 1 else None


def resolve_measure(policy: PolicyDocument | None, text: str, catalog: list[tuple[str, str, list]]):
    """(catalog key or None, the policy's norm table or None) of a plan's measure text."""
    measure = policy_measure(policy, text)
    table = norm_table(policy, measure) if measure is not None else None
    key = table.measure if table is not None else measure.key if measure is not None else None
    if key is None or key not in {row[0] for row in catalog}:
        key = _catalog_key(text, catalog) or key
    return key, table


def norms_for(
    *, district: District, policy: PolicyDocument | None, requests: Iterable[MeasureRequest], on: dt.date
) -> dict[MeasureRequest, NormsInput]:
    """Criteria for each request, in two queries (the catalog's measures, the norm points used)."""
    requests = list(dict.fromkeys(requests))
    if not requests:
        return {}
    rule = policy.decision_rules.dual_discrepancy if policy is not None else None
    level_pct = rule.level_percentile if rule else 25.0
    growth_pct = rule.growth_percentile if rule else 25.0
    wanted_norm = rule.level_norm if rule else "national"

    catalog = catalog_measure_names(district=district)
    # Per measure text: (catalog key, policy table or None)
    resolved: dict[str, tuple[str | None, object]] = {}
    for request in requests:
        if request.measure not in resolved:
            resolved[request.measure] = resolve_measure(policy, request.measure, catalog)

    keys = {key for key, _ in resolved.values() if key}
    # key -> {"name": str, "norm": str, "points": [NormPoint]} per norm group.
    tables: dict[str, dict[str, dict]] = defaultdict(dict)
    rows = percentile_norm_rows(district=district, measure_keys=keys)
    for key, norm, name, illustrative, grade, season, percentile, score in rows:
        entry = tables[key].setdefault(norm, {"name": name + (" (illustrative)" if illustrative else ""), "points": []})
        entry["points"].append(NormPoint(grade, season, percentile, score))

    season = season_of(on)
    cache: dict[tuple, NormsInput] = {}
    result = {}
    for request in requests:
        if request.level_cut is not None and request.growth_cut is not None:
            result[request] = NormsInput(
                request.level_cut, request.growth_cut, f"override: {request.override_reason}", override=True
            )
            continue
        key, table = resolved[request.measure]
        memo = (request.measure, request.grade)
        if memo not in cache:
            cache[memo] = _cuts(
                key, table, tables.get(key, {}), wanted_norm, request, season, on, level_pct, growth_pct
            )
        result[request] = cache[memo]
    return result


def _cuts(
    key,
    table,
    groups: dict,
    wanted_norm: str,
    request: MeasureRequest,
    season: str,
    on: dt.date,
    level_pct: float,
    growth_pct: float,
) -> NormsInput:
    weeks = None
    if table is not None:
        weeks = {("fall", "winter"): table.weeks_fall_to_winter, ("winter", "spring"): table.weeks_winter_to_spring}
    # The policy's norm group first (Loudon: national), else any percentile table of the measure.
    choices = [groups[wanted_norm]] if wanted_norm in groups else []
    choices += [entry for norm, entry in sorted(groups.items()) if norm != wanted_norm]
    if table is not None and table.points:
        choices.append(
            {"name": table.name, "points": [NormPoint(p.grade, p.season, p.percentile, p.score) for p in table.points]}
        )
    for entry in choices:
        cuts = dual_discrepancy_cuts(
            entry["points"],
            grade=request.grade,
            on=on,
            level_percentile=level_pct,
            growth_percentile=growth_pct,
            table_name=entry["name"],
            weeks_between=weeks,
        )
        if cuts is not None:
            return NormsInput(cuts.level_cut, cuts.roi_cut, cuts.source)
    grade = "kindergarten" if request.grade == 0 else f"grade {request.grade}"
    what = key or request.measure or "this measure"
    return NormsInput(missing=f"No percentile norms for {what}, {grade}, {season}: dual discrepancy is not checked.")


def suggest_goal(
    *,
    district: District,
    policy: PolicyDocument | None,
    measure_key: str,
    grade: int,
    baseline: float,
    start: dt.date,
    goal_date: dt.date,
) -> SuggestedGoal | None:
    """A new plan's suggested goal from the percentile norms of a catalog measure (the flagged
    screening score's): the district's tables first (the policy's norm group before the others),
    then the policy's inline points; ``mtss.rules.norms.suggested_goal`` says which rule applies."""
    rule = policy.decision_rules.dual_discrepancy if policy is not None else None
    level_pct = rule.level_percentile if rule else 25.0
    growth_pct = rule.growth_percentile if rule else 25.0
    wanted_norm = rule.level_norm if rule else "national"
    groups: dict[str, dict] = {}
    for _key, norm, name, illustrative, row_grade, season, percentile, score in percentile_norm_rows(
        district=district, measure_keys=[measure_key]
    ):
        entry = groups.setdefault(norm, {"name": name + (" (illustrative)" if illustrative else ""), "points": []})
        entry["points"].append(NormPoint(row_grade, season, percentile, score))
    choices = [groups[wanted_norm]] if wanted_norm in groups else []
    choices += [entry for norm, entry in sorted(groups.items()) if norm != wanted_norm]
    weeks = None
    measure = policy_measure(policy, measure_key)
    table = norm_table(policy, measure) if measure is not None else None
    if table is not None:
        weeks = {("fall", "winter"): table.weeks_fall_to_winter, ("winter", "spring"): table.weeks_winter_to_spring}
        if table.points:
            choices.append(
                {
                    "name": table.name,
                    "points": [NormPoint(p.grade, p.season, p.percentile, p.score) for p in table.points],
                }
            )
    for entry in choices:
        goal = suggested_goal(
            entry["points"],
            grade=grade,
            baseline=baseline,
            start=start,
            goal_date=goal_date,
            level_percentile=level_pct,
            growth_percentile=growth_pct,
            table_name=entry["name"],
            weeks_between=weeks,
        )
        if goal is not None:
            return goal
    return None


@dataclass(frozen=True, slots=True)
class CalendarInput:
    non_instructional: frozenset[dt.date] = frozenset()
    weekdays: tuple[int, ...] = WEEKDAYS


def calendars_for(
    *, district: District, policy: PolicyDocument | None, school_ids: Iterable[int | None], start: dt.date, end: dt.date
) -> dict[int | None, CalendarInput]:
    """Each school's days without school from ``start`` to ``end`` (two queries)."""
    weekdays = instructional_weekdays(policy) if policy is not None else WEEKDAYS
    days = non_instructional_by_school(district=district, school_ids=school_ids, start=start, end=end)
    return {school_id: CalendarInput(dates, weekdays or WEEKDAYS) for school_id, dates in days.items()}
