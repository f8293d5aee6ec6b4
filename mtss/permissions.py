"""Who may do what: every "may this member do X to this object" rule, in one place.

A rule is a named predicate of the `rules` library (the django-rules successor):
`may_add_probe(membership, plan)`. The subject is the district **membership**
(`request.membership`), not the user: roles and schools belong to a membership,
and a user works in one district at a time (README, "Who sees what").

Visibility is not decided here. Which students (and so which plans, notices,
agenda items) a member may see is the access module's question
(`students.selectors.visible_students`); an object the member may not see is a
404 before any rule is asked. These rules decide the ACTIONS on visible objects,
from the membership's role and schools and the object's own attributes
(`plan.provider_id`, `plan.student.school_id`, `meeting.school_id`, the meeting's
staff attendees). So this module imports nothing above the core: no student or
intervention model, only attributes.

Callers:
- pages: `@district_member("may_edit_policy")`, or `permissions.require(request, name, obj)` (404,
  the pages' convention: a page that is not yours must not confirm it exists);
- API: `mtss.api_permissions.require(request, name, obj)` (403, the API's convention for a
  visible object the member may not change) or the `MayDo` permission class;
- templates: `{% load rules %}{% test_rule "may_add_probe" membership plan as can_add %}`;
- selectors and services: the role sets below (`SEES_WHOLE_DISTRICT` ...), or `allowed(...)`.

The ACTIONS table in the README lists every rule; `tests/test_permission_matrix.py`
walks it through the page and the API.
"""

from __future__ import annotations

import rules
from django.http import Http404

from mtss.models import Role

# --- role sets (the only ones in the code base) ------------------------------------------------------

#: Roles whose work covers the whole district, not a list of schools.
SEES_WHOLE_DISTRICT = frozenset({Role.DISTRICT_ADMIN})
#: Roles that see every student (and group) of their membership's schools.
SCHOOL_WIDE = frozenset({Role.PRINCIPAL, Role.PSYCHOLOGIST, Role.COUNSELOR, Role.READ_ONLY})
#: Who may be named the provider of a group or plan (besides a district administrator).
PROVIDER_ROLES = frozenset(
    {Role.INTERVENTION_SPECIALIST, Role.TEACHER, Role.COUNSELOR, Role.PSYCHOLOGIST, Role.PRINCIPAL}
)
#: Who starts plans, places students in tiers and creates groups.
PLANNERS = frozenset({Role.DISTRICT_ADMIN, Role.PRINCIPAL, Role.INTERVENTION_SPECIALIST})
#: Who supervises every plan and group of a school (logs and adds probes without being the provider).
SUPERVISORS = frozenset({Role.DISTRICT_ADMIN, Role.PRINCIPAL, Role.INTERVENTION_SPECIALIST})
#: The school team that holds meetings (RULES.md: the building team of principal, specialist,
#: psychologist and counselor). A teacher takes part in the meetings where they are on the staff list.
MEETING_TEAM = frozenset(
    {Role.DISTRICT_ADMIN, Role.PRINCIPAL, Role.INTERVENTION_SPECIALIST, Role.PSYCHOLOGIST, Role.COUNSELOR}
)
#: Who may act on a parent notice (acknowledge, regenerate).
NOTICE_WRITERS = frozenset({Role.DISTRICT_ADMIN, Role.PRINCIPAL, Role.INTERVENTION_SPECIALIST, Role.COUNSELOR})
#: Who prints notice batches (the school office).
PRINTERS = frozenset({Role.DISTRICT_ADMIN, Role.PRINCIPAL})
#: Who adds guardians and contacts to a student record.
GUARDIAN_EDITORS = frozenset({Role.DISTRICT_ADMIN, Role.PRINCIPAL, Role.COUNSELOR, Role.INTERVENTION_SPECIALIST})
#: Who opens the screening pages; teachers see their own students' tiers on the student record.
SCREENING_READERS = frozenset(
    {
        Role.DISTRICT_ADMIN,
        Role.PRINCIPAL,
        Role.INTERVENTION_SPECIALIST,
        Role.PSYCHOLOGIST,
        Role.COUNSELOR,
        Role.READ_ONLY,
    }
)
#: Who works through the screening review queue.
SCREENING_REVIEWERS = frozenset(
    {Role.DISTRICT_ADMIN, Role.PRINCIPAL, Role.INTERVENTION_SPECIALIST, Role.PSYCHOLOGIST, Role.COUNSELOR}
)
#: Who reads the school reports (fidelity dashboard, compliance reports) and subscribes to them.
SCHOOL_REPORTERS = frozenset({Role.DISTRICT_ADMIN, Role.PRINCIPAL})
#: Who reads the special-education referral readiness report.
REFERRAL_REPORTERS = frozenset({Role.DISTRICT_ADMIN, Role.PRINCIPAL, Role.PSYCHOLOGIST})


# --- facts about the membership ----------------------------------------------------------------------


def school_ids(membership) -> frozenset[int]:
    """The membership's school ids, read once per membership object (one request)."""
    cached = getattr(membership, "_permission_school_ids", None)
    if cached is None:
        cached = frozenset(membership.district_schools().values_list("id", flat=True))
        membership._permission_school_ids = cached
    return cached


def _active(membership) -> bool:
    return membership is not None and getattr(membership, "is_active", False)


def _role_in(membership, roles) -> bool:
    return _active(membership) and membership.role in roles


def _covers_school(membership, school_id) -> bool:
    """The membership's work covers this school: the whole district, or one of its schools."""
    if not _active(membership):
        return False
    return membership.role in SEES_WHOLE_DISTRICT or school_id in school_ids(membership)


def _plan_school_id(plan):
    return plan.student.school_id


def _meeting_staff_ids(meeting) -> frozenset[int]:
    """Users on the meeting's staff list (attendees of kind "staff"), read once per meeting object."""
    cached = getattr(meeting, "_permission_staff_ids", None)
    if cached is None:
        cached = frozenset(
            meeting.attendees.filter(kind="staff", user_id__isnull=False).values_list("user_id", flat=True)
        )
        meeting._permission_staff_ids = cached
    return cached


def _roles(*roles):
    """A predicate: the membership has one of `roles` (no object needed)."""
    wanted = frozenset(roles)

    def check(membership, obj=None) -> bool:
        return _role_in(membership, wanted)

    check.__name__ = "role_in_" + "_".join(sorted(str(r) for r in wanted))
    return rules.predicate(check)


def _roles_at_school(*roles):
    """A predicate on a School: one of `roles`, and the school is one the membership covers."""
    wanted = frozenset(roles)

    def check(membership, school) -> bool:
        return _role_in(membership, wanted) and school is not None and _covers_school(membership, school.pk)

    check.__name__ = "role_at_school_" + "_".join(sorted(str(r) for r in wanted))
    return rules.predicate(check)


# --- students --------------------------------------------------------------------------------------

may_create_student = _roles(Role.DISTRICT_ADMIN)
# The district office keeps the record (the roster import writes it too); schools add contacts.
may_edit_student = _roles(Role.DISTRICT_ADMIN)
may_add_guardian = _roles(*GUARDIAN_EDITORS)
# Parent consultations (parent_contact.consultations_per_quarter) are held by the staff who work
# with the family, the student's teacher included.
may_record_consultation = _roles(*GUARDIAN_EDITORS, Role.TEACHER)


# --- plans, placements, groups, sessions -----------------------------------------------------------


@rules.predicate
def may_create_plan(membership, student=None) -> bool:
    """Start a plan or place a student in a tier: an administrator, or a principal or specialist of the
    student's school. Without a student: whether the member starts plans at all (the API asks this
    before it reads a body, so a role that never may answers 403 rather than a 400 about the body)."""
    if not _role_in(membership, PLANNERS):
        return False
    return student is None or _covers_school(membership, student.school_id)


may_place_in_tier = may_create_plan


@rules.predicate
def may_log_for_plan(membership, plan) -> bool:
    """Log sessions, add probes and change the phase of a plan.

    The plan's provider (any role), its group's provider, and the supervisors of the plan's school:
    a district administrator, the principal and the school's intervention specialists. Specialists
    cover for each other (absence, shared caseloads), so a specialist of the school need not be
    the provider. Teachers, psychologists and counselors log only for plans they provide.
    """
    if not _active(membership) or plan is None:
        return False
    if plan.provider_id == membership.user_id:
        return True
    if plan.group_id and plan.group.provider_id == membership.user_id:
        return True
    return membership.role in SUPERVISORS and _covers_school(membership, _plan_school_id(plan))


may_add_probe = may_log_for_plan
may_edit_plan = may_log_for_plan


@rules.predicate
def may_rate_point_card(membership, plan) -> bool:
    """Rate a behavior plan's daily point card (check-in/check-out): whoever may log for the plan, and
    the teachers of the plan's school. Each teacher rates the student's goals for their own period
    (Crone, Hawken & Horner 2010), so the card cannot be limited to the plan's provider; which
    students a teacher sees is still the access module's question (404 before this rule)."""
    if may_log_for_plan.test(membership, plan):
        return True
    return (
        _active(membership)
        and plan is not None
        and membership.role == Role.TEACHER
        and _covers_school(membership, _plan_school_id(plan))
    )


@rules.predicate
def may_end_plan(membership, plan) -> bool:
    """End a plan as completed or discontinued, with a reason: whoever may change the plan
    (its provider, its group's provider, and the supervisors of the plan's school). Often the
    team decides it in a meeting; the plan's people record it on the end-plan screen."""
    return may_log_for_plan.test(membership, plan)


@rules.predicate
def may_log_for_group(membership, group) -> bool:
    """Log a group's sessions and add plans to it: its provider, or a supervisor of its school."""
    if not _active(membership) or group is None:
        return False
    if group.provider_id == membership.user_id:
        return True
    return membership.role in SUPERVISORS and _covers_school(membership, group.school_id)


@rules.predicate
def may_edit_session(membership, session) -> bool:
    """Correct or delete a logged session: whoever may log for its group (or its plan)."""
    if session is None:
        return False
    if session.group_id:
        return may_log_for_group.test(membership, session.group)
    return session.plan_id is not None and may_log_for_plan.test(membership, session.plan)


@rules.predicate
def may_edit_probe(membership, probe) -> bool:
    """Correct or delete a probe (with a reason, kept in the audit trail): whoever may add probes to
    its plan."""
    return probe is not None and may_log_for_plan.test(membership, probe.plan)


# "My caseload" lists the plans a specialist provides; other roles see every visible plan.
may_keep_caseload = _roles(Role.INTERVENTION_SPECIALIST)


@rules.predicate
def may_create_group(membership, school=None) -> bool:
    """Create a group at a school: an administrator, or a principal or specialist of the school.
    Without a school: whether the member creates groups at all (asked before the API reads a body)."""
    if not _role_in(membership, PLANNERS):
        return False
    return school is None or _covers_school(membership, school.pk)


@rules.predicate
def may_provide_at(membership, school) -> bool:
    """May be named the provider of a group or plan at this school."""
    return (
        _role_in(membership, PROVIDER_ROLES | SEES_WHOLE_DISTRICT)
        and school is not None
        and _covers_school(membership, school.pk)
    )


may_edit_library = _roles(Role.DISTRICT_ADMIN)


# --- meetings ----------------------------------------------------------------------------------------

may_create_meeting = _roles_at_school(*MEETING_TEAM)


@rules.predicate
def may_run_meeting(membership, meeting) -> bool:
    """Build and order the agenda, take attendance, start, decide and close a meeting.

    The school team of the meeting's school (administrator, principal, specialist, psychologist,
    counselor); a teacher only when on the meeting's staff list, since a teacher is on the team
    for the students they bring, not for every meeting of the school. Read-only staff read.
    Whether the meeting is still open is the services' check (a closed meeting refuses changes
    with its own message), not a permission.
    """
    if not _active(membership) or meeting is None or not _covers_school(membership, meeting.school_id):
        return False
    if membership.role in MEETING_TEAM:
        return True
    return membership.role == Role.TEACHER and membership.user_id in _meeting_staff_ids(meeting)


may_build_agenda = may_run_meeting


@rules.predicate
def may_decide_in_meeting(membership, meeting) -> bool:
    """Record or apply a decision, and close the meeting (which applies every decision).

    Only the school team of the meeting's school (MEETING_TEAM). A teacher on the staff list brings
    and discusses their students and takes attendance, but does not decide: closing applies every
    decision on the agenda, students the teacher may not see included (issue 13: "a teacher closed
    a meeting and so applied an administrator's exit decision"). The policy's `teams[].members` are
    free text ("classroom teacher", "parent"), so the role set is the building team of RULES.md.
    """
    return _role_in(membership, MEETING_TEAM) and meeting is not None and _covers_school(membership, meeting.school_id)


may_close_meeting = may_decide_in_meeting


@rules.predicate
def may_mark_action_done(membership, action) -> bool:
    """An action item is done by its owner, or by whoever runs its meeting. Also after the meeting closed."""
    if not _active(membership) or action is None:
        return False
    return action.owner_id == membership.user_id or may_run_meeting.test(membership, action.meeting)


@rules.predicate
def may_print_referral_packet(membership, student) -> bool:
    """The special-education referral packet: the school team, and the student's teacher (who sees the
    student only through a roster grant)."""
    return _role_in(membership, MEETING_TEAM | {Role.TEACHER})


# --- special-education referrals --------------------------------------------------------------------

#: Who reads the referral list and asks for a referral: the school team (Loudon, seed 002: "a special
#: education evaluation is requested by the school support team").
may_view_referrals = _roles(*MEETING_TEAM)


@rules.predicate
def may_request_referral(membership, student) -> bool:
    """Ask for a special-education referral: the school team of the student's school."""
    return _role_in(membership, MEETING_TEAM) and student is not None and _covers_school(membership, student.school_id)


@rules.predicate
def may_review_referral(membership, referral) -> bool:
    """Review the evidence and sign the referral off, or override missing evidence with a reason: only
    the role the policy names (``special_education_referral.reviewed_by_role``, recorded on the referral;
    Loudon: "reviewed by the school psychologist"), at the student's school."""
    if referral is None or not _active(membership) or membership.role != referral.reviewer_role:
        return False
    return _covers_school(membership, referral.student.school_id)


may_override_referral = may_review_referral


# --- PDSA cycles -------------------------------------------------------------------------------------

#: Who reads PDSA cycles: the school team and read-only staff (LAUSD: the leadership team and the
#: interventionist "determine effectiveness and gaps of academic interventions through data analysis").
may_view_pdsa = _roles(*MEETING_TEAM, Role.READ_ONLY)


@rules.predicate
def may_create_pdsa(membership, school=None) -> bool:
    """Start a PDSA cycle: the school team of the school (an interventionist included); a
    district-wide cycle (no school) only a district administrator."""
    if not _role_in(membership, MEETING_TEAM):
        return False
    if school is None:
        return membership.role in SEES_WHOLE_DISTRICT
    return _covers_school(membership, school.pk)


@rules.predicate
def may_edit_pdsa(membership, cycle) -> bool:
    """Record the Do, Study and Act of a cycle: its owner, or the school team of its school."""
    if cycle is None or not _active(membership):
        return False
    if cycle.owner_id == membership.user_id:
        return True
    return may_create_pdsa.test(membership, cycle.school)


# --- Ohio's reading guarantee (RULES.md 4.5) ----------------------------------------------------------

#: Who writes a Reading Improvement and Monitoring Plan: the planners and the student's reading teacher.
RIMP_WRITERS = frozenset({*PLANNERS, Role.TEACHER})


@rules.predicate
def may_write_rimp(membership, student) -> bool:
    """Create or edit a draft RIMP for a student the member sees (visibility is checked first)."""
    if not _role_in(membership, RIMP_WRITERS) or student is None:
        return False
    return membership.role == Role.TEACHER or _covers_school(membership, student.school_id)


@rules.predicate
def may_approve_rimp(membership, rimp) -> bool:
    """Approve a RIMP: only the role the policy names (required_plans[].approved_by, recorded on the RIMP
    as `approver_role`; Ohio: "approved by the principal", seed 003 section D), at the student's school.
    No other role approves, a district administrator included: the source names one role."""
    if rimp is None or not _active(membership):
        return False
    role = getattr(rimp, "approver_role", "") or Role.PRINCIPAL
    return membership.role == role and _covers_school(membership, rimp.student.school_id)


# --- notices -----------------------------------------------------------------------------------------

may_act_on_notice = _roles(*NOTICE_WRITERS)
may_acknowledge_notice = may_act_on_notice
may_regenerate_notice = may_act_on_notice
may_retry_notice = _roles(Role.DISTRICT_ADMIN)
may_print_notices = _roles(*PRINTERS)
may_edit_letter_settings = _roles(Role.DISTRICT_ADMIN)


# --- screening ---------------------------------------------------------------------------------------

may_view_screening = _roles(*SCREENING_READERS)
may_review_screening = _roles(*SCREENING_REVIEWERS)
# Windows, score and roster imports, column mappings and norm tables are district data.
may_manage_screening = _roles(Role.DISTRICT_ADMIN)
may_import_scores = may_manage_screening
may_import_roster = may_manage_screening


# --- reports and the core ----------------------------------------------------------------------------

may_view_reports = _roles(*REFERRAL_REPORTERS)


@rules.predicate
def may_view_fidelity(membership, school=None) -> bool:
    """The fidelity dashboard (and its weekly e-mail): the principal of the school, or an administrator.
    Without a school: whether the member may open the dashboard at all."""
    if not _role_in(membership, SCHOOL_REPORTERS):
        return False
    return school is None or _covers_school(membership, school.pk)


may_view_compliance = _roles(*SCHOOL_REPORTERS)
#: The early-warning dashboard (issue 17): principals of their schools, administrators of all;
#: the drill-down lists only the students the member may see.
may_view_early_warning = _roles(*SCHOOL_REPORTERS)
#: Marking an early-warning flag reviewed or dismissed: the review queue's reviewers.
may_review_early_warning = _roles(*SCREENING_REVIEWERS)
#: Attendance, incident and grade imports (and the district's incident types).
may_import_student_records = _roles(Role.DISTRICT_ADMIN)
may_view_referral_readiness = _roles(*REFERRAL_REPORTERS)
may_view_district_dashboard = _roles(Role.DISTRICT_ADMIN)
may_edit_policy = _roles(Role.DISTRICT_ADMIN)
may_edit_calendar = _roles(Role.DISTRICT_ADMIN)
may_view_access_log = _roles(Role.DISTRICT_ADMIN)
#: A guardian's request for a copy of the record (issue 18): the principal of the student's school
#: approves and hands it over, or an administrator (the student was seen first: visibility).
may_approve_record_copy = _roles(Role.DISTRICT_ADMIN, Role.PRINCIPAL)
# Single sign-on providers and whether passwords still sign members in (issue 15, mtss.sso).
may_configure_sign_in = _roles(Role.DISTRICT_ADMIN)


# --- the rule set ------------------------------------------------------------------------------------

RULES = {
    name: value for name, value in globals().items() if name.startswith("may_") and isinstance(value, rules.Predicate)
}

# The shared rule set is what the `rules` template tags read ({% test_rule %}); every name is ours.
for _name, _predicate in RULES.items():
    rules.set_rule(_name, _predicate)


def allowed(membership, name: str, obj=None) -> bool:
    """Whether the membership may do `name` to `obj`. An unknown name is a programming error."""
    if name not in RULES:
        raise KeyError(f"No permission rule named {name!r}.")
    return rules.test_rule(name, membership, obj)


def require(request, name: str, obj=None) -> None:
    """Pages: 404 unless allowed, so a page the member may not use does not confirm it exists."""
    if not allowed(getattr(request, "membership", None), name, obj):
        raise Http404
