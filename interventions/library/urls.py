from django.urls import path

from interventions.library import views as library_views

urlpatterns = [
    path("", library_views.library_list, name="library_list"),
    path("new/", library_views.library_create, name="library_create"),
    path("<int:intervention_id>/edit/", library_views.library_edit, name="library_edit"),
]
