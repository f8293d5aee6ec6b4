"""What the district's privacy notice says (issue 18, item 5): what is collected, why, for how long,
and who processes it. It answers what a data-privacy agreement such as the Student Data Privacy
Consortium's National Data Privacy Agreement (NDPA) asks a provider to state: the data elements,
their purpose, their retention and disposal, and the subprocessors. How long comes from the
policy's retention schedule (reports/retention.py applies the same numbers); who processes it from
its sub-processors. Staff read it at /privacy/ (reports.privacy), families in the portal.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from mtss.models import District
from mtss.policy.schema import Privacy
from mtss.selectors import policy_document

# (kind of record of the retention schedule, what is collected, why). None: kept while the student is enrolled
# and with the records it belongs to.
COLLECTED = (
    (
        None,
        _("Identity and enrolment: name, birth date, grade, school, local and state ids, home language"),
        _("To know which students the school serves and in which language to write to the family."),
    ),
    (
        None,
        _("Subgroups: English learner, disability (IEP, 504), foster care, homelessness and others"),
        _("To apply the exemptions and supports the law and the district policy require."),
    ),
    (
        None,
        _("Guardians and contacts: names, relationship, address, phone, e-mail, preferred language"),
        _("To send the notices the policy requires and invite the family to meetings."),
    ),
    (
        "screening_scores",
        _("Screening scores and risk levels"),
        _("To find students who may need support (universal screening)."),
    ),
    (
        "intervention_records",
        _("Intervention plans, sessions, progress-monitoring probes, tier placements and team decisions"),
        _("To deliver and evaluate the support a student receives (MTSS/RtI)."),
    ),
    ("notices", _("Letters and notices to the family, and their delivery"), _("To inform the family, as required.")),
    (
        "access_log",
        _("Access log: which staff member read which student's record, and when"),
        _("To answer who saw a record (FERPA) and detect misuse."),
    ),
    ("staff_messages", _("Reminders e-mailed to staff"), _("To remind staff of due reviews and probes.")),
)
YEARS_AFTER_EXIT = {"screening_scores", "intervention_records", "notices"}


def privacy_notice(*, district: District, today: dt.date) -> dict:
    """The privacy page's content; the guardian portal can render the same."""
    _version, document = policy_document(district=district, as_of=today)
    privacy = document.privacy if document is not None else Privacy()
    retention = privacy.retention
    years = {
        "intervention_records": retention.intervention_records_years_after_exit,
        "screening_scores": retention.screening_scores_years_after_exit,
        "notices": retention.notices_years_after_exit,
        "access_log": retention.access_log_years,
        "staff_messages": retention.staff_messages_years,
    }
    rows = [
        {"what": what, "why": why, "years": years.get(kind), "after_exit": kind in YEARS_AFTER_EXIT}
        for kind, what, why in COLLECTED
    ]
    return {
        "district": district,
        "rows": rows,
        "sub_processors": [
            {"name": p.name, "purpose": p.purpose, "location": p.location} for p in privacy.sub_processors
        ],
        "contact": privacy.contact,
        "automatic_purge": retention.automatic_purge,
    }
