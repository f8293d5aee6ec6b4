from django.urls import path

from notifications import views
from notifications.portal import staff_views as portal_views

urlpatterns = [
    path("", views.notice_list, name="notice_list"),
    path("<int:notice_id>/", views.notice_detail, name="notice_detail"),
    path("<int:notice_id>/pdf/", views.notice_pdf, name="notice_pdf"),
    path("<int:notice_id>/acknowledge/", views.notice_acknowledge, name="notice_acknowledge"),
    path("<int:notice_id>/regenerate/", views.notice_regenerate, name="notice_regenerate"),
    path("<int:notice_id>/retry/", views.notice_retry, name="notice_retry"),
    path("<int:notice_id>/send-to-guardians/", views.notice_send_to_guardians, name="notice_send_to_guardians"),
    path("start-of-year/", views.start_of_year_send, name="notice_start_of_year"),
    path("students/<int:student_id>/", views.student_notices, name="student_notices"),
    path("print/", views.print_center, name="notice_print"),
    path("print/<int:batch_id>/", views.print_batch_detail, name="notice_print_batch"),
    path("print/<int:batch_id>/progress/", views.print_batch_progress, name="notice_print_batch_progress"),
    path("print/<int:batch_id>/pdf/", views.print_batch_pdf, name="notice_print_batch_pdf"),
    path("settings/", views.letter_settings, name="letter_settings"),
    # The family portal, seen by staff (notifications.portal).
    path("students/<int:student_id>/family/", portal_views.student_family, name="portal_student_family"),
    path("family-messages/", portal_views.family_messages, name="portal_family_messages"),
]
