"""REST API for parent notices: list, detail, preview (HTML or PDF, any language),
regenerate, mark acknowledged. Thin views over notifications.selectors/services;
a notice of another district or of a student the user may not see answers 404."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from mtss import access_log
from mtss.api_params import param_choice, param_int
from mtss.api_permissions import require
from notifications import selectors, services
from notifications.languages import LANGUAGES
from notifications.letters.pdf import html_to_pdf
from notifications.letters.render import letter_context, render_html
from notifications.models import LetterType, Notice, NoticeEvent, NoticeStatus


class NoticeEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = NoticeEvent
        fields = ["at", "verb", "status", "note", "actor"]


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = [
            "id",
            "student",
            "school",
            "guardian",
            "recipient_name",
            "channel",
            "notice_key",
            "letter_type",
            "trigger",
            "title",
            "content_blocks",
            "period_key",
            "language",
            "rendered_language",
            "fallback_reason",
            "catalogue_reviewed",
            "status",
            "attempts",
            "last_error",
            "due_date",
            "meeting_id",
            "tier",
            "created_at",
            "generated_at",
            "sent_at",
            "acknowledged_at",
        ]
        read_only_fields = fields


class NoticeDetailSerializer(NoticeSerializer):
    events = serializers.SerializerMethodField()

    class Meta(NoticeSerializer.Meta):
        fields = NoticeSerializer.Meta.fields + ["events"]

    def get_events(self, notice) -> list[dict]:
        return NoticeEventSerializer(selectors.notice_events(district=notice.district, notice=notice), many=True).data


class NoticeList(generics.ListAPIView):
    serializer_class = NoticeSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str),
            OpenApiParameter("type", str),
            OpenApiParameter("school", int),
            OpenApiParameter("student", int),
        ]
    )
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        access_log.record(
            request._request,
            action="api_list",
            what="notices",
            student_ids=[row["student"] for row in response.data.get("results", [])],
        )
        return response

    def get_queryset(self):
        request = self.request
        filters = selectors.NoticeFilters(
            status=param_choice(request.query_params, "status", NoticeStatus.values),
            letter_type=param_choice(request.query_params, "type", LetterType.values),
            school_id=param_int(request.query_params, "school"),
            student_id=param_int(request.query_params, "student"),
        )
        return selectors.notice_list(district=request.district, membership=request.membership, filters=filters)


class NoticeDetail(APIView):
    serializer_class = NoticeDetailSerializer

    def get(self, request, notice_id: int):
        notice = selectors.notice_get(district=request.district, membership=request.membership, notice_id=notice_id)
        access_log.record(request._request, action="api_view", what="notice", student_ids=[notice.student_id])
        return Response(NoticeDetailSerializer(notice).data)


class NoticePreview(APIView):
    """The letter in any catalogued language: HTML (default) or PDF (`format=pdf`), not stored."""

    @extend_schema(
        parameters=[OpenApiParameter("lang", str), OpenApiParameter("output", str, enum=["html", "pdf"])],
        responses={(200, "text/html"): str, (200, "application/pdf"): bytes},
    )
    def get(self, request, notice_id: int):
        notice = selectors.notice_get(district=request.district, membership=request.membership, notice_id=notice_id)
        lang = param_choice(request.query_params, "lang", list(LANGUAGES))
        output = param_choice(request.query_params, "output", ["html", "pdf"]) or "html"
        context = letter_context(district=request.district, notice=notice, language=lang, strict=False)
        access_log.record(request._request, action="api_view", what="notice preview", student_ids=[notice.student_id])
        html = render_html(context)
        headers = {
            "Content-Language": context["lang"].bcp47,
            "X-Letter-Language": context["language"],
            "X-Letter-Fallback": context["fallback"] or "",
            "X-Letter-Missing-Blocks": ",".join(m.block for m in context["missing"]),
        }
        if output == "pdf":
            return HttpResponse(html_to_pdf(html), content_type="application/pdf", headers=headers)
        return HttpResponse(html, content_type="text/html; charset=utf-8", headers=headers)


class _NoticeAction(APIView):
    # Not `action`: DRF and drf-spectacular read that name as the view's action string.
    service = None
    rule = ""

    @extend_schema(request=None, responses=NoticeSerializer)
    def post(self, request, notice_id: int):
        notice = selectors.notice_get(district=request.district, membership=request.membership, notice_id=notice_id)
        require(request, type(self).rule, notice)
        try:
            type(self).service(district=request.district, notice=notice, actor=request.user)
        except DjangoValidationError as error:
            raise serializers.ValidationError(
                error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages}
            ) from None
        notice.refresh_from_db()
        return Response(NoticeSerializer(notice).data)


class NoticeRegenerate(_NoticeAction):
    service = staticmethod(services.notice_regenerate)
    rule = "may_regenerate_notice"


class NoticeAcknowledge(_NoticeAction):
    service = staticmethod(services.notice_acknowledge)
    rule = "may_acknowledge_notice"
