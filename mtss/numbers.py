"""Numbers written for people, in their language's convention (CLDR data through Babel).

One place formats every number a family or a staff member reads in a chart or a letter,
so a letter never prints "71,2" on its graph and "1.68" in its text (issue 18 item 6).
"""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal

# Django's language codes that CLDR spells differently.
_CLDR = {"zh-hans": "zh_Hans", "zh-hant": "zh_Hant", "tl": "fil"}


@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    code = (language or "en").lower()
    try:
        return Locale.parse(_CLDR.get(code, code.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def format_number(value: float | int, language: str, *, decimals: int | None = None) -> str:
    """`value` with at most `decimals` decimals (None: none for whole numbers, else up to 2),
    trailing zeros dropped, grouped and with the decimal sign of `language`."""
    number = float(value)
    if decimals is None:
        decimals = 0 if abs(number - round(number)) < 1e-9 else 2
    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
    text = format_decimal(round(number, decimals), format=pattern, locale=_locale(language))
    return "0" if text in ("-0", "") else text
