"""The family portal's routes, under /family/ (mtss.urls)."""

from django.urls import path

from notifications.portal import views

urlpatterns = [
    path("", views.home, name="portal_home"),
    path("sign-in/", views.sign_in, name="portal_sign_in"),
    path("sign-out/", views.sign_out, name="portal_sign_out"),
    path("sign-in/link/", views.magic_link_request, name="portal_magic_link_request"),
    path("sign-in/link/<str:token>/", views.magic_link_use, name="portal_magic_link"),
    path("join/", views.invitation_code, name="portal_invitation_code"),
    path("join/<str:token>/", views.invitation_link, name="portal_invitation"),
    path("children/<int:student_id>/", views.child, name="portal_child"),
    path("privacy/", views.privacy, name="portal_privacy"),
    path("children/<int:student_id>/record-copy/", views.copy_request, name="portal_copy_request"),
    path("children/<int:student_id>/messages/", views.message_send, name="portal_message_send"),
    path("children/<int:student_id>/letters/<int:notice_id>/pdf/", views.letter_pdf, name="portal_letter_pdf"),
    path(
        "children/<int:student_id>/letters/<int:notice_id>/acknowledge/",
        views.letter_acknowledge,
        name="portal_letter_acknowledge",
    ),
    path(
        "children/<int:student_id>/meetings/<int:meeting_id>/reply/", views.meeting_reply, name="portal_meeting_reply"
    ),
]
