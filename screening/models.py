"""Screening: the assessment catalog, screening windows, norm and cut tables,
imported scores with their computed risk level, and the team's review queue.

Every table is district-owned (mtss.models.DistrictOwned): row-level security
applies to each of them automatically (mtss/rls.py).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mtss.models import District, DistrictOwned
from screening.scores import finite_score_q

# Scores and review items arrive 100,000 at a time (benchmarks/bench_import.py). Their
# references (district, student, measure, window, school, import run) carry no database
# foreign-key constraint and no single-column index: the importer resolves every id from
# the district's own rows inside the same transaction; Django applies on_delete itself;
# the app never deletes students (a roster exits them), schools, windows or measures;
# and every query filters by district first, which the composite indexes below serve
# (the unique one also serves "one student's scores"). Deferred constraint checks alone
# took 0.4 s per 100,000 rows, more than a tenth of the import's budget.
_BULK = {"db_index": False, "db_constraint": False}


class Season(models.TextChoices):
    FALL = "fall", _("Fall")
    WINTER = "winter", _("Winter")
    SPRING = "spring", _("Spring")


SEASON_ORDER = {Season.FALL: 0, Season.WINTER: 1, Season.SPRING: 2}


class ScoreType(models.TextChoices):
    RAW = "raw", _("Raw score")
    SCALE = "scale", _("Scale score")
    RIT = "rit", _("RIT score")
    PERCENTILE = "percentile", _("Percentile")
    LEVEL = "level", _("Performance level")


class Subject(models.TextChoices):
    READING = "reading", _("Reading / ELA")
    MATH = "math", _("Mathematics")
    LANGUAGE = "language", _("Language usage")
    SCIENCE = "science", _("Science")
    BEHAVIOR = "behavior", _("Behavior")


class Assessment(DistrictOwned):
    """A test the district gives (aimswebPlus, Star, MAP Growth, DIBELS 8, i-Ready, a state test).

    `format` names the importer that reads its vendor's export (screening/importers).
    """

    key = models.SlugField(_("key"), max_length=60)
    name = models.CharField(_("name"), max_length=120)
    vendor = models.CharField(_("publisher"), max_length=120, blank=True)
    format = models.CharField(_("import format"), max_length=30, blank=True)
    kind = models.CharField(
        _("kind"),
        max_length=30,
        default="universal_screener",
        help_text=_("universal_screener, state_assessment, diagnostic ..."),
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "key"],
                name="assessment_key_unique",
                violation_error_message=_("Key: the catalog already has an assessment with this key."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Measure(DistrictOwned):
    """One score an assessment reports (R-CBM words correct, Maze, MAP reading RIT ...)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="measures")
    key = models.SlugField(_("key"), max_length=60)
    name = models.CharField(_("name"), max_length=120)
    subject = models.CharField(_("subject"), max_length=20, choices=Subject.choices)
    score_type = models.CharField(_("score type"), max_length=12, choices=ScoreType.choices)
    grades = models.JSONField(_("grades"), default=list, blank=True, help_text=_("Empty: every grade. 0 = K."))
    # Names the vendor export uses for this measure ("Mathematics", "Oral Reading Fluency"),
    # compared without regard to case, spaces or punctuation.
    import_names = models.JSONField(default=list, blank=True)
    # Keys of the district policy's screening measures whose risk rule applies to
    # this measure, first match wins (mtss/policy/schema.py ScreeningMeasure.key).
    policy_keys = models.JSONField(default=list, blank=True)
    min_score = models.FloatField(null=True, blank=True)
    max_score = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["assessment__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "key"],
                name="measure_key_unique",
                violation_error_message=_("Key: the catalog already has a measure with this key."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class ScreeningWindow(DistrictOwned):
    """A benchmark window of one school year with the district's own dates."""

    school_year = models.ForeignKey("mtss.SchoolYear", on_delete=models.PROTECT, related_name="+")
    season = models.CharField(_("season"), max_length=10, choices=Season.choices)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "school_year", "season"],
                name="window_season_unique",
                violation_error_message=_("Season: the school year already has a window for this season."),
            ),
            models.CheckConstraint(
                condition=Q(start_date__lte=models.F("end_date")),
                name="window_dates",
                violation_error_message=_("Last day: the window cannot end before its first day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_season_display()} {self.school_year.name}"

    @property
    def label(self) -> str:
        return str(self)


class NormTable(DistrictOwned):
    """Norms (score at each percentile) or cut scores of one measure, imported from CSV.

    Published copyrighted tables are not shipped (RULES.md 2.1): a district imports
    its own licensed or local tables; the demo ships synthetic tables marked
    `illustrative`.
    """

    class Kind(models.TextChoices):
        PERCENTILE = "percentile", _("Percentile norms")
        CUT_SCORE = "cut_score", _("Cut scores")

    class Norm(models.TextChoices):
        NATIONAL = "national", _("National")
        STATE = "state", _("State")
        LOCAL = "local", _("Local")

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="norm_tables")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    norm = models.CharField(max_length=10, choices=Norm.choices, default=Norm.NATIONAL)
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=300, blank=True)
    illustrative = models.BooleanField(_("illustrative (synthetic) values"), default=False)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["measure", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "measure", "kind", "norm"],
                name="norm_table_unique",
                violation_error_message=_("Measure: it already has a table of this kind and norm group."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class NormPoint(DistrictOwned):
    """One row of a norm table: the score at a percentile, or a cut score with its label."""

    table = models.ForeignKey(NormTable, on_delete=models.CASCADE, related_name="points")
    grade = models.SmallIntegerField()
    season = models.CharField(max_length=10, choices=Season.choices)
    percentile = models.FloatField(null=True, blank=True)
    score = models.FloatField()
    label = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["grade", "season", "score"]
        indexes = [models.Index(fields=["district", "table"], name="normpoint_table_idx")]


class ColumnMapping(DistrictOwned):
    """A district's saved column mapping for the generic CSV score import.

    `columns` maps a field of screening.importers.generic.FIELDS to a header of the
    district's file; `measure` is used when the file has no measure column.
    """

    name = models.CharField(_("name"), max_length=100)
    columns = models.JSONField(default=dict)
    measure = models.ForeignKey(Measure, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "name"],
                name="column_mapping_name_unique",
                violation_error_message=_("Name: the district already has a column mapping with this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Score(DistrictOwned):
    """A student's screening result on one measure in one window, with its risk level.

    One per student, measure and window: a retest replaces the earlier result
    (the later test date wins), so importing the same file twice changes nothing.
    The risk fields record what the district policy in effect on the test date
    said, the rule that produced it and the policy version label.
    """

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+", **_BULK)
    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="screening_scores", **_BULK)
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="scores", **_BULK)
    window = models.ForeignKey(ScreeningWindow, on_delete=models.PROTECT, related_name="scores", **_BULK)
    school = models.ForeignKey("mtss.School", on_delete=models.PROTECT, related_name="+", **_BULK)
    grade = models.SmallIntegerField(_("grade when tested"))
    test_date = models.DateField(_("test date"))
    score = models.FloatField(_("score"), null=True, blank=True)
    percentile = models.FloatField(_("percentile"), null=True, blank=True)
    level = models.SmallIntegerField(_("performance level"), null=True, blank=True)
    category = models.CharField(_("reported category"), max_length=80, blank=True)
    standard_error = models.FloatField(null=True, blank=True)
    external_id = models.CharField(max_length=80, blank=True, help_text=_("The vendor's test id."))
    # Risk, from the policy in effect on the test date (screening/risk.py).
    area = models.CharField(_("area"), max_length=40, blank=True)
    tier = models.SmallIntegerField(_("indicated tier"), null=True, blank=True)
    risk_label = models.CharField(_("risk level"), max_length=120, blank=True)
    risk_rule = models.CharField(_("rule"), max_length=200, blank=True)
    risk_values = models.JSONField(default=dict, blank=True)
    risk_explanation = models.TextField(blank=True)
    policy_label = models.CharField(_("policy version"), max_length=120, blank=True)
    import_run = models.ForeignKey(
        "students.ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", **_BULK
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-test_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "student", "measure", "window"],
                name="score_one_per_window",
                violation_error_message=_("Score: the student already has a score on this measure in this window."),
            ),
            models.CheckConstraint(
                condition=finite_score_q("score") | Q(score__isnull=True),
                name="score_finite",
                violation_error_message=_("Score: give a number (not “inf” or “nan”)."),
            ),
        ]
        indexes = [
            # The screening view: one window's breakdown by school, grade and measure.
            # (A student's scores use the unique constraint's index: district, student, ...)
            models.Index(fields=["district", "window", "measure", "school", "grade"], name="score_window_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.test_date}: {self.score}"


class ImportRowError(DistrictOwned):
    """Every rejected row of an import, for the CSV download (ImportRun keeps the first 1,000)."""

    run = models.ForeignKey("students.ImportRun", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    file = models.CharField(max_length=255)
    line = models.PositiveIntegerField(null=True)
    column = models.CharField(max_length=200, blank=True)
    reason = models.TextField()

    class Meta:
        ordering = ["run", "position"]
        indexes = [models.Index(fields=["district", "run", "position"], name="importerror_run_idx")]


class ReviewItem(DistrictOwned):
    """A newly flagged student the team reviews: one per at-risk score.

    "Newly flagged": the score is at risk and the student has no open placement
    above Tier 1 in that area (already served students are not queued).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        REVIEWED = "reviewed", _("Reviewed")
        PLAN_STARTED = "plan_started", _("Plan started")
        DISMISSED = "dismissed", _("Dismissed")
        WITHDRAWN = "withdrawn", _("No longer flagged")

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+", **_BULK)
    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="review_items")
    # related_name: students/access.py reaches the review queue from Student without importing screening.
    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="review_items", **_BULK)
    window = models.ForeignKey(ScreeningWindow, on_delete=models.CASCADE, related_name="+", **_BULK)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.OPEN)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "score"],
                name="review_item_per_score",
                violation_error_message=_("Score: this score is already in the review queue."),
            )
        ]
        # The queue: one window's open items.
        indexes = [models.Index(fields=["district", "window", "status"], name="review_window_status_idx")]
