"""REST API for students and guardians: thin views over selectors and services."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, serializers, status
from rest_framework.response import Response

from mtss import access_log
from mtss.api_params import param_int
from mtss.api_permissions import require
from mtss.models import School
from students.models import SUBGROUPS, Enrollment, Guardian, Student
from students.selectors import StudentFilters, student_get, student_list
from students.services import STUDENT_FIELDS, guardian_create, student_create, student_update


class GuardianSerializer(serializers.ModelSerializer):
    class Meta:
        model = Guardian
        fields = [
            "id",
            "first_name",
            "last_name",
            "relationship",
            "preferred_language",
            "email",
            "phone",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "receives_notices",
            "lives_with_student",
        ]
        read_only_fields = ["id"]


class EnrollmentSerializer(serializers.ModelSerializer):
    school_year = serializers.CharField(source="school_year.name")

    class Meta:
        model = Enrollment
        fields = ["id", "school", "school_year", "grade", "start_date", "end_date"]


class DistrictSchoolField(serializers.PrimaryKeyRelatedField):
    """A school of the request's district; another district's id reads as unknown."""

    def get_queryset(self):
        return School.objects.filter(district=self.context["request"].district)


class StudentSerializer(serializers.ModelSerializer):
    school = DistrictSchoolField()
    subgroups = serializers.SerializerMethodField()

    class Meta:
        model = Student
        fields = ["id", *STUDENT_FIELDS, "subgroups", "updated_at"]
        read_only_fields = ["id", "subgroups", "updated_at"]
        # Uniqueness of local_id is the service's check (it names the field).
        validators = []

    def get_subgroups(self, student) -> list[str]:
        return student.subgroups


class StudentDetailSerializer(StudentSerializer):
    guardians = GuardianSerializer(many=True, read_only=True)
    enrollments = EnrollmentSerializer(many=True, read_only=True)

    class Meta(StudentSerializer.Meta):
        fields = [*StudentSerializer.Meta.fields, "guardians", "enrollments"]


def _filters(params) -> StudentFilters:
    subgroup = params.get("subgroup") or None
    if subgroup and subgroup not in SUBGROUPS:
        raise serializers.ValidationError({"subgroup": f"Unknown subgroup; one of {', '.join(SUBGROUPS)}."})
    return StudentFilters(
        q=params.get("q", "").strip(),
        school_id=param_int(params, "school"),
        grade=param_int(params, "grade"),
        subgroup=subgroup,
        tier=param_int(params, "tier"),
        include_exited=params.get("include_exited") in ("1", "true"),
    )


def _require_editor(request, student=None) -> None:
    require(request, "may_edit_student" if student is not None else "may_create_student", student)


Q_ON_GET = (
    "Name or id to search for. On GET it is part of the URL, so proxies and server logs record it: "
    "send names with POST /api/v1/students/search/ instead."
)


@extend_schema(
    parameters=[
        OpenApiParameter("school", int),
        OpenApiParameter("grade", int),
        OpenApiParameter("tier", int),
        OpenApiParameter("subgroup", str, enum=list(SUBGROUPS)),
        OpenApiParameter("q", str, description=Q_ON_GET),
        OpenApiParameter("include_exited", bool),
    ]
)
class StudentListCreate(access_log.AccessLoggedList, generics.ListCreateAPIView):
    access_what = "students"
    access_student_field = "id"
    serializer_class = StudentSerializer

    def get_queryset(self):
        return student_list(
            district=self.request.district,
            membership=self.request.membership,
            filters=_filters(self.request.query_params),
        )

    def create(self, request, *args, **kwargs):
        _require_editor(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        student = student_create(district=request.district, actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(student).data, status=status.HTTP_201_CREATED)


class StudentSearchSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Name or id.")
    school = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    grade = serializers.IntegerField(required=False, min_value=-1, max_value=12)
    tier = serializers.IntegerField(required=False, min_value=1, max_value=3)
    subgroup = serializers.ChoiceField(choices=list(SUBGROUPS), required=False)
    include_exited = serializers.BooleanField(required=False, default=False)


class StudentSearch(access_log.AccessLoggedList, mixins.ListModelMixin, generics.GenericAPIView):
    """Search students by name in the body, so the name is not in the URL (and not in proxy logs).

    Same filters and answer as GET /api/v1/students/; the page number stays in `?page=`."""

    access_what = "student search"
    access_student_field = "id"
    serializer_class = StudentSerializer

    def get_queryset(self):
        return student_list(district=self.request.district, membership=self.request.membership, filters=self._filters)

    @extend_schema(request=StudentSearchSerializer, responses={200: StudentSerializer(many=True)})
    def post(self, request, *args, **kwargs):
        body = StudentSearchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        self._filters = StudentFilters(
            q=data.get("q", "").strip(),
            school_id=data.get("school"),
            grade=data.get("grade"),
            subgroup=data.get("subgroup") or None,
            tier=data.get("tier"),
            include_exited=data["include_exited"],
        )
        return self.list(request, *args, **kwargs)


class StudentDetail(generics.RetrieveUpdateAPIView):
    serializer_class = StudentDetailSerializer

    def get_object(self):
        return student_get(
            district=self.request.district, membership=self.request.membership, student_id=self.kwargs["student_id"]
        )

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        access_log.record(request._request, action="api_read", what="student record", student_ids=[response.data["id"]])
        return response

    def update(self, request, *args, **kwargs):
        student = self.get_object()
        _require_editor(request, student)
        serializer = StudentSerializer(
            student, data=request.data, partial=kwargs.get("partial", False), context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        student = student_update(
            district=request.district, actor=request.user, student=student, **serializer.validated_data
        )
        return Response(StudentDetailSerializer(student, context=self.get_serializer_context()).data)


class GuardianListCreate(access_log.AccessLoggedList, generics.ListCreateAPIView):
    access_what = "guardians"
    serializer_class = GuardianSerializer
    pagination_class = None

    def student(self):
        return student_get(
            district=self.request.district, membership=self.request.membership, student_id=self.kwargs["student_id"]
        )

    def get_queryset(self):
        return Guardian.objects.filter(district=self.request.district, student=self.student()).order_by("id")

    def access_student_ids(self, rows: list[dict]) -> list[int]:
        return [self.kwargs["student_id"]]

    def create(self, request, *args, **kwargs):
        student = self.student()
        require(request, "may_add_guardian", student)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        guardian = guardian_create(
            district=request.district, actor=request.user, student=student, **serializer.validated_data
        )
        return Response(self.get_serializer(guardian).data, status=status.HTTP_201_CREATED)
