"""The district policy document: one validated JSON document per district.

A district administrator edits it; flags, agendas, letters and reports follow
it. The shape is pydantic v2 with ``extra="forbid"`` and strict types on every
model, so a misspelt key or a number written as text is an error that names the
field. Checks that span several fields (tier numbers, references to tiers,
areas and teams, dosage cycles, notes) run once over the whole document, so
every error carries a full path such as ``tiers[1].dosage.cycle_days``.

Entry point: ``validate_policy(data) -> PolicyDocument``; it raises
``PolicyValidationError`` whose ``errors`` are ``PolicyError(path, message)``.

Vocabulary (docs/DOMAIN.md): a tier is a level of support, an area an academic
or behaviour domain, a team the school group that reviews students (S-Team,
SBIT, TBT), a notice a letter or e-mail to parents, a meeting rule says when a
team meets. Grades are integers with 0 = kindergarten.

Notes: ``notes`` maps a dotted path (``tiers.1.dosage.minutes_per_session``,
list positions as numbers counted from 0) to where the value comes from: a
quote from a declared source, or ``{"default": true, "why": ...}`` where the
source is silent. See README.md, "The district policy document".
"""

import datetime
import difflib
import re
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

SCHEMA_VERSION = 1

# --- vocabularies ---------------------------------------------------------------------

# ISO 639-1 codes (plus a few ISO 639-2/3 codes for languages US districts
# translate into that have no two-letter code: Hmong, Chuukese, Ilocano).
# A code may carry a script or region subtag ("zh-hant", "pt-br", "es-419"); codes
# are stored in lowercase, Django's convention, so they compare equal to a
# guardian's preferred language ("zh-hans").
KNOWN_LANGUAGES: dict[str, str] = {
    "am": "Amharic",
    "ar": "Arabic",
    "bn": "Bengali",
    "bs": "Bosnian",
    "chk": "Chuukese",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "fa": "Persian (Farsi, Dari)",
    "fi": "Finnish",
    "fr": "French",
    "gu": "Gujarati",
    "he": "Hebrew",
    "hi": "Hindi",
    "hmn": "Hmong",
    "hr": "Croatian",
    "ht": "Haitian Creole",
    "hu": "Hungarian",
    "hy": "Armenian",
    "id": "Indonesian",
    "ilo": "Ilocano",
    "it": "Italian",
    "ja": "Japanese",
    "ka": "Georgian",
    "km": "Khmer",
    "kn": "Kannada",
    "ko": "Korean",
    "ku": "Kurdish",
    "lo": "Lao",
    "mh": "Marshallese",
    "mk": "Macedonian",
    "ml": "Malayalam",
    "mn": "Mongolian",
    "mr": "Marathi",
    "ms": "Malay",
    "my": "Burmese",
    "ne": "Nepali",
    "nl": "Dutch",
    "no": "Norwegian",
    "pa": "Punjabi",
    "pl": "Polish",
    "ps": "Pashto",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sm": "Samoan",
    "so": "Somali",
    "sq": "Albanian",
    "sr": "Serbian",
    "sv": "Swedish",
    "sw": "Swahili",
    "ta": "Tamil",
    "te": "Telugu",
    "th": "Thai",
    "ti": "Tigrinya",
    "tl": "Tagalog (Filipino)",
    "to": "Tongan",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "uz": "Uzbek",
    "vi": "Vietnamese",
    "yi": "Yiddish",
    "yo": "Yoruba",
    "zh": "Chinese",
}

# Student subgroups the sources name (LAUSD's list; Holland Patent's eligibility
# groups; Loudon's referral exceptions). Reports break results down by these.
SUBGROUPS: dict[str, str] = {
    "english_learner": "English learners (EL) / limited English proficient students",
    "standard_english_learner": "Standard English learners (SEL)",
    "bilingual_program": "students enrolled in a bilingual program",
    "students_with_disabilities": "students with disabilities (SWD, IEP)",
    "section_504": "students with a Section 504 plan",
    "foster_youth": "students in foster care",
    "homeless": "students experiencing homelessness",
    "socioeconomically_disadvantaged": "socio-economically disadvantaged students",
    "gifted": "gifted and talented (GATE) students",
    "expelled": "expelled students",
}

# Content blocks a notice may require; the letter templates render one partial per
# block. Sources: NY AIS notice items (Holland Patent; RULES.md 4.2), NY RtI notice
# items (8 NYCRR 100.2(ii), RULES.md 4.1), Ohio not-on-track notice (RULES.md 4.5),
# Loudon's letters.
NOTICE_CONTENT_BLOCKS: dict[str, str] = {
    "program_overview": "what the RtI/MTSS program is and how it works",
    "screening_results": "the student's universal-screening results and what they mean",
    "team_invitation": "an invitation to join the child's intervention team",
    "summary_of_services": "a summary of the intervention services to be provided",
    "reason_for_services": "the reason the student needs the services",
    "consequences_of_not_meeting_levels": "the consequences of not achieving the expected performance levels",
    "data_to_be_collected": "the amount and nature of student performance data that will be collected",
    "strategies_for_rate_of_learning": "strategies for increasing the student's rate of learning",
    "right_to_request_evaluation": "the parents' right to request an evaluation for special education",
    "criteria_for_ending": "the criteria for ending the services",
    "performance_levels_obtained": "the performance levels obtained on district-selected assessments",
    "teacher_recommendation": "the teacher's recommendation (rubric)",
    "reading_deficiency": "the student's reading deficiency",
    "current_services": "the services the student currently receives",
    "proposed_services": "the proposed supplemental services and supports",
    "retention_possible": "that the student may be retained in grade 3 below the state cut score",
    "home_reading_resources": "reading resources for the family",
    "progress_summary": "progress-monitoring scores, goal line and trend",
    "meeting_details": "date, time, place and purpose of a meeting",
    "meeting_outcome": "the decisions taken at a meeting",
    "point_card_summary": "the check-in/check-out card's days, points and the daily goal",
}

Season = Literal["fall", "winter", "spring"]
NoticeTrigger = Literal[
    "start_of_year",  # every family, at the start of the school year
    "screening_completed",  # after each universal-screening window, every screened student
    "screening_at_risk",  # after a screening window, students below the cut point
    "not_on_track",  # Ohio K-3 reading diagnostic: "not on track"
    "tier_start",  # a tier placement starts (or is about to)
    "tier_end",  # a tier placement ends (services discontinued)
    "meeting_scheduled",  # invitation to a team meeting
    "meeting_outcome",  # outcome of a meeting the parent did not attend
    "mid_year_entry",  # a student enrolled after the start of the year
    "referral_considered",  # a special-education referral is being considered
]
MeetingEvent = Literal[
    "after_screening",  # after every benchmark window
    "tier_start",
    "tier_end",
    "placement_change",  # a change of tier is being considered
    "time_in_tier",  # once, after `after_weeks` / `after_quarters` in the tier
    "periodic",  # every `every_weeks` / `every_quarters` while in the tier
    "referral_considered",  # special-education referral considered
    "mid_year_entry",
    "parent_request",
]


# --- field types ------------------------------------------------------------------------


class _Ref:
    """Marks a field whose value must name something declared elsewhere in the document."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"<reference to a {self.kind}>"


TIER_REF = _Ref("tier")
AREA_REF = _Ref("area")
TEAM_REF = _Ref("team")

_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_LANGUAGE = re.compile(r"^(?P<base>[a-z]{2,3})(?:-(?:[a-z]{4}|[a-z]{2}|\d{3}))*$")
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def _check_slug(value: str) -> str:
    if not _SLUG.match(value):
        raise PydanticCustomError(
            "slug",
            "must be a key of lowercase letters and digits joined by '-' or '_' "
            "(like 'reading' or 'tier-start'), got '{value}'",
            {"value": value},
        )
    return value


def _check_percent(value: float) -> float:
    if not 0 <= value <= 100:
        raise PydanticCustomError("percent", "must be a percentage from 0 to 100, got {value}", {"value": f"{value:g}"})
    return value


def _check_language(value: str) -> str:
    match = _LANGUAGE.match(value.lower())
    if not match or match["base"] not in KNOWN_LANGUAGES:
        raise PydanticCustomError(
            "language_code",
            "unknown language code '{value}'; use an ISO 639-1 code such as 'en', 'es', 'vi' or 'zh-hans'",
            {"value": value},
        )
    return value.lower()


def _check_subgroup(value: str) -> str:
    if value not in SUBGROUPS:
        raise PydanticCustomError(
            "subgroup",
            "unknown subgroup '{value}'; known subgroups: {known}",
            {"value": value, "known": ", ".join(SUBGROUPS)},
        )
    return value


def _check_content_block(value: str) -> str:
    if value not in NOTICE_CONTENT_BLOCKS:
        close = difflib.get_close_matches(value, NOTICE_CONTENT_BLOCKS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise PydanticCustomError(
            "content_block",
            "unknown content block '{value}'{hint}; known blocks: {known}",
            {"value": value, "hint": hint, "known": ", ".join(NOTICE_CONTENT_BLOCKS)},
        )
    return value


def _check_month_day(value: str) -> str:
    match = _MONTH_DAY.match(value)
    try:
        if not match:
            raise ValueError
        datetime.date(2024, int(match[1]), int(match[2]))  # 2024: a leap year allows 02-29
    except ValueError:
        raise PydanticCustomError(
            "month_day", "must be a date as 'MM-DD' (like '09-30'), got '{value}'", {"value": value}
        ) from None
    return value


Slug = Annotated[str, AfterValidator(_check_slug)]
Text = Annotated[str, Field(min_length=1)]
Percent = Annotated[float, AfterValidator(_check_percent)]
Grade = Annotated[int, Field(ge=0, le=12)]  # 0 = kindergarten
LanguageCode = Annotated[str, AfterValidator(_check_language)]
Subgroup = Annotated[str, AfterValidator(_check_subgroup)]
ContentBlock = Annotated[str, AfterValidator(_check_content_block)]
MonthDay = Annotated[str, AfterValidator(_check_month_day)]
TierNumber = Annotated[int, Field(ge=1), TIER_REF]
AreaKey = Annotated[str, AfterValidator(_check_slug), AREA_REF]
TeamKey = Annotated[str, AfterValidator(_check_slug), TEAM_REF]
Weeks = Annotated[float, Field(gt=0, le=52)]
Count = Annotated[int, Field(ge=1)]


class Section(BaseModel):
    """Base of every part of the document: unknown keys and loose types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


# --- parts ---------------------------------------------------------------------------------


class Source(Section):
    """A document the policy was written from; notes cite it by ``id``."""

    id: Text
    title: Text
    url: str | None = Field(None, json_schema_extra={"informational": "a link for readers of the policy"})


# District-written words that go into parents' letters, per letter language; the English
# (the field itself) is the fallback, shown in a marked "written by the school in English" box
# (issue 18 item 6: every district text in a letter is translated or marked).
Translations = dict[LanguageCode, Text]


class Area(Section):
    key: Slug
    name: Text
    name_translations: Translations = {}
    kind: Literal["academic", "behavior"] = "academic"
    # Core (Tier 1) instruction time in this area, e.g. a 90-minute reading block.
    core_minutes_per_day: Annotated[int, Field(ge=1, le=480)] | None = Field(
        None,
        json_schema_extra={"informational": "describes core instruction for readers; interventions are added to it"},
    )


class Team(Section):
    """A school team that reviews students and takes placement decisions."""

    key: Slug
    name: Text
    members: list[Text] = []


class WeekRange(Section):
    min: Weeks
    max: Weeks


class Dosage(Section):
    """Planned intervention dosage: sessions per week, or per cycle of school days.

    Holland Patent schedules on a 6-day cycle ("a minimum of three days per six day
    cycle"), so a cycle is a first-class alternative to a week. ``sessions_max`` and
    ``minutes_per_session_max`` hold the top of a range ("20-30 minutes").
    """

    sessions_per_week: Annotated[float, Field(gt=0, le=7)] | None = None
    sessions_per_cycle: Count | None = None
    cycle_days: Annotated[int, Field(ge=1, le=20)] | None = None
    sessions_max: Count | None = Field(
        None,
        json_schema_extra={
            "informational": "the top of the written range; fidelity is measured against the planned minimum"
        },
    )
    minutes_per_session: Annotated[int, Field(ge=1, le=480)]
    minutes_per_session_max: Annotated[int, Field(ge=1, le=480)] | None = Field(
        None,
        json_schema_extra={
            "informational": "the top of the written range; fidelity is measured against the planned minimum"
        },
    )


class ProgressMonitoringFrequency(Section):
    """How often a student in the tier is probed; each given condition must hold.

    Holland Patent Tier 2: ``every_sessions: 10`` and ``every_weeks: 5`` ("every tenth
    session" and "no less than once every five weeks").
    """

    every_weeks: Weeks | None = None
    every_days: Annotated[int, Field(ge=1, le=365)] | None = None  # calendar days
    every_sessions: Count | None = None
    # How long the tier monitors before a decision (Loudon Tier I: "6-8 weeks").
    duration_weeks: WeekRange | None = None


class TierReview(Section):
    """When the team formally reviews a student in this tier."""

    team: TeamKey | None = None
    first_after_weeks: Weeks | None = None
    every_weeks: Weeks | None = None
    # Slack after a review falls due (Loudon: the S-Team meets after 9-12 weeks: 9 + 3).
    window_weeks: Annotated[float, Field(ge=0, le=52)] | None = None
    # Informal look at the graph between reviews (Loudon: "evaluate the data weekly").
    data_check_every_weeks: Weeks | None = None


class Tier(Section):
    number: TierNumber
    name: Text
    description: Text
    name_translations: Translations = {}
    description_translations: Translations = {}
    # The tier is special education (Holland Patent's Tier 4: services per IEP).
    special_education: bool = False
    grouping: Literal["whole_class", "small_group", "individual", "individual_or_small_group"] | None = Field(
        None, json_schema_extra={"informational": "describes the tier's setting; max_group_size is the rule"}
    )
    max_group_size: Count | None = None
    # None: the team sets the dosage in each plan.
    dosage: Dosage | None = None
    min_sessions_before_decision: Count | None = None
    expected_duration_weeks: WeekRange | None = None
    whole_school_year: bool = False
    progress_monitoring: ProgressMonitoringFrequency | None = None
    review: TierReview | None = None
    providers: list[Text] = Field([], json_schema_extra={"informational": "who teaches the tier, for readers"})


# Screening risk rules: one discriminated union, ``method`` names the kind.


class RiskBand(Section):
    label: Text
    below_percentile: Percent


class PercentileRisk(Section):
    """At risk below a percentile; bands name levels, lowest first (aimsweb-style)."""

    method: Literal["percentile"]
    norm: Literal["national", "state", "local"] = "national"
    bands: Annotated[list[RiskBand], Field(min_length=1)]


class CutScoreRow(Section):
    grade: Grade
    season: Season | None = None
    below: float
    label: str | None = None


class CutScoreRisk(Section):
    """At risk below a cut score per grade and season; the table may come from a vendor."""

    method: Literal["cut_score"]
    rows: list[CutScoreRow] = []
    # Who publishes the table when it is imported rather than written here.
    table_from: str | None = None


class PerformanceLevelRisk(Section):
    """At risk below a state performance level (New York: below level 3)."""

    method: Literal["performance_level"]
    below_level: Annotated[int, Field(ge=1, le=10)]
    levels: Annotated[int, Field(ge=2, le=10)] | None = Field(
        None, json_schema_extra={"informational": "the number of state levels; it only validates below_level"}
    )


class PassMarkRisk(Section):
    """At risk below a pass mark (New York Regents: below 65)."""

    method: Literal["pass_mark"]
    below: float


class CategoryRisk(Section):
    """At risk when the score's reported category is one of these ("low cohort", "off track")."""

    method: Literal["category"]
    at_risk_categories: Annotated[list[Text], Field(min_length=1)]


class RatingBand(Section):
    """One band of a rating scale: scores at or beyond ``cut`` (inclusive, in the scale's risk direction)."""

    label: Text
    cut: float
    # The grades the band applies to; empty: every grade the measure screens (SRSS-IE has
    # elementary and secondary cut points for the same scale).
    grades: list[Grade] = []


class RatingScaleRisk(Section):
    """At risk at or beyond a total on a behavior rating scale, in the scale's own direction.

    Behavior screeners are not "below a cut" tests: on the SRSS-IE a higher total is riskier
    (high risk 9-21 on the SRSS-E7, Lane, Oakes et al.), on SAEBRS a lower one (at risk at or
    below 36, FastBridge). Bands are inclusive, as the publishers state them; the most severe
    band indicates Tier 3 when there are several (as with percentile bands).
    """

    method: Literal["rating_scale"]
    direction: Literal["higher_is_riskier", "lower_is_riskier"]
    bands: Annotated[list[RatingBand], Field(min_length=1)]


RiskRule = Annotated[
    PercentileRisk | CutScoreRisk | PerformanceLevelRisk | PassMarkRisk | CategoryRisk | RatingScaleRisk,
    Field(discriminator="method"),
]


class Exemption(Section):
    """Students who may be exempt from a measure's risk rule (NY 'safety net')."""

    subgroups: Annotated[list[Subgroup], Field(min_length=1)]
    name: Text
    description: str = ""


class ScreeningMeasure(Section):
    key: Slug
    name: Text
    kind: Literal["universal_screener", "state_assessment", "end_of_course_exam", "diagnostic", "local_assessment"]
    areas: Annotated[list[AreaKey], Field(min_length=1)]
    grades: Annotated[list[Grade], Field(min_length=1)]
    seasons: Annotated[list[Season], Field(min_length=1)]
    complete_by: dict[Season, MonthDay] = {}
    risk: RiskRule
    # Holland Patent science Regents: "on the first required assessment only".
    first_required_assessment_only: bool = False
    exemptions: list[Exemption] = []


class EligibilityGroup(Section):
    """Students eligible for services besides those below a measure's cut point."""

    key: Slug
    description: Text
    subgroups: list[Subgroup] = []
    areas: list[AreaKey] = []


class Screening(Section):
    measures: Annotated[list[ScreeningMeasure], Field(min_length=1)]
    eligibility_groups: list[EligibilityGroup] = []


class ProgressMonitoringMeasure(Section):
    key: Slug
    name: Text
    areas: Annotated[list[AreaKey], Field(min_length=1)]
    grades: list[Grade] = []  # empty: every grade
    probe_minutes: Annotated[float, Field(gt=0, le=120)] | None = Field(
        None, json_schema_extra={"informational": "shown to staff when they plan a probe; no rule depends on it"}
    )
    # Band, in score units per week, within which a trend counts as parallel to the
    # aim line for this measure (aimsweb R-CBM: 0.5 WRC/week, RULES.md 1.6.2).
    parallel_tolerance_units: Annotated[float, Field(ge=0)] | None = None
    # Other names staff and vendors use for it ("R-CBM", "ORF"); evaluate_case and
    # imports match a measure by key, name or one of these.
    aliases: list[Text] = []
    # The norm table (a key of progress_monitoring.norm_tables) whose percentiles give
    # the dual-discrepancy criteria for this measure.
    norm_table: Slug | None = None


class NormTablePoint(Section):
    grade: Grade
    season: Season
    percentile: Annotated[float, Field(gt=0, lt=100)]
    score: float


class NormTable(Section):
    """A percentile norm table of one measure (aimsweb national norms, a local table).

    Loudon's non-responder is "making less progress on a weekly basis than a grade
    level student makes at the 25th percentile and he continues to be below the
    25th national percentile" (seed 002): the level cut is the table's score at
    ``decision_rules.dual_discrepancy.level_percentile``; the growth cut the
    difference of the growth percentile's scores between seasons over the weeks
    between them (``mtss/rules/norms.py``). The rows usually come from
    ``import_norms``; ``points`` may carry them inline.
    """

    key: Slug
    name: Text
    measure: Slug
    publisher: str | None = Field(None, json_schema_extra={"informational": "shown as the table's source"})
    weeks_fall_to_winter: Weeks = 18.0
    weeks_winter_to_spring: Weeks = 18.0
    points: list[NormTablePoint] = []


class ProgressMonitoring(Section):
    # Baseline = median of the first k probes (IRIS Center; RULES.md 1.1).
    baseline_points: Annotated[int, Field(ge=1, le=10)] = 3
    # Instructional days of slack before a probe counts as late.
    grace_days: Annotated[int, Field(ge=0, le=14)] = 2
    measures: list[ProgressMonitoringMeasure] = []
    norm_tables: list[NormTable] = []


class FourPointRule(Section):
    consecutive_points: Annotated[int, Field(ge=2, le=10)] = 4
    min_points: Annotated[int, Field(ge=2, le=52)] = 6
    tolerance: Annotated[float, Field(ge=0)] = 0.0
    drives_recommendation: bool = True


class TrendRule(Section):
    method: Literal["ols", "tukey"] = "ols"
    tukey_variant: Literal["cbm", "median_median"] = "cbm"
    min_points: Annotated[int, Field(ge=3, le=52)] = 8
    min_points_for_roi: Annotated[int, Field(ge=3, le=52)] = 3
    # Parallel: |ROI - goal ROI| <= max(units, percent/100 * |goal ROI|) (RULES.md 1.6.2).
    parallel_tolerance_units: Annotated[float, Field(ge=0)] = 0.0
    parallel_tolerance_percent: Percent = 10.0
    drives_recommendation: bool = True


class DualDiscrepancyRule(Section):
    """Level AND growth below criterion (Burns & Senesac 2005; RULES.md 1.7)."""

    level_percentile: Percent = 25.0
    level_norm: Literal["national", "state", "local"] = Field(
        "national",
        json_schema_extra={
            "informational": "says which norms the criteria come from; norm_table names the table itself"
        },
    )
    growth_percentile: Percent = 25.0
    growth_reference: Literal["grade_level_peers", "growth_norms", "local_peers"] = Field(
        "grade_level_peers",
        json_schema_extra={
            "informational": "says whose growth the criterion describes; norm_table names the table itself"
        },
    )
    level_points: Annotated[int, Field(ge=1, le=10)] = 3
    # "both_below": adequate if level OR growth is at criterion (Loudon's wording).
    non_responder_when: Literal["both_below", "either_below"] = "both_below"
    drives_recommendation: bool = True
    # When the finding applies (the case has norms and enough data), it alone
    # decides responding vs not; the four-point and trend rules then only inform.
    # Without norms the other rules decide. Loudon County defines adequate
    # progress by level OR rate alone (engine.recommend, step 4).
    decides_when_applicable: bool = False
    # The norm table giving the cuts when a measure names none (a key of
    # progress_monitoring.norm_tables).
    norm_table: Slug | None = None
    # With "either_below": growth at or above the aim line's rate satisfies the rule
    # even with the level below the cut (Holland Patent: "satisfactory progress in
    # their levels of performance and/or in their rate of learning to meet age or
    # grade level standards": the aim line's rate is the rate that meets them).
    growth_on_aim_line_satisfies: bool = False


class ProgressTestRule(Section):
    """How "no progress", "some progress" and "adequate progress" are told apart.

    ``slope_bound``: the OLS slope's one-sided lower confidence bound at
    ``confidence_percent`` (Student t, n - 2 degrees of freedom); not above 0: no
    progress; above 0 but under the aim line's rate: some; at or above it:
    adequate. ``roi_threshold``: the trend at or below ``no_progress_roi`` is no
    progress (no account of probe noise; kept for districts that write it so).
    """

    method: Literal["slope_bound", "roi_threshold"] = "slope_bound"
    confidence_percent: Annotated[float, Field(gt=50, lt=100)] = 97.5


class MedianRule(Section):
    """NCII's third rule: the median of the three most recent points against the aim line."""

    min_points: Annotated[int, Field(ge=3, le=52)] = 6
    drives_recommendation: bool = False


class BehaviorRules(Section):
    """Behaviour measures (areas of kind "behavior", descending goals): fewer points, level and trend."""

    min_points: Annotated[int, Field(ge=3, le=52)] = 3
    rules: Annotated[list[Literal["median_three", "trend", "four_point"]], Field(min_length=1)] = [
        "median_three",
        "trend",
    ]


class MultipleMeasures(Section):
    """How the recommendations of a plan's several measures combine (``mtss/rules/plan.py``).

    ``most_intensive``: the most intensive recommendation among measures with
    enough data; ``primary_decides``: the plan's primary measure decides, the
    others inform; ``all_must_respond``: every measure needs enough data and the
    student responds only if each measure says so.
    """

    combine: Literal["most_intensive", "primary_decides", "all_must_respond"] = "most_intensive"


class ExitRule(Section):
    on_goal_met: bool = True
    points_at_goal: Annotated[int, Field(ge=1, le=10)] = 3


class DecisionRules(Section):
    # Weeks of instruction before any rule applies (IRIS: at least three; RULES.md 1.4).
    min_weeks: Annotated[float, Field(ge=0, le=52)] = 3.0
    four_point: FourPointRule = FourPointRule()
    trend: TrendRule = TrendRule()
    dual_discrepancy: DualDiscrepancyRule = DualDiscrepancyRule()
    exit: ExitRule = ExitRule()
    raise_goal_when_ahead: bool = True
    # With progress_test.method "roi_threshold": behind the aim line with a trend at or
    # below this (units/week) is "no progress" (move up a tier); above it, "some
    # progress" (modify). Ohio's three outcomes.
    no_progress_roi: float = 0.0
    progress_test: ProgressTestRule = ProgressTestRule()
    median_three: MedianRule = MedianRule()
    behavior: BehaviorRules = BehaviorRules()
    multiple_measures: MultipleMeasures = MultipleMeasures()
    # "Intensify" at the most intensive general-education tier: a referral for a
    # special-education evaluation, or more support within the tier. (A special-
    # education tier always intensifies within the tier.)
    top_tier_intensify: Literal["refer_evaluation", "intensify_within_tier"] = "refer_evaluation"


class Fidelity(Section):
    threshold_percent: Percent = 80.0
    basis: Literal["sessions", "minutes", "both"] = "both"
    # Below the threshold "not responding" cannot be concluded (RULES.md 3.3).
    low_fidelity_blocks_not_responding: bool = True
    # A session counts as delivered only if its minutes reach the tier's dosage.
    session_minutes_must_match_dosage: bool = False
    log_required_for_referral: bool = True
    monitored_by: list[Text] = Field([], json_schema_extra={"informational": "who checks fidelity, for staff"})
    log_reviewed_by: list[Text] = Field([], json_schema_extra={"informational": "who reviews the log, for staff"})


class Notice(Section):
    key: Slug
    title: Text
    trigger: NoticeTrigger
    timing: Literal["before", "after", "immediately"] | None = None
    within_days: Annotated[int, Field(ge=0, le=365)] | None = None
    tiers: list[TierNumber] = []  # empty: any tier
    grades: list[Grade] = []  # empty: every grade
    from_role: str | None = None
    delivery: Annotated[list[Literal["letter", "email", "phone", "in_person"]], Field(min_length=1)] = ["letter"]
    content_blocks: list[ContentBlock] = []
    translated: bool = True
    # Holland Patent: "Students over the age of (17) shall also receive written notification".
    also_to_students_older_than: Annotated[int, Field(ge=10, le=25)] | None = None


class ProgressReportSchedule(Section):
    grades: list[Grade] = []  # empty: every grade
    every_weeks: Weeks | None = None
    times_per_quarter: Annotated[int, Field(ge=1, le=12)] | None = None
    week_of_quarter: Annotated[int, Field(ge=1, le=15)] | None = None
    with_iep_progress_reports: bool = Field(
        False,
        json_schema_extra={
            "informational": "Loudon sends RtI progress reports with the IEP progress reports; the product keeps no "
            "IEP progress reports to send them with (IEP reporting is not part of this product yet), so "
            "the progress-report schedule (every_weeks, times_per_quarter) alone drives the reports"
        },
    )


class ParentContact(Section):
    default_language: LanguageCode = "en"
    languages: Annotated[list[LanguageCode], Field(min_length=1)]
    translate_to_home_language: bool = True
    # The letter languages whose catalogue the district lets go out before it has reviewed it
    # (DistrictLanguage.reviewed). Any other language not yet reviewed is sent in the default
    # language, with a note in the family's language (issue 18 item 6, "Reviewed catalogues").
    send_unreviewed_letters: list[LanguageCode] = []
    invited_to_meetings: bool = True
    may_request_meeting: bool = True
    # Who may be invited to the family portal (issue 18 item 1): a guardian who lives with the
    # student, one with educational rights (a parent, legal guardian or foster parent), either,
    # or nobody (the district has no portal).
    portal_invites: Literal["lives_with_or_rights", "lives_with", "rights", "none"] = "lives_with_or_rights"
    consultations_per_quarter: Annotated[int, Field(ge=1, le=12)] | None = None
    # Issue 18 item 4: a letter no guardian has viewed nor acknowledged this many days after it was
    # sent is listed "to call" on the notices page. No rule sets the number; 10 days is a placeholder
    # a district tunes. The call itself is what IDEA asks a district to document when a parent cannot
    # be reached ("detailed records of telephone calls made or attempted", 34 CFR 300.322(d)(1)).
    call_when_unread_after_days: Annotated[int, Field(ge=1, le=90)] = 10
    notices: list[Notice] = []
    progress_reports: list[ProgressReportSchedule] = []


class RequiredPlan(Section):
    """A written plan a rule requires, e.g. Ohio's Reading Improvement and Monitoring Plan."""

    key: Slug
    title: Text
    trigger: NoticeTrigger
    grades: list[Grade] = []
    areas: list[AreaKey] = []
    due_within_days: Annotated[int, Field(ge=1, le=365)] | None = None
    approved_by: str | None = None
    given_to_parents: bool = True
    sections: list[Text] = []


class MidYearEntry(Section):
    screen_new_entrants: bool = True
    # Skip the individual screening when a benchmark window opens within N weeks.
    skip_if_benchmark_within_weeks: Annotated[float, Field(ge=0, le=52)] | None = None
    screen_within_days_of_enrollment: Annotated[int, Field(ge=1, le=365)] | None = None
    review_records: bool = True
    notify_parents: bool = True
    team_meeting_if_at_risk: bool = True
    team: TeamKey | None = None


class ReferralException(Section):
    key: Slug
    description: Text
    subgroups: list[Subgroup] = []
    entry_tier: TierNumber | None = None
    refer_from_tier: TierNumber | None = None
    failed_interventions: Count | None = None
    failed_interventions_in_tier: TierNumber | None = None
    weeks_in_tier: Weeks | None = None
    min_years_of_services: Annotated[float, Field(gt=0, le=20)] | None = None
    handled_by: str | None = None


# Staff roles a rule may name (mtss.models.Role keys; the schema imports no Django model).
StaffRole = Literal["district_admin", "principal", "intervention_specialist", "teacher", "psychologist", "counselor"]


class SpecialEducationReferral(Section):
    from_tier: TierNumber
    # Earliest point of the tier at which a referral may be made.
    when: Literal["tier_midpoint", "tier_end", "tier_review"] = "tier_review"
    requires_not_responding: bool = True
    requires_fidelity_log: bool = True
    decided_by: TeamKey | None = None
    invite_roles: list[Text] = []
    continue_services_during_evaluation: bool = True
    services_during_evaluation_tiers: list[TierNumber] = []
    special_education_tier: TierNumber | None = None
    exceptions: list[ReferralException] = []
    # Who reviews the referral's evidence (the fidelity log, plan history and progress data)
    # and signs it off, or overrides missing evidence with a reason. Default: the school
    # psychologist (Loudon, seed 002: the log "is reviewed by the school psychologist";
    # DOMAIN.md: the psychologist "reads the intervention history for a special-education referral").
    reviewed_by_role: StaffRole = "psychologist"


class MeetingRule(Section):
    key: Slug
    title: Text
    team: TeamKey
    event: MeetingEvent
    tiers: list[TierNumber] = []  # empty: any tier
    grades: list[Grade] = []  # empty: every grade
    after_weeks: Weeks | None = None
    after_quarters: Annotated[int, Field(ge=1, le=8)] | None = None
    every_weeks: Weeks | None = None
    every_quarters: Annotated[int, Field(ge=1, le=8)] | None = None
    parents_invited: bool = True
    invite_roles: list[Text] = []


class Reporting(Section):
    # Results are broken down by these subgroups (LAUSD: "address the needs of all
    # student subgroups").
    subgroups: list[Subgroup] = []
    program_evaluation_points: list[Literal["fall", "winter", "spring", "end_of_year"]] = []
    # Plan-Do-Study-Act cycles of school teams and interventionists (LAUSD, seed 000: MTSS
    # "implements continuous improvement processes (PDSA) at all levels of the system").
    # Shows the PDSA pages in the menu and "Start a PDSA cycle" on the effectiveness report.
    pdsa_cycles: bool = False
    # Logs and state reports the district must keep (Holland Patent's building log, Ohio EMIS).
    required_reports: list[Text] = []


class Note(Section):
    """Where one value comes from: a quote from a declared source, or a marked default."""

    source: str | None = None
    quote: Text | Annotated[list[Text], Field(min_length=1)] | None = Field(
        None,
        json_schema_extra={
            "informational": "provenance: the source's words, checked against the source by the preset tests"
        },
    )
    comment: str | None = Field(None, json_schema_extra={"informational": "provenance: a reader's note"})
    default: bool | None = None
    why: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "Note":
        if self.default is not None:
            if self.default is not True:
                raise ValueError('a default note says "default": true; drop "default" for a quoted note')
            if self.source is not None or self.quote is not None:
                raise ValueError("a note is either a quote (source + quote) or a default (default + why), not both")
            if not self.why:
                raise ValueError('a default note needs "why": what the source leaves open and why this value')
        elif self.source is None or self.quote is None:
            raise ValueError('a note needs "source" and "quote", or "default": true and "why"')
        elif self.why is not None:
            raise ValueError('"why" belongs to default notes; use "comment" on a quoted note')
        return self

    @property
    def quotes(self) -> list[str]:
        if self.quote is None:
            return []
        return [self.quote] if isinstance(self.quote, str) else list(self.quote)


# Top-level keys that describe the document rather than the district's policy:
# they need no note.
META_KEYS = frozenset({"schema_version", "name", "title", "version", "sources", "notes"})


WeekdayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


# --- early warning (issue 17) -------------------------------------------------------------
# The preset defaults are the "ABC" indicators (attendance, behaviour, course performance) of
# the early-warning literature; each indicator carries its citation in `source`, which the
# flags and the README show beside the numbers.

ATTENDANCE_SOURCE = (
    "Attendance Works: chronic absence is missing 10 percent or more of school days for any reason "
    "(excused, unexcused, suspensions); National High School Center, Early Warning System "
    "Implementation Guide (Therriault et al., 2010): misses 10 percent or more of instructional time"
)
BEHAVIOR_SOURCE = (
    "National High School Center, Early Warning System Implementation Guide (2010): behaviour "
    "thresholds are set locally; the default follows the school-wide PBIS convention that 2 to 5 "
    "office discipline referrals a year call for targeted (Tier 2) support, and counts any suspension"
)
COURSE_SOURCE = (
    "National High School Center, Early Warning System Implementation Guide (Therriault et al., "
    "2010): failure in one or more courses, or a grade point average of 2.0 or lower; Allensworth & "
    "Easton (2007), What Matters for Staying On-Track and Graduating in Chicago Public High Schools"
)


class ChronicAbsenceIndicator(Section):
    """Chronic absence: days missed as a share of the instructional days the student was enrolled,
    counted on the school calendar (a partial day counts as the share of the day missed)."""

    enabled: bool = True
    percent_missed: Annotated[float, Field(gt=0, le=100)] = 10.0
    # Too few days enrolled to judge a share (a student who entered this week and missed one
    # day has "missed 20 %"). Attendance Works' calculators leave out students enrolled < 10 days.
    min_days_enrolled: Annotated[int, Field(ge=1, le=200)] = 10
    source: Text = ATTENDANCE_SOURCE


class BehaviorIndicator(Section):
    """Office discipline referrals or suspensions within the last `window_days` calendar days
    (clipped to the school year)."""

    enabled: bool = True
    office_referrals: Count = 2
    suspensions: Count = 1
    window_days: Annotated[int, Field(ge=7, le=400)] = 365
    source: Text = BEHAVIOR_SOURCE


class CoursePerformanceIndicator(Section):
    """Course failures in the school year, or a grade point average below a threshold."""

    enabled: bool = True
    failures: Count = 1
    # Flag when the credit-weighted GPA of the year is at or below this (None: no GPA rule).
    gpa_at_or_below: Annotated[float, Field(ge=0, le=5)] | None = 2.0
    source: Text = COURSE_SOURCE


class GradingScale(Section):
    """How a mark in a grades file becomes grade points, and which marks fail.

    A letter must be one of `letters`; a number is a percentage (0 to 100) and takes the
    letter of the highest `percent_cuts` entry it reaches. Anything else is refused."""

    letters: Annotated[dict[str, Annotated[float, Field(ge=0, le=5)]], Field(min_length=1)] = {
        "A+": 4.0,
        "A": 4.0,
        "A-": 3.7,
        "B+": 3.3,
        "B": 3.0,
        "B-": 2.7,
        "C+": 2.3,
        "C": 2.0,
        "C-": 1.7,
        "D+": 1.3,
        "D": 1.0,
        "D-": 0.7,
        "F": 0.0,
    }
    failing: Annotated[list[str], Field(min_length=1)] = ["F"]
    percent_cuts: dict[str, Annotated[float, Field(ge=0, le=100)]] = {
        "A": 90.0,
        "B": 80.0,
        "C": 70.0,
        "D": 60.0,
        "F": 0.0,
    }


class EarlyWarning(Section):
    attendance: ChronicAbsenceIndicator = ChronicAbsenceIndicator()
    behavior: BehaviorIndicator = BehaviorIndicator()
    course_performance: CoursePerformanceIndicator = CoursePerformanceIndicator()
    grading: GradingScale = GradingScale()
    # An attendance import that would change more than this share of a school's recorded
    # days needs the importer's confirmation (the "big change" guard).
    confirm_change_percent: Percent = 10.0


RetentionYears = Annotated[int, Field(ge=1, le=100)]


class Retention(Section):
    """How long each kind of record is kept before the retention job purges it (issue 18, item 5).

    FERPA sets no retention period; each state's records schedule does, and they vary (some keep
    intervention records 3 years after exit, others until the student turns 21 plus years). The
    defaults are conservative, 5 years after the student exits, until the district enters its state's
    schedule. The record of disclosures is kept "as long as the records are maintained" (34 CFR
    99.32(a)(2)), so it goes only with the student's records, never on a clock of its own.
    """

    # Plans, their sessions and probes, tier placements and team decisions: years after exit.
    intervention_records_years_after_exit: RetentionYears = 5
    # Screening scores: years after exit.
    screening_scores_years_after_exit: RetentionYears = 5
    # Letters and notices to the family (and their delivery history): years after exit.
    notices_years_after_exit: RetentionYears = 5
    # The staff access log: years after the read.
    access_log_years: RetentionYears = 5
    # Reminders e-mailed to staff: years after they were sent.
    staff_messages_years: RetentionYears = 2
    # False: the nightly job only writes its dry-run report; a person purges with
    # `manage.py retention --purge --confirm N`. True: the job purges what its dry run counted.
    automatic_purge: bool = False


class SubProcessor(Section):
    """A company that processes the district's student data on its behalf (the privacy page)."""

    name: Text
    purpose: Text
    location: str = ""


class Privacy(Section):
    retention: Retention = Retention()
    sub_processors: list[SubProcessor] = []
    # Who families write to about their privacy rights (the privacy page).
    contact: str = ""


class CalendarPolicy(Section):
    """The district's school week; the dates without school come from its calendar (the
    calendar page, an .ics import or OneRoster academicSessions), not from the policy."""

    instructional_weekdays: Annotated[list[WeekdayName], Field(min_length=1)] = ["mon", "tue", "wed", "thu", "fri"]


class PolicyDocument(Section):
    schema_version: Literal[1] = Field(
        json_schema_extra={"informational": "the document format's version; validation itself checks it"}
    )
    name: Slug
    title: Text
    version: Text = "1"
    state: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    sources: list[Source] = Field([], json_schema_extra={"informational": "the documents the notes cite"})
    grades: list[Grade] = []  # empty: every grade
    areas: Annotated[list[Area], Field(min_length=1)]
    teams: list[Team] = Field(
        [],
        json_schema_extra={"informational": "declares the teams that review, meeting and referral rules name by key"},
    )
    tiers: Annotated[list[Tier], Field(min_length=2, max_length=6)]
    screening: Screening
    progress_monitoring: ProgressMonitoring = ProgressMonitoring()
    decision_rules: DecisionRules = DecisionRules()
    fidelity: Fidelity = Fidelity()
    parent_contact: ParentContact
    required_plans: list[RequiredPlan] = []
    mid_year_entry: MidYearEntry = MidYearEntry()
    special_education_referral: SpecialEducationReferral
    meetings: list[MeetingRule] = []
    reporting: Reporting = Reporting()
    calendar: CalendarPolicy = CalendarPolicy()
    early_warning: EarlyWarning = EarlyWarning()
    privacy: Privacy = Privacy()
    notes: dict[str, Note] = {}

    @model_validator(mode="after")
    def _cross_checks(self) -> "PolicyDocument":
        errors = list(_cross_field_errors(self))
        if errors:
            # Not a ValueError: pydantic lets it through unchanged, paths intact.
            raise PolicyValidationError(errors)
        return self

    # --- lookups used by the product -------------------------------------------------
    def tier(self, number: int) -> Tier:
        for tier in self.tiers:
            if tier.number == number:
                return tier
        raise LookupError(f"policy {self.name!r} has no tier {number} (tiers: {self.tier_numbers_label})")

    def area(self, key: str) -> Area:
        for area in self.areas:
            if area.key == key:
                return area
        known = ", ".join(area.key for area in self.areas)
        raise LookupError(f"policy {self.name!r} has no area {key!r} (areas: {known})")

    @property
    def tier_numbers_label(self) -> str:
        return ", ".join(str(tier.number) for tier in self.tiers)

    def is_top_tier(self, number: int) -> bool:
        """No general-education tier above this one: "intensify" means "refer"."""
        tier = self.tier(number)
        above = [t for t in self.tiers if t.number > number]
        return tier.special_education or not above or above[0].special_education

    def note_for(self, path: str) -> Note | None:
        """The note for a dotted path; a list of plain values shares its list's note."""
        if path in self.notes:
            return self.notes[path]
        parent, _, last = path.rpartition(".")
        if parent and last.isdigit() and parent in self.notes:
            value = _resolve(self.model_dump(mode="json"), parent)
            if isinstance(value, list) and all(not isinstance(item, (dict, list)) for item in value):
                return self.notes[parent]
        return None


# --- errors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class PolicyValidationError(Exception):
    """A policy document is invalid; ``errors`` name each field and say what is wrong."""

    def __init__(self, errors: Sequence[PolicyError]) -> None:
        self.errors = list(errors)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


def validate_policy(data: Any) -> PolicyDocument:
    """Validate a policy document (parsed JSON); raise PolicyValidationError listing every problem."""
    if not isinstance(data, Mapping):
        raise PolicyValidationError([PolicyError(ROOT, f"a policy document is a JSON object, got {_describe(data)}")])
    try:
        return PolicyDocument.model_validate(dict(data))
    except ValidationError as exc:
        raise PolicyValidationError(_from_pydantic(exc, data)) from None


ROOT = "(document)"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def format_path(loc: Sequence[str | int]) -> str:
    """('tiers', 1, 'dosage', 'minutes_per_session') -> 'tiers[1].dosage.minutes_per_session'."""
    out = ""
    for index, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part) and not (index == 1 and loc[0] == "notes"):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out or ROOT


def _from_pydantic(exc: ValidationError, data: Any) -> list[PolicyError]:
    # Several errors at one path come from the members of a union ("text or a
    # list"): say them once.
    messages: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        path = format_path(_loc_in_input(error["loc"], data))
        message = _message(error)
        if message not in messages.setdefault(path, []):
            messages[path].append(message)
    return [PolicyError(path, _join(found)) for path, found in messages.items()]


def _join(messages: list[str]) -> str:
    parts = [re.match(r"^must be (.+), got (.+)$", message) for message in messages]
    if len(messages) > 1 and all(parts) and len({part[2] for part in parts}) == 1:
        return "must be " + " or ".join(part[1] for part in parts) + f", got {parts[0][2]}"
    return "; ".join(messages)


def _loc_in_input(loc: Sequence[str | int], data: Any) -> list[str | int]:
    """Keep the parts of a pydantic location that the author wrote.

    Pydantic adds the tag of a discriminated union (``risk.percentile.bands``), the
    member of a plain union (``quote.str``) and ``[key]`` for a bad mapping key;
    the author never wrote those. A missing or unknown field keeps its name.
    """
    node, cleaned = data, []
    for index, part in enumerate(loc):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
            cleaned.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            cleaned.append(part)
        elif index == len(loc) - 1 and isinstance(node, Mapping) and part != "[key]":
            cleaned.append(part)
    return cleaned


def _message(error: Mapping[str, Any]) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    shown = _describe(value)
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return _unknown_field_message(error["loc"])
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"must be a whole number, got {shown}"
    if kind in {"float_type", "float_parsing", "finite_number"}:
        return f"must be a number, got {shown}"
    if kind in {"bool_type", "bool_parsing"}:
        return f"must be true or false, got {shown}"
    if kind in {"string_type", "string_sub_type"}:
        return f"must be text, got {shown}"
    if kind in {"list_type", "tuple_type"}:
        return f"must be a list, got {shown}"
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return f"must be an object (a mapping of fields), got {shown}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '?')}, got {shown}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}, got {shown}"
    if kind == "greater_than":
        return f"must be more than {ctx['gt']}, got {shown}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}, got {shown}"
    if kind == "less_than":
        return f"must be less than {ctx['lt']}, got {shown}"
    if kind == "too_short":
        if isinstance(value, str):
            return "must not be empty"
        return f"needs at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
    if kind == "too_long":
        return f"allows at most {ctx.get('max_length')} item(s), got {ctx.get('actual_length')}"
    if kind == "string_pattern_mismatch":
        return f"has the wrong form (expected to match {ctx.get('pattern')}), got {shown}"
    if kind == "union_tag_invalid":
        return (
            f"unknown {str(ctx.get('discriminator', 'kind')).strip(chr(39))} {ctx.get('tag')!r}; "
            f"expected one of {ctx.get('expected_tags')}"
        )
    if kind == "union_tag_not_found":
        return f"needs {ctx.get('discriminator', 'a tag')} to say which kind it is"
    if kind == "value_error":
        return str(ctx.get("error") or error["msg"]).removeprefix("Value error, ")
    return str(error["msg"])


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown_field_message(loc: Sequence[str | int]) -> str:
    allowed = _fields_at(loc[:-1])
    name = loc[-1]
    if not allowed:
        return "unknown field"
    close = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown field; did you mean {close[0]!r}?"
    return "unknown field; allowed here: " + ", ".join(allowed)


def _fields_at(loc: Sequence[str | int]) -> list[str]:
    """Field names of the model at a pydantic location (which includes union tags)."""
    annotation: Any = PolicyDocument
    for part in loc:
        annotation = _descend(annotation, part)
        if annotation is None:
            return []
    model = _model_of(annotation)
    return list(model.model_fields) if model else []


def _strip(annotation: Any) -> Any:
    """Remove Annotated and Optional wrappers."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, _UNION_TYPE):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


_UNION_TYPE = type(int | None)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _descend(annotation: Any, part: str | int) -> Any:
    annotation = _strip(annotation)
    origin = typing.get_origin(annotation)
    if origin is list:
        return typing.get_args(annotation)[0] if isinstance(part, int) else None
    if origin is dict:
        return typing.get_args(annotation)[1]
    if origin in (typing.Union, _UNION_TYPE):  # discriminated union: the part is the tag
        for member in typing.get_args(annotation):
            model = _model_of(member)
            if model and "method" in model.model_fields:
                if typing.get_args(model.model_fields["method"].annotation) == (part,):
                    return model
        return None
    model = _model_of(annotation)
    if model and isinstance(part, str) and part in model.model_fields:
        return model.model_fields[part].annotation
    return None


# --- checks across fields -----------------------------------------------------------------

Loc = tuple[str | int, ...]


def _cross_field_errors(doc: PolicyDocument) -> Iterator[PolicyError]:
    def err(loc: Loc, message: str) -> PolicyError:
        return PolicyError(format_path(loc), message)

    # Early warning: the grading scale's failing marks and percentage cuts name its letters.
    grading = doc.early_warning.grading
    for index, letter in enumerate(grading.failing):
        if letter not in grading.letters:
            yield err(("early_warning", "grading", "failing", index), f"{letter!r} is not one of the scale's letters")
    for letter in grading.percent_cuts:
        if letter not in grading.letters:
            yield err(
                ("early_warning", "grading", "percent_cuts", letter), f"{letter!r} is not one of the scale's letters"
            )

    # Tiers: numbered 1, 2, 3 ... in order, so "Tier 2" means the same everywhere.
    for index, tier in enumerate(doc.tiers):
        if tier.number != index + 1:
            yield err(
                ("tiers", index, "number"),
                f"tiers are numbered 1, 2, 3 ... in order; expected {index + 1}, got {tier.number}",
            )
    special = [tier.number for tier in doc.tiers if tier.special_education]
    if special and special != list(range(special[0], len(doc.tiers) + 1)):
        yield err(("tiers",), "special-education tiers must be the highest tiers")

    for index, tier in enumerate(doc.tiers):
        base: Loc = ("tiers", index)
        if tier.dosage is not None:
            yield from (err(base + ("dosage",) + loc, message) for loc, message in _dosage_errors(tier.dosage))
        if tier.max_group_size is not None and tier.grouping == "individual" and tier.max_group_size != 1:
            yield err(base + ("max_group_size",), "an individual (one-to-one) tier has a group size of 1")
        if tier.whole_school_year and tier.expected_duration_weeks is not None:
            yield err(base + ("whole_school_year",), "give expected_duration_weeks or whole_school_year, not both")
        if tier.expected_duration_weeks is not None:
            yield from _range_errors(base + ("expected_duration_weeks",), tier.expected_duration_weeks, err)
        pm = tier.progress_monitoring
        if pm is not None:
            if pm.every_weeks is None and pm.every_days is None and pm.every_sessions is None:
                yield err(base + ("progress_monitoring",), "say how often: every_weeks, every_days or every_sessions")
            if pm.every_weeks is not None and pm.every_days is not None:
                yield err(base + ("progress_monitoring", "every_days"), "give every_weeks or every_days, not both")
            if pm.duration_weeks is not None:
                yield from _range_errors(base + ("progress_monitoring", "duration_weeks"), pm.duration_weeks, err)
        review = tier.review
        if review is not None and not any(
            value is not None for value in (review.first_after_weeks, review.every_weeks, review.data_check_every_weeks)
        ):
            yield err(base + ("review",), "say when: first_after_weeks, every_weeks or data_check_every_weeks")

    # Keys are unique within their list, so references are unambiguous.
    for loc, items in (
        (("areas",), doc.areas),
        (("teams",), doc.teams),
        (("sources",), doc.sources),
        (("screening", "measures"), doc.screening.measures),
        (("screening", "eligibility_groups"), doc.screening.eligibility_groups),
        (("progress_monitoring", "measures"), doc.progress_monitoring.measures),
        (("progress_monitoring", "norm_tables"), doc.progress_monitoring.norm_tables),
        (("parent_contact", "notices"), doc.parent_contact.notices),
        (("required_plans",), doc.required_plans),
        (("meetings",), doc.meetings),
        (("special_education_referral", "exceptions"), doc.special_education_referral.exceptions),
    ):
        seen: set[str] = set()
        for index, item in enumerate(items):
            field = "id" if isinstance(item, Source) else "key"
            value = getattr(item, field)
            if value in seen:
                yield err(loc + (index, field), f"{value!r} is used twice in this list")
            seen.add(value)

    # Every reference to a tier, an area or a team names one that exists.
    declared = {
        "tier": {tier.number for tier in doc.tiers},
        "area": {area.key for area in doc.areas},
        "team": {team.key for team in doc.teams},
    }
    listing = {
        "tier": doc.tier_numbers_label,
        "area": ", ".join(area.key for area in doc.areas),
        "team": ", ".join(team.key for team in doc.teams) or "none declared",
    }
    for kind, loc, value in _references(doc, ()):
        if loc and loc[0] == "tiers" and len(loc) == 3 and loc[2] == "number":
            continue  # the tier's own number, checked above
        if value not in declared[kind]:
            yield err(loc, f"no {kind} {value!r} in this policy ({kind}s: {listing[kind]})")

    # Norm tables and the measures they belong to name each other by key.
    pm = doc.progress_monitoring
    measure_keys = [measure.key for measure in pm.measures]
    table_keys = [table.key for table in pm.norm_tables]
    tables_label = ", ".join(table_keys) or "none declared"
    for index, table in enumerate(pm.norm_tables):
        if table.measure not in measure_keys:
            yield err(
                ("progress_monitoring", "norm_tables", index, "measure"),
                f"no progress-monitoring measure {table.measure!r} in this policy "
                f"(measures: {', '.join(measure_keys) or 'none declared'})",
            )
        seen_points: set[tuple[int, str, float]] = set()
        for point_index, point in enumerate(table.points):
            if (point.grade, point.season, point.percentile) in seen_points:
                yield err(
                    ("progress_monitoring", "norm_tables", index, "points", point_index),
                    "this grade, season and percentile already has a score",
                )
            seen_points.add((point.grade, point.season, point.percentile))
    for index, measure in enumerate(pm.measures):
        if measure.norm_table is not None and measure.norm_table not in table_keys:
            yield err(
                ("progress_monitoring", "measures", index, "norm_table"),
                f"no norm table {measure.norm_table!r} in this policy (norm tables: {tables_label})",
            )
    dd_table = doc.decision_rules.dual_discrepancy.norm_table
    if dd_table is not None and dd_table not in table_keys:
        yield err(
            ("decision_rules", "dual_discrepancy", "norm_table"),
            f"no norm table {dd_table!r} in this policy (norm tables: {tables_label})",
        )
    weekdays = doc.calendar.instructional_weekdays
    for index, weekday in enumerate(weekdays):
        if weekday in weekdays[:index]:
            yield err(("calendar", "instructional_weekdays", index), f"{weekday!r} is listed twice")

    # Screening measures.
    for index, measure in enumerate(doc.screening.measures):
        base = ("screening", "measures", index)
        for season in measure.complete_by:
            if season not in measure.seasons:
                yield err(base + ("complete_by", season), f"{season!r} is not one of this measure's seasons")
        risk = measure.risk
        if isinstance(risk, PercentileRisk):
            cuts = [band.below_percentile for band in risk.bands]
            if cuts != sorted(set(cuts)):
                yield err(base + ("risk", "bands"), "bands go from the lowest percentile up, each cut once")
        if isinstance(risk, CutScoreRisk):
            if not risk.rows and not risk.table_from:
                yield err(base + ("risk",), "give cut-score rows, or say who publishes the table in table_from")
            seen_rows: set[tuple[int, str | None]] = set()
            for row_index, row in enumerate(risk.rows):
                if (row.grade, row.season) in seen_rows:
                    yield err(base + ("risk", "rows", row_index), "this grade and season already has a cut score")
                seen_rows.add((row.grade, row.season))
        if isinstance(risk, PerformanceLevelRisk) and risk.levels is not None and risk.below_level > risk.levels:
            yield err(base + ("risk", "below_level"), f"there are only {risk.levels} levels")
        if isinstance(risk, RatingScaleRisk):
            for grade in measure.grades:
                cuts = [band.cut for band in risk.bands if not band.grades or grade in band.grades]
                if len(cuts) != len(set(cuts)):
                    yield err(base + ("risk", "bands"), f"grade {grade} has two bands with the same cut")
                    break

    # Decision rules: the four-point rule needs at least its N points.
    four_point = doc.decision_rules.four_point
    if four_point.min_points < four_point.consecutive_points:
        yield err(
            ("decision_rules", "four_point", "min_points"),
            f"must be at least consecutive_points ({four_point.consecutive_points})",
        )

    rules = doc.decision_rules
    if not (
        rules.four_point.drives_recommendation
        or rules.trend.drives_recommendation
        or rules.dual_discrepancy.drives_recommendation
    ):
        yield err(
            ("decision_rules",),
            "at least one of four_point, trend and dual_discrepancy must have drives_recommendation: true",
        )
    if rules.dual_discrepancy.decides_when_applicable and not rules.dual_discrepancy.drives_recommendation:
        yield err(
            ("decision_rules", "dual_discrepancy", "decides_when_applicable"),
            "dual discrepancy can only decide if it drives the recommendation: "
            "set drives_recommendation: true, or decides_when_applicable: false",
        )

    # Parent contact.
    contact = doc.parent_contact
    if contact.default_language not in contact.languages:
        yield err(
            ("parent_contact", "default_language"),
            f"{contact.default_language!r} must also be listed in parent_contact.languages",
        )
    for index, language in enumerate(contact.languages):
        if language in contact.languages[:index]:
            yield err(("parent_contact", "languages", index), f"{language!r} is listed twice")
    for index, language in enumerate(contact.send_unreviewed_letters):
        if language not in contact.languages:
            yield err(
                ("parent_contact", "send_unreviewed_letters", index),
                f"{language!r} must also be listed in parent_contact.languages",
            )
    for index, notice in enumerate(contact.notices):
        if notice.timing == "before" and notice.trigger not in {"tier_start", "tier_end", "meeting_scheduled"}:
            yield err(
                ("parent_contact", "notices", index, "timing"),
                "only a tier start, a tier end or a meeting can be announced before it happens",
            )
    for index, schedule in enumerate(contact.progress_reports):
        if (schedule.every_weeks is None) == (schedule.times_per_quarter is None):
            yield err(
                ("parent_contact", "progress_reports", index), "give every_weeks or times_per_quarter (one of them)"
            )
        if schedule.week_of_quarter is not None and schedule.times_per_quarter is None:
            yield err(
                ("parent_contact", "progress_reports", index, "week_of_quarter"),
                "week_of_quarter goes with times_per_quarter",
            )

    # Special-education referral.
    referral = doc.special_education_referral
    tiers_by_number = {tier.number: tier for tier in doc.tiers}
    if referral.from_tier in tiers_by_number and tiers_by_number[referral.from_tier].special_education:
        yield err(("special_education_referral", "from_tier"), "a referral is made from a general-education tier")
    sped_tier = referral.special_education_tier
    if sped_tier in tiers_by_number and not tiers_by_number[sped_tier].special_education:
        yield err(
            ("special_education_referral", "special_education_tier"),
            f"tier {sped_tier} is not marked special_education: true",
        )

    # Meetings.
    for index, meeting in enumerate(doc.meetings):
        base = ("meetings", index)
        if meeting.event == "time_in_tier" and meeting.after_weeks is None and meeting.after_quarters is None:
            yield err(base, "a time_in_tier meeting needs after_weeks or after_quarters")
        if meeting.event == "periodic" and meeting.every_weeks is None and meeting.every_quarters is None:
            yield err(base, "a periodic meeting needs every_weeks or every_quarters")

    # Notes: each names a value of this document and cites a declared source.
    dumped = doc.model_dump(mode="json")
    source_ids = {source.id for source in doc.sources}
    for path, note in doc.notes.items():
        loc: Loc = ("notes", path)
        if "[" in path:
            yield err(loc, "write list positions as dotted numbers: 'tiers.1.name', not 'tiers[1].name'")
        elif path.split(".")[0] in {"notes"} or _resolve(dumped, path) is _MISSING:
            yield err(loc, "does not name a value in this document")
        if note.source is not None and note.source not in source_ids:
            known = ", ".join(sorted(source_ids)) or "none declared"
            yield err(loc + ("source",), f"{note.source!r} is not one of the document's sources ({known})")


def _dosage_errors(dosage: Dosage) -> Iterator[tuple[Loc, str]]:
    if dosage.sessions_per_week is None and dosage.sessions_per_cycle is None:
        yield (), "give sessions_per_week, or sessions_per_cycle with cycle_days"
    if dosage.sessions_per_week is not None and dosage.sessions_per_cycle is not None:
        yield ("sessions_per_cycle",), "give sessions_per_week or sessions_per_cycle, not both"
    if dosage.sessions_per_cycle is not None and dosage.cycle_days is None:
        yield ("cycle_days",), "a dosage per cycle needs cycle_days (school days in the cycle)"
    if dosage.cycle_days is not None and dosage.sessions_per_cycle is None:
        yield ("cycle_days",), "cycle_days goes with sessions_per_cycle"
    if dosage.cycle_days is not None and dosage.sessions_per_cycle is not None:
        if dosage.cycle_days < dosage.sessions_per_cycle:
            yield (
                ("cycle_days",),
                (
                    f"a {dosage.cycle_days}-day cycle cannot hold {dosage.sessions_per_cycle} sessions"
                    " (one session a day at most)"
                ),
            )
        if dosage.sessions_max is not None and dosage.cycle_days < dosage.sessions_max:
            yield ("sessions_max",), f"a {dosage.cycle_days}-day cycle cannot hold {dosage.sessions_max} sessions"
    planned = dosage.sessions_per_week if dosage.sessions_per_week is not None else dosage.sessions_per_cycle
    if dosage.sessions_max is not None and planned is not None and dosage.sessions_max < planned:
        yield ("sessions_max",), f"must be at least the planned sessions ({planned:g})"
    if dosage.sessions_max is not None and dosage.sessions_per_week is not None and dosage.sessions_max > 7:
        yield ("sessions_max",), "a week has at most 7 days"
    if dosage.minutes_per_session_max is not None and dosage.minutes_per_session_max < dosage.minutes_per_session:
        yield ("minutes_per_session_max",), f"must be at least minutes_per_session ({dosage.minutes_per_session})"


def _range_errors(loc: Loc, weeks: WeekRange, err: Any) -> Iterator[PolicyError]:
    if weeks.max < weeks.min:
        yield err(loc + ("max",), f"must be at least min ({weeks.min:g})")


def _references(node: Any, loc: Loc) -> Iterator[tuple[str, Loc, Any]]:
    """Every (kind, location, value) of a field marked as a reference to a tier, area or team."""
    if isinstance(node, BaseModel):
        for name, field in type(node).model_fields.items():
            value = getattr(node, name)
            kind = _ref_kind(field.metadata, field.annotation)
            if kind is None:
                yield from _references(value, loc + (name,))
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    yield kind, loc + (name, index), item
            elif value is not None:
                yield kind, loc + (name,), value
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _references(item, loc + (index,))
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from _references(item, loc + (key,))


def _ref_kind(metadata: Sequence[Any], annotation: Any) -> str | None:
    for item in metadata:
        if isinstance(item, _Ref):
            return item.kind
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _ref_kind(typing.get_args(annotation)[1:], typing.get_args(annotation)[0])
    if origin in (list, typing.Union, _UNION_TYPE):
        for arg in typing.get_args(annotation):
            kind = _ref_kind((), arg)
            if kind:
                return kind
    return None


# --- notes helpers ------------------------------------------------------------------------

_MISSING = object()


def _resolve(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def leaf_paths(data: Mapping[str, Any]) -> list[str]:
    """Dotted paths of every value written in a document, except META_KEYS and ``key`` fields.

    Items of a list are leaves of their own (``grades.0``); an empty list or object
    is a leaf. ``key`` fields are identifiers, not policy, and need no note.
    """
    paths: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping) and node:
            for key, value in node.items():
                if key == "key" and path:
                    continue
                walk(value, f"{path}.{key}" if path else key)
        elif isinstance(node, list) and node:
            for index, value in enumerate(node):
                walk(value, f"{path}.{index}")
        else:
            paths.append(path)

    for key, value in data.items():
        if key not in META_KEYS:
            walk(value, key)
    return paths
