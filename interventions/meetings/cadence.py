"""The policy's meeting rules, review windows, parent consultations and tier moves, as
plain functions of the policy document and a student's dates (no queries here: the
agenda builder, the student record and the decision code pass the data in).

Sources of the rules read here (the policy presets quote them in their notes):

* Holland Patent (seed 001): "Students who receive below a level 3 on a NYS assessment in
  grades 4-8 will, following a minimum of two quarters of RtI services, will be reviewed to
  determine if services should be continued" (``meetings[].event: time_in_tier``,
  ``after_quarters: 2``, ``grades: 4-8``); high school "will have an AIS Plan that will be
  reviewed and monitored semi-annually" (``event: periodic``, ``every_quarters: 2``);
  parents have "an opportunity to consult with the student's general education teacher(s)
  and other staff providing RtI services at least once per quarter"
  (``parent_contact.consultations_per_quarter``).
* Loudon County (seed 002): the S-Team reviews after 9-12 weeks (``review.first_after_weeks: 9``
  with ``window_weeks: 3``), the teacher "evaluate[s] the data weekly"
  (``review.data_check_every_weeks: 1``); the final S-Team meeting invites the school
  psychologist (``meetings[].invite_roles``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

from mtss.policy.adapters import rule_config
from mtss.rules import engine

# A quarter is nine weeks of a 36-week school year (the progress-report schedule in
# notifications/services.py counts quarters the same way).
QUARTER_WEEKS = 9


def _weeks(rule_weeks: float | None, rule_quarters: int | None) -> float | None:
    if rule_weeks is not None:
        return rule_weeks
    return rule_quarters * QUARTER_WEEKS if rule_quarters is not None else None


def _date(day: dt.date) -> str:
    return day.isoformat()


def team_matches(rule_team: str, team_type: str) -> bool:
    """A policy team ("s-team", "sbit") meets as the meeting type of the same name; a team
    with no meeting type of its own ("grade-level-team", "cse") meets in any meeting."""
    from interventions.models import TeamType

    key = rule_team.replace("-", "_")
    return key == team_type or key not in TeamType.values


def invitations(policy, rule=None, *, referral: bool = False) -> list[str]:
    """Who is invited to a meeting the rule calls: parents when both the rule and
    ``parent_contact.invited_to_meetings`` say so, then the rule's roles (and, for a referral,
    the referral's roles: Loudon invites the school psychologist)."""
    invite: list[str] = []
    parents = rule.parents_invited if rule is not None else True
    if parents and policy.parent_contact.invited_to_meetings:
        invite.append(_("parents"))
    roles = list(rule.invite_roles) if rule is not None else []
    if referral:
        roles += list(policy.special_education_referral.invite_roles)
    for role in roles:
        if role not in invite:
            invite.append(role)
    return invite


def _reason(code: str, text: str, *, rule=None, invite: list[str] | None = None) -> dict:
    reason = {"code": code, "text": text}
    if rule is not None:
        reason["rule"] = rule.key
    if invite:
        reason["invite"] = invite
        reason["text"] = text + " " + _("Invite: %(who)s.") % {"who": ", ".join(invite)}
    return reason


@dataclass(frozen=True)
class StudentDates:
    """What the meeting rules need to know about one student's plan in one area."""

    tier: int
    grade: int
    tier_start: dt.date
    last_reviewed: dt.date | None  # the latest team decision for this student and area
    recommendation: str = ""


def _rule_applies(rule, *, tier: int, grade: int, team_type: str) -> bool:
    return (
        (not rule.tiers or tier in rule.tiers)
        and (not rule.grades or grade in rule.grades)
        and team_matches(rule.team, team_type)
    )


def meeting_rule_reasons(policy, *, team_type: str, area: str, dates: StudentDates, as_of: dt.date) -> list[dict]:
    """The policy's meeting rules (``meetings[]``) that put this student on a meeting's agenda.

    ``time_in_tier``: once ``after_weeks`` / ``after_quarters`` have passed in the tier and no
    team decision has been taken since; ``periodic``: every ``every_weeks`` /
    ``every_quarters`` since the tier started or the last decision; ``tier_start``: a
    placement the team has not discussed since it started; ``placement_change``: the data
    recommend a change of tier (engine.changes_tier); ``tier_end``: the data recommend an
    exit; ``referral_considered``: the data recommend a referral. Each reason names its rule.
    """
    reasons = []

    def reviewed_since(day):
        return dates.last_reviewed is not None and dates.last_reviewed >= day

    changes = False
    if dates.recommendation:
        try:
            changes = engine.changes_tier(rule_config(policy, tier=dates.tier, area=area), dates.recommendation)
        except LookupError:
            changes = False
    for rule in policy.meetings:
        if not _rule_applies(rule, tier=dates.tier, grade=dates.grade, team_type=team_type):
            continue
        if rule.event == "time_in_tier":
            after = _weeks(rule.after_weeks, rule.after_quarters)
            due_on = dates.tier_start + dt.timedelta(weeks=after)
            if as_of >= due_on and not reviewed_since(due_on):
                span = (
                    _("%(n)s quarters") % {"n": rule.after_quarters}
                    if rule.after_weeks is None
                    else _("%(n)s weeks") % {"n": f"{rule.after_weeks:g}"}
                )
                reasons.append(
                    _reason(
                        "meeting_rule",
                        _("%(title)s: %(span)s in Tier %(tier)s since %(start)s (due %(due)s).")
                        % {
                            "title": rule.title,
                            "span": span,
                            "tier": dates.tier,
                            "start": _date(dates.tier_start),
                            "due": _date(due_on),
                        },
                        rule=rule,
                        invite=invitations(policy, rule),
                    )
                )
        elif rule.event == "periodic":
            every = _weeks(rule.every_weeks, rule.every_quarters)
            anchor = max(dates.tier_start, dates.last_reviewed or dates.tier_start)
            due_on = anchor + dt.timedelta(weeks=every)
            if as_of >= due_on:
                span = (
                    _("every %(n)s quarters") % {"n": rule.every_quarters}
                    if rule.every_weeks is None
                    else _("every %(n)s weeks") % {"n": f"{rule.every_weeks:g}"}
                )
                reasons.append(
                    _reason(
                        "meeting_rule",
                        _("%(title)s (%(span)s): due %(due)s.")
                        % {"title": rule.title, "span": span, "due": _date(due_on)},
                        rule=rule,
                        invite=invitations(policy, rule),
                    )
                )
        elif rule.event == "tier_start" and not reviewed_since(dates.tier_start) and dates.tier > 1:
            reasons.append(
                _reason(
                    "meeting_rule",
                    _("%(title)s: Tier %(tier)s started on %(start)s.")
                    % {"title": rule.title, "tier": dates.tier, "start": _date(dates.tier_start)},
                    rule=rule,
                    invite=invitations(policy, rule),
                )
            )
        elif rule.event == "placement_change" and changes:
            reasons.append(
                _reason(
                    "meeting_rule",
                    _("%(title)s: the data recommend a change of tier.") % {"title": rule.title},
                    rule=rule,
                    invite=invitations(policy, rule),
                )
            )
        elif rule.event == "tier_end" and dates.recommendation == "exit":
            reasons.append(
                _reason(
                    "meeting_rule",
                    _("%(title)s: the goal is met.") % {"title": rule.title},
                    rule=rule,
                    invite=invitations(policy, rule),
                )
            )
        elif rule.event == "referral_considered" and dates.recommendation == "refer_evaluation":
            reasons.append(
                _reason(
                    "meeting_rule",
                    _("%(title)s: the data suggest a referral.") % {"title": rule.title},
                    rule=rule,
                    invite=invitations(policy, rule, referral=True),
                )
            )
    return reasons


def event_rule(policy, event: str, *, team_type: str):
    """The first meeting rule for an event held by this meeting's team (after_screening,
    mid_year_entry, parent_request), or None."""
    for rule in policy.meetings:
        if rule.event == event and team_matches(rule.team, team_type):
            return rule
    return None


def review_window(policy, *, tier: int, due: dt.date | None) -> dt.date | None:
    """The last day a due review may take place: the due date plus the tier's
    ``review.window_weeks`` (Loudon: the S-Team meets after 9-12 weeks, 9 + 3)."""
    try:
        review = policy.tier(tier).review
    except LookupError:
        return None
    if due is None or review is None or review.window_weeks is None:
        return None
    return due + dt.timedelta(weeks=review.window_weeks)


def review_reason(policy, *, tier: int, finding, as_of: dt.date) -> dict | None:
    """The agenda reason of a due review (the engine's review_due finding), with the window."""
    if finding is None or finding.status != "due":
        return None
    due = finding.values.get("last_scheduled")
    due_date = dt.date.fromisoformat(due) if due else None
    last_day = review_window(policy, tier=tier, due=due_date)
    if last_day is None:
        return {"code": "review_due", "text": finding.explanation}
    if as_of > last_day:
        return {
            "code": "review_overdue",
            "text": _(
                "The team review was due on %(due)s and the policy allows %(w)s weeks: it is overdue since %(last)s."
            )
            % {"due": due, "w": f"{policy.tier(tier).review.window_weeks:g}", "last": _date(last_day)},
        }
    return {
        "code": "review_due",
        "text": _("A team review was due on %(due)s; the policy allows until %(last)s.")
        % {"due": due, "last": _date(last_day)},
    }


def review_schedule(policy, *, tier: int, tier_start: dt.date, last_reviewed: dt.date | None, as_of: dt.date) -> dict:
    """The next team review and the next informal data check of a student in a tier.

    Reviews: ``first_after_weeks`` after the tier starts, then ``every_weeks``, with
    ``window_weeks`` of slack; data checks every ``data_check_every_weeks`` (Loudon:
    "evaluate the data weekly"). Weeks are calendar weeks here (a planning aid); the
    engine's review_due finding counts instructional weeks.
    """
    out = {"review_due": None, "review_by": None, "next_data_check": None}
    try:
        policy_tier = policy.tier(tier)
    except LookupError:
        return out
    review = policy_tier.review
    if review is None:
        return out
    first = review.first_after_weeks or review.every_weeks
    if first is not None:
        due = tier_start + dt.timedelta(weeks=first)
        while review.every_weeks and last_reviewed is not None and last_reviewed >= due:
            due += dt.timedelta(weeks=review.every_weeks)
        out["review_due"] = due
        out["review_by"] = due + dt.timedelta(weeks=review.window_weeks or 0)
    if review.data_check_every_weeks:
        step = review.data_check_every_weeks * 7
        elapsed = max(0, (as_of - tier_start).days)
        out["next_data_check"] = tier_start + dt.timedelta(days=math.ceil((elapsed + 1) / step) * step)
    return out


def quarter_of(day: dt.date, year_start: dt.date) -> tuple[int, dt.date, dt.date]:
    """(quarter number 1-4, first day, last day) of nine-week quarters from the first day of school."""
    index = min(3, max(0, (day - year_start).days // (QUARTER_WEEKS * 7)))
    first = year_start + dt.timedelta(weeks=QUARTER_WEEKS * index)
    last = first + dt.timedelta(weeks=QUARTER_WEEKS, days=-1) if index < 3 else dt.date.max
    return index + 1, first, last


def consultations_needed(policy) -> int:
    """Parent consultations a quarter for a student receiving services (0: the policy sets none)."""
    return policy.parent_contact.consultations_per_quarter or 0


def decided_tier(policy, *, tier: int, area: str, kind: str) -> int:
    """The tier a team decision leads to, by the policy's tier meanings (issue 12, item 5).

    ``intensify``: ``engine.recommended_tier`` (the next tier, or the same tier in special
    education and, when ``top_tier_intensify`` is "intensify_within_tier", at the top
    general-education tier); ``reduce``: one tier down; ``exit``: Tier 1, except in special
    education, where the IEP team decides (the tier stays).
    """
    if policy is None:
        return {"intensify": tier + 1, "reduce": max(1, tier - 1)}.get(kind, 1)
    try:
        config = rule_config(policy, tier=tier, area=area)
    except LookupError:
        config = None
    if kind == "intensify":
        if config is None:
            return tier + 1
        if config.is_top_tier and not config.is_special_education_tier:
            return tier  # never into special education by a tier move (a referral, or within the tier)
        return engine.recommended_tier(config, "intensify")
    if kind == "reduce":
        return max(1, tier - 1)
    if config is not None and config.is_special_education_tier:
        return tier
    return 1
