"""The one guard against spreadsheet formula injection (CSV and XLSX exports, error files).

A cell whose text starts with one of these characters would be run as a formula by
Excel, LibreOffice or Google Sheets (OWASP, "CSV Injection"); a leading apostrophe
makes it plain text.
"""

from __future__ import annotations

FORMULA_FIRST = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value) -> str:
    """The value as text a spreadsheet shows and never runs (None is an empty cell)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_FIRST) else text
