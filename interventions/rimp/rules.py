"""The RIMP's state and deadline: plain functions, no database (the report and the pages share them).

RULES.md 4.5: "Develop a reading improvement and monitoring plan within 60 days of receiving the
student's diagnostic result"; seed 003 section D: the plan "will be approved by the principal and
placed in the student file and provided to the parent".
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_noop

DEFAULT_DUE_DAYS = 60  # RULES.md 4.5, when a policy names no due_within_days

# The states of a not-on-track student's RIMP, in the order the workflow reaches them.
# Labels are marked for the catalogues and translated where they are shown.
STATES = {
    "due": gettext_noop("Due"),
    "created": gettext_noop("Created (draft)"),
    "approved": gettext_noop("Approved"),
    "sent": gettext_noop("Letter sent"),
    "overdue": gettext_noop("Overdue"),
}


def rimp_due(determined_on: dt.date, within_days: int | None) -> dt.date:
    return determined_on + dt.timedelta(days=within_days or DEFAULT_DUE_DAYS)


def rimp_state(
    *, due: dt.date | None, today: dt.date, status: str | None, letter_sent: bool, approved_on: dt.date | None = None
) -> str:
    """One of STATES.

    A letter sent to the parents: "sent". Approved: "approved". Otherwise the plan is not
    finished ("completed within 60 days", seed 003): past the due date it is "overdue", whether
    there is no RIMP at all or only a draft; before it, "created" (a draft) or "due" (none yet).
    """
    if letter_sent:
        return "sent"
    if status == "approved":
        return "approved"
    if due is not None and today > due:
        return "overdue"
    return "created" if status == "draft" else "due"


def days_late(*, due: dt.date | None, done_on: dt.date | None, today: dt.date) -> int | None:
    """Days past the due date: of the day the plan was approved, or of today while it is not."""
    if due is None:
        return None
    reference = done_on or today
    return (reference - due).days if reference > due else None
