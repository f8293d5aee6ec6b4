"""The referral packet keeps its /interventions/ URL (included under interventions/ in mtss/urls.py)."""

from django.urls import path

from reports import referral_packet

urlpatterns = [
    path("students/<int:student_id>/referral-packet.pdf", referral_packet.referral_packet, name="referral_packet"),
]
