"""The standard assessment catalog every district starts with (services.catalog_ensure).

Measures name the screeners of DOMAIN.md and the issue: aimswebPlus R-CBM and
Maze, Star Reading and Math (and Early Literacy, Holland Patent's K-1 screener),
NWEA MAP Growth reading and math, DIBELS 8, i-Ready diagnostic, state tests, and the
behavior screeners of issue #17: the SRSS-IE (teacher ratings, higher is riskier) and
SAEBRS (FastBridge, lower is riskier). A behavior measure's risk bands are the policy's
`rating_scale` rule (screening/risk.py); README "Behavior screeners" gives the published cut
points as policy snippets.

`import_names` are how each vendor's export names the measure (compared loosely,
csvio.header_key); `policy_keys` are the policy presets' screening-measure keys
(mtss/policy/presets/*.json) whose risk rule applies, first match wins. A
district edits both to fit its own policy.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MeasureSpec:
    key: str
    name: str
    subject: str
    score_type: str
    grades: tuple[int, ...]
    import_names: tuple[str, ...]
    policy_keys: tuple[str, ...]
    min_score: float | None = None
    max_score: float | None = None


@dataclass(frozen=True)
class AssessmentSpec:
    key: str
    name: str
    vendor: str
    format: str
    kind: str
    measures: tuple[MeasureSpec, ...]


K8 = tuple(range(0, 9))
K12 = tuple(range(0, 13))

STANDARD_CATALOG: tuple[AssessmentSpec, ...] = (
    AssessmentSpec(
        "aimswebplus",
        "aimswebPlus",
        "Pearson",
        "aimsweb",
        "universal_screener",
        (
            MeasureSpec(
                "aimsweb-rcbm",
                "aimswebPlus Oral Reading Fluency (R-CBM)",
                "reading",
                "raw",
                tuple(range(1, 9)),
                (
                    "Oral Reading Fluency",
                    "ORF",
                    "R-CBM",
                    "Reading - Curriculum Based Measurement",
                    "Reading Curriculum-Based Measurement",
                ),
                ("aimsweb-rcbm", "aimsweb-fluency-benchmark", "aimsweb-plus", "universal-screener"),
                0,
                400,
            ),
            MeasureSpec(
                "aimsweb-maze",
                "aimswebPlus Maze",
                "reading",
                "raw",
                tuple(range(1, 9)),
                ("Maze", "Reading - Maze", "Reading Maze", "MAZE"),
                ("aimsweb-maze", "aimsweb-maze-benchmark", "aimsweb-plus", "universal-screener"),
                0,
                100,
            ),
            MeasureSpec(
                "aimsweb-early-literacy",
                "aimswebPlus Early Literacy composite",
                "reading",
                "scale",
                (0, 1),
                ("Early Literacy", "Early Literacy Composite"),
                ("aimsweb-early-literacy", "aimsweb-plus"),
            ),
            # aimswebPlus exports each composite as a row named after its area: "Reading" and
            # "Math" (grades 2-8), "Early Literacy" and "Early Numeracy" (K-1). "Concepts &
            # Applications" is a math subtest, not the composite (issue #15).
            MeasureSpec(
                "aimsweb-reading",
                "aimswebPlus Reading composite",
                "reading",
                "scale",
                tuple(range(2, 9)),
                ("Reading", "Reading Composite"),
                ("aimsweb-reading", "aimsweb-plus", "universal-screener"),
            ),
            MeasureSpec(
                "aimsweb-math",
                "aimswebPlus Math composite",
                "math",
                "scale",
                K8,
                ("Math", "Math Composite", "Early Numeracy", "Early Numeracy Composite"),
                ("aimsweb-math", "universal-screener"),
            ),
        ),
    ),
    AssessmentSpec(
        "star",
        "Renaissance Star Assessments",
        "Renaissance",
        "star",
        "universal_screener",
        (
            MeasureSpec(
                "star-reading",
                "Star Reading",
                "reading",
                "scale",
                tuple(range(1, 13)),
                ("Star Reading", "SR", "Reading"),
                ("star-reading", "star-ela", "universal-screener"),
                0,
                1400,
            ),
            MeasureSpec(
                "star-math",
                "Star Math",
                "math",
                "scale",
                tuple(range(1, 13)),
                ("Star Math", "SM", "Math"),
                ("star-math", "universal-screener"),
                0,
                1400,
            ),
            MeasureSpec(
                "star-early-literacy",
                "Star Early Literacy",
                "reading",
                "scale",
                (-1, 0, 1, 2, 3),
                ("Star Early Literacy", "SEL", "Early Literacy"),
                ("star-early-literacy",),
                300,
                900,
            ),
        ),
    ),
    AssessmentSpec(
        "nwea-map",
        "NWEA MAP Growth",
        "NWEA",
        "nwea-map",
        "universal_screener",
        (
            MeasureSpec(
                "map-reading",
                "MAP Growth Reading",
                "reading",
                "rit",
                K12,
                ("Reading", "Reading (Spanish)"),
                ("map-reading", "nwea-map", "universal-screener"),
                100,
                350,
            ),
            MeasureSpec(
                "map-math",
                "MAP Growth Mathematics",
                "math",
                "rit",
                K12,
                ("Mathematics", "Math", "Math K-12"),
                ("map-math", "nwea-map", "universal-screener"),
                100,
                350,
            ),
        ),
    ),
    AssessmentSpec(
        "dibels8",
        "DIBELS 8th Edition",
        "University of Oregon",
        "dibels8",
        "universal_screener",
        (
            MeasureSpec(
                "dibels8-composite",
                "DIBELS 8 Composite",
                "reading",
                "scale",
                K8,
                ("Composite",),
                ("dibels8-composite", "dibels8", "universal-screener"),
            ),
            MeasureSpec(
                "dibels8-lnf",
                "DIBELS 8 Letter Naming Fluency (LNF)",
                "reading",
                "raw",
                (0, 1),
                ("Letter Names (LNF)", "LNF"),
                ("dibels8-lnf",),
            ),
            MeasureSpec(
                "dibels8-psf",
                "DIBELS 8 Phonemic Segmentation Fluency (PSF)",
                "reading",
                "raw",
                (0, 1),
                ("Phonemic Awareness (PSF)", "PSF"),
                ("dibels8-psf",),
            ),
            MeasureSpec(
                "dibels8-nwf-cls",
                "DIBELS 8 Nonsense Word Fluency, Correct Letter Sounds",
                "reading",
                "raw",
                (0, 1, 2, 3),
                ("Letter Sounds (NWF-CLS)", "NWF-CLS"),
                ("dibels8-nwf-cls",),
            ),
            MeasureSpec(
                "dibels8-nwf-wrc",
                "DIBELS 8 Nonsense Word Fluency, Words Recoded Correctly",
                "reading",
                "raw",
                (0, 1, 2, 3),
                ("Decoding (NWF-WRC)", "NWF-WRC"),
                ("dibels8-nwf-wrc",),
            ),
            MeasureSpec(
                "dibels8-wrf",
                "DIBELS 8 Word Reading Fluency (WRF)",
                "reading",
                "raw",
                (0, 1, 2, 3),
                ("Word Reading (WRF)", "WRF"),
                ("dibels8-wrf",),
            ),
            MeasureSpec(
                "dibels8-orf",
                "DIBELS 8 Oral Reading Fluency (ORF)",
                "reading",
                "raw",
                tuple(range(1, 9)),
                ("Reading Fluency (ORF)", "ORF"),
                ("dibels8-orf",),
            ),
            MeasureSpec(
                "dibels8-orf-accuracy",
                "DIBELS 8 ORF Accuracy",
                "reading",
                "percentile",
                tuple(range(1, 9)),
                ("Reading Accuracy (ORF-Accu)", "ORF-Accu"),
                ("dibels8-orf-accuracy",),
            ),
            MeasureSpec(
                "dibels8-maze",
                "DIBELS 8 Maze",
                "reading",
                "raw",
                tuple(range(2, 9)),
                ("Reading Comprehension (Maze)", "Maze"),
                ("dibels8-maze",),
            ),
        ),
    ),
    AssessmentSpec(
        "iready",
        "i-Ready Diagnostic",
        "Curriculum Associates",
        "iready",
        "diagnostic",
        (
            MeasureSpec(
                "iready-reading",
                "i-Ready Diagnostic Reading",
                "reading",
                "scale",
                K12,
                ("Reading", "ELA"),
                ("iready-reading", "iready", "universal-screener"),
                100,
                800,
            ),
            MeasureSpec(
                "iready-math",
                "i-Ready Diagnostic Math",
                "math",
                "scale",
                K12,
                ("Math",),
                ("iready-math", "iready", "universal-screener"),
                100,
                800,
            ),
        ),
    ),
    AssessmentSpec(
        "state-test",
        "State test",
        "State education agency",
        "generic",
        "state_assessment",
        (
            MeasureSpec(
                "state-ela",
                "State test, ELA",
                "reading",
                "level",
                tuple(range(3, 13)),
                ("ELA", "English Language Arts"),
                ("state-ela", "nys-ela", "ohio-state-tests"),
            ),
            MeasureSpec(
                "state-math",
                "State test, mathematics",
                "math",
                "level",
                tuple(range(3, 13)),
                ("Math", "Mathematics"),
                ("state-math", "nys-math", "ohio-state-tests"),
            ),
        ),
    ),
)


# SRSS-IE, the Student Risk Screening Scale for Internalizing and Externalizing (Drummond 1994;
# Lane, Oakes, Menzies et al., Ci3T, www.ci3t.org/screening): a teacher rates each student 0-3
# per item. Elementary schools score the SRSS-E7 (the original SRSS's seven items, 0-21) and the
# SRSS-I5 (0-15); middle and high schools the SRSS-E5 (0-15) and SRSS-I6 (0-18). Published
# bands (Lane, Oakes, Cantwell et al. 2016; Lane et al. 2015, "SRSS-IE" technical reports):
#   SRSS-E7 (K-12 original SRSS): low 0-3, moderate 4-8, high 9-21
#   SRSS-I5 elementary: low 0-1, moderate 2-3, high 4-15
#   SRSS-E5 secondary: low 0-4, moderate 5-6, high 7-15
#   SRSS-I6 secondary: low 0-3, moderate 4-5, high 6-18
# The catalog holds the scales and their ranges; the bands are the district policy's.
SRSS_IE = AssessmentSpec(
    "srss-ie",
    "Student Risk Screening Scale - Internalizing and Externalizing (SRSS-IE)",
    "Lane, Oakes et al. (Ci3T)",
    "srss-ie",
    "universal_screener",
    (
        MeasureSpec(
            "srss-e7",
            "SRSS-E7 externalizing (original SRSS, 7 items)",
            "behavior",
            "raw",
            K12,
            ("SRSS-E7", "E7", "SRSS", "Externalizing E7"),
            ("srss-e7", "srss-ie-externalizing", "srss-ie", "behavior-screener"),
            0,
            21,
        ),
        MeasureSpec(
            "srss-e5",
            "SRSS-E5 externalizing (secondary, 5 items)",
            "behavior",
            "raw",
            tuple(range(6, 13)),
            ("SRSS-E5", "E5", "Externalizing E5"),
            ("srss-e5", "srss-ie-externalizing", "srss-ie", "behavior-screener"),
            0,
            15,
        ),
        MeasureSpec(
            "srss-i5",
            "SRSS-I5 internalizing (elementary, 5 items)",
            "behavior",
            "raw",
            tuple(range(0, 6)),
            ("SRSS-I5", "I5", "Internalizing I5"),
            ("srss-i5", "srss-ie-internalizing", "srss-ie", "behavior-screener"),
            0,
            15,
        ),
        MeasureSpec(
            "srss-i6",
            "SRSS-I6 internalizing (secondary, 6 items)",
            "behavior",
            "raw",
            tuple(range(6, 13)),
            ("SRSS-I6", "I6", "Internalizing I6"),
            ("srss-i6", "srss-ie-internalizing", "srss-ie", "behavior-screener"),
            0,
            18,
        ),
    ),
)

# SAEBRS, the Social, Academic and Emotional Behavior Risk Screener (Kilgus, von der Embse et
# al.; FastBridge): 19 items rated 0-3, Total Behavior 0-57 from Social (6 items, 0-18),
# Academic (6 items, 0-18) and Emotional (7 items, 0-21) Behavior. FastBridge's published
# Total Behavior cut: at risk at or below 36 (Kilgus et al. 2013, "Development and initial
# validation of the SAEBRS", J. School Psychology); FastBridge splits at-risk students into
# high risk (below the 3rd percentile) and some risk (3rd-16th) by its norms, which its export
# reports as the risk level (kept as the score's category).
SAEBRS = AssessmentSpec(
    "saebrs",
    "Social, Academic, and Emotional Behavior Risk Screener (SAEBRS)",
    "FastBridge (Illuminate Education)",
    "saebrs",
    "universal_screener",
    (
        MeasureSpec(
            "saebrs-total",
            "SAEBRS Total Behavior",
            "behavior",
            "raw",
            K12,
            ("Total Behavior", "SAEBRS Total", "Total"),
            ("saebrs-total", "saebrs", "behavior-screener"),
            0,
            57,
        ),
        MeasureSpec(
            "saebrs-social",
            "SAEBRS Social Behavior",
            "behavior",
            "raw",
            K12,
            ("Social Behavior", "Social"),
            ("saebrs-social",),
            0,
            18,
        ),
        MeasureSpec(
            "saebrs-academic",
            "SAEBRS Academic Behavior",
            "behavior",
            "raw",
            K12,
            ("Academic Behavior", "Academic"),
            ("saebrs-academic",),
            0,
            18,
        ),
        MeasureSpec(
            "saebrs-emotional",
            "SAEBRS Emotional Behavior",
            "behavior",
            "raw",
            K12,
            ("Emotional Behavior", "Emotional"),
            ("saebrs-emotional",),
            0,
            21,
        ),
    ),
)

STANDARD_CATALOG = (*STANDARD_CATALOG, SRSS_IE, SAEBRS)


def standard_measure_keys() -> list[str]:
    return [m.key for a in STANDARD_CATALOG for m in a.measures]
