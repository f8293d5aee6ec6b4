from django.urls import path

from interventions.cico import views

urlpatterns = [
    path("plans/<int:plan_id>/point-card/", views.point_card, name="point_card"),
    path("plans/<int:plan_id>/point-card/setup/", views.point_card_setup, name="point_card_setup"),
]
