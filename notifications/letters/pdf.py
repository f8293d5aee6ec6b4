"""PDF output with WeasyPrint: one letter, and a print batch merged into one file.

Fonts come from fontconfig (Debian's fonts-noto-core and fonts-noto-cjk, installed by
.ci/run and the Dockerfile); WeasyPrint subsets them with libharfbuzz-subset0, so a
letter embeds only the glyphs it uses. The stylesheet is parsed once per process.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

CSS_PATH = Path(__file__).with_name("letter.css")
PDF_VARIANT = "pdf/ua-1"


def letter_css_text() -> str:
    return CSS_PATH.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _weasy():
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    from mtss.pdf import url_fetcher

    fonts = FontConfiguration()
    # Letters carry everything inline (logo and chart as data); the shared fetcher allows
    # data: URIs only, one per process (a new TLS context per letter cost ~25 ms).
    fetcher = url_fetcher()
    return CSS(string=letter_css_text(), font_config=fonts, url_fetcher=fetcher), fonts, fetcher


def html_to_pdf(html: str) -> bytes:
    """Render a standalone letter document (no external resources: logo and chart are inline)."""
    from mtss.pdf import html_to_pdf as render

    stylesheet, fonts, _fetcher = _weasy()
    # PDF/UA-1: a tagged PDF (structure tree, reading order, language), so a screen reader
    # reads the letter as headings, paragraphs, lists and tables (issue 18 item 6).
    return render(html, stylesheets=[stylesheet], font_config=fonts, pdf_variant=PDF_VARIANT)


def merge_pdfs(files, progress=None) -> tuple[bytes, int]:
    """Concatenate stored letter PDFs (FieldFiles or bytes), in the given order, into one.

    Each letter starts on a fresh sheet: a letter with an odd page count gets a blank
    page after it, so a duplex printer never prints one family's letter on the back of
    another's. `progress(n)` is called after the n-th letter (a print batch's progress bar).
    """
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for count, item in enumerate(files, start=1):
        if isinstance(item, (bytes, bytearray)):
            data = bytes(item)
        else:
            with item.open("rb") as handle:
                data = handle.read()
        reader = PdfReader(io.BytesIO(data))
        writer.append(reader)
        if len(reader.pages) % 2:
            box = reader.pages[0].mediabox
            writer.add_blank_page(width=float(box.width), height=float(box.height))
        if progress is not None:
            progress(count)
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(writer.pages)
