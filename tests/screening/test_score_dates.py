"""The date rules of score files (screening/importers/dates.py): one day/month order per file,
two-digit years as 20YY, month names, time parts. Pure: no database."""

from __future__ import annotations

import datetime as dt

import pytest

from screening.importers.dates import DAY_FIRST, MONTH_FIRST, FileDates, full_year


def test_a_deciding_date_anywhere_in_the_file_sets_the_order_of_ambiguous_ones():
    # The scan finds `25-09-2019` further down: `11-09-2019` is 11 September.
    dates = FileDates("f.csv", scan=lambda: ("25-09-2019", 7))
    assert dates.parse("11-09-2019", line=2) == dt.date(2019, 9, 11)
    assert dates.order == DAY_FIRST and dates.evidence == ("25-09-2019", 7)


def test_without_a_deciding_date_the_file_is_read_month_first_or_in_the_vendors_order():
    assert FileDates("f.csv", scan=lambda: None).parse("11/09/2019") == dt.date(2019, 11, 9)
    aimsweb = FileDates("f.txt", scan=lambda: None, default=lambda sep: DAY_FIRST if sep == "-" else MONTH_FIRST)
    assert aimsweb.parse("06-01-2020") == dt.date(2020, 1, 6)


def test_a_date_written_in_the_other_order_is_refused_naming_the_line_that_decided():
    dates = FileDates("f.csv", scan=lambda: None)
    assert dates.parse("09/16/2019", line=2) == dt.date(2019, 9, 16)
    with pytest.raises(ValueError) as refused:
        dates.parse("16/09/2019", line=9)
    assert str(refused.value) == (
        "'16/09/2019' is written day first, but this file's other dates are month first "
        "(e.g. '09/16/2019' on line 2); check the date"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10/30/20", dt.date(2020, 10, 30)),  # Excel's short date: 20YY
        ("18-Aug-22", dt.date(2022, 8, 18)),
        ("18 August 2022", dt.date(2022, 8, 18)),
        ("Aug 18, 2022", dt.date(2022, 8, 18)),
        ("Sept 3 2019", dt.date(2019, 9, 3)),
        ("2022-Aug-18", dt.date(2022, 8, 18)),
        ("2019-09-16 10:22:00", dt.date(2019, 9, 16)),
        ("9/16/2019 9:00:00 AM", dt.date(2019, 9, 16)),
        ("2019-09-16T10:22:00Z", dt.date(2019, 9, 16)),
        ("16.09.2019", dt.date(2019, 9, 16)),
    ],
)
def test_excel_and_vendor_forms(text, expected):
    assert FileDates("f.csv").parse(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31/02/2020", "'31/02/2020' is not a date on the calendar"),
        (
            "18-Agu-22",
            "'18-Agu-22' is not a date (YYYY-MM-DD, M/D/YYYY, D/M/YYYY, M/D/YY or 18-Aug-2022): 'Agu' is not a month",
        ),
        ("next week", "'next week' is not a date (YYYY-MM-DD, M/D/YYYY, D/M/YYYY, M/D/YY or 18-Aug-2022)"),
    ],
)
def test_what_is_not_a_date_says_why(text, reason):
    with pytest.raises(ValueError) as refused:
        FileDates("f.csv").parse(text)
    assert str(refused.value) == reason


def test_two_digit_years_are_this_century():
    assert (full_year("03"), full_year("99"), full_year("2019")) == (2003, 2099, 2019)
