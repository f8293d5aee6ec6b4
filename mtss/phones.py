"""Phone numbers: parsed and checked with Google's libphonenumber (`phonenumbers`), stored in
E.164 (+15405551234) so letters, exports and dialers read one format (issue 14: "abc" was
accepted as a phone number). A number without a country code is read in the district's
country; the product serves US districts, so the default region is US.
"""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEFAULT_REGION = "US"


def phone_e164(text: str, *, region: str = DEFAULT_REGION, field: str = "phone") -> str:
    """The number in E.164, "" for an empty value; ValidationError naming `field` when it is not a
    valid phone number."""
    text = (text or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            {
                field: _("“%(value)s” is not a valid phone number; write it like (540) 555-0123 or +1 540 555 0123.")
                % {"value": text}
            }
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
