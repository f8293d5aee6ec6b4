"""The family's rights (issue 18): the privacy page and the copies of a student's record."""

from django.urls import path

from reports import privacy, record_copy

urlpatterns = [
    path("privacy/", privacy.privacy_page, name="privacy"),
    path("students/<int:student_id>/record-copies/", record_copy.record_copy_list, name="record_copies"),
    path(
        "students/<int:student_id>/record-copies/<int:copy_id>/approve/",
        record_copy.record_copy_approve,
        name="record_copy_approve",
    ),
    path(
        "students/<int:student_id>/record-copies/<int:copy_id>/download/",
        record_copy.record_copy_download,
        name="record_copy_download",
    ),
]
