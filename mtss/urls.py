from django.conf import settings
from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from mtss import (
    api_schema,  # noqa: F401  (registers the OpenAPI auth extension before the schema is generated)
    policy_views,
    views,
)
from mtss.policy_form import sections as policy_sections

urlpatterns = [
    path("", include("reports.home_urls")),  # "My day" composes every app (reports/my_day.py)
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("mtss.sso.urls")),  # single sign-on and MFA (issue 15)
    path("district/switch/", views.district_switch, name="district_switch"),
    path("audit/access/", views.access_log, name="access_log"),
    path("policy/", policy_views.policy_overview, name="policy"),
    path("policy/edit/", policy_views.policy_edit, name="policy_edit"),
    # One route per section of the schema (no free-form id in the URL).
    *[
        path(f"policy/edit/{key}/", policy_views.policy_section_edit, {"section": key}, name="policy_section_edit")
        for key, _title in policy_sections()
    ],
    path("policy/compare/", policy_views.policy_compare, name="policy_compare"),
    path("policy/versions/<int:version_id>/", policy_views.policy_version_detail, name="policy_version"),
    # The district's privacy page and the copies of a student's record (issue 18): reports composes them.
    path("", include("reports.privacy_urls")),
    path("calendar/", include("mtss.calendars.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("students/", include("students.urls")),
    path("students/", include("interventions.student_urls")),
    path("interventions/library/", include("interventions.library.urls")),
    path("interventions/", include("interventions.urls")),
    path("interventions/", include("reports.referral_urls")),
    path("reports/", include("reports.urls")),
    path("screening/", include("screening.urls")),
    path("notices/", include("notifications.urls")),
    # The family portal: its own sign-in, never a staff page (notifications.portal.auth).
    path("family/", include("notifications.portal.urls")),
    path("api/v1/", include("students.api_urls")),
    path("api/v1/", include("interventions.api_urls")),
    path("api/v1/", include("interventions.meetings.api_urls")),
    path("api/v1/", include("notifications.api_urls")),
    path("api/v1/", include("screening.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves Swagger UI's start-up script as a file (no inline script);
    # Swagger UI styles itself inline, so this one page allows inline styles.
    path(
        "api/docs/",
        csp_override({**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api_schema")
        ),
        name="api_docs",
    ),
]
