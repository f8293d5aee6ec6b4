"""One shape for every table a report shows: the page renders it, the exports write it.

A `Table` is a caption, columns and rows of `Cell`s, plus the ids of the students
whose data it holds (what an export writes to the access log). Building the page
and the CSV/XLSX from the same object is what keeps "every table exportable" true
and keeps both showing the same numbers.

Small numbers: a share or median computed from fewer than `MIN_N` cases is shown
greyed, as "too few to judge", never as a percentage claim; the n always stands
beside it (the issue: "show n beside every share/median ... no significance theatre").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Below this many cases a share or median is not interpreted (see the module docstring).
MIN_N = 10

TOO_FEW = gettext_lazy("too few to judge")


@dataclass
class Cell:
    """One value: `value` is what exports write, `text` what the page shows."""

    value: Any = None
    text: str | None = None
    href: str | None = None
    muted: bool = False
    title: str = ""  # a longer explanation (shown as a tooltip and to screen readers)
    numeric: bool = False

    def __post_init__(self):
        if self.text is None:
            self.text = _display(self.value)
        if isinstance(self.value, (int, float)) and not isinstance(self.value, bool):
            self.numeric = True

    def __str__(self) -> str:
        return self.text or ""


@dataclass
class Column:
    key: str
    label: str
    numeric: bool = False
    help: str = ""


@dataclass
class Table:
    key: str
    caption: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    # The student each row is about (None for aggregate rows): what the access log records.
    row_students: list[int | None] = field(default_factory=list)
    # The first column names the row (scope="row"): true for every breakdown table.
    row_headers: bool = True
    empty: str = ""
    footnote: str = ""
    # Rows beyond what the page shows are still exported (drill-down session lists).
    page_limit: int | None = None

    def add(self, *cells: Any, student_id: int | None = None) -> list[Cell]:
        row = [c if isinstance(c, Cell) else Cell(c) for c in cells]
        if len(row) != len(self.columns):
            raise ValueError(f"table {self.key}: {len(row)} cells for {len(self.columns)} columns")
        self.rows.append(row)
        self.row_students.append(student_id)
        return row

    @property
    def student_ids(self) -> set[int]:
        """Students in the whole table (an export holds every row)."""
        return {s for s in self.row_students if s is not None}

    @property
    def shown_student_ids(self) -> set[int]:
        """Students on the page (a long table shows its first `page_limit` rows)."""
        shown = self.row_students if self.page_limit is None else self.row_students[: self.page_limit]
        return {s for s in shown if s is not None}

    @property
    def shown_rows(self) -> list[list[Cell]]:
        return self.rows if self.page_limit is None else self.rows[: self.page_limit]

    @property
    def hidden_count(self) -> int:
        return max(0, len(self.rows) - len(self.shown_rows))

    def header(self) -> list[str]:
        return [str(c.label) for c in self.columns]

    def values(self) -> list[list[Any]]:
        return [[cell.value for cell in row] for row in self.rows]


def _display(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def pct(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return part / whole * 100


def share_cell(
    part: float | None, whole: float | None, *, n: int | None = None, href: str | None = None, decimals: int = 0
) -> Cell:
    """A percentage with its n; greyed "too few to judge" below MIN_N (n defaults to the denominator)."""
    n = int(whole or 0) if n is None else n
    value = pct(part, whole)
    if value is None:
        return Cell(None, "—", href=href, numeric=True)
    if n < MIN_N:
        return Cell(
            None,
            str(TOO_FEW),
            href=href,
            muted=True,
            numeric=True,
            title=_("%(n)s cases: fewer than %(min)s, so no share is shown") % {"n": n, "min": MIN_N},
        )
    return Cell(round(value, decimals + 1), f"{value:.{decimals}f}%", href=href, numeric=True)


def number_cell(
    value: float | None, *, n: int | None = None, href: str | None = None, decimals: int = 0, suffix: str = ""
) -> Cell:
    """A median or other statistic: greyed "too few to judge" below MIN_N when n is given."""
    if value is None:
        return Cell(None, "—", href=href, numeric=True)
    if n is not None and n < MIN_N:
        return Cell(
            None,
            str(TOO_FEW),
            href=href,
            muted=True,
            numeric=True,
            title=_("%(n)s cases: fewer than %(min)s, so no figure is shown") % {"n": n, "min": MIN_N},
        )
    rounded = round(float(value), decimals)
    text = f"{rounded:,.{decimals}f}{suffix}"
    return Cell(rounded if decimals else int(rounded), text, href=href, numeric=True)


def count_cell(value: int | float | None, *, href: str | None = None, decimals: int = 0) -> Cell:
    if value is None:
        return Cell(None, "—", numeric=True)
    if decimals:
        return Cell(round(float(value), decimals), f"{float(value):,.{decimals}f}", href=href, numeric=True)
    return Cell(int(round(value)), f"{int(round(value)):,}", href=href, numeric=True)
