"""The API side of mtss.permissions: the same named rules, answered the API's way.

An object the member may not see is already a 404 (selectors); a visible object the
member may not change is a 403 with a message saying who may (README, API).
"""

from __future__ import annotations

from rest_framework import permissions as drf_permissions
from rest_framework.exceptions import PermissionDenied

from mtss.permissions import allowed

# Why a rule refused, in the words a caller can act on (403 bodies).
MESSAGES = {
    "may_create_student": "Only district administrators can change student records.",
    "may_edit_student": "Only district administrators can change student records.",
    "may_add_guardian": "Your role cannot add guardians.",
    "may_create_plan": "Only an administrator, or a principal or specialist of the student's school, starts plans.",
    "may_place_in_tier": "Only an administrator, or a principal or specialist of the student's school, places "
    "students in tiers.",
    "may_create_group": "Only an administrator, or a principal or specialist of the school, creates groups.",
    "may_log_for_plan": "Only the provider, or an administrator, principal or specialist of the plan's school, can "
    "log for this plan.",
    "may_add_probe": "Only the provider, or an administrator, principal or specialist of the plan's school, can add "
    "probes to this plan.",
    "may_edit_plan": "Only the provider, or an administrator, principal or specialist of the plan's school, can "
    "change this plan.",
    "may_log_for_group": "Only the provider, or an administrator, principal or specialist of the group's school, "
    "can log for this group.",
    "may_edit_probe": "Only whoever may add probes to its plan can change or delete this probe.",
    "may_edit_session": "Only whoever may log for its group or plan can change this session.",
    "may_edit_library": "Only district administrators can change the library.",
    "may_create_meeting": "Only the school team (administrator, principal, specialist, psychologist, counselor) "
    "creates meetings for this school.",
    "may_run_meeting": "Only the school team, or a teacher on the meeting's staff list, can change this meeting; "
    "your role can read it.",
    "may_build_agenda": "Only the school team, or a teacher on the meeting's staff list, can change this agenda.",
    "may_decide_in_meeting": "Only the school team (administrator, principal, specialist, psychologist, counselor) "
    "of the meeting's school records decisions.",
    "may_close_meeting": "Only the school team (administrator, principal, specialist, psychologist, counselor) "
    "of the meeting's school closes this meeting.",
    "may_mark_action_done": "Only the owner or the meeting's team marks this action item done.",
    "may_act_on_notice": "Only administrators, principals, specialists and counselors act on notices.",
    "may_acknowledge_notice": "Only administrators, principals, specialists and counselors act on notices.",
    "may_regenerate_notice": "Only administrators, principals, specialists and counselors act on notices.",
    "may_manage_screening": "Only district administrators manage screening windows and imports.",
    "may_import_scores": "Only district administrators import scores.",
}


def require(request, name: str, obj=None, message: str | None = None) -> None:
    """403 unless the request's membership may do `name` to `obj`."""
    if not allowed(getattr(request, "membership", None), name, obj):
        raise PermissionDenied(message or MESSAGES.get(name, "Your role cannot do this."))


def MayDo(name: str, *, safe_methods_open: bool = True):  # noqa: N802 (reads as a class in permission_classes)
    """A DRF permission class for a rule without an object (`permission_classes = [IsDistrictMember,
    MayDo("may_edit_library")]`). By default reads stay open to every member; object rules are asked
    in the view with `require`, after the object was found."""

    class _MayDo(drf_permissions.BasePermission):
        message = MESSAGES.get(name, "Your role cannot do this.")

        def has_permission(self, request, view):
            if safe_methods_open and request.method in drf_permissions.SAFE_METHODS:
                return True
            return allowed(getattr(request, "membership", None), name)

    _MayDo.__name__ = _MayDo.__qualname__ = f"MayDo_{name}"
    return _MayDo
