"""The meeting's recap (minutes) as a PDF.

The student's referral packet composes screening and the notices sent, so it lives a
layer up, in reports/referral_packet.py.
"""

from __future__ import annotations

from django.utils import timezone

from interventions.meetings.selectors import recap
from interventions.models import Meeting
from mtss.models import District, Membership
from mtss.pdf import render_pdf_cached


def recap_pdf(*, district: District, meeting: Meeting, membership: Membership | None = None) -> bytes:
    """The recap; with a `membership`, students the member may not see are "another student"."""
    context = recap(district=district, meeting=meeting, membership=membership)
    context.update(district=district, generated_at=timezone.now())
    return render_pdf_cached("interventions/pdf/recap.html", context, district_id=district.pk)
