from django.urls import path

from screening import api

urlpatterns = [
    path("assessments/", api.AssessmentList.as_view(), name="api_assessment_list"),
    path("windows/", api.WindowListCreate.as_view(), name="api_window_list"),
    path("windows/<int:window_id>/", api.WindowDetail.as_view(), name="api_window_detail"),
    path("scores/", api.ScoreListCreate.as_view(), name="api_score_list"),
    path("scores/<int:score_id>/", api.ScoreDetail.as_view(), name="api_score_detail"),
    path("imports/", api.ImportRunListCreate.as_view(), name="api_import_list"),
    path("imports/<int:run_id>/", api.ImportRunDetail.as_view(), name="api_import_detail"),
]
