"""Scoped relation fields: a related id must be one of the request's district and visible to the user."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod

from rest_framework import serializers

from interventions.models import Intervention, InterventionGroup, Plan
from interventions.selectors import library, visible_groups, visible_plans
from mtss.models import School, User
from mtss.permissions import SEES_WHOLE_DISTRICT
from students.access import visible_students
from students.models import Student

# --- scoped relation fields -----------------------------------------------------------------


class _ScopedField(serializers.PrimaryKeyRelatedField, metaclass=ABCMeta):
    """A related id that must be one of the request's district (and visible to the user);
    anything else reads as unknown ("Invalid pk"), never as another district's."""

    model = None

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", self.model.objects.none())
        super().__init__(**kwargs)

    @abstractmethod
    def scoped(self, request):
        """The objects of the request's district this field accepts."""

    def get_queryset(self):
        return self.scoped(self.context["request"])


class VisibleStudentField(_ScopedField):
    model = Student

    def scoped(self, request):
        return visible_students(district=request.district, membership=request.membership)


class LibraryField(_ScopedField):
    model = Intervention

    def scoped(self, request):
        return library(district=request.district)


class ProviderField(_ScopedField):
    model = User

    def scoped(self, request):
        return User.objects.filter(memberships__district=request.district, memberships__is_active=True)


class GroupSchoolField(_ScopedField):
    """A school of the district; principals and staff may only pick their own schools."""

    model = School

    def scoped(self, request):
        schools = School.objects.filter(district=request.district)
        if request.membership.role not in SEES_WHOLE_DISTRICT:
            schools = schools.filter(pk__in=request.membership.district_schools().values("id"))
        return schools


class VisibleGroupField(_ScopedField):
    model = InterventionGroup

    def scoped(self, request):
        return visible_groups(district=request.district, membership=request.membership).select_related("provider")


class VisiblePlanField(_ScopedField):
    model = Plan

    def scoped(self, request):
        return visible_plans(district=request.district, membership=request.membership).select_related(
            "student", "group"
        )
