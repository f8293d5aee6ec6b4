"""Routes of single sign-on: the district sign-in page, the settings page, and the parts of
django-allauth this project uses, mounted under /sso/ (its own password pages are not used:
signing in with a password stays on /accounts/login/)."""

from allauth.account import views as allauth_account_views
from allauth.urls import build_provider_urlpatterns
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic.base import RedirectView

from mtss.sso import views
from mtss.views import LoginView

urlpatterns = [
    path("login/<slug:district_slug>/", views.district_login, name="district_login"),
    path("settings/sign-in/", views.sso_settings, name="sso_settings"),
    path("settings/sign-in/providers/new/", views.sso_provider_edit, name="sso_provider_create"),
    path("settings/sign-in/providers/<int:idp_id>/", views.sso_provider_edit, name="sso_provider_edit"),
    path("settings/sign-in/providers/<int:idp_id>/delete/", views.sso_provider_delete, name="sso_provider_delete"),
    # allauth: MFA (TOTP, recovery codes), re-authentication before changing them, the
    # OpenID Connect and SAML endpoints, and the names its templates link to.
    path("sso/2fa/", include("allauth.mfa.urls")),
    path("sso/reauthenticate/", allauth_account_views.reauthenticate, name="account_reauthenticate"),
    path("sso/accounts/", include("allauth.socialaccount.urls")),
    path("sso/", include(build_provider_urlpatterns())),
    # allauth sends an anonymous visitor to "account_login": the same password page (the first
    # route of this path, in mtss.urls, answers it; this entry only names it for allauth).
    path("accounts/login/", LoginView.as_view(), name="account_login"),
    path("sso/signup/", RedirectView.as_view(pattern_name="login"), name="account_signup"),
    path("sso/logout/", auth_views.LogoutView.as_view(), name="account_logout"),
    path("sso/password/", RedirectView.as_view(pattern_name="password_change"), name="account_change_password"),
]
