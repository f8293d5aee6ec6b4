"""Referral pages, served under /interventions/ (added to interventions/urls.py)."""

from django.urls import path

from interventions.referrals import views

urlpatterns = [
    path("referrals/", views.referral_list, name="referral_list"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="referral_detail"),
]
