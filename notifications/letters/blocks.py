"""The letters' words: titles, introductions and the content blocks.

Every sentence is a gettext string, rendered inside `translation.override(language)`,
so the catalogues in locale/<language>/LC_MESSAGES carry the letters. A district may
replace a paragraph in one language with its own wording (LetterText, keyed by the
names in OVERRIDABLE_KEYS); placeholders such as %(student)s work there too.

Each block builder returns the block's data, or raises BlockMissing when the data the
block must show is absent: a letter cannot be issued without its required blocks
(the district's policy names them, mtss.policy.schema.NOTICE_CONTENT_BLOCKS).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop


class BlockMissing(Exception):
    def __init__(self, block: str, reason: str):
        super().__init__(f"{block}: {reason}")
        self.block = block
        self.reason = reason


class LetterIncomplete(Exception):
    """A required block has no data: the letter must not be issued."""

    def __init__(self, missing: list[BlockMissing]):
        self.missing = missing
        super().__init__("; ".join(f"required block '{m.block}' is missing: {m.reason}" for m in missing))


TITLES = {
    "start_of_year": gettext_noop("Support for every student this school year"),
    "screening_results": gettext_noop("Screening results"),
    "placement_start": gettext_noop("Notice of intervention services"),
    "tier_change": gettext_noop("Change in intervention services"),
    "placement_end": gettext_noop("Notice that intervention services will end"),
    "meeting_invitation": gettext_noop("Invitation to a meeting"),
    "meeting_outcome": gettext_noop("Outcome of the team meeting"),
    "progress_report": gettext_noop("Progress report"),
    "not_on_track": gettext_noop("Notice: not on track in reading"),
    "rimp": gettext_noop("Reading Improvement and Monitoring Plan"),
    "mid_year_entry": gettext_noop("Screening of a new student"),
    "referral_considered": gettext_noop("Special education evaluation"),
    "point_card_summary": gettext_noop("Daily behavior card"),
}

INTROS = {
    "start_of_year": gettext_noop(
        "This letter explains how our school supports the learning of every student during the school year."
    ),
    "screening_results": gettext_noop(
        "Every student took a short screening test this school year. This letter gives the results of %(student)s."
    ),
    "placement_start": gettext_noop(
        "We are writing to let you know that %(student)s will receive extra support (%(tier)s) starting %(date)s."
    ),
    "tier_change": gettext_noop("We are writing to let you know that the support for %(student)s is changing."),
    "placement_end": gettext_noop("We are writing to let you know that the extra support for %(student)s will end."),
    "meeting_invitation": gettext_noop("We invite you to a meeting about %(student)s."),
    "meeting_outcome": gettext_noop(
        "The school team met about %(student)s. This letter tells you what the team decided."
    ),
    "progress_report": gettext_noop("This report shows the progress of %(student)s in the extra support sessions."),
    "not_on_track": gettext_noop(
        "The reading assessment shows that %(student)s is not on track to read at grade level by "
        "the end of third grade."
    ),
    "rimp": gettext_noop(
        "Because %(student)s is not on track in reading, the school is writing a Reading Improvement and "
        "Monitoring Plan together with you."
    ),
    "mid_year_entry": gettext_noop(
        "Welcome to our school. Every new student takes a short screening test. This letter "
        "gives the results of %(student)s."
    ),
    "referral_considered": gettext_noop(
        "The school team is considering an evaluation of %(student)s for special education services."
    ),
    "point_card_summary": gettext_noop(
        "Each day, the teachers of %(student)s rate the goals on a behavior card. Here is the summary."
    ),
}

HEADINGS = {
    "program_overview": gettext_noop("About our support program"),
    "screening_results": gettext_noop("Screening results"),
    "team_invitation": gettext_noop("Join the team"),
    "summary_of_services": gettext_noop("The services"),
    "reason_for_services": gettext_noop("Why these services"),
    "consequences_of_not_meeting_levels": gettext_noop("If the expected levels are not reached"),
    "data_to_be_collected": gettext_noop("How we measure progress"),
    "strategies_for_rate_of_learning": gettext_noop("How we help your child learn faster"),
    "right_to_request_evaluation": gettext_noop("Your right to request an evaluation"),
    "criteria_for_ending": gettext_noop("Why the services end"),
    "performance_levels_obtained": gettext_noop("Levels reached"),
    "teacher_recommendation": gettext_noop("The teacher's recommendation"),
    "reading_deficiency": gettext_noop("Reading"),
    "current_services": gettext_noop("Services now"),
    "proposed_services": gettext_noop("Additional support we propose"),
    "retention_possible": gettext_noop("Third-grade reading requirement"),
    "home_reading_resources": gettext_noop("Reading at home"),
    "progress_summary": gettext_noop("Progress"),
    "meeting_details": gettext_noop("The meeting"),
    "meeting_outcome": gettext_noop("What the team decided"),
    "tier_change": gettext_noop("Change of tier"),
    "attendance": gettext_noop("Attendance"),
    "plain_summary": gettext_noop("In short"),
    "rimp_sections": gettext_noop("What the plan contains"),
    "rimp_due": gettext_noop("When the plan is ready"),
    "point_card_summary": gettext_noop("Behavior card"),
}

# Paragraphs a district may reword per language (LetterText.key).
PARAGRAPHS = {
    "greeting": gettext_noop("Dear %(recipient)s,"),
    "closing": gettext_noop("If you have any questions, please contact the school at %(phone)s."),
    "closing_no_phone": gettext_noop("If you have any questions, please contact the school."),
    "signoff": gettext_noop("Sincerely,"),
    "block.program_overview": gettext_noop(
        "Our school uses a multi-tiered system of support. Every student receives strong "
        "classroom teaching. Students who need more help receive extra teaching in small "
        "groups, and we check their progress often."
    ),
    "block.team_invitation": gettext_noop(
        "You know your child best. We invite you to work with the school team and to tell us what you see at home."
    ),
    "block.consequences_of_not_meeting_levels": gettext_noop(
        "If %(student)s does not reach the expected levels, the team will change or increase the support and may "
        "recommend an evaluation for special education. We will tell you before any change."
    ),
    "block.data_to_be_collected": gettext_noop(
        "We measure progress with short, regular tests and compare the scores with the goal."
    ),
    "block.strategies_for_rate_of_learning": gettext_noop(
        "The teacher uses proven methods in a small group, gives more practice time, and adjusts the teaching "
        "when the scores show it is needed."
    ),
    "block.right_to_request_evaluation": gettext_noop(
        "You have the right to ask at any time for an evaluation of your child for special education services. "
        "Please send your request in writing to the principal."
    ),
    "block.retention_possible": gettext_noop(
        "State law says that a student who does not reach the state's reading score by the end of third grade may "
        "have to repeat third grade, with some exceptions."
    ),
    "block.home_reading_resources": gettext_noop(
        "Read with your child every day for 20 minutes, in any language. The school and the public library can "
        "give you free books and reading programs."
    ),
}
OVERRIDABLE_KEYS = set(PARAGRAPHS) | {f"title.{k}" for k in TITLES} | {f"intro.{k}" for k in INTROS}

AREAS = {
    "reading": gettext_noop("Reading"),
    "math": gettext_noop("Mathematics"),
    "writing": gettext_noop("Writing"),
    "behavior": gettext_noop("Behavior"),
    "ela": gettext_noop("Reading"),
    "literacy": gettext_noop("Reading"),
    "mathematics": gettext_noop("Mathematics"),
}

DECISIONS = {
    "continue": gettext_noop("Continue the current support."),
    "intensify": gettext_noop("Increase the support (more time or a smaller group)."),
    "modify": gettext_noop("Change the intervention."),
    "exit": gettext_noop("End the extra support: the goal was reached."),
    "reduce": gettext_noop("Reduce the support to a lower tier."),
    "refer_evaluation": gettext_noop("Refer your child for a special education evaluation."),
    "raise_goal": gettext_noop("Keep the support and raise the goal."),
    "fade": gettext_noop("Reduce the support step by step."),
}

SUMMARIES = {
    "exit": gettext_noop("%(student)s is making good progress and has reached the goal."),
    "continue": gettext_noop("%(student)s is making progress. The current support continues."),
    "raise_goal": gettext_noop("%(student)s is progressing faster than planned; the team may raise the goal."),
    "modify": gettext_noop(
        "%(student)s is not yet progressing fast enough to reach the goal. The team will adjust the support."
    ),
    "intensify": gettext_noop(
        "%(student)s is not yet progressing fast enough to reach the goal. The team will adjust the support."
    ),
    "insufficient_data": gettext_noop("There are not enough scores yet to judge the progress."),
    "refer_evaluation": gettext_noop(
        "%(student)s is not responding to the support as expected. The team will contact you about the next steps."
    ),
    "low_fidelity": gettext_noop("Fewer sessions took place than planned; the team is reviewing the schedule."),
}

# Phrases used by the templates (marked here so makemessages and the catalogues find them).
PHRASES = [
    gettext_noop("Student"),
    gettext_noop("School"),
    gettext_noop("Grade"),
    gettext_noop("Date"),
    gettext_noop("Kindergarten"),
    gettext_noop("Tier %(n)s"),
    gettext_noop("additional support"),
    gettext_noop("Measure"),
    gettext_noop("Score"),
    gettext_noop("Goal"),
    gettext_noop("Result"),
    gettext_noop("Assessment"),
    gettext_noop("Time"),
    gettext_noop("Place"),
    gettext_noop("Purpose"),
    gettext_noop("Below the expected level"),
    gettext_noop("At or above the expected level"),
    gettext_noop("%(sessions)s sessions a week, %(minutes)s minutes each"),
    gettext_noop("with %(provider)s, starting %(date)s"),
    gettext_noop("From %(from)s to %(to)s."),
    gettext_noop("Reason given by the team: %(reason)s"),
    gettext_noop("The services end when the goal is reached: %(goal)s on %(measure)s by %(date)s."),
    gettext_noop("Latest score %(score)s on %(date)s; goal %(goal)s."),
    gettext_noop("Rate of improvement: %(roi)s per week; the goal needs %(goal_roi)s per week."),
    gettext_noop("Not enough scores yet to compute a rate of improvement."),
    gettext_noop("%(attended)s of %(held)s sessions attended (%(percent)s%%)."),
    gettext_noop("No sessions held yet."),
    gettext_noop("Please tell us if this time does not suit you."),
    gettext_noop("No intervention services at present."),
    gettext_noop("The plan will be ready by %(date)s, and you will receive a copy."),
    gettext_noop("Principal"),
    gettext_noop("Area of difficulty: %(deficiency)s"),
    gettext_noop("Please find attached a letter from %(school)s about %(student)s."),
    gettext_noop("This message was sent by %(district)s. Please do not reply to this address."),
    gettext_noop("Page"),
]

# Written in the family's language (the one asked for), not the letter's: a family that
# reads no English must still learn that it may ask for a translation (issue 18 item 6).
FALLBACK_NOTE = gettext_noop(
    "This letter is in English because it is not yet available in %(language)s. Please contact the "
    "school to ask for a translation or an interpreter, free of charge."
)
# The label of a box holding words the school wrote that have no translation (staff notes,
# a district's own text the policy gives no translation for): shown in the letter's language.
SCHOOL_WORDS_LABEL = gettext_noop("Written by the school in English")
# The headings of an Ohio RIMP's sections (notifications.services.rimp_letter_queue).
RIMP_SECTIONS = {
    "reading_deficiency": gettext_noop("Reading deficiency"),
    "supplemental_instruction": gettext_noop("Supplemental instruction"),
    "intervention": gettext_noop("Intervention"),
    "reading_curriculum": gettext_noop("Reading curriculum"),
    "monitoring": gettext_noop("Monitoring"),
    "parent_involvement": gettext_noop("How you take part"),
}
# Staff roles that sign or approve, in the families' words.
ROLES = {
    "principal": gettext_noop("Principal"),
    "intervention_specialist": gettext_noop("Intervention specialist"),
    "psychologist": gettext_noop("School psychologist"),
    "counselor": gettext_noop("School counselor"),
    "interventionist": gettext_noop("Interventionist"),
}


@dataclass(frozen=True)
class SchoolWords:
    """Text the school wrote with no translation into the letter's language: the template
    puts it in a box marked lang="en" with SCHOOL_WORDS_LABEL in the letter's language."""

    text: str
    school_written = True

    def __str__(self) -> str:
        return self.text


# First-strong isolate and pop-directional isolate (Unicode UAX #9): a value set into a
# right-to-left sentence keeps its own direction, so a phone number prints "(865) 555-0100"
# and an English name keeps its punctuation (issue 18 item 6, "Arabic bidi").
FSI, PDI = "\u2068", "\u2069"


def isolate(value) -> str:
    text = str(value)
    return f"{FSI}{text}{PDI}" if text else text


class Message(str):
    """A translated sentence whose placeholders are isolated in a right-to-left language."""

    def __mod__(self, values):
        if isinstance(values, dict) and translation.get_language_bidi():
            values = _Isolated(values)
        return str.__mod__(str(self), values)


class _Isolated(dict):
    def __getitem__(self, key):
        return isolate(dict.__getitem__(self, key))

    def __missing__(self, key):
        return "%(" + key + ")s"


def gettext(message: str) -> Message:
    return Message(_(message))


class Book:
    """The words of one district's letters in one language: overrides first, then the catalogue."""

    def __init__(self, overrides: dict[str, str]):
        self.overrides = overrides

    def __call__(self, key: str, default: str, **values) -> str:
        text = self.overrides.get(key) or _(default)
        return _format(text, values)


class _Missing(dict):
    def __missing__(self, key):
        return "%(" + key + ")s"


def _format(text: str, values: dict) -> str:
    if "%(" not in text and "%%" not in text:
        return text
    try:
        return text % (_Isolated(values) if translation.get_language_bidi() else _Missing(values))
    except (TypeError, ValueError):  # a district's override with a stray %: show it as written
        return text
