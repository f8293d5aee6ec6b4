"""Team meetings API routes, included under api/v1/ (see interventions/meetings/api.py)."""

from django.urls import path

from interventions.meetings import api

urlpatterns = [
    path("meetings/", api.MeetingListCreate.as_view(), name="api_meeting_list"),
    path("meetings/<int:meeting_id>/", api.MeetingDetail.as_view(), name="api_meeting_detail"),
    path("meetings/<int:meeting_id>/start/", api.MeetingStart.as_view(), name="api_meeting_start"),
    path("meetings/<int:meeting_id>/close/", api.MeetingClose.as_view(), name="api_meeting_close"),
    path("meetings/<int:meeting_id>/agenda/", api.AgendaListCreate.as_view(), name="api_agenda_list"),
    path("meetings/<int:meeting_id>/agenda/build/", api.AgendaBuild.as_view(), name="api_agenda_build"),
    path(
        "meetings/<int:meeting_id>/agenda/<int:item_id>/", api.AgendaItemDetail.as_view(), name="api_agenda_item_detail"
    ),
    path(
        "meetings/<int:meeting_id>/agenda/<int:item_id>/move/",
        api.AgendaItemMove.as_view(),
        name="api_agenda_item_move",
    ),
    path(
        "meetings/<int:meeting_id>/agenda/<int:item_id>/decision/",
        api.DecisionDetail.as_view(),
        name="api_decision_detail",
    ),
    path(
        "meetings/<int:meeting_id>/agenda/<int:item_id>/decision/apply/",
        api.DecisionApply.as_view(),
        name="api_decision_apply",
    ),
    path("meetings/<int:meeting_id>/attendees/", api.AttendeeListCreate.as_view(), name="api_attendee_list"),
    path("meetings/<int:meeting_id>/attendance/", api.MeetingAttendance.as_view(), name="api_meeting_attendance"),
    path("action-items/", api.ActionItemList.as_view(), name="api_action_item_list"),
    path("action-items/<int:action_id>/done/", api.ActionItemDone.as_view(), name="api_action_item_done"),
    path("action-items/<int:action_id>/undo/", api.ActionItemUndo.as_view(), name="api_action_item_undo"),
]
