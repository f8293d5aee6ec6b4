"""HTML to PDF with WeasyPrint: one place for base URL and fonts (MACHINE.md: Noto fonts)."""
from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    # Static files (the stylesheet, a logo) resolve from the project directory; no network.
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def render_pdf(template: str, context: dict) -> bytes:
    return html_to_pdf(render_to_string(template, context))
