"""Finding a student by name or id, regardless of accents, case and name order (issue 14,
item 7; issue 16, item 7 "Student search").

A query is split into words at spaces and commas, so "Delgado, Emily" (the app's own
display format), "emily delgado" and "Vasquez" (for "Vásquez") all match. Every word must
match the student's folded name (last, first and preferred names, lower case, accents
removed), or equal the local or the state id (any case).

On PostgreSQL the folding is `mtss_fold` / `mtss_student_name` (students/migrations/
0007_search.py) and `LIKE '%word%'` is served by the trigram GIN index on exactly this
expression; the ids by expression indexes on upper(id). The embedded SQLite demo has
no unaccent: it matches case-insensitively, accents included.

Counting every match of a broad query would scan, so list pages count at most
COUNT_CAP + 1 rows (`CappedPaginator`) and say "more than 1,000".
"""

from __future__ import annotations

import re
from functools import cached_property

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, Func, Lookup, Q, QuerySet, TextField

MAX_TERMS = 4
MAX_QUERY_LENGTH = 100
COUNT_CAP = 1000
_SPLIT = re.compile(r"[\s,]+")


def query_terms(q: str) -> list[str]:
    """The words of a query: split at spaces and commas, at most MAX_TERMS."""
    text = (q or "")[:MAX_QUERY_LENGTH].replace("\x00", "")  # PostgreSQL text cannot hold NUL
    return [term for term in _SPLIT.split(text) if term][:MAX_TERMS]


class FoldedText(TextField):
    """The output type of the folded name, so the lookup below applies to it only."""


@FoldedText.register_lookup
class FoldedContains(Lookup):
    """`folded LIKE '%' || mtss_fold(word) || '%'`: the word folded by the same function as the
    indexed name. mtss_fold is IMMUTABLE, so the planner folds the pattern to a constant and
    can use the trigram index."""

    lookup_name = "folded_contains"

    def get_db_prep_lookup(self, value, connection):
        # LIKE's wildcards typed by a user are literal characters here.
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return "%s", [escaped]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE ('%%' || public.mtss_fold({rhs}) || '%%')", (*lhs_params, *rhs_params)


class StudentSearchName(Func):
    """public.mtss_student_name(last_name, first_name, preferred_name): the indexed expression."""

    function = "public.mtss_student_name"
    output_field = FoldedText()

    def __init__(self):
        super().__init__(F("last_name"), F("first_name"), F("preferred_name"))


def _term_matches(term: str) -> Q:
    ids = Q(local_id__iexact=term) | Q(state_id__iexact=term)
    if connection.vendor == "postgresql":
        return Q(search_name__folded_contains=term) | ids
    return Q(last_name__icontains=term) | Q(first_name__icontains=term) | Q(preferred_name__icontains=term) | ids


def search_students(students: QuerySet, q: str) -> QuerySet:
    """`students` narrowed to those matching every word of `q` (unchanged when `q` has none)."""
    terms = query_terms(q)
    if not terms:
        return students
    if connection.vendor == "postgresql":
        students = students.alias(search_name=StudentSearchName())
    for term in terms:
        students = students.filter(_term_matches(term))
    return students


class CappedPaginator(Paginator):
    """A paginator that counts at most COUNT_CAP + 1 rows: `SELECT count(*) FROM (... LIMIT 1001)`.

    `capped` says the true count is larger; pages past the cap are not offered (refine the
    search instead)."""

    cap = COUNT_CAP

    @cached_property
    def _counted(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap
