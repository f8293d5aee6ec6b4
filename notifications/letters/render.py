"""Turn a Notice into a letter: its data, its HTML (the staff preview and the PDF use
the same template) and its PDF.

Rendering happens inside `translation.override(language)`: the letter's words come
from the gettext catalogues, then the district's LetterText overrides. The progress
graph is the plan page's SVG (interventions.progress.chart_svg) in the same language.
"""

from __future__ import annotations

import base64
import datetime as dt
import mimetypes
import re
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import timezone, translation

from interventions.models import Plan
from interventions.progress import chart_svg
from interventions.selectors import evaluate_plans
from mtss.models import Membership, Role
from mtss.numbers import format_number
from mtss.selectors import policy_document
from notifications.languages import LANGUAGES, info, letter_language
from notifications.letters import blocks as words
from notifications.letters.blocks import BlockMissing, Book, LetterIncomplete, SchoolWords, isolate
from notifications.letters.blocks import gettext as _
from notifications.letters.dates import long_date
from notifications.models import DistrictLanguage, LetterSettings, LetterText, LetterType, Notice
from students.models import LANGUAGES as STUDENT_LANGUAGES


@dataclass
class Facts:
    """What the blocks draw on: the notice, its student, plans with their evaluation."""

    district: object
    notice: Notice
    policy: object
    as_of: dt.date
    language: str
    book: Book
    _plans: list | None = None
    _results: dict = field(default_factory=dict)
    contact: dict = field(default_factory=lambda: {"name": "", "role": "", "email": ""})
    phone: str = ""

    @property
    def context(self) -> dict:
        return self.notice.context or {}

    @property
    def student_name(self) -> str:
        return self.notice.student.full_name

    def plans(self) -> list:
        if self._plans is None:
            self._plans = load_plans(district=self.district, notice=self.notice)
        return self._plans

    def results(self) -> dict:
        if not self._results and self.plans():
            self._results = evaluate_plans(district=self.district, plans=self.plans(), as_of=self.as_of)
        return self._results


def load_plans(*, district, notice: Notice) -> list:
    """The plans a letter speaks about: those named in its context, else the student's
    active plans (an end-of-services letter: the plans of the ending tier, newest first)."""
    # A draft (the next tier's plan an "intensify" drafted) is not a service yet: letters do not speak of it.
    plans = (
        Plan.objects.filter(district=district, student_id=notice.student_id)
        .exclude(status=Plan.Status.DRAFT)
        .select_related("intervention", "provider", "student", "placement")
    )
    ids = (notice.context or {}).get("plan_ids")
    if ids:
        return list(plans.filter(pk__in=ids).order_by("area", "id"))
    if notice.letter_type == LetterType.PLACEMENT_END:
        ending = plans.filter(tier=notice.tier) if notice.tier else plans
        return list(ending.order_by("-start_date", "-id")[:3])
    return list(plans.filter(status=Plan.Status.ACTIVE).order_by("area", "id"))


def _area(key: str, policy=None) -> str:
    if key in words.AREAS:
        return _(words.AREAS[key])
    area = _policy_area(policy, key)
    if area is not None:
        # A district's own area: its translation from the policy, else its English name.
        return area.name_translations.get(translation.get_language(), area.name)
    return key.replace("_", " ").title()


def _policy_area(policy, key: str):
    return next((a for a in getattr(policy, "areas", None) or [] if a.key == key), None)


def _school(f: Facts, text) -> str | SchoolWords:
    """Words the school wrote (staff notes, a district's text without a translation): as
    written in an English letter, else marked as the school's English (issue 18 item 6)."""
    text = str(text or "").strip()
    if not text or f.language == "en":
        return text
    return SchoolWords(text)


def _localized(f: Facts, text: str, translations: dict | None) -> str | SchoolWords:
    """A district's text from the policy in the letter's language, else marked as its English."""
    if translations and translations.get(f.language):
        return translations[f.language]
    return _school(f, text)


def _tier(n) -> str:
    return _("Tier %(n)s") % {"n": n} if n else _("additional support")


def _num(value, decimals: int = 1) -> str:
    """A score as the letter's language writes it (the chart's labels use the same, mtss.numbers)."""
    if value is None:
        return "-"
    value = float(value)
    return format_number(value, translation.get_language(), decimals=0 if value.is_integer() else decimals)


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


# --- the blocks ---------------------------------------------------------------------------------


def _static(key):
    def build(f: Facts) -> dict:
        return {"paragraphs": [f.book(f"block.{key}", words.PARAGRAPHS[f"block.{key}"], student=f.student_name)]}

    return build


def _services(f: Facts) -> dict:
    items = []
    for plan in f.plans():
        if plan.sessions_per_week:
            dose = _("%(sessions)s sessions a week, %(minutes)s minutes each") % {
                "sessions": _num(plan.sessions_per_week),
                "minutes": plan.minutes_per_session,
            }
        else:
            dose = _("%(sessions)s sessions a week, %(minutes)s minutes each") % {
                "sessions": _num((plan.sessions_per_cycle or 0) * 5 / (plan.cycle_days or 5)),
                "minutes": plan.minutes_per_session,
            }
        who = _("with %(provider)s, starting %(date)s") % {
            "provider": _person(plan.provider),
            "date": long_date(plan.start_date, f.language),
        }
        # The program's and the provider's names are proper names: isolated, never translated.
        program = isolate_if_rtl(plan.intervention.name)
        items.append(f"{_area(plan.area, f.policy)}, {_tier(plan.tier)}: {program}, {dose}, {who}.")
    for service in f.context.get("services", []):
        items.append(_tier_service(f, service) if isinstance(service, dict) else _school(f, service))
    if not items:
        raise BlockMissing("summary_of_services", "the student has no active plan and the notice names no services")
    return {"bullets": items}


def isolate_if_rtl(text) -> str:
    return isolate(text) if translation.get_language_bidi() else str(text)


def _tier_service(f: Facts, service: dict) -> str | SchoolWords:
    """What a tier provides (interventions.meetings.services._tier_services), in the letter's
    language: the policy's tier name and description by their translations, else marked."""
    try:
        tier = f.policy.tier(int(service.get("tier")))
    except (AttributeError, LookupError, TypeError, ValueError):
        return _school(f, service.get("text", ""))
    name = _localized(f, tier.name, tier.name_translations)
    description = _localized(f, tier.description, tier.description_translations)
    if isinstance(name, SchoolWords) or isinstance(description, SchoolWords):
        return _school(f, f"{tier.name}. {tier.description}")
    parts = [f"{_area(service.get('area') or '', f.policy)}: {name}"]
    dosage = tier.dosage
    if dosage is not None and dosage.minutes_per_session:
        sessions = dosage.sessions_per_week or (
            (dosage.sessions_per_cycle or 0) * 5 / dosage.cycle_days if dosage.cycle_days else None
        )
        if sessions:
            parts.append(
                _("%(sessions)s sessions a week, %(minutes)s minutes each")
                % {"sessions": _num(sessions), "minutes": dosage.minutes_per_session}
            )
    return ", ".join(parts) + ". " + description


def _reason(f: Facts) -> dict:
    if f.context.get("reason_key") == "plan_placement":
        # A placement made through the plan form: the reason in the family's language, from the
        # plan (its placement's own reason is staff shorthand, issue 18 item 6).
        return {"paragraphs": [_placement_reason(f)]}
    kind = f.context.get("decision")
    if kind in words.DECISIONS and "notes" in f.context:
        # A meeting decision (interventions.meetings.services._notice_context): the decision in the
        # family's language, not its staff label ("Intensify (next tier)"), then the team's own notes.
        paragraphs = [_("The team decided: %(decision)s") % {"decision": _decision_text(kind)}]
        notes = str(f.context.get("notes") or "").strip()
        if notes and f.language == "en":
            paragraphs.append(_("Reason given by the team: %(reason)s") % {"reason": notes})
        elif notes:
            paragraphs.append(_school(f, notes))
        return {"paragraphs": paragraphs}
    reason = f.context.get("reason") or next(
        (p.placement.reason for p in f.plans() if p.placement_id and p.placement and p.placement.reason), ""
    )
    if not reason:
        raise BlockMissing("reason_for_services", "the decision gave no reason")
    if f.language != "en":
        return {"paragraphs": [_school(f, reason)]}
    return {"paragraphs": [_("Reason given by the team: %(reason)s") % {"reason": reason}]}


def _placement_reason(f: Facts) -> str:
    goal = f.context.get("goal") or {}
    text = _(
        "The school team reviewed the scores of %(student)s and found that %(student)s needs more help in "
        "%(area)s than classroom teaching alone gives, so %(student)s will receive %(tier)s support."
    ) % {
        "student": f.student_name,
        "area": _area(f.context.get("area") or "", f.policy).lower(),
        "tier": _tier(f.context.get("to_tier") or f.notice.tier),
    }
    if goal.get("target") is not None and goal.get("date"):
        text += " " + _("The goal is a score of %(goal)s on %(measure)s by %(date)s.") % {
            "goal": _num(goal["target"]),
            "measure": goal.get("measure", ""),
            "date": long_date(dt.date.fromisoformat(str(goal["date"])[:10]), f.language),
        }
    return text


def _tier_change(f: Facts) -> dict:
    if not f.context.get("from_tier") or not f.context.get("to_tier"):
        raise BlockMissing("tier_change", "the notice names no from_tier and to_tier")
    return {
        "paragraphs": [
            _("From %(from)s to %(to)s.") % {"from": _tier(f.context["from_tier"]), "to": _tier(f.context["to_tier"])}
        ]
    }


def _data_collected(f: Facts) -> dict:
    measures = sorted({p.goal_measure for p in f.plans()})
    paragraphs = [
        f.book("block.data_to_be_collected", words.PARAGRAPHS["block.data_to_be_collected"], student=f.student_name)
    ]
    return {"paragraphs": paragraphs, "bullets": measures}


def _criteria(f: Facts) -> dict:
    paragraphs = []
    for plan in f.plans():
        goal = plan.goal_target
        if goal is None:
            continue
        paragraphs.append(
            _("The services end when the goal is reached: %(goal)s on %(measure)s by %(date)s.")
            % {"goal": _num(goal), "measure": plan.goal_measure, "date": long_date(plan.goal_target_date, f.language)}
        )
    if f.context.get("criteria"):
        paragraphs.append(_school(f, f.context["criteria"]))
    if not paragraphs:
        raise BlockMissing("criteria_for_ending", "no plan goal and no criteria in the notice")
    return {"paragraphs": paragraphs}


def _levels(f: Facts) -> dict:
    rows = []
    for plan in f.plans():
        probes = [p for p in f.results()[plan.pk].data.probes if not p.is_baseline]
        if probes:
            rows.append(
                [
                    plan.goal_measure,
                    long_date(probes[-1].date, f.language),
                    _num(probes[-1].score),
                    _num(plan.goal_target),
                ]
            )
    rows += [list(map(str, row)) for row in f.context.get("performance_levels", [])]
    if not rows:
        raise BlockMissing("performance_levels_obtained", "no progress-monitoring scores yet")
    return {"table": {"headers": [_("Measure"), _("Date"), _("Score"), _("Goal")], "rows": rows}}


def _context_text(block: str, key: str, label: str | None = None):
    def build(f: Facts) -> dict:
        value = f.context.get(key)
        if not value:
            raise BlockMissing(block, f"the notice's context has no '{key}'")
        items = value if isinstance(value, list) else None
        text = None if items else (_(label) % {key: value} if label else _school(f, value))
        return {"paragraphs": [text] if text else [], "bullets": [_school(f, i) for i in items or []]}

    return build


def _teacher_recommendation(f: Facts) -> dict:
    """Holland Patent's end-of-services letter: the team's own words, else its decision in the
    family's language (never the staff label or the raw decision key, issue 18 item 6)."""
    value = str(f.context.get("teacher_recommendation") or "").strip()
    decision = f.context.get("decision")
    if value and not (decision in words.DECISIONS and value.lower() in _staff_labels(decision)):
        return {"paragraphs": [_school(f, value)]}
    if decision in words.DECISIONS:
        return {"paragraphs": [_decision_text(decision)]}
    raise BlockMissing("teacher_recommendation", "the notice's context has no 'teacher_recommendation'")


def _staff_labels(decision: str) -> set[str]:
    """How a decision reads in staff screens (its key, its label): not words for a family."""
    from interventions.models import Decision

    labels = {decision.lower()}
    if decision in Decision.Kind.values:
        with translation.override("en"):
            labels.add(str(Decision.Kind(decision).label).lower())
    return labels


def _percentile(value) -> str:
    if value is None or value == "":
        return "-"
    return _("%(n)sth percentile") % {"n": _num(float(value))}


def _screening(f: Facts) -> dict:
    rows = []
    results = f.context.get("screening", [])
    # Loudon's at-risk letter names the percentile ("below the 25th national percentile").
    with_percentile = any(r.get("percentile") is not None for r in results)
    for result in results:
        at_risk = result.get("at_risk")
        verdict = (
            ""
            if at_risk is None
            else (_("Below the expected level") if at_risk else _("At or above the expected level"))
        )
        row = [str(result.get("measure", "")), str(result.get("score", ""))]
        if with_percentile:
            row.append(_percentile(result.get("percentile")))
        rows.append([*row, verdict])
    if not rows and f.notice.letter_type == LetterType.MID_YEAR_ENTRY:
        # A new student is screened after enrolling (Loudon: "The intervention specialist will
        # administer a universal screening for students entering school mid term").
        screen_by = f.context.get("screen_by")
        if screen_by:
            text = _("%(student)s will take a short screening test by %(date)s. We will send you the results.") % {
                "student": f.student_name,
                "date": long_date(dt.date.fromisoformat(str(screen_by)[:10]), f.language),
            }
        else:
            text = _("%(student)s will take a short screening test soon. We will send you the results.") % {
                "student": f.student_name
            }
        return {"paragraphs": [text]}
    if not rows:
        raise BlockMissing("screening_results", "the notice's context has no screening results")
    headers = [_("Assessment"), _("Score")] + ([_("Percentile")] if with_percentile else []) + [_("Result")]
    return {"table": {"headers": headers, "rows": rows}}


def _meeting(f: Facts) -> dict:
    meeting = f.context.get("meeting") or {}
    if not meeting.get("date") and f.notice.letter_type == LetterType.MID_YEAR_ENTRY:
        # Loudon: "an intervention team meeting will be scheduled to review the data and
        # determine the best educational plan for students deemed at-risk".
        return {
            "paragraphs": [
                _(
                    "If the screening shows that %(student)s needs extra help, the team will invite you to a "
                    "meeting to plan it together."
                )
                % {"student": f.student_name}
            ]
        }
    if not meeting.get("date"):
        raise BlockMissing("meeting_details", "the notice's context has no meeting date")
    try:
        when = long_date(dt.date.fromisoformat(str(meeting["date"])[:10]), f.language)
    except ValueError:
        when = str(meeting["date"])
    rows = [[_("Date"), when]]
    for label, key in ((_("Time"), "time"), (_("Place"), "place"), (_("Purpose"), "purpose")):
        if meeting.get(key):
            # The time is data; the place and the purpose are the school's words.
            rows.append([label, str(meeting[key]) if key == "time" else _school(f, meeting[key])])
    return {"table": {"headers": [], "rows": rows}, "paragraphs": [_("Please tell us if this time does not suit you.")]}


def _decision_text(kind: str) -> str:
    return _(words.DECISIONS[kind]) if kind in words.DECISIONS else str(kind)


def _outcome(f: Facts) -> dict:
    decisions = f.context.get("decisions") or []
    if decisions:
        # A closed meeting's letter: every decision the team took for the student, by area.
        bullets = [
            (f"{_area(d['area'], f.policy)}: " if d.get("area") else "") + _decision_text(d.get("decision", ""))
            for d in decisions
        ]
        notes = [_school(f, d.get("notes")) for d in decisions if str(d.get("notes") or "").strip()]
        return {"bullets": bullets, "paragraphs": notes}
    decision = f.context.get("decision")
    if not decision:
        raise BlockMissing("meeting_outcome", "the notice's context has no decision")
    paragraphs = [_decision_text(decision)]
    if f.context.get("summary"):
        paragraphs.append(_school(f, f.context["summary"]))
    return {"paragraphs": paragraphs}


def _team_invitation(f: Facts) -> dict:
    """Loudon: the Intervention Specialist "will invite the parents to become a member of their
    child's intervention team". A concrete way to join: whom to call or write, and the meeting."""
    paragraphs = [f.book("block.team_invitation", words.PARAGRAPHS["block.team_invitation"], student=f.student_name)]
    contact = f.contact
    phone = f.phone
    values = {"name": contact["name"], "role": contact["role"], "phone": phone, "email": contact["email"]}
    if contact["name"] and phone and contact["email"]:
        how = _("To join the team, call %(name)s (%(role)s) at %(phone)s or write to %(email)s.")
    elif contact["name"] and phone:
        how = _("To join the team, call %(name)s (%(role)s) at %(phone)s.")
    elif contact["name"] and contact["email"]:
        how = _("To join the team, write to %(name)s (%(role)s) at %(email)s.")
    elif phone:
        how = _("To join the team, call the school at %(phone)s.")
    else:
        how = _("To join the team, contact the school.")
    paragraphs.append(how % values)
    meeting = f.context.get("meeting") or {}
    if meeting.get("date"):
        paragraphs.append(
            _("The team next meets on %(date)s. You are welcome to come.")
            % {"date": long_date(dt.date.fromisoformat(str(meeting["date"])[:10]), f.language)}
        )
    return {"paragraphs": paragraphs}


def _current_services(f: Facts) -> dict:
    try:
        return _services(f)
    except BlockMissing:
        return {"paragraphs": [_("No intervention services at present.")]}


def _deficiency(f: Facts) -> dict:
    value = f.context.get("deficiency")
    if not value:
        raise BlockMissing("reading_deficiency", "the notice's context has no 'deficiency'")
    if f.language != "en":  # the team's words: marked as the school's English
        return {"paragraphs": [_("Area of difficulty: %(deficiency)s") % {"deficiency": ""}, _school(f, value)]}
    return {"paragraphs": [_("Area of difficulty: %(deficiency)s") % {"deficiency": value}]}


def _progress(f: Facts) -> dict:
    if not f.plans():
        raise BlockMissing("progress_summary", "the student has no plan to report on")
    charts, paragraphs = [], []
    for plan in f.plans():
        result = f.results()[plan.pk]
        # The axis is labelled from the catalogue ("Score"); the measure's name is the district's English.
        charts.append(
            chart_svg(result, lang=f.language, id_prefix=f"n{f.notice.pk or 0}p{plan.pk}", y_label=_("Score"))
        )
        evaluation = result.evaluation
        if evaluation.roi is not None and evaluation.goal_roi is not None:
            paragraphs.append(
                _("Rate of improvement: %(roi)s per week; the goal needs %(goal_roi)s per week.")
                % {"roi": _num(evaluation.roi, 2), "goal_roi": _num(evaluation.goal_roi, 2)}
            )
        else:
            paragraphs.append(_("Not enough scores yet to compute a rate of improvement."))
    return {"charts": charts, "paragraphs": paragraphs}


def _attendance(f: Facts) -> dict:
    paragraphs = []
    for plan in f.plans():
        sessions = f.results()[plan.pk].data.sessions
        held = [s for s in sessions if s.status in ("delivered", "student_absent")]
        attended = sum(1 for s in held if s.status == "delivered")
        if held:
            paragraphs.append(
                _("%(attended)s of %(held)s sessions attended (%(percent)s%%).")
                % {"attended": attended, "held": len(held), "percent": round(100 * attended / len(held))}
            )
        else:
            paragraphs.append(_("No sessions held yet."))
    if not paragraphs:
        raise BlockMissing("attendance", "the student has no plan to report on")
    return {"paragraphs": paragraphs}


def _plain_summary(f: Facts) -> dict:
    paragraphs = []
    for plan in f.plans():
        status = f.results()[plan.pk].evaluation.recommendation
        text = words.SUMMARIES.get(status, words.SUMMARIES["continue"])
        paragraphs.append(f"{_area(plan.area, f.policy)}: " + f.book(f"summary.{status}", text, student=f.student_name))
    if not paragraphs:
        raise BlockMissing("plain_summary", "the student has no plan to report on")
    return {"paragraphs": paragraphs}


def _rimp_sections(f: Facts) -> dict:
    sections = (f.context.get("plan_sections") or {}).get(f.notice.notice_key) or []
    if not sections:
        raise BlockMissing("rimp_sections", "the policy's plan lists no sections")
    bullets = []
    for section in sections:
        if isinstance(section, dict):
            # A RIMP section (notifications.services.rimp_letter_queue): the heading from the
            # catalogue, the plan's own words marked as the school's.
            heading = section.get("heading", "")
            label = _(words.RIMP_SECTIONS[heading]) if heading in words.RIMP_SECTIONS else _school(f, heading)
            bullets.append({"label": label, "text": _school(f, section.get("text", ""))})
        else:
            bullets.append(_school(f, section))
    approver = (f.context.get("plan_approved_by") or {}).get(f.notice.notice_key)
    if approver:
        # Ohio's RIMP is approved before it is given to the parents (required_plans[].approved_by).
        role = str(approver).strip().lower().replace(" ", "_")
        if role in words.ROLES:
            bullets.append(_("Approved by the %(role)s.") % {"role": _(words.ROLES[role]).lower()})
        else:  # a role the catalogue does not know: the school's English
            bullets.append(_school(f, f"Approved by the {approver}."))
    return {"bullets": bullets}


def _rimp_due(f: Facts) -> dict:
    if f.notice.due_date is None:
        raise BlockMissing("rimp_due", "the plan has no due date")
    return {
        "paragraphs": [
            _("The plan will be ready by %(date)s, and you will receive a copy.")
            % {"date": long_date(f.notice.due_date, f.language)}
        ]
    }


def _point_card(f: Facts) -> dict:
    """The check-in/check-out card of the notice's plan over its days (the daily or weekly summary)."""
    from interventions.cico.selectors import point_card_setup, point_card_summary

    plan_id, start, end = f.context.get("point_card_plan"), f.context.get("start"), f.context.get("end")
    plan = next((p for p in f.plans() if p.pk == plan_id), None)
    setup = point_card_setup(district=f.district, plan=plan) if plan is not None and start and end else None
    if setup is None:
        raise BlockMissing("point_card_summary", "the notice names no plan with a point card")
    summary = point_card_summary(
        district=f.district,
        plan=plan,
        setup=setup,
        start=dt.date.fromisoformat(start),
        end=dt.date.fromisoformat(end),
    )
    if not summary.days:
        raise BlockMissing("point_card_summary", "no card was rated in the period")
    goal = f"{summary.goal_percent:g}"
    paragraphs = [
        _("Points earned: %(earned)s of %(possible)s (%(percent)s%%). The daily goal is %(goal)s%%.")
        % {
            "earned": summary.points_earned,
            "possible": summary.points_possible,
            "percent": f"{summary.percent:g}",
            "goal": goal,
        }
    ]
    if len(summary.days) > 1:
        paragraphs.append(
            _("The goal was met on %(met)s of %(days)s days.")
            % {"met": summary.days_at_goal, "days": len(summary.days)}
        )
    bullets = [
        _("%(date)s: %(percent)s%%") % {"date": long_date(day, f.language), "percent": f"{percent:g}"}
        + (" ✓" if percent >= summary.goal_percent else "")
        for day, percent in summary.days
    ]
    paragraphs.append(_("Please talk with your child about the card and praise the goals met."))
    return {"paragraphs": paragraphs, "bullets": bullets}


BUILDERS = {
    "program_overview": _static("program_overview"),
    "screening_results": _screening,
    "team_invitation": _team_invitation,
    "summary_of_services": _services,
    "reason_for_services": _reason,
    "consequences_of_not_meeting_levels": _static("consequences_of_not_meeting_levels"),
    "data_to_be_collected": _data_collected,
    "strategies_for_rate_of_learning": _static("strategies_for_rate_of_learning"),
    "right_to_request_evaluation": _static("right_to_request_evaluation"),
    "criteria_for_ending": _criteria,
    "performance_levels_obtained": _levels,
    "teacher_recommendation": _teacher_recommendation,
    "reading_deficiency": _deficiency,
    "current_services": _current_services,
    "proposed_services": _context_text("proposed_services", "proposed_services"),
    "retention_possible": _static("retention_possible"),
    "home_reading_resources": _static("home_reading_resources"),
    "progress_summary": _progress,
    "meeting_details": _meeting,
    "meeting_outcome": _outcome,
    "tier_change": _tier_change,
    "attendance": _attendance,
    "plain_summary": _plain_summary,
    "point_card_summary": _point_card,
    "rimp_sections": _rimp_sections,
    "rimp_due": _rimp_due,
}


# --- the letter -------------------------------------------------------------------------------

_logo_cache: dict[tuple[int, str], str] = {}


def _logo_uri(settings_row: LetterSettings | None) -> str:
    """The logo as a data URI (no file access from WeasyPrint; keyed by district)."""
    if settings_row is None or not settings_row.logo:
        return ""
    key = (settings_row.district_id, settings_row.logo.name)
    if key not in _logo_cache:
        try:
            with settings_row.logo.open("rb") as handle:
                data = handle.read()
        except OSError:
            return ""
        mime = mimetypes.guess_type(settings_row.logo.name)[0] or "image/png"
        if len(_logo_cache) > 64:
            _logo_cache.clear()
        _logo_cache[key] = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    return _logo_cache[key]


# The policy's from_role words (parent_contact.notices[].from_role) that name a staff role.
_ROLE_WORDS = {
    "interventionist": Role.INTERVENTION_SPECIALIST,
    "school psychologist": Role.PSYCHOLOGIST,
    "school counselor": Role.COUNSELOR,
}


def _policy_role(from_role) -> str | None:
    if not from_role:
        return None
    text = str(from_role).strip().lower()
    if text in _ROLE_WORDS:
        return _ROLE_WORDS[text]
    value = text.replace(" ", "_")
    return value if value in Role.values and value not in (Role.TEACHER, Role.READ_ONLY) else None


def _role_member(district, school, role: str):
    """The staff member with `role` at the school (the principal: the school's principal)."""
    if role == Role.PRINCIPAL:
        return school.principal if school.principal_id else None
    membership = (
        Membership.objects.filter(district=district, role=role, is_active=True, schools=school)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return membership.user if membership is not None else None


def _start_date(notice: Notice, facts: Facts, as_of: dt.date) -> dt.date:
    """When the services start: the decision's date, else the earliest active plan's start."""
    value = (notice.context or {}).get("start_date")
    if value:
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            pass
    if notice.letter_type in (LetterType.PLACEMENT_START, LetterType.TIER_CHANGE) and facts.plans():
        return min(p.start_date for p in facts.plans())
    return as_of


def _fallback_note(requested: str | None) -> dict:
    """The note of a letter not in the family's language, in the family's language when it has a
    catalogue (with its own name for the language), else in English."""
    if requested is None:
        return {"fallback_note": "", "fallback_lang": info("en")}
    code = requested.lower()
    if code in LANGUAGES and code != "en":
        with translation.override(code):
            note = _(words.FALLBACK_NOTE) % {"language": LANGUAGES[code].name}
        return {"fallback_note": note, "fallback_lang": LANGUAGES[code]}
    with translation.override("en"):
        note = _(words.FALLBACK_NOTE) % {"language": _language_name(code)}
    return {"fallback_note": note, "fallback_lang": info("en")}


def _language_name(code: str) -> str:
    if code in LANGUAGES:
        return LANGUAGES[code].english
    return dict(STUDENT_LANGUAGES).get(code, code) if code != "other" else "your language"


def _grade(grade: int) -> str:
    return _("Kindergarten") if grade == 0 else ("PK" if grade < 0 else str(grade))


@dataclass
class Letterhead:
    settings: LetterSettings | None
    overrides: dict[str, dict[str, str]]  # language -> key -> text
    # The languages whose letters the district has reviewed (DistrictLanguage.reviewed).
    reviewed: frozenset = frozenset()


def letterhead(*, district) -> Letterhead:
    """The district's letter settings, text overrides and reviewed languages: three queries,
    reused by a batch."""
    overrides: dict[str, dict[str, str]] = {}
    for row in LetterText.objects.filter(district=district).only("language", "key", "text"):
        overrides.setdefault(row.language, {})[row.key] = row.text
    reviewed = frozenset(
        DistrictLanguage.objects.filter(district=district, reviewed=True).values_list("language", flat=True)
    )
    return Letterhead(
        settings=LetterSettings.objects.filter(district=district).first(), overrides=overrides, reviewed=reviewed
    )


_letterheads: dict[int, tuple[float, Letterhead]] = {}
LETTERHEAD_SECONDS = 60


def cached_letterhead(*, district) -> Letterhead:
    """The letterhead for a worker's run of letters: read at most once a minute per district
    (a district's edit reaches the letters within a minute; previews read it fresh)."""
    import time

    now = time.monotonic()
    hit = _letterheads.get(district.pk)
    if hit is None or now - hit[0] > LETTERHEAD_SECONDS:
        if len(_letterheads) > 256:
            _letterheads.clear()
        hit = (now, letterhead(district=district))
        _letterheads[district.pk] = hit
    return hit[1]


def letter_context(
    *,
    district,
    notice: Notice,
    language: str | None = None,
    policy=None,
    head: Letterhead | None = None,
    strict: bool = True,
    as_of: dt.date | None = None,
) -> dict:
    """Everything the letter template shows. `language=None` chooses the notice's
    language by the district's policy (with its fallback); a preview passes one.

    With `strict`, a required block without data raises LetterIncomplete; the staff
    preview passes strict=False and shows what is missing instead.
    """
    as_of = as_of or timezone.localdate()
    if policy is None:
        _version, policy = policy_document(district=district, as_of=as_of)
    head = head or letterhead(district=district)
    if language is None:
        language, reason = letter_language(policy=policy, requested=notice.language, reviewed=head.reviewed)
    else:
        language, reason = letter_language(policy=None, requested=language)
    fallback = str(reason)  # in the staff member's language (the letter's note: in the family's)
    lang = info(language)
    student = notice.student
    school = notice.school
    with translation.override(language):
        book = Book(head.overrides.get(language, {}))
        facts = Facts(district=district, notice=notice, policy=policy, as_of=as_of, language=language, book=book)
        tier = notice.tier or (notice.context or {}).get("to_tier")
        values = {
            "student": student.full_name,
            "recipient": notice.recipient_name,
            "tier": _tier(tier),
            "date": long_date(_start_date(notice, facts, as_of), language),
        }
        letter_settings = head.settings
        phone = letter_settings.phone if letter_settings and letter_settings.phone else district.phone
        principal = school.principal if school.principal_id else None
        signer = (
            letter_settings.signature_name if letter_settings and letter_settings.signature_name else _person(principal)
        )
        from_role = (notice.context or {}).get("from_role")
        role = _policy_role(from_role)
        if role is not None:
            title = _(words.ROLES[role]) if role in words.ROLES else str(Role(role).label)
        elif from_role:
            title = str(from_role).capitalize()
        else:
            title = (
                letter_settings.signature_title
                if letter_settings and letter_settings.signature_title
                else _("Principal")
            )
        if role is not None and role != Role.PRINCIPAL:
            # The person the policy names signs, not the principal (Loudon's at-risk letter comes
            # from the Intervention Specialist); nobody with that role at the school: no name.
            signer = _person(_role_member(district, school, role))
        contact_person = _role_member(district, school, Role.INTERVENTION_SPECIALIST)
        facts.contact = (
            {
                "name": _person(contact_person),
                "role": _(words.ROLES["intervention_specialist"]),
                "email": contact_person.email,
            }
            if contact_person is not None
            else {"name": signer, "role": title, "email": letter_settings.reply_to if letter_settings else ""}
        )
        facts.phone = phone or ""
        built, missing = [], []
        for key in notice.content_blocks or []:
            builder = BUILDERS.get(key)
            if builder is None:
                missing.append(BlockMissing(key, "no template for this block"))
                continue
            try:
                data = builder(facts)
            except BlockMissing as gap:
                missing.append(gap)
                continue
            built.append({"key": key, "heading": _(words.HEADINGS[key]), **data})
        if missing and strict:
            raise LetterIncomplete(missing)
        context = {
            "lang": lang,
            "language": language,
            "fallback": fallback,
            "fallback_reason": reason,
            **_fallback_note(notice.language if fallback else None),
            # Whether the district has reviewed the catalogue the letter is written in (recorded
            # on the notice: issue 18 item 6); English is the product's own text.
            "catalogue_reviewed": language == "en" or language in head.reviewed,
            "title": book(f"title.{notice.letter_type}", words.TITLES.get(notice.letter_type, notice.title)),
            "greeting": book("greeting", words.PARAGRAPHS["greeting"], **values),
            "intro": book(f"intro.{notice.letter_type}", words.INTROS.get(notice.letter_type, ""), **values),
            "blocks": built,
            "missing": missing,
            "closing": book("closing", words.PARAGRAPHS["closing"], phone=phone)
            if phone
            else book("closing_no_phone", words.PARAGRAPHS["closing_no_phone"]),
            "signoff": book("signoff", words.PARAGRAPHS["signoff"]),
            "signer": signer,
            # The policy's notice names who sends it (parent_contact.notices[].from_role: Holland
            # Patent's principal, LAUSD's interventionist); else the district's letter settings.
            "signer_title": title,
            "date": long_date(as_of, language),
            "labels": {
                "student": _("Student"),
                "school": _("School"),
                "grade": _("Grade"),
                "date": _("Date"),
                "page": _("Page"),
                "school_written": _(words.SCHOOL_WORDS_LABEL),
            },
            "student": student,
            "grade": _grade(student.grade),
            "school": school,
            "district": district,
            "letterhead_name": (
                letter_settings.letterhead_name
                if letter_settings and letter_settings.letterhead_name
                else district.name
            ),
            "return_address": (
                letter_settings.return_address
                if letter_settings and letter_settings.return_address
                else (school.address or district.address)
            ),
            "phone": phone,
            "logo": _logo_uri(letter_settings),
            "recipient_lines": [line for line in notice.address.split("\n") if line.strip()] or [notice.recipient_name],
            "notice": notice,
        }
    return context


_SVG_TEXT = re.compile(r"(<text\b[^>]*>)(.*?)(</text>)", re.S)
_TEXT_NODE = re.compile(r">([^<]+)<")
_NEEDS_SHAPING = re.compile("[\u0600-\u06ff\u0750-\u077f]")


def shape_svg_text(svg: str) -> str:
    """Arabic labels of the SVG chart, pre-shaped for WeasyPrint.

    WeasyPrint lays out SVG <text> one character at a time (weasyprint/svg/text.py), so
    Arabic letters would come out unjoined and left to right. In the PDF only, each
    label becomes its joined presentation forms in visual order (arabic-reshaper,
    python-bidi); the browser's copy of the same SVG keeps the plain text, and
    <title>/<desc> keep it for screen readers.
    """
    from arabic_reshaper import reshape
    from bidi import get_display

    def node(match):
        text = match.group(1)
        return ">" + (get_display(reshape(text)) if _NEEDS_SHAPING.search(text) else text) + "<"

    def element(match):
        inner = _TEXT_NODE.sub(node, ">" + match.group(2) + "<")[1:-1]
        return match.group(1) + inner + match.group(3)

    return _SVG_TEXT.sub(element, svg)


def render_html(context: dict, *, standalone: bool = True) -> str:
    """The letter as a standalone HTML document (PDF) or as the body only (preview)."""
    if standalone and context["lang"].direction == "rtl":
        context = dict(
            context,
            blocks=[
                dict(block, charts=[shape_svg_text(c) for c in block.get("charts", [])]) for block in context["blocks"]
            ],
        )
    with translation.override(context["language"]):
        template = "notifications/letters/letter.html" if standalone else "notifications/letters/_body.html"
        return render_to_string(template, context)


def render_notice_pdf(
    *, district, notice: Notice, head: Letterhead | None = None, policy=None
) -> tuple[bytes, str, str, bool]:
    """(PDF bytes, language written in, fallback reason, whether that language's catalogue was reviewed)."""
    from notifications.letters.pdf import html_to_pdf

    context = letter_context(district=district, notice=notice, head=head, policy=policy)
    with translation.override("en"):  # stored on the notice in English, whatever is active
        reason = str(context["fallback_reason"])
    return html_to_pdf(render_html(context)), context["language"], reason, context["catalogue_reviewed"]


def email_text(*, district, notice: Notice, policy=None, head: Letterhead | None = None) -> tuple[str, str]:
    if policy is None:
        policy = policy_document(district=district)[1]
    language, _fallback = letter_language(
        policy=policy, requested=notice.language, reviewed=(head or cached_letterhead(district=district)).reviewed
    )
    with translation.override(language):
        title = _(words.TITLES.get(notice.letter_type, notice.title))
        body = "\n\n".join(
            [
                _("Please find attached a letter from %(school)s about %(student)s.")
                % {"school": notice.school.name, "student": notice.student.full_name},
                _("This message was sent by %(district)s. Please do not reply to this address.")
                % {"district": district.name},
            ]
        )
    return f"{title}: {notice.student.full_name}", body
