from django.urls import path

from interventions import views
from interventions.meetings import urls as meeting_urls

urlpatterns = [
    path("caseload/", views.caseload, {"mine_only": True}, name="caseload"),
    path("my-students/", views.caseload, {"mine_only": False}, name="my_students"),
    path("groups/", views.group_list, name="group_list"),
    path("groups/<int:group_id>/", views.group_detail, name="group_detail"),
    path("groups/<int:group_id>/log-week/", views.group_log_week, name="group_log_week"),
    path("sessions/<int:session_id>/", views.session_edit, name="session_edit"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/sessions/", views.plan_sessions, name="plan_sessions"),
    path("probes/<int:probe_id>/", views.probe_edit, name="probe_edit"),
    path("students/<int:student_id>/plans/new/", views.plan_create, name="plan_create"),
]
# The meeting pages live in interventions/meetings/ but keep their /interventions/ URLs.
urlpatterns += meeting_urls.urlpatterns
