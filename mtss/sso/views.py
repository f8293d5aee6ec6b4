"""Single sign-on pages: a district's sign-in page, and its administrators' settings page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from mtss.decorators import district_member
from mtss.forms import apply_validation_error
from mtss.models import IdentityProvider
from mtss.sso import providers, selectors, services
from mtss.sso.forms import IdentityProviderForm, PasswordSignInForm
from mtss.tenancy import activate


def _sign_in_url(district, provider: IdentityProvider) -> str:
    key = providers.provider_key(district, provider)
    if provider.kind == IdentityProvider.Kind.SAML:
        return reverse("saml_login", kwargs={"organization_slug": key})
    return reverse("openid_connect_login", kwargs={"provider_id": key})


def district_login(request, district_slug: str):
    """/login/<district>/: the district's single sign-on buttons (and the password form's link
    while the district allows passwords). Open to anyone, as the sign-in page is."""
    district = selectors.district_by_slug(district_slug)
    activate(district=district.pk)  # read this district's providers (row-level security)
    idps = list(selectors.identity_provider_list(district=district, enabled_only=True))
    buttons = [{"name": p.name, "url": _sign_in_url(district, p)} for p in idps]
    response = render(
        request,
        "mtss/sso/district_login.html",
        {"sso_district": district, "buttons": buttons, "next": request.GET.get("next", "")},
    )
    # The buttons post here and are redirected on to the provider: CSP's form-action covers
    # that redirect, so it names this district's providers' origins (and only on this page).
    origins = sorted({o for o in (providers.sign_in_origin(p) for p in idps) if o})
    if origins:
        csp = dict(settings.SECURE_CSP)
        csp["form-action"] = [*csp["form-action"], *origins]
        response._csp_config = csp
    return response


@district_member("may_configure_sign_in")
def sso_settings(request):
    district = request.district
    idps = list(selectors.identity_provider_list(district=district))
    form = PasswordSignInForm(
        request.POST or None,
        initial={"password_sign_in": district.password_sign_in},
        has_provider=any(p.enabled for p in idps),
    )
    if request.method == "POST" and form.is_valid():
        services.password_sign_in_set(
            district=district, actor=request.user, allowed=form.cleaned_data["password_sign_in"]
        )
        messages.success(request, _("Sign-in settings saved."))
        return redirect("sso_settings")
    sign_in_page = request.build_absolute_uri(reverse("district_login", args=[district.slug]))
    rows = [
        {
            "provider": p,
            "callback": request.build_absolute_uri(_callback_path(district, p)),
            # A SAML IdP is given this district's service-provider metadata (allauth serves it).
            "metadata": request.build_absolute_uri(
                reverse("saml_metadata", kwargs={"organization_slug": providers.provider_key(district, p)})
            )
            if p.kind == IdentityProvider.Kind.SAML
            else "",
        }
        for p in idps
    ]
    return render(request, "mtss/sso/settings.html", {"rows": rows, "form": form, "sign_in_page": sign_in_page})


def _callback_path(district, provider: IdentityProvider) -> str:
    key = providers.provider_key(district, provider)
    if provider.kind == IdentityProvider.Kind.SAML:
        return reverse("saml_acs", kwargs={"organization_slug": key})
    return reverse("openid_connect_callback", kwargs={"provider_id": key})


@district_member("may_configure_sign_in")
def sso_provider_edit(request, idp_id: int | None = None):
    district = request.district
    provider = selectors.identity_provider_get(district=district, provider_id=idp_id) if idp_id else None
    form = IdentityProviderForm(request.POST or None, instance=provider or IdentityProvider(district=district))
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in services.PROVIDER_FIELDS}
        try:
            services.identity_provider_save(
                district=district, actor=request.user, provider=provider, data=data, secret=form.cleaned_data["secret"]
            )
        except ValidationError as error:  # the model's own checks (e.g. a label already used)
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Sign-in provider saved."))
            return redirect("sso_settings")
    return render(request, "mtss/sso/provider_form.html", {"form": form, "provider": provider})


@district_member("may_configure_sign_in")
def sso_provider_delete(request, idp_id: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    provider = selectors.identity_provider_get(district=request.district, provider_id=idp_id)
    services.identity_provider_delete(district=request.district, actor=request.user, provider=provider)
    messages.success(request, _("Sign-in provider removed."))
    return redirect("sso_settings")
