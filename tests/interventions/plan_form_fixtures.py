"""The `flagged` fixture: a student flagged by a screening score, with norms for its measure
(tests/interventions/test_plan_form.py and the plan form's browser test)."""

import pytest

from interventions.models import Intervention
from mtss.tenancy import tenant_context
from screening import services as screening
from screening.models import Measure, NormTable, ReviewItem, Score
from screening.models import NormPoint as NormRow
from tests.screening.helpers import FALL_DAY, setup_district

# Hand-made grade-2 maze norms (made up for the test): the 25th percentile is 40 in
# fall, 58 in winter, 76 in spring.
NORMS = {("fall", 25): 40, ("fall", 50): 55, ("winter", 25): 58, ("winter", 50): 72, ("spring", 25): 76}
LOUDON_DOSAGE = {2: (4, 30), 3: (5, 60)}  # Tier II 4 x 30 min a week, Tier III 5 x 60 (seed 002)
MAZE = "aimsweb three-minute maze probe"  # Loudon's progress measure for the maze


@pytest.fixture
def flagged(world):
    """Loudon's policy, the catalog with R-CBM norms, a program, and student 2 flagged by an
    maze fall score of 30 (percentile 8) waiting in the review queue."""
    side = world.a
    setup_district(side)
    district = side.district
    with tenant_context(district):
        measure = Measure.objects.get(district=district, key="aimsweb-maze")
        table = NormTable.objects.create(
            district=district, measure=measure, kind="percentile", norm="national", name="Test maze norms"
        )
        NormRow.objects.bulk_create(
            NormRow(district=district, table=table, grade=2, season=season, percentile=pct, score=score)
            for (season, pct), score in NORMS.items()
        )
        program = Intervention.objects.create(
            district=district, name="Fundations", area="reading", tiers=[2, 3], evidence_level="essa_3"
        )
    student = side.students[2]
    screening.scores_create_bulk(
        district=district,
        actor=None,
        items=[
            {
                "student": student.pk,
                "measure": "aimsweb-maze",
                "date": FALL_DAY.isoformat(),
                "score": 30,
                "percentile": 8,
            }
        ],
    )
    with tenant_context(district):
        score = Score.objects.get(district=district, student=student)
        item = ReviewItem.objects.get(district=district, score=score)
    assert score.tier >= 2, "the fixture's score must be flagged"
    return {"side": side, "student": student, "item": item, "score": score, "program": program}
