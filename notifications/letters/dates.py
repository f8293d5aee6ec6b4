"""Dates written out in the letter's language ("22 de noviembre de 2026").

Kept as data rather than catalogue entries: the pattern differs per language (year
first in Chinese and Korean, genitive month names in Russian and Armenian), and a
letter's date must not depend on which Django locale files happen to be installed.
"""

from __future__ import annotations

import datetime as dt

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "vi": "1 2 3 4 5 6 7 8 9 10 11 12",
    "tl": "Enero Pebrero Marso Abril Mayo Hunyo Hulyo Agosto Setyembre Oktubre Nobyembre Disyembre",
    # Genitive forms: "22 ноября 2026 г.", "22 նոյեմբերի 2026 թ."
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "hy": "հունվարի փետրվարի մարտի ապրիլի մայիսի հունիսի հուլիսի օգոստոսի սեպտեմբերի հոկտեմբերի նոյեմբերի դեկտեմբերի",
    "ar": "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر",
    "ht": "janvye fevriye mas avril me jen jiyè out septanm oktòb novanm desanm",
}
_PATTERNS = {
    "en": "{month} {day}, {year}",
    "es": "{day} de {month} de {year}",
    "zh-hans": "{year}年{m}月{day}日",
    "zh-hant": "{year}年{m}月{day}日",
    "ko": "{year}년 {m}월 {day}일",
    "vi": "ngày {day} tháng {m} năm {year}",
    "tl": "{month} {day}, {year}",
    "ru": "{day} {month} {year} г.",
    "hy": "{day} {month} {year} թ.",
    "ar": "{day} {month} {year}",
    "ht": "{day} {month} {year}",
}


def long_date(day: dt.date, language: str) -> str:
    pattern = _PATTERNS.get(language, _PATTERNS["en"])
    months = _MONTHS.get(language, _MONTHS["en"]).split()
    return pattern.format(day=day.day, m=day.month, month=months[day.month - 1], year=day.year)
