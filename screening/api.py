"""REST API for screening: the assessment catalog, screening windows, scores (read,
and bulk create with the file import's validation) and import jobs.

Thin views over screening.selectors and screening.services (interventions/api/
is the pattern): objects are looked up through district-scoped selectors first, so
another district's id answers 404 like a missing one; then the role is checked
(403); then the body (400, naming the field or the item).
"""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from mtss import access_log
from mtss.api_params import param_int as _param_int
from mtss.api_permissions import require
from mtss.models import SchoolYear
from screening import jobs, selectors, services
from screening.importers import FORMATS
from screening.models import Assessment, Measure, Score, ScreeningWindow, Season
from students.models import ImportRun

MAX_BULK_SCORES = 5000


def _require_admin(request, message: str) -> None:
    require(request, "may_manage_screening", message=message)


# --- catalog -----------------------------------------------------------------------------------------


class MeasureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Measure
        fields = [
            "id",
            "key",
            "name",
            "subject",
            "score_type",
            "grades",
            "import_names",
            "policy_keys",
            "min_score",
            "max_score",
        ]
        read_only_fields = fields


class AssessmentSerializer(serializers.ModelSerializer):
    measures = MeasureSerializer(many=True, read_only=True)

    class Meta:
        model = Assessment
        fields = ["id", "key", "name", "vendor", "format", "kind", "is_active", "measures"]
        read_only_fields = fields


class AssessmentList(generics.ListAPIView):
    """The district's assessments and their measures (the standard catalog plus the district's own)."""

    serializer_class = AssessmentSerializer
    pagination_class = None

    def get_queryset(self):
        services.catalog_ensure(district=self.request.district)
        return selectors.catalog(district=self.request.district)


# --- windows -----------------------------------------------------------------------------------------------


class WindowSerializer(serializers.ModelSerializer):
    school_year = serializers.SlugRelatedField(
        slug_field="name", queryset=SchoolYear.objects.none(), help_text="The school year's name, e.g. 2026-2027."
    )
    season = serializers.ChoiceField(choices=Season.choices)
    label = serializers.CharField(read_only=True)

    class Meta:
        model = ScreeningWindow
        fields = ["id", "school_year", "season", "start_date", "end_date", "label"]
        read_only_fields = ["id", "label"]
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and getattr(request, "district", None) is not None:
            self.fields["school_year"].queryset = SchoolYear.objects.filter(district=request.district)


class WindowListCreate(generics.ListCreateAPIView):
    serializer_class = WindowSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.windows(district=self.request.district)

    def create(self, request, *args, **kwargs):
        _require_admin(request, "Only district administrators set screening windows.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        window = services.window_save(district=request.district, actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(window).data, status=status.HTTP_201_CREATED)


class WindowDetail(generics.RetrieveAPIView):
    serializer_class = WindowSerializer

    def get_object(self):
        return selectors.window_get(district=self.request.district, window_id=self.kwargs["window_id"])


# --- scores ---------------------------------------------------------------------------------------------------


class ScoreSerializer(serializers.ModelSerializer):
    measure = serializers.CharField(source="measure.key", read_only=True)
    window = serializers.IntegerField(source="window_id", read_only=True)
    window_label = serializers.CharField(source="window.label", read_only=True)

    class Meta:
        model = Score
        fields = [
            "id",
            "student",
            "measure",
            "window",
            "window_label",
            "school",
            "grade",
            "test_date",
            "score",
            "percentile",
            "level",
            "category",
            "standard_error",
            "external_id",
            "area",
            "tier",
            "risk_label",
            "risk_rule",
            "risk_values",
            "risk_explanation",
            "policy_label",
            "import_run",
        ]
        read_only_fields = fields


SCORE_INPUT = inline_serializer(
    "ScoreInput",
    fields={
        "student": serializers.IntegerField(required=False, help_text="The student's id (or give student_local_id)."),
        "student_local_id": serializers.CharField(required=False),
        "measure": serializers.CharField(help_text="A catalog measure key, e.g. map-reading."),
        "date": serializers.DateField(),
        "score": serializers.FloatField(required=False),
        "percentile": serializers.FloatField(required=False),
        "level": serializers.IntegerField(required=False),
        "category": serializers.CharField(required=False),
        "grade": serializers.CharField(required=False, help_text="Grade when tested (K, 1-12); default: the roster's."),
        "standard_error": serializers.FloatField(required=False),
        "external_id": serializers.CharField(required=False),
    },
)
BULK_ERRORS = inline_serializer(
    "ScoreBulkErrors",
    fields={
        "errors": serializers.ListField(
            child=inline_serializer(
                "ScoreItemErrors", fields={"index": serializers.IntegerField(), "errors": serializers.DictField()}
            )
        ),
        "import_run": serializers.IntegerField(),
    },
)


def _run_summary(run: ImportRun) -> dict:
    return {"import_run": run.pk, "status": run.status, "counts": run.counts, "warnings": run.warnings}


@extend_schema(
    parameters=[
        OpenApiParameter("window", int),
        OpenApiParameter("measure", str),
        OpenApiParameter("student", int),
        OpenApiParameter("school", int),
        OpenApiParameter("grade", int),
        OpenApiParameter("tier", int),
    ]
)
class ScoreListCreate(access_log.AccessLoggedList, generics.ListCreateAPIView):
    """GET: scores of the students you may see. POST (district administrators): up to 5,000 scores,
    `{"scores": [...]}`, validated like an imported file; all or nothing, recorded as an import."""

    access_what = "screening scores"

    serializer_class = ScoreSerializer

    def get_queryset(self):
        params = self.request.query_params
        rows = selectors.visible_scores(district=self.request.district, membership=self.request.membership)
        for name, field in (
            ("window", "window_id"),
            ("student", "student_id"),
            ("school", "school_id"),
            ("grade", "grade"),
            ("tier", "tier"),
        ):
            value = _param_int(params, name)
            if value is not None:
                rows = rows.filter(**{field: value})
        if params.get("measure"):
            rows = rows.filter(measure__key=params["measure"])
        return rows.order_by("-test_date", "id")

    @extend_schema(
        request=inline_serializer("ScoreBulk", fields={"scores": SCORE_INPUT.__class__(many=True)}),
        responses={
            201: inline_serializer(
                "ScoreBulkResult",
                fields={
                    "import_run": serializers.IntegerField(),
                    "status": serializers.CharField(),
                    "counts": serializers.DictField(),
                    "warnings": serializers.ListField(),
                },
            ),
            400: OpenApiResponse(BULK_ERRORS, description="Nothing was written."),
        },
    )
    def post(self, request, *args, **kwargs):
        # The schema describes `post` (not `create`): the request body is the input, not a Score.
        return self.create(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        require(request, "may_import_scores", message="Only district administrators import scores.")
        items = request.data.get("scores") if isinstance(request.data, dict) else request.data
        if not isinstance(items, list) or not items:
            raise serializers.ValidationError({"scores": ["Send a list of scores."]})
        if len(items) > MAX_BULK_SCORES:
            raise serializers.ValidationError({"scores": [f"At most {MAX_BULK_SCORES} scores at once."]})
        run = services.scores_create_bulk(district=request.district, actor=request.user, items=items)
        if run.status != ImportRun.Status.SUCCEEDED:
            by_index: dict[int, dict[str, list[str]]] = {}
            for error in run.plan.all_errors:
                by_index.setdefault(error.line, {}).setdefault(error.column or "non_field_errors", []).append(
                    error.reason
                )
            errors = [{"index": index, "errors": fields} for index, fields in sorted(by_index.items())]
            return Response({"errors": errors, "import_run": run.pk}, status=status.HTTP_400_BAD_REQUEST)
        return Response(_run_summary(run), status=status.HTTP_201_CREATED)


class ScoreDetail(generics.RetrieveAPIView):
    serializer_class = ScoreSerializer

    def get_object(self):
        try:
            return selectors.visible_scores(district=self.request.district, membership=self.request.membership).get(
                pk=self.kwargs["score_id"]
            )
        except Score.DoesNotExist:
            raise Http404 from None

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        access_log.record(
            request._request, action="api_read", what="screening score", student_ids=[response.data["student"]]
        )
        return response


# --- import jobs ----------------------------------------------------------------------------------------------------


class ImportRunSerializer(serializers.ModelSerializer):
    started_by = serializers.CharField(source="started_by.username", read_only=True, allow_null=True)
    # Plain strings, not enums: another "status" enum (plans') already has the schema's name.
    kind = serializers.CharField(read_only=True, help_text="roster, scores, norms, attendance, incidents or grades")
    status = serializers.CharField(
        read_only=True, help_text="queued, running, then dry_run, succeeded, refused or partial"
    )
    status_url = serializers.SerializerMethodField(help_text="GET it until `status` is no longer queued or running.")
    progress = serializers.SerializerMethodField(
        help_text="phase (queued, reading, validating, writing, done), total (lines), read, validated, written"
    )

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "status_url",
            "progress",
            "kind",
            "format",
            "file_name",
            "started_by",
            "started_at",
            "finished_at",
            "status",
            "dry_run",
            "counts",
            "error_count",
            "errors",
            "warnings",
            "details",
        ]
        read_only_fields = fields

    def get_status_url(self, run) -> str:
        request = self.context.get("request")
        url = reverse("api_import_detail", kwargs={"run_id": run.pk})
        return request.build_absolute_uri(url) if request is not None else url

    def get_progress(self, run) -> dict:
        return jobs.import_progress(district=run.district, run=run)


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[(k, k) for k in ("scores", "roster", "attendance", "incidents", "grades")],
        default="scores",
        help_text="attendance, incidents and grades are student records (README: Early warning), all or nothing.",
    )
    shape = serializers.ChoiceField(
        choices=["powerschool", "infinite-campus", "oneroster"],
        required=False,
        help_text="Attendance: powerschool or infinite-campus export; grades: oneroster (a 1.2 gradebook package).",
    )
    confirm = serializers.BooleanField(
        default=False, help_text="Attendance: accept a change above the policy's share of a school's recorded days."
    )
    format = serializers.ChoiceField(
        choices=sorted(FORMATS), required=False, help_text="The score format (not for rosters)."
    )
    mapping = serializers.IntegerField(required=False, help_text="A saved column mapping's id (generic format).")
    measure = serializers.CharField(required=False, help_text="A measure key when the file does not say.")
    dry_run = serializers.BooleanField(default=False)
    accept_valid_rows = serializers.BooleanField(default=False)
    confirm_exits = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="Rosters: the number of students and staff the import exits, when it is more than "
        "ROSTER_EXIT_CONFIRM_PERCENT of the district's (the refused run's details.exits.total).",
    )
    file = serializers.FileField()

    def validate(self, data):
        if data["kind"] == "scores" and not data.get("format"):
            raise serializers.ValidationError({"format": ["Choose the score format."]})
        if data.get("format") and FORMATS[data["format"]].needs_mapping and not data.get("mapping"):
            raise serializers.ValidationError({"mapping": ["The generic format needs a saved column mapping."]})
        shape = data.get("shape", "")
        if shape in ("powerschool", "infinite-campus") and data["kind"] != "attendance":
            raise serializers.ValidationError({"shape": ["This shape is an attendance export."]})
        if shape == "oneroster" and data["kind"] != "grades":
            raise serializers.ValidationError({"shape": ["A OneRoster gradebook holds course grades."]})
        if data["kind"] in ("attendance", "incidents", "grades") and data["accept_valid_rows"]:
            raise serializers.ValidationError(
                {"accept_valid_rows": ["Attendance, incidents and grades are imported whole or not at all."]}
            )
        return data


class ImportRunListCreate(generics.ListCreateAPIView):
    """Import jobs (district administrators): every roster, score and norm import, with counts and errors.

    POST a multipart file to run one; a refused import answers 400 with the run (nothing written)."""

    serializer_class = ImportRunSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        _require_admin(self.request, "Only district administrators see imports.")
        return selectors.import_runs(district=self.request.district)

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={202: OpenApiResponse(ImportRunSerializer, description="Queued: poll `status_url`.")},
    )
    def post(self, request, *args, **kwargs):
        # The schema describes `post` (not `create`): the request body is the upload, not a run.
        return self.create(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        require(request, "may_import_scores", message="Only district administrators import files.")
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        district = request.district
        if data.get("mapping"):
            try:
                selectors.mapping_get(district=district, mapping_id=data["mapping"])
            except Http404:  # another district's mapping reads as an unknown one
                raise serializers.ValidationError({"mapping": ["Unknown mapping."]}) from None
        stored = data["file"]
        run = jobs.import_job_submit(
            district=district,
            actor=request.user,
            kind=data["kind"],
            chunks=stored.chunks(),
            file_name=stored.name,
            options={
                "format": data.get("format", ""),
                "mapping": data.get("mapping"),
                "measure": data.get("measure", ""),
                "shape": data.get("shape", ""),
                "confirm": data["confirm"],
            },
            dry_run=data["dry_run"],
            accept_valid_rows=data["accept_valid_rows"],
            confirm_exits=data.get("confirm_exits"),
        )
        # Queued (or, without a broker, already finished): the client polls the status URL either way.
        body = ImportRunSerializer(run, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})


class ImportRunDetail(generics.RetrieveAPIView):
    serializer_class = ImportRunSerializer

    def get_object(self):
        run = selectors.import_run_get(district=self.request.district, run_id=self.kwargs["run_id"])
        _require_admin(self.request, "Only district administrators see imports.")
        return run
