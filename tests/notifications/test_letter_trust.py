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
import datetime as dt
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
from tests.notifications.helpers import ALL_TYPES, FULL_CONTEXT, add_point_cards, sample_notice

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
            if letter_type == LetterType.POINT_CARD_SUMMARY:
                # The demo's district has no behavior plan: a week of cards on this plan, as the
                # evening job's notice names it (tests.notifications.helpers.sample_notice).
                add_point_cards(plan)
                context.update(
                    point_card_plan=plan.pk,
                    start=plan.start_date.isoformat(),
                    end=(plan.start_date + dt.timedelta(days=4)).isoformat(),
                )
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
    assert set(rendered["types"]) == set(ALL_TYPES) and len(ALL_TYPES) == 13  # 12 + the check-in/check-out summary
    assert len(rendered["letters"]) == 13 * len(CATALOGUED) == 143
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
    assert _flat(fallback["note"]) == _flat(expected)
    assert expected != words.FALLBACK_NOTE % {"language": LANGUAGES[language].name}
    lang = LANGUAGES[language]
    assert f'class="fallback" lang="{lang.bcp47}" dir="{lang.direction}"' in fallback["html"]
    english_note = _runs(words.FALLBACK_NOTE)
    assert not any(run in _flat(fallback["text"]) for run in english_note)


@pytest.mark.parametrize("language", [code for code in CATALOGUED if code != "en"])
def test_every_letter_string_has_a_translation_in_every_catalogue(language):
    """Short strings (a chart legend, a table header) escape the sentence check above: each of
    the letters' strings must differ from its English in every catalogue (Tagalog left three)."""
    # A string with no word of its own ("%(date)s: %(percent)s%%") reads the same in every language.
    worded = {i for i in _msgids() if re.search(r"[^\W\d_]", re.sub(r"%\(\w+\)\w|%%|\{\w+\}", "", i))}
    with translation.override(language):
        untranslated = sorted({i for i in worded if translation.gettext(i) == i})
    assert untranslated == []


# --- the parts, one by one ----------------------------------------------------------------------


def _context(side, letter_type, language, **kwargs):
    notice = sample_notice(
        district=side.district, student=side.students[0], letter_type=letter_type, language=language, **kwargs
    )
    return notice, letter_context(district=side.district, notice=notice, language=language, strict=False)


def test_arabic_isolates_the_phone_number_and_the_names(letters):
    from notifications.services import letter_settings_save

    side = letters["side"]
    with tenant_context(side.district):
        letter_settings_save(district=side.district, actor=None, phone="(865) 555-0100")
        _notice, context = _context(side, "placement_start", "ar")
        html = render_html(context)
    assert "\u2068(865) 555-0100\u2069" in context["closing"]  # a first-strong isolate: it reads left to right
    assert f"<bdi>{side.students[0].full_name}</bdi>" in html


def test_numbers_are_written_once_by_the_letters_locale_in_text_and_chart(letters):
    plan = letters["plans"][0]
    side = letters["side"]
    with tenant_context(side.district):
        _notice, context = _context(side, "progress_report", "es", context={"plan_ids": [plan.pk]})
    progress = next(b for b in context["blocks"] if b["key"] == "progress_summary")
    rates = re.findall(r"(\d[\d.,]*) por semana", progress["paragraphs"][0])
    assert rates and not any("." in rate for rate in rates)  # as Spanish writes it
    # The text's and the chart's numbers come from one formatter: "1,68" and "71,2", never "1.68".
    from interventions.charts import _Tr
    from notifications.letters.render import _num

    with translation.override("es"):
        assert _num(1.68, 2) == "1,68"
    with _Tr("es") as chart:
        assert chart.num(71.2) == "71,2"
    with translation.override("ar"), _Tr("ar") as chart:
        assert _num(1.68, 2) == "1.68" and chart.num(71.2) == "71.2"
    ticks = re.findall(r'<g class="y-ticks"[^>]*>(.*?)</g>', progress["charts"][0])[0]
    assert "." not in re.sub(r"<[^>]+>", " ", ticks)  # the chart agrees (no "71.2" beside "1,68")


def test_chart_text_carries_the_letters_language_and_its_font(letters):
    plan = letters["plans"][0]
    side = letters["side"]
    with tenant_context(side.district):
        for language, font in (
            ("zh-hant", "Noto Sans CJK TC"),
            ("ko", "Noto Sans CJK KR"),
            ("zh-hans", "Noto Sans CJK SC"),
        ):
            _notice, context = _context(side, "progress_report", language, context={"plan_ids": [plan.pk]})
            chart = next(b for b in context["blocks"] if b["key"] == "progress_summary")["charts"][0]
            lang = LANGUAGES[language].bcp47
            assert f'lang="{lang}"' in chart and f"font-family=\"'{font}'," in chart, language
            with translation.override(language):
                assert f">{translation.gettext('Score')}</text>" in chart  # the axis label, from the catalogue


def test_staff_notes_and_the_policys_english_sit_in_marked_boxes(letters):
    side = letters["side"]
    context = dict(FULL_CONTEXT, notes="Two more sessions a week.", services=[{"tier": 2, "area": "reading"}])
    with tenant_context(side.district):
        _notice, es = _context(side, "tier_change", "es", context=context)
        html = render_html(es)
        _notice, en = _context(side, "tier_change", "en", context=context)
    boxes = _school_words(es)
    assert "Two more sessions a week." in boxes
    assert any(text.startswith("Tier II. ") for text in boxes)  # the policy's tier: no Spanish in the policy
    assert 'class="school-label">Escrito por la escuela en inglés:</span> <span lang="en" dir="ltr">' in html
    assert _school_words(en) == []  # an English letter shows the same words plainly


def test_a_policy_translation_of_the_tier_replaces_the_box(letters):
    from tests.notifications.helpers import all_language_policy, use_policy

    side = letters["side"]
    data = all_language_policy()
    tier = next(t for t in data["tiers"] if t["number"] == 2)
    tier["name_translations"] = {"es": "Nivel 2: apoyo en grupo pequeño"}
    tier["description_translations"] = {"es": "Enseñanza adicional en grupos pequeños."}
    use_policy(side.district, data)
    with tenant_context(side.district):
        _notice, es = _context(
            side, "tier_change", "es", context=dict(FULL_CONTEXT, services=[{"tier": 2, "area": "reading"}])
        )
    services = next(b for b in es["blocks"] if b["key"] == "summary_of_services")["bullets"]
    assert any(
        isinstance(s, str) and "Nivel 2: apoyo en grupo pequeño" in s and "Enseñanza adicional" in s for s in services
    )


def test_the_raw_decision_is_never_the_teachers_recommendation(letters):
    side = letters["side"]
    context = dict(FULL_CONTEXT, decision="reduce", teacher_recommendation="Reduce (lower tier)")
    with tenant_context(side.district):
        _notice, es = _context(side, "placement_end", "es", context=context)
    block = next(b for b in es["blocks"] if b["key"] == "teacher_recommendation")
    with translation.override("es"):
        assert block["paragraphs"] == [translation.gettext(words.DECISIONS["reduce"])]


def test_unreviewed_languages_wait_unless_the_district_sends_them_and_the_notice_records_it(letters):
    from notifications.services import language_set_reviewed, notice_generate
    from tests.notifications.helpers import all_language_policy, use_policy

    side = letters["side"]
    data = all_language_policy()
    data["parent_contact"]["send_unreviewed_letters"] = ["es"]
    use_policy(side.district, data)
    with tenant_context(side.district):
        vi = sample_notice(
            district=side.district, student=side.students[0], letter_type="placement_start", language="vi", save=True
        )
        es = sample_notice(
            district=side.district,
            student=side.students[0],
            letter_type="placement_start",
            language="es",
            period_key="es",
            save=True,
        )
        notice_generate(district=side.district, notice=vi)
        notice_generate(district=side.district, notice=es)
        assert (vi.rendered_language, vi.catalogue_reviewed) == ("en", True)  # held: sent in reviewed English
        assert "not reviewed the letters" in vi.fallback_reason
        assert (es.rendered_language, es.catalogue_reviewed) == ("es", False)  # the district sends it unreviewed
        language_set_reviewed(district=side.district, language="vi", reviewed=True, actor=None)
        notice_generate(district=side.district, notice=vi)
        assert (vi.rendered_language, vi.catalogue_reviewed, vi.fallback_reason) == ("vi", True, "")
