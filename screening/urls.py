from django.urls import path

from screening import views

urlpatterns = [
    path("", views.overview, name="screening"),
    path("review/", views.review_queue, name="screening_review"),
    path("review/<int:item_id>/", views.review_item_action, name="screening_review_action"),
    path("entrants/", views.entrants, name="screening_entrants"),
    path("windows/", views.windows, name="screening_windows"),
    path("windows/<int:window_id>/", views.window_edit, name="screening_window_edit"),
    path("catalog/", views.catalog, name="screening_catalog"),
    path("catalog/measures/<int:measure_id>/", views.measure_edit, name="screening_measure_edit"),
    path("mappings/", views.mappings, name="screening_mappings"),
    path("mappings/<int:mapping_id>/", views.mapping_edit, name="screening_mapping_edit"),
    path("imports/", views.imports, name="screening_imports"),
    path("imports/<int:run_id>/", views.import_detail, name="screening_import_detail"),
    path("imports/<int:run_id>/progress/", views.import_progress, name="screening_import_progress"),
    path("imports/<int:run_id>/errors.csv", views.import_errors_csv, name="screening_import_errors"),
]
