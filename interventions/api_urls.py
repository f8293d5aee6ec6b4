from django.urls import path

from interventions import api

urlpatterns = [
    path("interventions/", api.InterventionListCreate.as_view(), name="api_intervention_list"),
    path("interventions/<int:intervention_id>/", api.InterventionDetail.as_view(), name="api_intervention_detail"),
    path("placements/", api.PlacementListCreate.as_view(), name="api_placement_list"),
    path("placements/<int:placement_id>/", api.PlacementDetail.as_view(), name="api_placement_detail"),
    path("plans/", api.PlanListCreate.as_view(), name="api_plan_list"),
    path("plans/<int:plan_id>/", api.PlanDetail.as_view(), name="api_plan_detail"),
    path("plans/<int:plan_id>/phases/", api.PlanPhaseCreate.as_view(), name="api_plan_phase_create"),
    path("plans/<int:plan_id>/probes/", api.PlanProbes.as_view(), name="api_plan_probes"),
    path("groups/", api.GroupListCreate.as_view(), name="api_group_list"),
    path("groups/<int:group_id>/", api.GroupDetail.as_view(), name="api_group_detail"),
    path("groups/<int:group_id>/members/", api.GroupMemberAdd.as_view(), name="api_group_member_add"),
    path("sessions/", api.SessionListCreate.as_view(), name="api_session_list"),
    path("sessions/bulk/", api.SessionBulkCreate.as_view(), name="api_session_bulk"),
    path("sessions/<int:session_id>/", api.SessionDetail.as_view(), name="api_session_detail"),
]
