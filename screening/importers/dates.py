"""Test dates in vendor exports: one day/month order per file, two-digit years, month names.

Real exports write dates in whatever the vendor's (or the spreadsheet's) locale says, and a
file that went through Excel comes back with two-digit years and month names. The rules
(README, "Score import", "Dates"):

* `2019-09-16` / `2019/09/16` (year first) is read as it is.
* `16/09/2019`, `09/16/2019`, `16-09-2019`, `16.09.2019` (numbers only): the order of day and
  month is decided **per file**. The first date of the file that can only be read one way
  (a first number above 12: day first; a second number above 12: month first) decides for every
  other date of the file, so `11-09-2019` in a file that also holds `25-09-2019` is 11 September.
  A file where no date decides is read month first (US vendors), or, where a vendor documents
  another order (aimswebPlus writes `06-01-2020` for 6 January), in that vendor's order.
  A date that contradicts the file's order (`13/01/2020` in a month-first file) is rejected,
  naming the line that decided the order.
* Two-digit years (`10/30/20`, `18-Aug-22`) are 20YY: a screening test is never older than
  2000. A date far from the file's school year (a typo) is then refused by the window check of
  the pipeline (screening/importers/pipeline.py), as is a date in the future.
* Month names, English, full or abbreviated: `18-Aug-22`, `18 August 2022`, `Aug 18, 2022`,
  `August 18 2022`, `2022-Aug-18`.
* A time part (`2019-09-16 10:22:00`, `9/16/2019 9:00:00 AM`, `2019-09-16T10:22:00Z`) is dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable

MONTH_FIRST, DAY_FIRST = "month first", "day first"

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
ACCEPTED = "YYYY-MM-DD, M/D/YYYY, D/M/YYYY, M/D/YY or 18-Aug-2022"

_TIME = re.compile(
    r"(?:[T ]+|\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$"
)
_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})")
_DAY_NAME = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[\s/.-]+([A-Za-z]{3,9})\.?[\s/.,-]+(\d{4}|\d{2})")
_NAME_DAY = re.compile(r"([A-Za-z]{3,9})\.?[\s/.-]+(\d{1,2})(?:st|nd|rd|th)?,?[\s/.-]+(\d{4}|\d{2})")
_YEAR_NAME = re.compile(r"(\d{4})[\s/.-]+([A-Za-z]{3,9})\.?[\s/.-]+(\d{1,2})")


def full_year(text: str) -> int:
    """`20` -> 2020: a two-digit year is 20YY (module docstring)."""
    return 2000 + int(text) if len(text) == 2 else int(text)


def _day_part(text: str) -> str:
    return _TIME.sub("", text.strip()).strip()


def numeric_order(text: str) -> str | None:
    """The order a numbers-only date can only be read in (`25/09/2019`: day first), else None."""
    match = _NUMERIC.fullmatch(_day_part(text))
    if not match:
        return None
    first, second = int(match[1]), int(match[3])
    if first > 12 >= second:
        return DAY_FIRST
    if second > 12 >= first:
        return MONTH_FIRST
    return None


def _calendar(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a date on the calendar") from None


def _month(name: str, text: str) -> int:
    month = MONTHS.get(name.lower())
    if month is None:
        raise ValueError(f"{text!r} is not a date ({ACCEPTED}): {name!r} is not a month")
    return month


class FileDates:
    """The dates of one file, read in the file's own day/month order (module docstring).

    `scan` is called once, at the first date that numbers alone cannot place; it returns the
    first date text of the file that decides the order, with its line, or None. Readers pass a
    second, column-only pass over the same file, so a deciding date further down still counts.
    """

    def __init__(
        self,
        name: str,
        *,
        scan: Callable[[], tuple[str, int] | None] | None = None,
        default: Callable[[str], str] | str = MONTH_FIRST,
    ):
        self.name = name
        self.scan = scan
        self.default = default
        self.order: str | None = None
        self.evidence: tuple[str, int | None] | None = None  # (date text, line) that decided the order
        self.scanned = False

    def _settle(self, separator: str) -> str:
        if self.order is None and not self.scanned:
            self.scanned = True
            found = self.scan() if self.scan else None
            if found is not None:
                text, line = found
                self.order, self.evidence = numeric_order(text), (text, line)
        if self.order is not None:
            return self.order
        return self.default(separator) if callable(self.default) else self.default

    def parse(self, value: str, *, line: int | None = None) -> dt.date:
        text = value.strip()
        day_part = _day_part(text)
        if match := _YEAR_FIRST.fullmatch(day_part):
            return _calendar(int(match[1]), int(match[2]), int(match[3]), text)
        if match := _NUMERIC.fullmatch(day_part):
            first, separator, second, year = int(match[1]), match[2], int(match[3]), full_year(match[4])
            order = numeric_order(day_part)
            if order is not None:
                if self.order is None:
                    self.order, self.evidence = order, (text, line)
                elif order != self.order:
                    where = f" on line {self.evidence[1]}" if self.evidence and self.evidence[1] else ""
                    example = f" (e.g. {self.evidence[0]!r}{where})" if self.evidence else ""
                    raise ValueError(
                        f"{text!r} is written {order}, but this file's other dates are {self.order}{example}; "
                        "check the date"
                    )
            else:
                order = self._settle(separator)
            month, day = (first, second) if order == MONTH_FIRST else (second, first)
            return _calendar(year, month, day, text)
        if match := _DAY_NAME.fullmatch(day_part):
            return _calendar(full_year(match[3]), _month(match[2], text), int(match[1]), text)
        if match := _NAME_DAY.fullmatch(day_part):
            return _calendar(full_year(match[3]), _month(match[1], text), int(match[2]), text)
        if match := _YEAR_NAME.fullmatch(day_part):
            return _calendar(int(match[1]), _month(match[2], text), int(match[3]), text)
        raise ValueError(f"{text!r} is not a date ({ACCEPTED})")

    def __call__(self, value: str) -> dt.date:
        """For a ValueCache: the same text always gives the same date once the order is set."""
        return self.parse(value)

    def read(self, row, column: str, *, required: bool = True) -> dt.date | None:
        """A row's date (the problem recorded on the row, as csvio.Row.date)."""
        text = row.raw(column)
        if not text:
            if required:
                row.reject(column, "a value is required")
            return None
        try:
            return self.parse(text, line=row.line)
        except ValueError as error:
            row.reject(column, str(error))
            return None


def first_deciding(rows: Iterable, columns: list[str]) -> tuple[str, int] | None:
    """The first date text (and its line) among `columns` of `rows` that fixes the day/month order."""
    for row in rows:
        for column in columns:
            text = row.raw(column)
            if text and numeric_order(text):
                return text, row.line
    return None


def table_scan(opener, *, name: str, columns, date_columns: list[str]):
    """A `scan` for FileDates: a second pass over one CSV file, reading only its date columns."""
    from students.importers.csvio import open_csv

    def scan() -> tuple[str, int] | None:
        with open_csv(opener, name=name, columns=columns) as table:
            return first_deciding(table, [c for c in date_columns if c in table.columns])

    return scan
