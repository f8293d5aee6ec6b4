from django.urls import path

from interventions import meeting_views, views

urlpatterns = [
    path("caseload/", views.caseload, {"mine_only": True}, name="caseload"),
    path("my-students/", views.caseload, {"mine_only": False}, name="my_students"),
    path("groups/", views.group_list, name="group_list"),
    path("groups/<int:group_id>/", views.group_detail, name="group_detail"),
    path("groups/<int:group_id>/log-week/", views.group_log_week, name="group_log_week"),
    path("sessions/<int:session_id>/", views.session_edit, name="session_edit"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan_detail"),
    path("students/<int:student_id>/plans/new/", views.plan_create, name="plan_create"),
    path("meetings/", meeting_views.meeting_list, name="meeting_list"),
    path("meetings/<int:meeting_id>/", meeting_views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:meeting_id>/items/<int:item_id>/", meeting_views.agenda_item, name="agenda_item"),
    path("meetings/<int:meeting_id>/recap.pdf", meeting_views.meeting_recap, name="meeting_recap"),
    path("students/<int:student_id>/referral-packet.pdf", meeting_views.referral_packet, name="referral_packet"),
]
