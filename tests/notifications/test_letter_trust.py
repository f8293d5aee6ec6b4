"""Letters a family can trust (issue 18 item 6): every letter type in every language, from the
demo's own data, rendered once for the whole module.

A letter in a language other than English fails when it carries an English sentence of the
product's own (a catalogue msgid, a staff decision label) or a district's English text outside
the marked "written by the school in English" boxes, when its PDF is not tagged, and when the
note of a letter sent in English is not in the family's language.

English sentences are found by list, not by guessing the language: the letters' msgids (the
letter catalogue, locale/ar/LC_MESSAGES/django.po, holds exactly the letters' strings), cut
at their placeholders into runs of three words or more, plus the decisions' staff labels and
the demo policy's tier descriptions.
"""

from __future__ import annotations

import ast
import copy
import re
import subprocess
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from demo import districts as demo
from interventions.models import Decision, Plan
from mtss.selectors import policy_document
from mtss.tenancy import tenant_context
from notifications.languages import CATALOGUED, LANGUAGES, letter_language
from notifications.letters import blocks as words
from notifications.letters.blocks import SchoolWords
from notifications.letters.pdf import html_to_pdf
from notifications.letters.render import letter_context, letterhead, render_html
from notifications.models import LetterType, Notice
from students.models import Student
from tests.notifications.helpers import ALL_TYPES, FULL_CONTEXT, sample_notice

# The module's database comes from its django_db mark (pytest-django sets up the databases
# the collected tests ask for); the rendering itself happens once, in `rendered`.
pytestmark = pytest.mark.django_db

DEMO = "loudon-county-tn"
DEMO_STUDENTS = 40
ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)s|%%|%s")


# The modules whose gettext strings a letter prints (its blocks, its builders, its chart).
LETTER_SOURCES = [
    "notifications/letters/blocks.py",
    "notifications/letters/render.py",
    "interventions/charts.py",
    "interventions/progress.py",
]


def _msgids() -> list[str]:
    """The letter catalogue's msgids, and every string the letters' code marks for translation
    (a string added to the code but to no catalogue is English in every letter)."""
    text = (ROOT / "locale" / "ar" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    ids = []
    for block in re.findall(r'^msgid ((?:".*"\n)+)', text, re.M):
        ids.append("".join(re.findall(r'"(.*)"', block)).replace('\\"', '"'))
    for source in LETTER_SOURCES:
        for node in ast.walk(ast.parse((ROOT / source).read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
            if name in ("_", "gettext", "gettext_noop") and isinstance(node.args[0].value, str):
                ids.append(node.args[0].value)
    return [i for i in ids if i]


def _runs(sentence: str) -> list[str]:
    """The runs of three or more words of an English sentence between its placeholders."""
    runs = []
    for piece in PLACEHOLDER.split(sentence):
        piece = " ".join(piece.split()).strip(" ,.:;()")
        if len(re.findall(r"[A-Za-z]+", piece)) >= 3:
            runs.append(piece)
    return runs


def _english_runs(policy) -> set[str]:
    sentences = _msgids()
    with translation.override("en"):
        sentences += [str(label) for label in Decision.Kind.labels]
    sentences += [tier.description for tier in policy.tiers]
    return {run for sentence in sentences for run in _runs(sentence)}


def _flat(text: str) -> str:
    return " ".join(text.replace("\u2068", "").replace("\u2069", "").split())


def _pdf_text(pdf: bytes, tmp: Path) -> str:
    path = tmp / "letter.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()


def _tagged(pdf: bytes, tmp: Path) -> bool:
    path = tmp / "letter.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True).stdout.decode()
    return bool(re.search(r"^Tagged:\s+yes", info, re.M))


def _school_words(context: dict) -> list[str]:
    """The texts the letter shows in "written by the school" boxes."""
    found = []

    def visit(item):
        if isinstance(item, SchoolWords):
            found.append(item.text)
        elif isinstance(item, dict):
            for value in item.values():
                visit(value)
        elif isinstance(item, list | tuple):
            for value in item:
                visit(value)

    for block in context["blocks"]:
        visit({k: v for k, v in block.items() if k != "charts"})
    return found


def _demo_notices(district) -> dict[str, Notice]:
    """One notice of each letter type: the demo's own where it wrote one, else one about a demo
    student with a plan, carrying the context the product's events write."""
    found: dict[str, Notice] = {}
    for notice in Notice.objects.filter(district=district).select_related("student", "school").order_by("id"):
        found.setdefault(notice.letter_type, notice)
    plan = (
        Plan.objects.filter(district=district, status=Plan.Status.ACTIVE)
        .select_related("student", "student__school")
        .order_by("id")
        .first()
    )
    student = plan.student if plan is not None else Student.objects.filter(district=district).first()
    for letter_type in ALL_TYPES:
        if letter_type in found:
            continue
        context = copy.deepcopy(FULL_CONTEXT)
        context["services"] = [{"tier": 2, "area": "reading", "text": "Reading: Tier 2"}]
        context["plan_sections"] = {
            "rimp": [
                {"heading": "reading_deficiency", "text": "Phonics and decoding of multisyllable words"},
                {"heading": "monitoring", "text": "Weekly oral reading fluency probes"},
            ]
        }
        context["notes"] = "Two more sessions a week in the afternoon group."
        if plan is not None:
            context["plan_ids"] = [plan.pk]
        found[letter_type] = sample_notice(
            district=district, student=student, letter_type=letter_type, language="en", context=context
        )
    return found


@pytest.fixture(scope="module")
def rendered(django_db_setup, django_db_blocker, tmp_path_factory):
    """Every letter type in every language, rendered once from a seeded demo district; the
    seed is rolled back when the module is done."""
    tmp = tmp_path_factory.mktemp("letters")
    out = {"letters": {}, "fallbacks": {}}
    # pdftotext and pdfinfo come with poppler-utils (.ci/run installs it).
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=tmp / "media"),
        transaction.atomic(),
    ):
        demo.seed_demo(sizes={DEMO: DEMO_STUDENTS}, only=True)
        from mtss.models import District

        district = District.objects.get(slug=DEMO)
        with tenant_context(district):
            _version, policy = policy_document(district=district)
            out["english_runs"] = _english_runs(policy)
            head = letterhead(district=district)
            notices = _demo_notices(district)
            out["types"] = sorted(notices)
            for letter_type, notice in notices.items():
                for language in CATALOGUED:
                    context = letter_context(
                        district=district, notice=notice, language=language, policy=policy, head=head, strict=False
                    )
                    pdf = html_to_pdf(render_html(context))
                    out["letters"][letter_type, language] = {
                        "language": context["language"],
                        "missing": [gap.block for gap in context["missing"]],
                        "school_words": _school_words(context),
                        "text": _pdf_text(pdf, tmp),
                        "tagged": _tagged(pdf, tmp),
                    }
            # The fallback: a district that has reviewed no catalogue and sends none unreviewed.
            held = policy.model_copy(
                update={"parent_contact": policy.parent_contact.model_copy(update={"send_unreviewed_letters": []})}
            )
            notice = notices[LetterType.PLACEMENT_START]
            for language in CATALOGUED:
                if language == "en":
                    continue
                notice.language = language
                context = letter_context(district=district, notice=notice, policy=held, head=head, strict=False)
                html = render_html(context)
                out["fallbacks"][language] = {
                    "language": context["language"],
                    "note": context["fallback_note"],
                    "html": html,
                    "text": _pdf_text(html_to_pdf(html), tmp),
                    "choice": letter_language(policy=held, requested=language, reviewed=head.reviewed),
                }
        transaction.set_rollback(True)
    return out


def test_every_letter_type_renders_in_every_language_from_the_demo(rendered):
    assert set(rendered["types"]) == set(ALL_TYPES) and len(ALL_TYPES) == 12
    assert len(rendered["letters"]) == 12 * len(CATALOGUED) == 132
    for (letter_type, language), letter in rendered["letters"].items():
        assert letter["language"] == language, (letter_type, language)
        assert letter["missing"] == [], (letter_type, language, letter["missing"])


@pytest.mark.parametrize("language", [code for code in CATALOGUED if code != "en"])
def test_no_english_sentence_outside_the_school_boxes(rendered, language):
    runs = rendered["english_runs"]
    assert len(runs) > 100  # the list really holds the letters' sentences
    leaks = {}
    for letter_type in rendered["types"]:
        letter = rendered["letters"][letter_type, language]
        text = _flat(letter["text"])
        for written in letter["school_words"]:
            text = text.replace(_flat(written), " ")
        found = sorted(run for run in runs if run in text)
        if found:
            leaks[letter_type] = found
    assert leaks == {}, f"English in the {LANGUAGES[language].english} letters"


def test_every_letter_is_a_tagged_pdf(rendered):
    untagged = [key for key, letter in rendered["letters"].items() if not letter["tagged"]]
    assert untagged == []


def test_the_english_check_catches_an_untranslated_sentence(rendered):
    """The check above is not vacuous: an English letter shows the runs it looks for."""
    runs = rendered["english_runs"]
    english = _flat(rendered["letters"][LetterType.PLACEMENT_START, "en"]["text"])
    assert any(run in english for run in runs)


@pytest.mark.parametrize("language", [code for code in CATALOGUED if code != "en"])
def test_a_letter_sent_in_english_carries_its_note_in_the_familys_language(rendered, language):
    fallback = rendered["fallbacks"][language]
    assert fallback["language"] == "en"
    assert "reviewed" in str(fallback["choice"][1])  # held: the district has not reviewed it
    with translation.override(language):
        expected = translation.gettext(words.FALLBACK_NOTE) % {"language": LANGUAGES[language].name}
    assert fallback["note"] == expected and expected != words.FALLBACK_NOTE % {"language": LANGUAGES[language].name}
    lang = LANGUAGES[language]
    assert f'class="fallback" lang="{lang.bcp47}" dir="{lang.direction}"' in fallback["html"]
    english_note = _runs(words.FALLBACK_NOTE)
    assert not any(run in _flat(fallback["text"]) for run in english_note)
