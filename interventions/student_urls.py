"""The student record page keeps its /students/<id>/ URL (included under students/ in mtss/urls.py)."""

from django.urls import path

from interventions import student_record

urlpatterns = [
    path("<int:student_id>/", student_record.student_detail_view, name="student_detail"),
]
