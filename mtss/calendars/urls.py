from django.urls import path

from mtss.calendars import views

urlpatterns = [
    path("", views.calendar_page, name="calendar"),
    path("events/new/", views.event_add, name="calendar_event_add"),
    path("events/<int:event_id>/delete/", views.event_delete, name="calendar_event_delete"),
    path("import/", views.ics_upload, name="calendar_import"),
    path("years/new/", views.school_year_add, name="calendar_year_add"),
]
