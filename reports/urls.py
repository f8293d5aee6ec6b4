from django.urls import path

from reports import early_warning, pdsa_views, views

urlpatterns = [
    path("", views.reports_home, name="reports_home"),
    path("fidelity/", views.fidelity_pick, name="reports_fidelity_pick"),
    path("fidelity/<int:school_id>/", views.fidelity, name="reports_fidelity"),
    path("fidelity/<int:school_id>/plans/", views.fidelity_plans, name="reports_fidelity_plans"),
    path("fidelity/<int:school_id>/summary.pdf", views.fidelity_pdf, name="reports_fidelity_pdf"),
    path("fidelity/<int:school_id>/subscribe/", views.subscribe, name="reports_subscribe"),
    path("subscriptions/", views.subscriptions, name="reports_subscriptions"),
    path("district/", views.district_dashboard, name="reports_district"),
    path("district/refresh/", views.refresh_evaluations, name="reports_refresh"),
    path("compliance/building-log/", views.building_log, name="reports_building_log"),
    path("compliance/emis/", views.emis, name="reports_emis"),
    path("compliance/rimp/", views.rimp, name="reports_rimp"),
    path("compliance/rimp/determine/", views.rimp_determine, name="reports_rimp_determine"),
    path("compliance/referral-readiness/", views.referral_readiness, name="reports_referral"),
    path("compliance/program-evaluation/", views.program_evaluation, name="reports_program_evaluation"),
    path("early-warning/", early_warning.dashboard, name="reports_early_warning"),
    path("early-warning/<int:school_id>/", early_warning.school_flags, name="reports_early_warning_school"),
    path("early-warning/flags/<int:flag_id>/review/", early_warning.flag_review, name="reports_early_warning_review"),
    path("pdsa/", pdsa_views.pdsa_list, name="pdsa_list"),
    path("pdsa/new/", pdsa_views.pdsa_create, name="pdsa_create"),
    path("pdsa/<int:cycle_id>/", pdsa_views.pdsa_detail, name="pdsa_detail"),
    path("pdsa/<int:cycle_id>/edit/", pdsa_views.pdsa_edit, name="pdsa_edit"),
]
