from django.urls import path

from interventions import views
from interventions.cico import urls as cico_urls
from interventions.meetings import urls as meeting_urls
from interventions.referrals import urls as referral_urls
from interventions.rimp import views as rimp_views

urlpatterns = [
    path("caseload/", views.caseload, {"mine_only": True}, name="caseload"),
    path("my-students/", views.caseload, {"mine_only": False}, name="my_students"),
    path("groups/", views.group_list, name="group_list"),
    path("groups/<int:group_id>/", views.group_detail, name="group_detail"),
    path("groups/<int:group_id>/log-today/", views.group_log_today, name="group_log_today"),
    path("groups/<int:group_id>/log-week/", views.group_log_week, name="group_log_week"),
    path("sessions/<int:session_id>/", views.session_edit, name="session_edit"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:plan_id>/end/", views.plan_end, name="plan_end"),
    path("plans/<int:plan_id>/sessions/", views.plan_sessions, name="plan_sessions"),
    path("probes/<int:probe_id>/", views.probe_edit, name="probe_edit"),
    path("students/<int:student_id>/plans/new/", views.plan_create, name="plan_create"),
    # Ohio's reading guarantee (interventions/rimp/).
    path("students/<int:student_id>/rimp/new/", rimp_views.rimp_create, name="rimp_create"),
    path("rimps/<int:rimp_id>/", rimp_views.rimp_detail, name="rimp_detail"),
    path("rimps/<int:rimp_id>/approve/", rimp_views.rimp_approve, name="rimp_approve"),
]
# The meeting pages live in interventions/meetings/ but keep their /interventions/ URLs.
urlpatterns += meeting_urls.urlpatterns
urlpatterns += referral_urls.urlpatterns
urlpatterns += cico_urls.urlpatterns
