"""Writes for PDSA cycles: create (Plan), update (Do, Study), and the Act decision.

The Act step is adopt, adapt or abandon (the PDSA model LAUSD's interventionists are trained in,
seed 000); it needs what was learned in the Study step (a database constraint too).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions.models import Intervention, InterventionGroup, PdsaCycle
from mtss.models import District, School, User
from mtss.services import audit

FIELDS = (
    "title",
    "level",
    "aim",
    "change_idea",
    "measures",
    "prediction",
    "start_date",
    "study_date",
    "what_happened",
    "what_was_learned",
    "decision",
    "next_steps",
)


def _check(district: District, values: dict, interventions, groups, school: School | None) -> None:
    errors = {}
    for name in ("title", "aim", "change_idea", "measures"):
        if name in values and not str(values[name] or "").strip():
            errors[name] = _("This field is required.")
    start, study = values.get("start_date"), values.get("study_date")
    if isinstance(start, dt.date) and isinstance(study, dt.date) and study < start:
        errors["study_date"] = _("The study date is on or after the start.")
    if values.get("decision") and values["decision"] not in PdsaCycle.Act.values:
        errors["decision"] = _("Choose adopt, adapt or abandon.")
    if values.get("decision") and not str(values.get("what_was_learned") or "").strip():
        errors["what_was_learned"] = _("Say what was learned (Study) before deciding (Act).")
    if school is not None and school.district_id != district.pk:
        errors["school"] = _("Select a valid school.")
    if any(i.district_id != district.pk for i in interventions):
        errors["interventions"] = _("Select valid interventions.")
    if any(g.district_id != district.pk for g in groups):
        errors["groups"] = _("Select valid groups.")
    if school is not None and any(g.school_id != school.pk for g in groups):
        errors["groups"] = _("The groups must be at the cycle's school.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def pdsa_create(
    *,
    district: District,
    actor: User,
    school: School | None,
    owner: User | None = None,
    interventions: list[Intervention] = (),
    groups: list[InterventionGroup] = (),
    baseline: dict | None = None,
    **values,
) -> PdsaCycle:
    values = {k: v for k, v in values.items() if k in FIELDS}
    _check(district, values, interventions, groups, school)
    cycle = PdsaCycle.objects.create(
        district=district,
        school=school,
        owner=owner or actor,
        created_by=actor,
        baseline=baseline or {},
        decided_at=timezone.now() if values.get("decision") else None,
        **values,
    )
    cycle.interventions.set(interventions)
    cycle.groups.set(groups)
    audit(district=district, actor=actor, verb="pdsa.create", obj=cycle, changes={"stage": cycle.stage})
    return cycle


@transaction.atomic
def pdsa_update(
    *,
    district: District,
    actor: User,
    cycle: PdsaCycle,
    interventions: list[Intervention] | None = None,
    groups: list[InterventionGroup] | None = None,
    **values,
) -> PdsaCycle:
    if cycle.district_id != district.pk:
        raise ValidationError(_("Unknown PDSA cycle."))
    values = {k: v for k, v in values.items() if k in FIELDS}
    merged = {name: getattr(cycle, name) for name in FIELDS} | values
    _check(
        district,
        merged,
        interventions if interventions is not None else [],
        groups if groups is not None else [],
        cycle.school,
    )
    before = cycle.stage
    for name, value in values.items():
        setattr(cycle, name, value)
    if cycle.decision and cycle.decided_at is None:
        cycle.decided_at = timezone.now()
    if not cycle.decision:
        cycle.decided_at = None
    cycle.save()
    if interventions is not None:
        cycle.interventions.set(interventions)
    if groups is not None:
        cycle.groups.set(groups)
    audit(district=district, actor=actor, verb="pdsa.update", obj=cycle, changes={"stage": [before, cycle.stage]})
    return cycle
