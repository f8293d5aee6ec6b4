"""One district's notice objects, for the cross-district URL check (tests/test_tenancy_urls.py)."""

from __future__ import annotations


def _objects(side) -> dict:
    cached = side.__dict__.get("_notice_objects")
    if cached is not None:
        return cached

    from django.core.files.base import ContentFile

    from mtss.tenancy import tenant_context
    from notifications.models import PrintBatch
    from tests.notifications.helpers import sample_notice

    with tenant_context(side.district):
        guardian = side.students[0].guardians.first()
        notice = sample_notice(
            district=side.district,
            student=side.students[0],
            letter_type="start_of_year",
            language="es",
            guardian=guardian,
            period_key="tenancy",
            save=True,
        )
        batch = PrintBatch.objects.create(
            district=side.district, school=side.school, letter_count=0, status=PrintBatch.Status.DONE
        )
        batch.pdf.save(f"d{side.district.pk}/tenancy-{batch.pk}.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    objects = {"notice": notice, "batch": batch}
    side.__dict__["_notice_objects"] = objects
    return objects


OBJECT_IDS = {
    "notice_id": lambda side: _objects(side)["notice"].pk,
    "batch_id": lambda side: _objects(side)["batch"].pk,
}
