"""The record of disclosures: who outside the school received a student's data, and why.

FERPA, 34 CFR 99.32(a)(1): "An educational agency or institution must maintain a record of each
request for access to and each disclosure of personally identifiable information from the education
records of each student"; (a)(3) the record names "the parties who have requested or received
personally identifiable information" and "the legitimate interests the parties had". (a)(2): it is
kept "as long as the records are maintained", so it goes only with the student's records.

The access log (mtss.AccessLog) records every staff read; this table records what left the
product: exports, referral packets, API clients and copies of the record given to a family.
One row per student disclosed, written set-based (one INSERT for a whole export).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mtss.models import DistrictOwned


class DisclosureChannel(models.TextChoices):
    EXPORT = "export", _("Export (CSV or spreadsheet)")
    REFERRAL_PACKET = "referral_packet", _("Special-education referral packet")
    API_CLIENT = "api_client", _("API client")
    RECORD_COPY = "record_copy", _("Copy of the record")


class Disclosure(DistrictOwned):
    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)
    channel = models.CharField(_("channel"), max_length=20, choices=DisclosureChannel.choices)
    recipient = models.CharField(_("recipient"), max_length=200)
    purpose = models.CharField(_("purpose"), max_length=200)
    what = models.CharField(_("what was disclosed"), max_length=200)
    disclosed_by = models.ForeignKey(
        "mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )

    class Meta:
        ordering = ["-at", "-id"]
        # The student's record of disclosures, newest first (staff page, PDF, portal).
        indexes = [models.Index(fields=["district", "student", "-at"], name="disclosure_student_idx")]

    def __str__(self) -> str:
        return f"disclosure {self.pk}"


def record_copy_path(instance: RecordCopyRequest, filename: str) -> str:
    # Files of one district never share a folder with another's (keyed by the district).
    return f"record-copies/d{instance.district_id}/{filename}"


class RecordCopyRequest(DistrictOwned):
    """A guardian's request for a copy of the student's education record (FERPA 34 CFR 99.10:
    a parent may inspect and review the record; a copy when inspection is otherwise impractical).

    Requested (by the guardian, through the portal) -> approved by staff -> ready (one zip: a PDF
    summary and CSVs, built by a Celery job) -> delivered (downloaded). Each step is on the row;
    the delivery is also a disclosure (channel "record_copy") in the record of disclosures.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved, being prepared")
        READY = "ready", _("Ready")
        DELIVERED = "delivered", _("Delivered")

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="+")
    guardian = models.ForeignKey("students.Guardian", null=True, on_delete=models.SET_NULL, related_name="+")
    guardian_name = models.CharField(_("requested by"), max_length=220)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    approved_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to=record_copy_path, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivered_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-requested_at", "-id"]
        # A student's requests, newest first (the staff page).
        indexes = [models.Index(fields=["district", "student", "-requested_at"], name="recordcopy_student_idx")]

    def __str__(self) -> str:
        return f"record copy {self.pk}"
