from django.urls import path

from students import api

urlpatterns = [
    path("students/", api.StudentListCreate.as_view(), name="api_student_list"),
    path("students/search/", api.StudentSearch.as_view(), name="api_student_search"),
    path("students/<int:student_id>/", api.StudentDetail.as_view(), name="api_student_detail"),
    path("students/<int:student_id>/guardians/", api.GuardianListCreate.as_view(), name="api_guardian_list"),
]
