"""“My day”: what each member's home page shows today (issue 14, item 3).

| who (mtss/permissions.py rule)              | sees                                                    |
|---------------------------------------------|---------------------------------------------------------|
| keeps a caseload (`may_keep_caseload`)      | today's groups, logged or not; probes due; reviews due; |
|                                             | students placed above Tier 1 with no plan               |
| a school supervisor (`may_view_fidelity`)   | plans below the fidelity threshold, upcoming meetings,  |
|                                             | overdue team reviews                                    |
| a teacher                                   | their students in intervention                          |
| imports (`may_manage_screening`)            | the latest imports                                      |
| letter failures (`may_edit_letter_settings`)| notices needing attention (failed, or no address)       |
| the policy (`may_edit_policy`)              | the policy versions, the one in effect marked           |
| everyone                                    | their open action items; the reminders below            |

The reminders repeat today what the weekly e-mail says (notifications/reminders.py: overdue
progress probes and team reviews due, counted over the plans the member provides), so a
member who missed the e-mail still sees it. The plans are evaluated once (the caseload's
selector): the page runs a fixed number of queries whatever the number of plans, groups,
students or schools (tests/reports/test_my_day.py).

This module sits in reports, the top layer, because the home page composes every app.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from interventions.meetings.selectors import open_tasks_for, upcoming_meetings
from interventions.selectors import (
    CaseloadRow,
    GroupDay,
    caseload_rows,
    groups_on,
    my_groups,
    needing_plan,
    needing_plan_count,
)
from mtss.models import District, Membership, Role
from mtss.permissions import SEES_WHOLE_DISTRICT, allowed
from mtss.selectors import policy_current, policy_versions
from notifications.models import Channel, Notice, NoticeStatus
from screening.selectors import import_runs

#: Rows a home-page list shows; the rest is one link away (caseload, meetings, notices ...).
LIST_LIMIT = 8


@dataclass
class Section:
    rows: list
    total: int

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.rows))


def _section(rows: list, limit: int = LIST_LIMIT) -> Section:
    return Section(rows=rows[:limit], total=len(rows))


@dataclass
class Reminder:
    """One line of the in-app notification list: what the weekly e-mail would say today."""

    kind: str
    count: int


@dataclass
class MyDay:
    today: dt.date
    groups: list[GroupDay] | None = None
    probes_due: Section | None = None
    reviews_due: Section | None = None
    needing_plan: Section | None = None
    fidelity_exceptions: Section | None = None
    overdue_reviews: Section | None = None
    meetings: Section | None = None
    in_intervention: Section | None = None
    imports: list | None = None
    notices: Section | None = None
    policy_versions: list | None = None
    policy_current_id: int | None = None
    tasks: Section = field(default_factory=lambda: Section([], 0))
    reminders: list[Reminder] = field(default_factory=list)

    def student_ids(self) -> list[int]:
        """Every student named on the page, for the access log."""
        ids: set[int] = set()
        for section in (self.probes_due, self.reviews_due, self.fidelity_exceptions, self.overdue_reviews):
            if section:
                ids.update(row.plan.student_id for row in section.rows)
        for section in (self.needing_plan, self.notices):
            if section:
                ids.update(row.student_id for row in section.rows)
        if self.in_intervention:
            ids.update(student.pk for student, _rows in self.in_intervention.rows)
        return sorted(ids)


def _needs_attention() -> Q:
    """Notices a district administrator must look at: delivery failed, or nowhere to deliver
    (an e-mail without an address, a printed letter without a postal address)."""
    waiting = Q(status__in=[NoticeStatus.PENDING, NoticeStatus.GENERATED])
    return (
        Q(status=NoticeStatus.FAILED)
        | (waiting & Q(channel=Channel.EMAIL, email=""))
        | (waiting & Q(channel=Channel.PRINT, address=""))
    )


def _reminders(rows: list[CaseloadRow], user_id: int) -> list[Reminder]:
    mine = [r for r in rows if r.plan.provider_id == user_id]
    reminders = [
        Reminder("overdue_probes", sum(1 for r in mine if r.probe_overdue)),
        Reminder("reviews_due", sum(1 for r in mine if r.review_due)),
    ]
    return [r for r in reminders if r.count]


def my_day(*, district: District, membership: Membership, today: dt.date | None = None) -> MyDay:
    today = today or timezone.localdate()
    day = MyDay(today=today)
    keeps_caseload = allowed(membership, "may_keep_caseload")
    # A school's supervisor (a principal). A district administrator may open the fidelity
    # dashboard too, but evaluating every plan of a district on each home view would not scale:
    # the district dashboard is theirs.
    supervises = allowed(membership, "may_view_fidelity") and membership.role not in SEES_WHOLE_DISTRICT
    teaches = membership.role == Role.TEACHER

    rows: list[CaseloadRow] = []
    if keeps_caseload or supervises or teaches:
        # One evaluation of the plans serves every list below (a fixed number of queries).
        rows = caseload_rows(district=district, membership=membership, mine_only=keeps_caseload, as_of=today)
    day.reminders = _reminders(rows, membership.user_id)

    if keeps_caseload:
        groups = list(my_groups(district=district, membership=membership))
        day.groups = [g for g in groups_on(district=district, groups=groups, day=today) if g.meets]
        due = [r for r in rows if r.next_probe and r.next_probe <= today]
        day.probes_due = _section(sorted(due, key=lambda r: (r.next_probe, r.plan.student.last_name)))
        day.reviews_due = _section([r for r in rows if r.review_due])
        day.needing_plan = Section(
            rows=needing_plan(district=district, membership=membership, limit=LIST_LIMIT),
            total=needing_plan_count(district=district, membership=membership),
        )

    if supervises:
        low = [r for r in rows if (f := r.result.finding("fidelity")) is not None and f.status == "low"]
        day.fidelity_exceptions = _section(low)
        day.overdue_reviews = _section([r for r in rows if r.review_due])
        start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
        meetings = upcoming_meetings(district=district, membership=membership, since=start)
        day.meetings = Section(rows=list(meetings[:LIST_LIMIT]), total=meetings.count())

    if teaches:
        by_student: dict[int, tuple] = {}
        for row in rows:
            student = row.plan.student
            by_student.setdefault(student.pk, (student, []))[1].append(row)
        students = sorted(by_student.values(), key=lambda pair: (pair[0].last_name, pair[0].first_name))
        day.in_intervention = _section(students, limit=50)

    if allowed(membership, "may_manage_screening"):
        day.imports = list(import_runs(district=district)[:5])
    if allowed(membership, "may_edit_letter_settings"):
        notices = Notice.objects.filter(district=district).filter(_needs_attention())
        day.notices = Section(
            rows=list(notices.select_related("student", "school").order_by("-created_at")[:LIST_LIMIT]),
            total=notices.count(),
        )
    if allowed(membership, "may_edit_policy"):
        day.policy_versions = list(policy_versions(district=district)[:5])
        current = policy_current(district=district, as_of=today)
        day.policy_current_id = current.pk if current else None

    tasks = open_tasks_for(district=district, user=membership.user)
    day.tasks = Section(rows=list(tasks[:LIST_LIMIT]), total=tasks.count())
    return day
