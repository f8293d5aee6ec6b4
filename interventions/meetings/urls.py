"""Meeting pages, served under /interventions/ (added to interventions/urls.py)."""

from django.urls import path

from interventions.meetings import views

urlpatterns = [
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:meeting_id>/items/<int:item_id>/", views.agenda_item, name="agenda_item"),
    path("meetings/<int:meeting_id>/recap.pdf", views.meeting_recap, name="meeting_recap"),
    path("meetings/<int:meeting_id>/close/", views.meeting_close, name="meeting_close"),
    path("tasks/", views.my_tasks, name="my_tasks"),
]
