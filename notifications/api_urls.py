from django.urls import path

from notifications import api

urlpatterns = [
    path("notices/", api.NoticeList.as_view(), name="api_notice_list"),
    path("notices/<int:notice_id>/", api.NoticeDetail.as_view(), name="api_notice_detail"),
    path("notices/<int:notice_id>/preview/", api.NoticePreview.as_view(), name="api_notice_preview"),
    path("notices/<int:notice_id>/regenerate/", api.NoticeRegenerate.as_view(), name="api_notice_regenerate"),
    path("notices/<int:notice_id>/acknowledge/", api.NoticeAcknowledge.as_view(), name="api_notice_acknowledge"),
]
