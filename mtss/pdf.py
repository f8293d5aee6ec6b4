"""HTML to PDF with WeasyPrint, for every document of the product (MACHINE.md: Noto fonts).

Documents carry everything inline (styles, SVG charts, logos as data: URIs), so the
fetcher allows data: URIs only: nothing is read from disk or the network, and one
fetcher per process avoids WeasyPrint building a TLS context for every document.
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from functools import lru_cache

from django.core.cache import cache
from django.template.loader import render_to_string

# A rendered document is kept this long; its key changes as soon as its content would.
PDF_CACHE_SECONDS = 6 * 3600
# Called before a render that the cache could not spare (mtss.throttles.pdf_render_limit
# sets it for a request); it raises to refuse the render.
render_guard: ContextVar = ContextVar("pdf_render_guard", default=None)


@lru_cache(maxsize=1)
def url_fetcher():
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def html_to_pdf(html: str, **options) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=None, url_fetcher=url_fetcher()).write_pdf(**options)


def render_pdf(template: str, context: dict) -> bytes:
    return html_to_pdf(render_to_string(template, context))


def render_pdf_cached(template: str, context: dict, *, district_id: int) -> bytes:
    """Render once, serve repeats from the cache (issue 16: PDFs rendered in the request, unlimited).

    The key is the district and a digest of the document's HTML without its "Generated"
    time: the same object with no change since gives the same key, any change to what the
    document shows (its object, its data, the viewer's visible rows, the language) a new
    one. A cached copy says when it was generated, which is still true of its content.
    """
    fingerprint = hashlib.sha256(render_to_string(template, {**context, "generated_at": None}).encode()).hexdigest()
    key = f"pdf:{district_id}:{fingerprint}"
    pdf = cache.get(key)
    if pdf is None:
        guard = render_guard.get()
        if guard is not None:
            guard()
        pdf = render_pdf(template, context)
        cache.set(key, pdf, PDF_CACHE_SECONDS)
    return pdf
