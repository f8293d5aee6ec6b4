from django.urls import path

from students import views
from students.privacy import views as privacy_views

urlpatterns = [
    path("", views.student_list_view, name="student_list"),
    path("search/", views.student_search_view, name="student_search"),
    path("new/", views.student_create_view, name="student_create"),
    # <int:student_id>/ (the record page) is interventions/student_urls.py: it composes plans and meetings.
    path("<int:student_id>/edit/", views.student_edit_view, name="student_edit"),
    path("<int:student_id>/guardians/new/", views.guardian_create_view, name="guardian_create"),
    path("<int:student_id>/consultations/new/", views.consultation_create_view, name="consultation_create"),
    # The record of disclosures (FERPA 34 CFR 99.32; issue 18).
    path("<int:student_id>/disclosures/", privacy_views.disclosure_list, name="student_disclosures"),
    path("<int:student_id>/disclosures.pdf", privacy_views.disclosure_pdf, name="student_disclosures_pdf"),
    path("roster-sync/", views.roster_sync_view, name="roster_sync"),
]
