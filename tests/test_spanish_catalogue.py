"""The Spanish staff UI is complete (issue 14, scope 8).

Fails when a Spanish entry is untranslated or fuzzy, when a translation drops or invents a
placeholder or an HTML tag, when the catalogue is out of step with the source (a new
_()/{% translate %} string not yet extracted, or a removed one still listed), and when a
template shows text outside a translation tag. To fix: `make messages`, translate what
`scripts/untranslated.py` lists, `make messages` again (it compiles the .mo).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
SPANISH = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\([A-Za-z_]+\)[sdrf]|%[sdrf]|%%|\{[A-Za-z_]*\}")
TAG = re.compile(r"</?[A-Za-z][^>]*>")


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle, abort_invalid=True)


def _key(message) -> tuple:
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    return (message.context, *ids)


def test_every_spanish_entry_is_translated_and_none_is_fuzzy():
    untranslated = _script("untranslated")
    problems = untranslated.needs_work(SPANISH)
    listed = [f"{why}: {message.id!r}" for why, message in problems]
    assert not listed, f"{len(listed)} Spanish entries need a translator:\n" + "\n".join(listed[:40])
    assert len(_catalog(SPANISH)) > 2000  # the whole staff UI, not a stub


def test_the_check_catches_untranslated_fuzzy_and_half_plural_entries(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgid "Done"\nmsgstr "Hecho"\n\n'
        'msgid "Save"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Tier 2"\nmsgstr "Nivel 3"\n\n'
        'msgid "%(n)s row"\nmsgid_plural "%(n)s rows"\nmsgstr[0] "%(n)s fila"\nmsgstr[1] ""\n',
        encoding="utf-8",
    )
    found = {
        (why, message.id if isinstance(message.id, str) else message.id[0])
        for why, message in _script("untranslated").needs_work(po)
    }
    assert found == {("untranslated", "Save"), ("fuzzy", "Tier 2"), ("untranslated", "%(n)s row")}


def test_translations_keep_every_placeholder_and_tag():
    wrong = []
    for message in _catalog(SPANISH):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for index, text in enumerate(strings):
            source = ids[min(index, len(ids) - 1)]
            # A singular form may say "one" instead of "%(n)s"; it must not invent any other.
            want_ph = sorted(PLACEHOLDER.findall(source)) if "python-format" in message.flags else []
            have_ph = sorted(PLACEHOLDER.findall(text)) if "python-format" in message.flags else []
            if (want_ph != have_ph and not (index == 0 and len(ids) > 1 and set(have_ph) <= set(want_ph))) or sorted(
                TAG.findall(source)
            ) != sorted(TAG.findall(text)):
                wrong.append(f"{source!r} -> {text!r}")
    assert not wrong, "\n".join(wrong)


def test_the_catalogue_is_in_step_with_the_source(tmp_path):
    """Extract the source again (Django's makemessages on a copy) and compare the msgids."""
    assert shutil.which("xgettext"), "gettext is needed (apt-get install gettext; .ci/run installs it)"
    skip = shutil.ignore_patterns(
        ".venv", "var", ".git", "locale", "node_modules", "__pycache__", "*.pyc", ".ruff_cache"
    )
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=skip)
    (copy / "locale").mkdir()
    script = (
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mtss.settings_test'); django.setup()\n"
        "from django.core.management import call_command\n"
        "from django.test.utils import override_settings\n"
        "with override_settings(LOCALE_PATHS=[os.path.abspath('locale')]):\n"
        "    call_command('makemessages', locale=['es'], ignore_patterns=['.venv/*', 'var/*'], verbosity=0)\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=copy, check=True, timeout=300)
    fresh = {_key(m) for m in _catalog(copy / "locale" / "es" / "LC_MESSAGES" / "django.po") if m.id}
    current = {_key(m) for m in _catalog(SPANISH) if m.id}
    assert not fresh - current, f"not in the Spanish catalogue (run `make messages`): {sorted(fresh - current)[:20]}"
    assert not current - fresh, f"no longer in the source (run `make messages`): {sorted(current - fresh)[:20]}"


def test_no_template_shows_text_outside_a_translation_tag():
    found = []
    scanner = _script("unmarked_template_text")
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if "/letters/" in str(path):
            continue  # the letters have their own catalogues per language
        found += [f"{path.relative_to(ROOT)}:{line}: {text}" for line, text in scanner.unmarked(path.read_text())]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("english", "spanish"),
    [
        ("Tier %(number)s", "Nivel %(number)s"),
        ("Progress monitoring", "Monitoreo del progreso"),
        ("Screening", "Evaluación universal"),
        ("My caseload", "Mis casos"),
    ],
)
def test_the_compiled_catalogue_is_the_one_django_uses(english, spanish):
    with translation.override("es"):
        assert translation.gettext(english) == spanish


def test_spanish_pages_write_dates_in_spanish_and_numbers_as_us_staff_do():
    """Django's formats with the active language (mtss/formats/es: es_US number conventions)."""
    import datetime as dt

    from django.template import Context, Template
    from django.utils import formats

    day = dt.datetime(2026, 9, 7, 15, 30)
    template = Template(
        '{% load i18n %}{% translate "l, F j" context "date format" as f %}{{ day|date:f }} · {{ rate }} · '
        '{% translate "M j, Y H:i" context "date format" as g %}{{ day|date:g }} · {{ day|date:"YEAR_MONTH_FORMAT" }}'
    )
    with translation.override("es"):
        assert (
            template.render(Context({"day": day, "rate": 1.25}))
            == "lunes 7 de septiembre · 1.25 · 7 Sep 2026 15:30 · septiembre de 2026"
        )
        assert formats.date_format(day.date()) == "7 de septiembre de 2026"
        assert formats.number_format(1234.5, decimal_pos=1, force_grouping=True) == "1,234.5"
    with translation.override("en"):  # English pages are unchanged
        assert (
            template.render(Context({"day": day, "rate": 1.25}))
            == "Monday, September 7 · 1.25 · Sep 7, 2026 15:30 · September 2026"
        )
