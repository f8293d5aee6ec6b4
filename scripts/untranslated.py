"""List the entries of a catalogue that still need a translator.

    .venv/bin/python scripts/untranslated.py                 # the Spanish staff catalogue
    .venv/bin/python scripts/untranslated.py --sync          # first re-extract the source (makemessages)
    .venv/bin/python scripts/untranslated.py locale/xx/LC_MESSAGES/django.po

Prints each untranslated (or partly translated plural) and each fuzzy entry: its source
locations, then the msgid (and msgid_plural) as they appear in the .po file, so the lead can
translate the remainder after merging branches. Exit status 1 when any entry is listed.
The parsing is Babel's (babel.messages.pofile), the same as tests/test_spanish_catalogue.py.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"


def needs_work(path: Path) -> list[tuple[str, object]]:
    """(why, message) for every entry that is untranslated, partly translated or fuzzy."""
    with path.open("rb") as handle:
        catalog = read_po(handle, abort_invalid=True)
    found = []
    for message in catalog:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s and s.strip() for s in strings):
            found.append(("untranslated", message))
        elif message.fuzzy:
            found.append(("fuzzy", message))
    return found


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("po", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--sync", action="store_true", help="run `manage.py makemessages -l es` first")
    args = parser.parse_args(argv)
    if args.sync:
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-l", "es", "--ignore", ".venv/*", "--ignore", "var/*"],
            cwd=ROOT,
            check=True,
            env={"DJANGO_SETTINGS_MODULE": "mtss.settings_test", **os.environ},
        )
    entries = needs_work(args.po)
    for why, message in entries:
        where = " ".join(f"{f}:{n}" for f, n in message.locations[:3])
        print(f"# {why}{'  ' + where if where else ''}")
        if message.context:
            print(f"msgctxt {_quote(message.context)}")
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        print(f"msgid {_quote(ids[0])}")
        if len(ids) > 1:
            print(f"msgid_plural {_quote(ids[1])}")
        print()
    print(f"{len(entries)} entries of {args.po} need a translator.", file=sys.stderr)
    return 1 if entries else 0


if __name__ == "__main__":
    sys.exit(main())
