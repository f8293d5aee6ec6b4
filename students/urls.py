from django.urls import path

from students import views

urlpatterns = [
    path("", views.student_list_view, name="student_list"),
    path("search/", views.student_search_view, name="student_search"),
    path("new/", views.student_create_view, name="student_create"),
    # <int:student_id>/ (the record page) is interventions/student_urls.py: it composes plans and meetings.
    path("<int:student_id>/edit/", views.student_edit_view, name="student_edit"),
    path("<int:student_id>/guardians/new/", views.guardian_create_view, name="guardian_create"),
    path("<int:student_id>/consultations/new/", views.consultation_create_view, name="consultation_create"),
    path("roster-sync/", views.roster_sync_view, name="roster_sync"),
]
