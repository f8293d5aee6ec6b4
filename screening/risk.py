"""Risk banding of screening scores: plain functions, no database (like mtss/rules/).

A score goes in with what the district policy says about its measure (the
policy's `screening.measures[i]`, mtss/policy/schema.py), out comes a
`RiskResult`: the level, the tier it indicates, the rule that produced it, the
numbers used and a sentence saying so ("percentile 18 (national, from the score
file) is below 25: below the 25th national percentile").

The six methods of the policy schema:

* `percentile`: bands, lowest first (aimswebPlus-style; RULES.md 1.8). The
  percentile is the vendor's national percentile from the file, or the one the
  district's imported norm table gives for the score (linear interpolation
  between tabled percentiles).
* `cut_score`: below a cut score per grade and season, from the policy's rows or,
  when the policy says the table comes from elsewhere (`table_from`), from the
  district's imported cut table.
* `performance_level`: below a state performance level (New York: below level 3).
* `pass_mark`: below a pass mark (New York Regents: below 65).
* `category`: the reported category is one of the at-risk ones ("low cohort").
* `rating_scale`: a behavior rating scale's total at or beyond inclusive cut points, in
  the scale's direction: higher is riskier on the SRSS-IE (Lane, Oakes et al.), lower on
  SAEBRS (FastBridge). A percentile or cut score is "below is riskier"; a behavior screener
  is not, so it has its own method rather than a sign flip hidden in a cut table.

Tiers: not at risk is Tier 1. A rule with several levels puts its lowest band in
Tier 3 and the others in Tier 2; a rule with one at-risk level indicates Tier 2
(Loudon: "below the 25th national percentile" leads to Tier II; Tier III follows
from not responding, not from screening).

`compile_rule` resolves a measure's rule for one grade and season once, so that an
import of 100,000 rows only compares numbers per row; `risk_level` is the one-call form.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# The 80/15/5 guideline: about 80 % of students succeed with Tier 1 alone (MTSS-RI,
# RULES.md 3.3), about 15 % need Tier 2 and 5 % Tier 3 (the guideline, and the
# shape the demo districts are built to, demo/districts.py `_place_tiers`).
TIER_GUIDELINE = {1: 80.0, 2: 15.0, 3: 5.0}

# Policy subgroup keys (mtss/policy/schema.py SUBGROUPS) -> Student flags (students/models.py).
# "bilingual_program" has no flag on the student record yet.
SUBGROUP_FIELDS = {
    "english_learner": "english_learner",
    "standard_english_learner": "standard_english_learner",
    "students_with_disabilities": "disability_iep",
    "section_504": "section_504",
    "foster_youth": "foster",
    "homeless": "homeless",
    "socioeconomically_disadvantaged": "socioeconomically_disadvantaged",
    "gifted": "gifted",
    "expelled": "expelled",
}
# Subject of a catalog measure -> area keys a policy may use for it.
SUBJECT_AREAS = {
    "reading": ("reading", "ela", "english-language-arts", "literacy"),
    "math": ("math", "mathematics"),
    "language": ("ela", "reading", "writing"),
    "science": ("science",),
    "behavior": ("behavior", "sel"),
}
SEASON_NAMES = {"fall": "fall", "winter": "winter", "spring": "spring"}

NOT_COMPUTED = "not computed"
NOT_AT_RISK = "not at risk"
NOT_SCREENED = "not screened under the policy"


@dataclass(frozen=True)
class RiskResult:
    """What the policy says about one score. `tier` is None when no level could be computed."""

    level: str
    tier: int | None
    rule: str
    values: dict = field(default_factory=dict)
    explanation: str = ""
    area: str = ""

    @property
    def at_risk(self) -> bool:
        return self.tier is not None and self.tier >= 2


@dataclass(frozen=True)
class MeasurePolicy:
    """A policy's screening measure, with where it sits in the document and which version."""

    index: int
    measure: object  # mtss.policy.schema.ScreeningMeasure
    policy_label: str

    @property
    def path(self) -> str:
        return f"screening.measures[{self.index}]"


# Norm points of one grade and season: ((percentile, score), ...) sorted by percentile.
NormPoints = Sequence[tuple[float, float]]
# Cut rows of one grade and season: ((below, label), ...).
CutRows = Sequence[tuple[float, str]]


def find_policy_measure(policy, keys: Iterable[str], *, policy_label: str = "") -> MeasurePolicy | None:
    """The first of `keys` that names a screening measure of the policy."""
    if policy is None:
        return None
    by_key = {m.key: (i, m) for i, m in enumerate(policy.screening.measures)}
    for key in keys:
        if key in by_key:
            index, measure = by_key[key]
            return MeasurePolicy(index, measure, policy_label)
    return None


def resolve_area(areas: Sequence[str], subject: str) -> str:
    """The policy area a measure of `subject` counts for (MAP reading counts for LAUSD's "ela")."""
    for candidate in SUBJECT_AREAS.get(subject, (subject,)):
        if candidate in areas:
            return candidate
    return areas[0] if areas else subject


def policy_subgroups(flags: Mapping[str, bool]) -> frozenset[str]:
    """The policy subgroup keys a student belongs to, from the student's flags."""
    return frozenset(key for key, flag in SUBGROUP_FIELDS.items() if flags.get(flag))


def percentile_of(score: float, points: NormPoints) -> tuple[float, str]:
    """The percentile a norm table gives a score, by linear interpolation.

    Returns (percentile, qualifier): qualifier "below" or "above" when the score is
    outside the table (the percentile is then just under the lowest / just over the
    highest tabled one, so band comparisons stay strict).
    """
    ordered = sorted(points, key=lambda p: (p[1], p[0]))
    scores = [s for _, s in ordered]
    if score < scores[0]:
        return max(ordered[0][0] - 0.5, 0.0), "below"
    if score > scores[-1]:
        return min(ordered[-1][0] + 0.5, 100.0), "above"
    i = bisect.bisect_left(scores, score)
    if scores[i] == score:
        # Equal scores at several percentiles: the highest one the score reaches.
        j = bisect.bisect_right(scores, score) - 1
        return ordered[j][0], ""
    (p0, s0), (p1, s1) = ordered[i - 1], ordered[i]
    return p0 + (p1 - p0) * (score - s0) / (s1 - s0), ""


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


def _grade(grade: int) -> str:
    return "K" if grade == 0 else "PK" if grade < 0 else str(grade)


Rule = Callable[..., RiskResult]


def _keyed(rule, key):
    """Attach `rule.key(score, percentile, level, category, subgroups)`: the inputs the result
    depends on. Equal keys give equal results, so an import computes each distinct one once."""
    rule.key = key
    return rule


def _constant(result: RiskResult) -> Rule:
    return _keyed(lambda **_: result, lambda *_: None)


def compile_rule(
    measure_policy: MeasurePolicy | None,
    *,
    grade: int,
    season: str,
    subject: str = "",
    norms: NormPoints | None = None,
    norm_name: str = "",
    cut_rows: CutRows | None = None,
    cut_name: str = "",
    no_policy_reason: str = "",
) -> Rule:
    """The risk rule of one measure for one grade and season, as a function of one score.

    The returned function takes keyword arguments `score`, `percentile`, `level`,
    `category`, `subgroups` (policy subgroup keys) and returns a RiskResult.
    """
    if measure_policy is None:
        reason = no_policy_reason or "the district policy has no screening rule for this measure"
        return _constant(RiskResult(NOT_COMPUTED, None, "", {}, reason))
    measure = measure_policy.measure
    rule = measure.risk
    path = f"{measure_policy.path}.risk"
    label = measure_policy.policy_label
    area = resolve_area(list(measure.areas), subject)
    base = {"policy": label, "measure": measure.key, "grade": grade, "season": season, "method": rule.method}
    if grade not in measure.grades or season not in measure.seasons:
        return _constant(
            RiskResult(
                NOT_SCREENED,
                None,
                path,
                base,
                (
                    f"{measure.name} ({label}) screens grades {', '.join(_grade(g) for g in measure.grades)} in "
                    f"{', '.join(measure.seasons)}; this score is grade {_grade(grade)}, {season}."
                ),
                area,
            )
        )
    exemptions = [(frozenset(e.subgroups), e.name) for e in measure.exemptions]
    exempt_groups = frozenset().union(*(groups for groups, _ in exemptions)) if exemptions else frozenset()

    def exempt_key(subgroups: frozenset) -> frozenset:
        return subgroups & exempt_groups if exempt_groups else frozenset()

    def finish(tier: int, level: str, values: dict, explanation: str, subgroups: frozenset[str]) -> RiskResult:
        if tier >= 2:
            for groups, name in exemptions:
                if groups & subgroups:
                    values = {**values, "exemption": name}
                    explanation += f" The student may be exempt: {name}."
                    break
        return RiskResult(level, tier, path, values, explanation, area)

    method = rule.method
    if method == "percentile":
        bands = sorted(rule.bands, key=lambda b: b.below_percentile)
        several = len(bands) >= 2

        def percentile_rule(*, score=None, percentile=None, level=None, category="", subgroups=frozenset()):
            source = "from the score file"
            qualifier = ""
            if percentile is None or rule.norm != "national":
                if norms and score is not None:
                    percentile, qualifier = percentile_of(score, norms)
                    source = f"from {norm_name}" if norm_name else "from the district's norm table"
                else:
                    percentile = None
            if percentile is None:
                why = (
                    f"no {rule.norm} percentile: the file gives none and the district has no {rule.norm} norm "
                    f"table for grade {_grade(grade)} {season}"
                )
                return RiskResult(NOT_COMPUTED, None, path, {**base, "score": score}, why, area)
            values = {
                **base,
                "score": score,
                "percentile": round(percentile, 1),
                "norm": rule.norm,
                "percentile_source": source,
            }
            shown = _num(round(percentile, 1))
            if qualifier == "below":
                shown = f"under {_num(percentile + 0.5)} (the table's lowest)"
            elif qualifier == "above":
                shown = f"over {_num(percentile - 0.5)} (the table's highest)"
            # The score is named only when it gave the percentile (through the norm table).
            lead = f"Score {_num(score)}: percentile" if qualifier or source != "from the score file" else "Percentile"
            if source == "from the score file":
                values.pop("score")
            for i, band in enumerate(bands):
                if percentile < band.below_percentile:
                    tier = 3 if several and i == 0 else 2
                    values["below_percentile"] = band.below_percentile
                    return finish(
                        tier,
                        band.label,
                        values,
                        (
                            f"{lead} {shown} ({rule.norm}, {source}) is below "
                            f"{_num(band.below_percentile)}: {band.label} (Tier {tier}, {label})."
                        ),
                        subgroups,
                    )
            values["below_percentile"] = bands[-1].below_percentile
            return finish(
                1,
                NOT_AT_RISK,
                values,
                (
                    f"{lead} {shown} ({rule.norm}, {source}) is at or above "
                    f"{_num(bands[-1].below_percentile)} (Tier 1, {label})."
                ),
                subgroups,
            )

        def percentile_key(score, percentile, level, category, subgroups):
            if percentile is not None and rule.norm == "national":
                return ("p", percentile, exempt_key(subgroups))
            return ("s", score, exempt_key(subgroups))

        return _keyed(percentile_rule, percentile_key)

    if method == "cut_score":
        rows = [
            (r.below, r.label or f"below {_num(r.below)}")
            for r in rule.rows
            if r.grade == grade and (r.season is None or r.season == season)
        ]
        source = f"{label} cut scores"
        if not rows and cut_rows:
            rows = list(cut_rows)
            source = cut_name or "the district's cut-score table"
        rows.sort(key=lambda r: r[0])
        if not rows:
            why = f"no cut score for grade {_grade(grade)} {season}"
            if rule.table_from:
                why += f" (the policy takes the table from {rule.table_from}: import it with import_norms)"
            return _constant(RiskResult(NOT_COMPUTED, None, path, base, why + ".", area))
        several = len(rows) >= 2

        def cut_rule(*, score=None, percentile=None, level=None, category="", subgroups=frozenset()):
            if score is None:
                return RiskResult(NOT_COMPUTED, None, path, base, "the file gives no score.", area)
            values = {**base, "score": score, "cut_source": source}
            for i, (below, row_label) in enumerate(rows):
                if score < below:
                    tier = 3 if several and i == 0 else 2
                    values["below"] = below
                    return finish(
                        tier,
                        row_label,
                        values,
                        (
                            f"Score {_num(score)} is below the cut score {_num(below)} for grade {_grade(grade)} "
                            f"{season} ({source}): {row_label} (Tier {tier})."
                        ),
                        subgroups,
                    )
            values["below"] = rows[-1][0]
            return finish(
                1,
                NOT_AT_RISK,
                values,
                (
                    f"Score {_num(score)} is at or above the cut score {_num(rows[-1][0])} for grade {_grade(grade)} "
                    f"{season} ({source}) (Tier 1)."
                ),
                subgroups,
            )

        return _keyed(cut_rule, lambda score, p, lv, c, subgroups: (score, exempt_key(subgroups)))

    if method == "performance_level":

        def level_rule(*, score=None, percentile=None, level=None, category="", subgroups=frozenset()):
            if level is None:
                return RiskResult(
                    NOT_COMPUTED, None, path, {**base, "score": score}, "the file gives no performance level.", area
                )
            values = {**base, "level": level, "below_level": rule.below_level}
            if level < rule.below_level:
                return finish(
                    2,
                    f"below level {rule.below_level}",
                    values,
                    (f"Performance level {level} is below level {rule.below_level} (Tier 2, {label})."),
                    subgroups,
                )
            return finish(
                1,
                NOT_AT_RISK,
                values,
                (f"Performance level {level} is at or above level {rule.below_level} (Tier 1, {label})."),
                subgroups,
            )

        return _keyed(
            level_rule, lambda s_, p, level, c, subgroups: (level, s_ if level is None else None, exempt_key(subgroups))
        )

    if method == "pass_mark":

        def pass_rule(*, score=None, percentile=None, level=None, category="", subgroups=frozenset()):
            if score is None:
                return RiskResult(NOT_COMPUTED, None, path, base, "the file gives no score.", area)
            values = {**base, "score": score, "below": rule.below}
            if score < rule.below:
                return finish(
                    2,
                    f"below {_num(rule.below)}",
                    values,
                    (f"Score {_num(score)} is below the pass mark {_num(rule.below)} (Tier 2, {label})."),
                    subgroups,
                )
            return finish(
                1,
                NOT_AT_RISK,
                values,
                (f"Score {_num(score)} is at or above the pass mark {_num(rule.below)} (Tier 1, {label})."),
                subgroups,
            )

        return _keyed(pass_rule, lambda score, p, lv, c, subgroups: (score, exempt_key(subgroups)))

    if method == "category":
        wanted = {c.casefold(): c for c in rule.at_risk_categories}

        def category_rule(*, score=None, percentile=None, level=None, category="", subgroups=frozenset()):
            if not category:
                return RiskResult(
                    NOT_COMPUTED, None, path, {**base, "score": score}, "the file gives no category.", area
                )
            values = {**base, "category": category, "at_risk_categories": list(rule.at_risk_categories)}
            if category.casefold() in wanted:
                return finish(
                    2,
                    wanted[category.casefold()],
                    values,
                    (f"Reported category “{category}” is an at-risk category (Tier 2, {label})."),
                    subgroups,
                )
            return finish(
                1,
                NOT_AT_RISK,
                values,
                (
                    f"Reported category “{category}” is not one of {', '.join(rule.at_risk_categories)} "
                    f"(Tier 1, {label})."
                ),
                subgroups,
            )

        return _keyed(
            category_rule,
            lambda score, p, lv, category, subgroups: (
                category,
                score if not category else None,
                exempt_key(subgroups),
            ),
        )

    if method == "rating_scale":
        higher = rule.direction == "higher_is_riskier"
        # The grade's bands, most severe first: the highest cut when higher is riskier.
        bands = sorted(
            (b for b in rule.bands if not b.grades or grade in b.grades), key=lambda b: b.cut, reverse=higher
        )
        if not bands:
            return _constant(
                RiskResult(NOT_COMPUTED, None, path, base, f"no rating band for grade {_grade(grade)}.", area)
            )
        several = len(bands) >= 2
        beyond = "at or above" if higher else "at or below"
        short = "below" if higher else "above"

        def rating_rule(*, score=None, percentile=None, level=None, category="", subgroups=frozenset()):
            if score is None:
                return RiskResult(NOT_COMPUTED, None, path, base, "the file gives no score.", area)
            values = {**base, "score": score, "direction": rule.direction}
            for i, band in enumerate(bands):
                if (score >= band.cut) if higher else (score <= band.cut):
                    tier = 3 if several and i == 0 else 2
                    values["cut"] = band.cut
                    return finish(
                        tier,
                        band.label,
                        values,
                        (
                            f"Score {_num(score)} is {beyond} {_num(band.cut)} ({rule.direction.replace('_', ' ')}, "
                            f"{label}): {band.label} (Tier {tier})."
                        ),
                        subgroups,
                    )
            values["cut"] = bands[-1].cut
            return finish(
                1,
                NOT_AT_RISK,
                values,
                (
                    f"Score {_num(score)} is {short} {_num(bands[-1].cut)} ({rule.direction.replace('_', ' ')}, "
                    f"{label}) (Tier 1)."
                ),
                subgroups,
            )

        return _keyed(rating_rule, lambda score, p, lv, c, subgroups: (score, exempt_key(subgroups)))

    raise ValueError(f"unknown risk method {method!r}")  # the schema admits only the six above


def risk_level(
    measure_policy: MeasurePolicy | None,
    *,
    score: float | None = None,
    percentile: float | None = None,
    grade: int,
    season: str,
    subgroups: Iterable[str] = (),
    level: int | None = None,
    category: str = "",
    subject: str = "",
    norms: NormPoints | None = None,
    norm_name: str = "",
    cut_rows: CutRows | None = None,
    cut_name: str = "",
) -> RiskResult:
    """The risk level of one score under a policy's screening measure (see the module docstring)."""
    rule = compile_rule(
        measure_policy,
        grade=grade,
        season=season,
        subject=subject,
        norms=norms,
        norm_name=norm_name,
        cut_rows=cut_rows,
        cut_name=cut_name,
    )
    return rule(
        score=score, percentile=percentile, level=level, category=category or "", subgroups=frozenset(subgroups)
    )


# --- mid-year entrants ---------------------------------------------------------------------


@dataclass(frozen=True)
class MidYearStatus:
    due: dt.date | None
    overdue: bool
    reason: str


def mid_year_screening_due(
    *,
    entry_date: dt.date,
    windows: Sequence[tuple[dt.date, dt.date, str]],
    screened_since_entry: bool,
    rule,
    today: dt.date,
) -> MidYearStatus | None:
    """Whether a student who entered after the year's first window still needs a screening.

    `windows` are the school year's (start, end, name), in any order; `rule` is the
    policy's `mid_year_entry` (or None: the policy says nothing, so every entrant is
    screened). Loudon, Holland Patent and LAUSD: "screened unless a benchmark is
    within 4 weeks" (`skip_if_benchmark_within_weeks`); Ohio Virtual Academy: within
    30 days of enrolment (`screen_within_days_of_enrollment`).
    """
    if rule is not None and not rule.screen_new_entrants:
        return None
    if screened_since_entry or not windows:
        return None
    ordered = sorted(windows)
    if entry_date <= ordered[0][0]:
        return None  # enrolled before the first window: screened with everyone
    within_days = getattr(rule, "screen_within_days_of_enrollment", None) if rule is not None else None
    due = entry_date + dt.timedelta(days=within_days) if within_days else None
    skip_weeks = getattr(rule, "skip_if_benchmark_within_weeks", None) if rule is not None else None
    upcoming = next(((s, e, n) for s, e, n in ordered if s >= entry_date), None)
    if skip_weeks is not None and upcoming is not None and (upcoming[0] - entry_date).days <= skip_weeks * 7:
        start, end, name = upcoming
        if today <= end:
            return None  # screened with everyone in the coming window
        reason = f"entered {entry_date:%Y-%m-%d}, not screened in the {name} window"
        return MidYearStatus(due or end, True, reason)
    if upcoming is None or skip_weeks is None:
        reason = f"entered {entry_date:%Y-%m-%d}, after the {ordered[0][2]} window began"
    else:
        reason = (
            f"entered {entry_date:%Y-%m-%d}; the next benchmark ({upcoming[2]}) is more than "
            f"{_num(skip_weeks)} weeks away"
        )
    return MidYearStatus(due, bool(due and due < today), reason)


def tier_shares(counts: Mapping[int, int]) -> dict:
    """Shares of Tier 1/2/3 among the scores with a computed tier, against the 80/15/5 guideline."""
    total = sum(counts.get(t, 0) for t in (1, 2, 3))
    out = {"total": total, "tiers": []}
    for tier in (1, 2, 3):
        n = counts.get(tier, 0)
        share = 100.0 * n / total if total else None
        guideline = TIER_GUIDELINE[tier]
        if share is None:
            verdict = ""
        elif tier == 1:
            verdict = "meets" if share >= guideline else "below"
        else:
            verdict = "meets" if share <= guideline else "above"
        out["tiers"].append({"tier": tier, "count": n, "share": share, "guideline": guideline, "verdict": verdict})
    return out
