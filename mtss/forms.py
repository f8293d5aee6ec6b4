import re

from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# A POSIX environment variable name (the model fields cap its length): anything else cannot be
# set in a deployment's environment, so a secret named by it could never be read.
ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def secret_env_name(value: str, *, example: str) -> str:
    """The cleaned name of the environment variable that holds a client secret ("" stays "")."""
    name = value.strip()
    if name and not ENV_NAME_RE.fullmatch(name):
        raise ValidationError(
            _("Use letters, digits and underscores, not starting with a digit (e.g. %(example)s)."),
            params={"example": example},
        )
    return name


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("That username and password do not match. Both are case-sensitive."),
        "password_off": _(
            "%(district)s signs its staff in through single sign-on only: use your district's sign-in page."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        from mtss.sso.selectors import password_sign_in_refused

        # Issue 15: "A district can turn password sign-in off for its members."
        district = password_sign_in_refused(user=user)
        if district is not None:
            self.sso_district = district
            raise ValidationError(
                self.error_messages["password_off"], code="password_off", params={"district": district.name}
            )


class QueuedPasswordResetForm(PasswordResetForm):
    """Hand every reset request to a job, whether or not the address has an account.

    Looking the address up and sending the mail in the request made an unknown address
    answer faster than a known one (issue 16: 25 vs 44 ms): the request now does the
    same work either way, and the job (mtss.tasks.password_reset_send) does the rest.
    """

    def save(self, *, domain_override=None, use_https=False, request=None, **kwargs):
        from mtss.jobs import enqueue
        from mtss.tasks import password_reset_send

        domain = domain_override or get_current_site(request).domain
        # A broker outage must not tell the visitor anything either (mtss/jobs.py logs it).
        enqueue(password_reset_send, self.cleaned_data["email"], domain, use_https)


def apply_validation_error(form, error) -> None:
    """Put a service's ValidationError on the form: field errors on their fields, the rest on top.

    The form is then re-rendered with everything the user typed.
    """
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
