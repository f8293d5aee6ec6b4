"""A tiny, explicit event registry: how a lower layer asks a higher one to act.

The apps are layered (mtss <- students <- screening <- interventions <- notifications
<- reports; tests/test_layers.py); an app imports only apps to its left. When a write
in a lower app must trigger work that a higher app owns (a new policy version means
screening recomputes risk levels; a team decision means notifications queue parent
letters), the lower app *announces* a named event and the higher app *subscribes* to
it in its AppConfig.ready(). Not Django signals: the events are few, named here, and
called explicitly by the service that causes them.

Handlers run synchronously, in the caller's transaction, in the order they subscribed:
what they write commits or rolls back with the caller (the notices outbox), and
anything that leaves the process (a Celery task) must be queued with
transaction.on_commit by the handler.

Events (name: keyword arguments; who announces -> who subscribes):
- POLICY_CHANGED: district_id, effective_from (datetime.date); mtss.services.policy_version_create
  -> screening (recompute the risk levels the new version governs).
- DECISION_NOTICE_DUE: district, student, trigger, period_key, actor, context, meeting, tier;
  interventions.meetings.services.decision_apply -> notifications (queue the notices the
  policy requires for the trigger: tier_start, tier_end, referral_considered).
- MEETING_SCHEDULED: district, meeting, actor; interventions.meetings.services.meeting_create (once per
  meeting of a series) -> notifications (invite the guardians of the students on its agenda).
- AGENDA_STUDENTS_ADDED: district, meeting, student_ids (list[int]), actor;
  interventions.meetings.services.agenda_build / agenda_add -> notifications (invite those students'
  guardians: the policy's `meeting_scheduled` notice).
- MEETING_CLOSED: district, meeting, actor; interventions.meetings.services.meeting_close, after the
  decisions are applied -> notifications (one `meeting_outcome` letter per decided student).
- PLACEMENT_STARTED: district, student, placement, plan, previous_tier (int | None), actor;
  interventions.services.plan_create when the plan opens a new tier placement (the plan form, the
  placement service; a meeting decision announces DECISION_NOTICE_DUE instead) -> notifications
  (the policy's `tier_start` notice: Holland Patent's start notice for a first Tier 2 placement).
- STUDENTS_ENROLLED: district, student_ids (list[int]), actor; students.services.student_create and
  roster_import (the students a roster created) -> notifications (the `mid_year_entry` letter for
  those who entered after the school year's first instructional day).
- GUARDIAN_ADDED: district, guardian, actor; students.services.guardian_create -> notifications (the
  student's notices recorded as "no recipient" are queued for the new guardian).
- NOT_ON_TRACK_DETERMINED: district, student, school_year_key (str), actor;
  interventions.rimp.services.reading_determinations_record (not on track in K-3) -> notifications
  (the policy's `not_on_track` notice, once per student and school year; RULES.md 4.5).
- RIMP_APPROVED: district, rimp, school_year_key (str), actor; interventions.rimp.services.rimp_approve
  -> notifications (queue the RIMP letter to the parents: the plan is "approved by the principal ...
  and provided to the parent", seed 003 section D).
- STUDENT_DATA_DISCLOSED: district, student_ids (list[int]), recipient (str), what (str), actor;
  mtss.access_log.AccessLoggedList when an API client (a bearer token) reads student rows -> students
  (one row per student in the record of disclosures, FERPA 34 CFR 99.32; issue 18).
"""

from __future__ import annotations

from collections.abc import Callable

POLICY_CHANGED = "policy.changed"
DECISION_NOTICE_DUE = "decision.notice_due"
MEETING_SCHEDULED = "meeting.scheduled"
AGENDA_STUDENTS_ADDED = "meeting.agenda_students_added"
MEETING_CLOSED = "meeting.closed"
PLACEMENT_STARTED = "placement.started"
STUDENTS_ENROLLED = "students.enrolled"
GUARDIAN_ADDED = "students.guardian_added"
NOT_ON_TRACK_DETERMINED = "reading.not_on_track_determined"
RIMP_APPROVED = "reading.rimp_approved"
STUDENT_DATA_DISCLOSED = "privacy.student_data_disclosed"
EVENTS = frozenset(
    {
        POLICY_CHANGED,
        DECISION_NOTICE_DUE,
        MEETING_SCHEDULED,
        AGENDA_STUDENTS_ADDED,
        MEETING_CLOSED,
        PLACEMENT_STARTED,
        STUDENTS_ENROLLED,
        GUARDIAN_ADDED,
        NOT_ON_TRACK_DETERMINED,
        RIMP_APPROVED,
        STUDENT_DATA_DISCLOSED,
    }
)

_handlers: dict[str, list[Callable[..., object]]] = {name: [] for name in EVENTS}


def subscribe(name: str, handler: Callable[..., object]) -> None:
    """Call `handler(**kwargs)` whenever `name` is announced; subscribing twice is harmless."""
    if name not in EVENTS:
        raise ValueError(f"Unknown event {name!r}; events are declared in mtss/events.py.")
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def announce(name: str, **kwargs) -> None:
    """Run every handler of `name` now, in the caller's transaction."""
    if name not in EVENTS:
        raise ValueError(f"Unknown event {name!r}; events are declared in mtss/events.py.")
    for handler in _handlers[name]:
        handler(**kwargs)
