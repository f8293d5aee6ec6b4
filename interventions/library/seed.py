"""The programs the source district documents name, as starting library entries.

Each entry records where it is named (`source`: the document, in words a reader
knows; the seed files under tests/data/seeds/ are cited in the comments below),
the area and the tiers the document uses it in, and a recommended dosage only
where the document gives one.

Evidence (issue 14, item 9): none of the documents rates a program, and a rating
is only recorded here with its source (What Works Clearinghouse, Evidence for
ESSA, a state list) when it can be checked. So every program starts "not yet
reviewed" with the reason (`evidence_note`): a published program has not been
looked up yet; a service a district designed itself (Learning Lab, Help Center,
iSupport ...) is rated by no clearinghouse and can reach ESSA level 4 only with
the district's own logic model. A district administrator records the level, its
source and a link on the library form.

`library_seed` only adds what is missing (matched by name, ignoring case), so it
is safe to run again and never overwrites a district's own edits.
"""

from __future__ import annotations

from interventions.models import EvidenceLevel, Intervention
from interventions.services import intervention_save
from mtss.models import District, User
from mtss.tenancy import current_district_id, tenant_context

# tests/data/seeds/002_d2bcc1edd8245865.txt, 001_98a6c42dc1462798.txt, 003_d924ed66c8861de0.txt.
LOUDON = "Loudon County Schools (TN) RTI plan"
HOLLAND = "Holland Patent CSD (NY) RtI/AIS service plan 2017-2018"
OHVA = "Ohio Virtual Academy, Appendix G: Academic Prevention and Intervention Policy"

# Why a program has no ESSA level yet (shown in the library beside "Not yet reviewed").
PUBLISHED_NOT_REVIEWED = (
    "Not yet reviewed: {source} names this published program but does not rate its evidence, and no "
    "rating from the What Works Clearinghouse or Evidence for ESSA has been checked for this library yet."
)
LOCAL_NOT_REVIEWED = (
    "Not yet reviewed: a service {source} designed itself, not a published program, so no clearinghouse "
    "rates it. It can reach ESSA level 4 (demonstrates a rationale) with the district's logic model and "
    "an ongoing evaluation of its results."
)
LOCAL_SERVICES = {"Learning Lab", "Help Center", "Test Prep", "Push-in remedial support", "iSupport"}

# Loudon's dosage is set per tier, not per program: Tier II is "four sessions per week",
# "30 minutes in addition to the core reading program", "a maximum of five students per
# group"; Tier III is 60 minutes a day, five sessions a week, at most three students.
# The programs below are listed for both tiers, so the entry carries the Tier II dosage
# (the smaller) and the description gives Tier III's.
_LOUDON_DOSAGE = {"sessions_per_week": 4, "minutes_per_session": 30, "group_size_max": 5}
_LOUDON_TIERS_NOTE = (
    "Loudon County: Tier II is four 30-minute sessions a week (at least 40 sessions) in groups of "
    "at most five; Tier III is 60 minutes a day, five days a week (at least 45 sessions) in groups "
    "of at most three, in addition to the 90-minute core reading block."
)

PROGRAMS: list[dict] = [
    # --- Loudon County Schools (TN): reading, grades 1-8 ---------------------------------------
    {
        "name": "Fundations",
        "area": "reading",
        "tiers": [2, 3],
        **_LOUDON_DOSAGE,
        "source": LOUDON,
        "description": "Grades 1-5 Tier II and Tier III reading intervention. " + _LOUDON_TIERS_NOTE,
    },
    {
        "name": "My Sidewalks",
        "area": "reading",
        "tiers": [2, 3],
        **_LOUDON_DOSAGE,
        "source": LOUDON,
        "description": "Scott Foresman intervention program to the regular reading series; grades 1-5, Tier II and "
        "Tier III. " + _LOUDON_TIERS_NOTE,
    },
    {
        "name": "Destination Reading",
        "area": "reading",
        "tiers": [2, 3],
        **_LOUDON_DOSAGE,
        "source": LOUDON,
        "description": "Riverdeep Destination Reading (computer-based); grades 1-8, Tier II and Tier III. "
        + _LOUDON_TIERS_NOTE,
    },
    {
        "name": "Jamestown Reading Navigator",
        "area": "reading",
        "tiers": [2, 3],
        **_LOUDON_DOSAGE,
        "source": LOUDON,
        "description": "Grades 6-8; listed as a Tier II intervention and again under the Tier III programs. "
        + _LOUDON_TIERS_NOTE,
    },
    {
        "name": "Skills Tutor",
        "area": "reading",
        "tiers": [2, 3],
        **_LOUDON_DOSAGE,
        "source": LOUDON,
        "description": "Houghton Mifflin Learning Technology; grades 1-8, Tier II and Tier III (new for 2008-2009). "
        + _LOUDON_TIERS_NOTE,
    },
    # --- Holland Patent CSD (NY): secondary academic intervention services --------------------
    {
        "name": "Learning Lab",
        "area": "core subjects",
        "tiers": [2, 3],
        "source": HOLLAND,
        # "two or three days out of the six day cycle": at least 2 per 6 school days = 1.67 a week.
        "sessions_per_week": round(2 * 5 / 6, 2),
        "group_size_max": 18,
        "description": "Students are assigned by the SBIT to a subject-specific center (ELA, math, science, social "
        "studies) two or three days of the six-day cycle, as part of their schedule; small group (5-18 "
        "students) or individual remedial instruction by a certified teacher. Grades 6-8 (intense and "
        "moderate), grades 9-12 (intense, with remedial services).",
    },
    {
        "name": "Help Center",
        "area": "core subjects",
        "tiers": [1, 2],
        "source": HOLLAND,
        "description": "Drop-in extra help with daily work, study skills and organization from a subject-specific "
        "certified teacher or teaching assistant; students come on their own or are assigned by "
        "teachers, counselors or the SBIT. Grades 6-8 (after school, less intense) and 9-10 (moderate).",
    },
    {
        "name": "Test Prep",
        "area": "core subjects",
        "tiers": [2],
        "source": HOLLAND,
        "description": "Instruction in the content area of a state assessment the student failed or may not pass, "
        "with test-taking strategies; after school, Saturday mornings or in the summer. Grades 9-10 "
        "(less intense) and 11-12 (moderate).",
    },
    {
        "name": "Push-in remedial support",
        "area": "reading and math",
        "tiers": [2, 3],
        "source": HOLLAND,
        "description": "Remedial services push-in: an additional instructor in the regular classroom during ELA and "
        "math lessons, focused on high-need students (remedial instruction may also be pull-out). "
        "Elementary, middle and high school.",
    },
    # --- Ohio Virtual Academy: reading (Third Grade Reading Guarantee) ------------------------
    {
        "name": "Reading Eggs",
        "area": "reading",
        "tiers": [1, 2],
        "source": OHVA,
        "description": "Given to all K-1 students with the K12 Phonics and LA curriculum; a Tier II supplemental "
        "service and an approved provider on the Reading Improvement and Monitoring Plan (RIMP) for "
        "K-2. Reports are reviewed weekly to direct small-group and 1:1 instruction.",
    },
    {
        "name": "RAZ Kids",
        "area": "reading",
        "tiers": [1, 2],
        "source": OHVA,
        "description": "Given to all grade 2 students with the K12 ELA curriculum; a supplemental program for grade 3 "
        "students reading below grade level; an approved provider on the RIMP.",
    },
    {
        "name": "Mindplay",
        "area": "reading",
        "tiers": [2],
        "source": OHVA,
        "description": "Supplemental program for grade 3 students reading below grade level (RIMP).",
    },
    {
        "name": "iSupport",
        "area": "reading",
        "tiers": [2, 3],
        "group_size_max": 1,
        "source": OHVA,
        "description": "In-house remediation program: 1:1 support; a Tier II supplemental service and an approved "
        "provider on the RIMP.",
    },
    {
        "name": "Progress Learning",
        "area": "reading and math",
        "tiers": [1],
        "source": OHVA,
        "description": "Tier I intervention for all students with scientifically based strategies that adapt to "
        "each student's needs; its benchmarks and lesson assessments also inform intervention "
        "decisions.",
    },
]

NAMES = [program["name"] for program in PROGRAMS]


def evidence_note(program: dict) -> str:
    """The reason the program has no ESSA level yet (see the module's docstring)."""
    if program["name"] in LOCAL_SERVICES:
        district = {HOLLAND: "Holland Patent", OHVA: "Ohio Virtual Academy"}.get(program["source"], "the district")
        return LOCAL_NOT_REVIEWED.format(source=district)
    document = {LOUDON: "Loudon County's RTI plan", OHVA: "Ohio Virtual Academy's policy"}
    return PUBLISHED_NOT_REVIEWED.format(source=document.get(program["source"], "the district's plan"))


def library_seed(*, district: District, actor: User | None = None) -> int:
    """Add the named programs the district's library lacks; returns how many were added."""
    if current_district_id() != district.pk:
        with tenant_context(district):
            return library_seed(district=district, actor=actor)
    names = Intervention.objects.filter(district=district).values_list("name", flat=True)
    existing = {name.casefold() for name in names}
    created = 0
    for program in PROGRAMS:
        if program["name"].casefold() in existing:
            continue
        intervention_save(
            district=district,
            actor=actor,
            evidence_level=EvidenceLevel.NOT_RATED,
            evidence_note=evidence_note(program),
            **program,
        )
        created += 1
    return created
