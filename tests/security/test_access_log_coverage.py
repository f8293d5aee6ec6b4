"""Every route that shows student data writes exactly one FERPA access-log row (mtss/access_log.py).

Issue 16, access holes: the session edit page, the plan form and the guardian form
rendered student data without an access-log row. Each route of the URL conf is
classified below; a new route fails `test_it_classifies_every_route` until it is
added to one of the sets, so a page that shows students cannot be forgotten.
"""

from __future__ import annotations

import pytest

from mtss.models import AccessLog
from mtss.tenancy import tenant_context
from tests.test_tenancy_urls import OBJECT_IDS, PORTAL, PUBLIC, _params, _routes, _url

# Pages, files and API reads that show one or more named students: one row each.
LOGGED = {
    "api_probe_detail",
    "plan_edit",
    "plan_end",
    "probe_edit",
    "rimp_detail",
    "agenda_item",
    "api_action_item_list",
    "api_agenda_item_detail",
    "api_agenda_list",
    "api_group_detail",
    "api_guardian_list",
    "api_meeting_detail",
    "api_notice_detail",
    "api_notice_list",
    "api_notice_preview",
    "api_placement_detail",
    "api_placement_list",
    "api_plan_detail",
    "api_plan_list",
    "api_plan_probes",
    "api_score_detail",
    "api_score_list",
    "api_session_detail",
    "api_session_list",
    "api_student_detail",
    "api_student_list",
    "caseload",
    "consultation_create",
    "group_detail",
    "guardian_create",
    "meeting_detail",
    "meeting_recap",
    "my_students",
    "notice_detail",
    "notice_list",
    "notice_pdf",
    "notice_print_batch_pdf",
    "plan_create",
    "plan_detail",
    "referral_packet",
    "reports_building_log",
    "reports_emis",
    "reports_fidelity_pdf",
    "reports_fidelity_plans",
    "reports_rimp",
    "screening_entrants",
    "screening_import_detail",
    "screening_import_errors",
    "screening_review",
    "session_edit",
    "student_detail",
    "student_edit",
    "student_list",
    "student_notices",
    "student_disclosures",
    "student_disclosures_pdf",
    "portal_student_family",
    "record_copies",
}
# Log a row only when they show a named student, which this fixture's data does not reach
# (no Tier 3 plan, no decision yet, no guardian among the attendees): at most one row.
LOGGED_WHEN_SHOWING_STUDENTS = {
    # Family messages waiting for an answer (the fixture has none).
    "portal_family_messages",
    # A copy of the record is downloaded (and logged) only once its zip is built; before, a redirect.
    "record_copy_download",
    # Check-in/check-out cards exist only for behavior plans (this fixture's plan is reading: 404).
    "point_card",
    "point_card_setup",
    "api_plan_point_cards",
    # Early warning: the dashboard shows counts; a school's drill-down lists the flagged students it shows.
    "reports_early_warning",
    "reports_early_warning_school",
    "reports_early_warning_review",
    "rimp_create",  # the RIMP form; a student who has one (this fixture's) is sent to it
    "plan_sessions",  # a one-to-one plan's log; a group plan (this fixture's) redirects to its group
    "api_meeting_close",  # GET: what closing will do, by student
    "meeting_close",
    "my_tasks",
    "referral_list",
    "referral_detail",
    "home",  # "my day": the member's students in intervention, groups and tasks, when there are any
    "api_attendee_list",
    "api_decision_detail",
    "reports_program_evaluation",
    "reports_referral",
}
# Settings, aggregates, catalogs and forms that name no student: no row.
NO_STUDENT_DATA = {
    "notice_start_of_year",  # the count of letters, no names
    "pdsa_create",
    "pdsa_detail",
    "pdsa_edit",
    "pdsa_list",
    "access_log",  # who read what: ids and counts, the log itself
    "privacy",  # the district's privacy page: kinds of records, no student
    "api_assessment_list",
    "api_docs",
    "api_group_list",
    "api_import_detail",
    "api_import_list",
    "api_intervention_detail",
    "api_intervention_list",
    "api_meeting_list",
    "api_schema",
    "api_window_detail",
    "api_window_list",
    "calendar",
    "calendar_event_add",
    "calendar_event_delete",
    "calendar_import",
    "calendar_year_add",
    "group_list",
    "letter_settings",
    "library_create",
    "library_edit",
    "library_list",
    "meeting_list",
    "notice_print",
    "notice_print_batch",  # a batch's counts and progress; its PDF download is logged
    "notice_print_batch_progress",
    "password_change",
    "password_change_done",
    "policy",
    "policy_compare",
    "policy_edit",
    "policy_section_edit",
    "policy_version",
    "reports_district",
    "reports_fidelity",
    "reports_fidelity_pick",
    "reports_home",
    "reports_subscriptions",
    "roster_sync",  # the SIS connection and sync state; no student data
    "screening",
    "screening_catalog",
    "screening_imports",
    "screening_import_progress",  # the job's counts, no row content
    "screening_mapping_edit",
    "screening_mappings",
    "screening_measure_edit",  # a measure's vendor names
    "screening_window_edit",
    "screening_windows",
    "student_create",
    # Sign-in settings and two-factor authentication (mtss.sso, allauth.mfa)
    "sso_settings",
    "sso_provider_create",
    "sso_provider_edit",
    "mfa_index",
    "mfa_reauthenticate",
    "mfa_view_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_activate_totp",
    "mfa_deactivate_totp",
    "account_reauthenticate",
    "socialaccount_connections",
}
# Writes only (GET answers 405): their reads are the pages above.
WRITE_ONLY = {
    "api_action_item_undo",
    "record_copy_approve",
    "group_log_today",
    "notice_send_to_guardians",
    "reports_rimp_determine",
    "rimp_approve",
    "api_action_item_done",
    "api_agenda_build",
    "api_agenda_item_move",
    "api_decision_apply",
    "api_group_member_add",
    "api_meeting_attendance",
    "api_meeting_start",
    "api_notice_acknowledge",
    "api_notice_regenerate",
    "api_plan_measure_create",
    "api_plan_phase_create",
    "api_session_bulk",
    "district_switch",
    "group_log_week",
    "notice_acknowledge",
    "notice_regenerate",
    "notice_retry",
    "reports_refresh",
    "reports_subscribe",
    "screening_review_action",
    "sso_provider_delete",
}
# Reads by POST (GET answers 405), so that a name searched for is not in the URL; their
# access-log row is checked in tests/security/test_api_schema.py.
READ_BY_POST = {"api_student_search", "student_search"}
CLASSES = (LOGGED, LOGGED_WHEN_SHOWING_STUDENTS, NO_STUDENT_DATA, WRITE_ONLY, READ_BY_POST)


def _ids(side, route: str) -> dict:
    ids = {p: OBJECT_IDS[p](side) for p in _params(route)}
    if "meeting_id" in ids and "item_id" in ids:
        # `item_id` is a screening review item elsewhere; here it is the meeting's agenda item.
        from tests.interventions.tenancy_objects import _objects

        ids["item_id"] = _objects(side)["item"].pk
    return ids


def _rows(side) -> list[AccessLog]:
    with tenant_context(side.district):
        return list(AccessLog.objects.filter(district=side.district).order_by("pk"))


def test_it_classifies_every_route():
    # The portal's pages log the family's reads: tests/notifications/test_portal_access.py.
    names = {name for _, name in _routes()} - PUBLIC - PORTAL
    classified = set().union(*CLASSES)
    assert names - classified == set(), "classify these routes in this file (do they show students?)"
    assert classified - names == set(), "these routes no longer exist"
    assert sum(len(c) for c in CLASSES) == len(classified), "a route is in two classes"


@pytest.mark.django_db
def test_it_writes_one_access_log_row_per_read_of_student_data(world, client):
    side = world.a
    client.force_login(side.district_admin)
    for route, name in _routes():
        if name in PUBLIC or name in PORTAL:
            continue
        url = _url(route, _ids(side, route))
        before = len(_rows(side))
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        new = _rows(side)[before:]
        if name in WRITE_ONLY or name in READ_BY_POST:
            assert response.status_code == 405, (name, response.status_code)
            assert new == [], name
        elif name in LOGGED:
            assert response.status_code == 200, (name, response.status_code)
            assert len(new) == 1, (name, [(r.action, r.what) for r in new])
            assert new[0].user == side.district_admin and new[0].path == url, name
        elif name in LOGGED_WHEN_SHOWING_STUDENTS:
            assert len(new) <= 1, (name, [(r.action, r.what) for r in new])
        else:
            assert new == [], (name, [(r.action, r.what) for r in new])


@pytest.mark.django_db
def test_the_three_forms_log_the_student_they_show(world, client):
    from tests.interventions.tenancy_objects import _objects

    side = world.a
    student = side.students[0]
    session = _objects(side)["session"]
    client.force_login(side.district_admin)
    for url, what in (
        (f"/interventions/sessions/{session.pk}/", "session edit"),
        (f"/interventions/students/{student.pk}/plans/new/", "plan form"),
        (f"/students/{student.pk}/guardians/new/", "guardian form"),
    ):
        before = len(_rows(side))
        assert client.get(url).status_code == 200
        [row] = _rows(side)[before:]
        assert (row.what, row.student_ids) == (what, [student.pk]), url


@pytest.mark.django_db
def test_the_rejected_rows_csv_logs_the_students_its_rows_quote(world, client):
    from django.utils import timezone

    from screening.services import import_errors_store
    from students.models import ImportRun

    side = world.a
    twin, other = side.students[0], side.students[1]
    with tenant_context(side.district):
        for student in (twin, other):
            student.state_id = "TN-TWIN"
            student.save(update_fields=["state_id"])
        run = ImportRun.objects.create(
            district=side.district,
            kind="scores",
            format="generic",
            file_name="fall.csv",
            started_at=timezone.now(),
            status=ImportRun.Status.REFUSED,
        )
        import_errors_store(
            district=side.district,
            run=run,
            errors=[
                {
                    "file": "fall.csv",
                    "line": 2,
                    "column": "Student",
                    "reason": ("state id TN-TWIN belongs to several students of the district"),
                },
                {
                    "file": "fall.csv",
                    "line": 3,
                    "column": "Student",
                    "reason": (
                        f"no student with local id or state id {side.students[2].local_id} in the district's roster"
                    ),
                },
                {"file": "fall.csv", "line": 4, "column": "PR", "reason": "120 is outside the range of PR (1..99)"},
            ],
        )
    client.force_login(side.district_admin)
    response = client.get(f"/screening/imports/{run.pk}/errors.csv")
    assert b"TN-TWIN" in b"".join(response.streaming_content)
    [row] = _rows(side)
    assert row.action == "export"
    assert row.student_ids == sorted([twin.pk, other.pk, side.students[2].pk])
