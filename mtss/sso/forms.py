"""The sign-in settings page's forms: one provider, and the district's password policy."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from mtss.forms import secret_env_name
from mtss.models import IdentityProvider
from mtss.sso import providers

Kind = IdentityProvider.Kind
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class IdentityProviderForm(forms.ModelForm):
    secret = forms.CharField(
        label=_("client secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Stored encrypted and never shown again. Leave empty to keep the stored one."),
    )
    allowed_domains = forms.CharField(
        label=_("allowed e-mail domains"),
        help_text=_("Separated by commas, e.g. staff.example.k12.us, example.k12.us. Other domains are refused."),
    )

    class Meta:
        model = IdentityProvider
        fields = [
            "kind",
            "name",
            "enabled",
            "client_id",
            "secret",
            "client_secret_env",
            "server_url",
            "tenant",
            "saml_metadata_url",
            "saml_metadata_xml",
            "allowed_domains",
            "sourced_id_claim",
        ]
        widgets = {"saml_metadata_xml": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client_id"].help_text = _(
            "OpenID Connect: the client id. SAML with a metadata URL: the IdP entity id."
        )
        if self.instance.pk:
            self.initial["allowed_domains"] = ", ".join(self.instance.allowed_domains)

    def clean_allowed_domains(self) -> list[str]:
        domains = [d.strip().lower().lstrip("@") for d in re.split(r"[,\s]+", self.cleaned_data["allowed_domains"])]
        domains = [d for d in domains if d]
        bad = [d for d in domains if not DOMAIN_RE.match(d)]
        if bad:
            raise ValidationError(_("Not a domain: %(bad)s."), params={"bad": ", ".join(bad)})
        if not domains:
            raise ValidationError(_("Name at least one domain."))
        return sorted(set(domains))

    def clean_client_secret_env(self) -> str:
        return secret_env_name(self.cleaned_data["client_secret_env"], example="SSO_GOOGLE_SECRET")

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        errors = {}
        if kind in providers.OIDC_KINDS:
            if not data.get("client_id"):
                errors["client_id"] = _("The provider's client id is required.")
            has_secret = data.get("secret") or data.get("client_secret_env") or self.instance.client_secret_encrypted
            if not has_secret:
                errors["secret"] = _("Enter the client secret, or the environment variable that holds it.")
            if kind == Kind.OIDC and not data.get("server_url"):
                errors["server_url"] = _("The issuer URL is required for this kind.")
            if kind == Kind.ENTRA and not data.get("tenant"):
                errors["tenant"] = _("The Entra directory (tenant) id is required.")
        elif kind == Kind.SAML:
            if not data.get("saml_metadata_url") and not (data.get("saml_metadata_xml") or "").strip():
                errors["saml_metadata_url"] = _("Give the IdP metadata URL or paste its XML.")
            elif data.get("saml_metadata_url") and not (data.get("saml_metadata_xml") or "").strip():
                if not data.get("client_id"):
                    errors["client_id"] = _("With a metadata URL, give the IdP entity id here.")
            else:
                probe = IdentityProvider(kind=kind, saml_metadata_xml=data["saml_metadata_xml"])
                try:
                    providers.saml_idp_settings(probe)
                except ValidationError as error:
                    errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
        return data


class PasswordSignInForm(forms.Form):
    password_sign_in = forms.BooleanField(label=_("Members may also sign in with a password"), required=False)

    def __init__(self, *args, has_provider: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_provider = has_provider

    def clean_password_sign_in(self) -> bool:
        allowed = self.cleaned_data["password_sign_in"]
        if not allowed and not self.has_provider:
            # Nobody could sign in at all: keep passwords until a provider is enabled.
            raise ValidationError(_("Enable a single sign-on provider first: without one nobody could sign in."))
        return allowed
