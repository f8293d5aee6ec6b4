"""List template text a user would read that is not inside a translation tag.

Run: .venv/bin/python scripts/unmarked_template_text.py [templates/]
Prints file:line and the text. Text nodes and the user-facing attributes (placeholder,
title, aria-label, alt, value of buttons) count; Django tags, variables, comments,
<script>/<style> bodies and translated blocks do not.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

BLOCKS = [
    re.compile(r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}", re.S),
    re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S),
    re.compile(r"{#.*?#}", re.S),
    re.compile(r"<script\b.*?</script>", re.S | re.I),
    re.compile(r"<style\b.*?</style>", re.S | re.I),
    re.compile(r"{%.*?%}", re.S),
    re.compile(r"{{.*?}}", re.S),
]
ATTR = re.compile(r"""\b(placeholder|title|aria-label|alt|data-confirm|hx-confirm)\s*=\s*("[^"]*"|'[^']*')""", re.I)
TAG = re.compile(r"<[^>]*>", re.S)
WORD = re.compile(r"[A-Za-z]{2,}")
# Names that stay as they are in every language (the product, programs, standards, sites).
PROPER_NAMES = ("MTSS", "What Works Clearinghouse", "Evidence for ESSA", "OneRoster")


def _blank(match: re.Match) -> str:
    # Keep the newlines so line numbers stay right.
    return re.sub(r"[^\n]", " ", match.group(0))


def unmarked(text: str) -> list[tuple[int, str]]:
    for pattern in BLOCKS:
        text = pattern.sub(_blank, text)
    found = []
    for m in ATTR.finditer(text):
        value = m.group(2)[1:-1].strip()
        if WORD.search(value):
            found.append((text.count("\n", 0, m.start()) + 1, f"{m.group(1)}={value!r}"))
    text = TAG.sub(_blank, text)
    for m in re.finditer(r"[^\n]+", text):
        chunk = m.group(0).strip()
        chunk = re.sub(r"&[a-z]+;|&#\d+;", " ", chunk).strip()
        for name in PROPER_NAMES:
            chunk = chunk.replace(name, " ")
        if WORD.search(chunk):
            found.append((text.count("\n", 0, m.start()) + 1, chunk))
    return found


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path("templates")]
    total = 0
    for root in roots:
        for path in sorted(root.rglob("*.html")):
            if "/letters/" in str(path):
                continue
            for line, text in unmarked(path.read_text(encoding="utf-8")):
                print(f"{path}:{line}: {text}")
                total += 1
    print(f"{total} unmarked", file=sys.stderr)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
