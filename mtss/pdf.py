"""HTML to PDF with WeasyPrint, for every document of the product (MACHINE.md: Noto fonts).

Documents carry everything inline (styles, SVG charts, logos as data: URIs), so the
fetcher allows data: URIs only: nothing is read from disk or the network, and one
fetcher per process avoids WeasyPrint building a TLS context for every document.
"""

from __future__ import annotations

from functools import lru_cache

from django.template.loader import render_to_string


@lru_cache(maxsize=1)
def url_fetcher():
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def html_to_pdf(html: str, **options) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=None, url_fetcher=url_fetcher()).write_pdf(**options)


def render_pdf(template: str, context: dict) -> bytes:
    return html_to_pdf(render_to_string(template, context))
