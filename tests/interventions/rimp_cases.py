"""Ohio's reading-guarantee case shared by the RIMP tests and the browser walk."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from mtss.models import SchoolYear
from mtss.tenancy import tenant_context
from tests import factories as f
from tests.reports.cases import load_policy

SECTIONS = {
    "deficiency": "Phonemic awareness and decoding of short vowels.",
    "supplemental_instruction": "Small-group phonics, 30 minutes daily.",
    "monitoring": "Weekly aimswebPlus oral reading fluency probes.",
    "parent_involvement": "Reading at home 15 minutes a night with the decodable books sent home.",
}


def ohio_case(world):
    """Ohio's policy (RIMP due in 60 days, approved by the principal) and fall reading diagnostics.

    | student | grade | fall diagnostic (days ago) | tier | rating       | RIMP due           |
    | Kim     | 1     | 20                         | 2    | not on track | in 40 days         |
    | Lee     | 2     | 30                         | 1    | on track     |                    |
    | Max     | 3     | 70                         | 3    | not on track | 10 days ago        |
    | Ned     | 5     | 30                         | 2    | (grade 5: no determination)     |
    | Oli     | 1     | none                       |      | not assessed: no determination  |
    """
    from screening.models import Assessment, Measure, Score, ScreeningWindow

    side = world.a
    load_policy(side, "ohio-virtual-academy")
    today = timezone.localdate()
    with tenant_context(side.district):
        year = SchoolYear.objects.get(district=side.district, name="2026-2027")
        assessment = Assessment.objects.create(district=side.district, key="aimsweb", name="aimswebPlus")
        measure = Measure.objects.create(
            district=side.district, assessment=assessment, key="orf", name="ORF", subject="reading", score_type="raw"
        )
        window = ScreeningWindow.objects.create(
            district=side.district,
            school_year=year,
            season="fall",
            start_date=today - dt.timedelta(days=90),
            end_date=today - dt.timedelta(days=5),
        )
    kids = {}
    for name, grade in (("Kim", 1), ("Lee", 2), ("Max", 3), ("Ned", 5), ("Oli", 1)):
        kids[name] = f.make_student(side.district, side.school, last_name=name, grade=grade)
        f.make_guardian(kids[name])
    with tenant_context(side.district):
        for name, days, tier in (("Kim", 20, 2), ("Lee", 30, 1), ("Max", 70, 3), ("Ned", 30, 2)):
            Score.objects.create(
                district=side.district,
                student=kids[name],
                measure=measure,
                window=window,
                school=side.school,
                grade=kids[name].grade,
                test_date=today - dt.timedelta(days=days),
                score=20 + 10 * tier,
                tier=tier,
                area="reading",
            )
    return {"side": side, "year": year, "kids": kids, "today": today}
