"""Route ids of the reports app, for the cross-district URL check (tests/test_tenancy_urls.py)."""

import datetime as dt

from mtss.models import SchoolYear
from mtss.tenancy import tenant_context


def _flag(side) -> int:
    """An early-warning flag of the side's first student (the drill-down's review action)."""
    from students.models import EarlyWarningFlag

    with tenant_context(side.district):
        year = SchoolYear.objects.filter(district=side.district).order_by("-start_date").first()
        student = side.students[0]
        flag, _ = EarlyWarningFlag.objects.get_or_create(
            district=side.district,
            school_year=year,
            student=student,
            indicator=EarlyWarningFlag.Indicator.ATTENDANCE,
            defaults={
                "school": student.school,
                "explanation": "Missed 4 of 32 instructional days (12.5 %).",
                "numbers": {"absent": 4, "days": 32},
                "first_flagged_on": dt.date(2026, 10, 1),
                "computed_on": dt.date(2026, 10, 1),
            },
        )
    return flag.pk


def _record_copy(side) -> int:
    """A guardian's request for a copy of the side's first student's record (issue 18)."""
    from students.models import Guardian
    from students.privacy.models import RecordCopyRequest
    from students.privacy.services import copy_request_create

    with tenant_context(side.district):
        student = side.students[0]
        found = RecordCopyRequest.objects.filter(district=side.district, student=student).first()
        if found is None:
            guardian = Guardian.objects.filter(district=side.district, student=student).first()
            found = copy_request_create(side.district, guardian, student)
    return found.pk


OBJECT_IDS = {
    "school_id": lambda side: side.school.pk,
    "flag_id": _flag,
    "copy_id": _record_copy,
}
