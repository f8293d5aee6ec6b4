from django.urls import path

from interventions.api import groups, library, placements, plans, probes, sessions
from interventions.cico import api as cico_api

urlpatterns = [
    path("interventions/", library.InterventionListCreate.as_view(), name="api_intervention_list"),
    path("interventions/<int:intervention_id>/", library.InterventionDetail.as_view(), name="api_intervention_detail"),
    path("placements/", placements.PlacementListCreate.as_view(), name="api_placement_list"),
    path("placements/<int:placement_id>/", placements.PlacementDetail.as_view(), name="api_placement_detail"),
    path("plans/", plans.PlanListCreate.as_view(), name="api_plan_list"),
    path("plans/<int:plan_id>/", plans.PlanDetail.as_view(), name="api_plan_detail"),
    path("plans/<int:plan_id>/phases/", plans.PlanPhaseCreate.as_view(), name="api_plan_phase_create"),
    path("plans/<int:plan_id>/measures/", plans.PlanMeasureCreate.as_view(), name="api_plan_measure_create"),
    path("plans/<int:plan_id>/probes/", probes.PlanProbes.as_view(), name="api_plan_probes"),
    path("plans/<int:plan_id>/point-cards/", cico_api.PlanPointCards.as_view(), name="api_plan_point_cards"),
    path("probes/<int:probe_id>/", probes.ProbeDetail.as_view(), name="api_probe_detail"),
    path("groups/", groups.GroupListCreate.as_view(), name="api_group_list"),
    path("groups/<int:group_id>/", groups.GroupDetail.as_view(), name="api_group_detail"),
    path("groups/<int:group_id>/members/", groups.GroupMemberAdd.as_view(), name="api_group_member_add"),
    path("sessions/", sessions.SessionListCreate.as_view(), name="api_session_list"),
    path("sessions/bulk/", sessions.SessionBulkCreate.as_view(), name="api_session_bulk"),
    path("sessions/<int:session_id>/", sessions.SessionDetail.as_view(), name="api_session_detail"),
]
