"""The district dashboard's counts, computed set-based in SQL for the nightly snapshot
(reports.models.DashboardCount; issue 16, item 7).

Three statements, each one GROUP BY over the whole district, whatever its size:

* tier distribution: current students (no exit date) per school, and those with an
  open placement in Tier 2 or in Tier 3 and above, per area and across areas (a
  student's tier is the highest open placement's; Tier 1 is what remains), as
  reports.selectors.tier_distribution counts them live;
* tier movement: the placements touching each school year (its days, and the year
  before for a placement still running into it), each compared with the previous
  and next placement of the same student and area by LAG/LEAD, classified as
  reports.selectors.tier_movement does in Python (a placement starting within
  CONTIGUOUS_DAYS of the last one ending continues it);
* screening participation: per window, the students enrolled on its last day and
  whether each has a score in it (reports.selectors.screening_participation).

Every count has its split by subgroup (students.models.SUBGROUPS), and is per school:
the page keeps the schools the user may see. tests/reports/test_dashboard_snapshot.py
checks the numbers equal the live selectors' on a seeded district.
"""

from __future__ import annotations

from interventions.models import TierPlacement
from mtss.models import District, SchoolYear
from reports.selectors import CONTIGUOUS_DAYS
from screening.models import Score, ScreeningWindow
from students.early_warning.staging import fetchall as _fetch
from students.models import SUBGROUPS, Student


def _flags(alias: str) -> str:
    """COUNT(*) and one filtered COUNT per subgroup flag of the student row `alias`."""
    return ", ".join(["COUNT(*)", *(f"COUNT(*) FILTER (WHERE {alias}.{key})" for key in SUBGROUPS)])


def current_totals(*, district: District) -> list[tuple]:
    """(school_id, n, n_<subgroup>...) of the current students."""
    return _fetch(
        f"SELECT s.school_id, {_flags('s')} FROM {Student._meta.db_table} s "
        "WHERE s.district_id = %(d)s AND s.exit_date IS NULL GROUP BY s.school_id",
        {"d": district.pk},
    )


def served(*, district: District) -> list[tuple]:
    """(school_id, area, tier 2|3, n, n_<subgroup>...) of current students with an open placement
    above Tier 1: their highest open tier in each area, and across areas (area "")."""
    return _fetch(
        f"""
        WITH open AS (
            SELECT student_id, area, MAX(tier) AS tier FROM {TierPlacement._meta.db_table}
            WHERE district_id = %(d)s AND end_date IS NULL GROUP BY student_id, area
        ), levels AS (
            SELECT student_id, area, tier FROM open
            UNION ALL
            SELECT student_id, '' AS area, MAX(tier) FROM open GROUP BY student_id
        )
        SELECT s.school_id, l.area, LEAST(l.tier, 3) AS tier, {_flags("s")}
        FROM levels l JOIN {Student._meta.db_table} s ON s.id = l.student_id
        WHERE s.district_id = %(d)s AND s.exit_date IS NULL AND l.tier >= 2
        GROUP BY s.school_id, l.area, LEAST(l.tier, 3)
        """,
        {"d": district.pk},
    )


def movement(*, district: District) -> list[tuple]:
    """(school_year_id, area, school_id, kind, n, n_<subgroup>...) of every school year."""
    return _fetch(
        f"""
        WITH p AS (
            SELECT y.id AS year_id, y.start_date AS y_start, y.end_date AS y_end,
                   tp.student_id, tp.area, tp.tier, tp.start_date, tp.end_date,
                   LAG(tp.tier) OVER w AS prev_tier, LAG(tp.end_date) OVER w AS prev_end,
                   LEAD(tp.start_date) OVER w AS next_start
            FROM {TierPlacement._meta.db_table} tp
            JOIN {SchoolYear._meta.db_table} y ON y.district_id = tp.district_id
                 AND tp.start_date <= y.end_date
                 AND (tp.end_date IS NULL OR tp.end_date >= y.start_date - 366)
            WHERE tp.district_id = %(d)s
            WINDOW w AS (PARTITION BY y.id, tp.student_id, tp.area ORDER BY tp.start_date, tp.id)
        ), events AS (
            SELECT year_id, area, student_id,
                   CASE WHEN start_date BETWEEN y_start AND y_end THEN
                       CASE WHEN prev_end IS NOT NULL AND start_date - prev_end <= %(gap)s AND prev_tier >= 2 THEN
                           CASE WHEN tier > prev_tier THEN 'up'
                                WHEN tier < prev_tier AND tier >= 2 THEN 'down'
                                WHEN tier < prev_tier THEN 'exits' END
                       WHEN tier >= 2 THEN 'entries' END
                   END AS on_start,
                   CASE WHEN tier >= 2 AND end_date BETWEEN y_start AND y_end
                             AND NOT (next_start IS NOT NULL AND next_start - end_date <= %(gap)s)
                        THEN 'exits' END AS on_end
            FROM p
        )
        SELECT e.year_id, e.area, s.school_id, k.kind, {_flags("s")}
        FROM events e
        CROSS JOIN LATERAL (VALUES (e.on_start), (e.on_end)) AS k(kind)
        JOIN {Student._meta.db_table} s ON s.id = e.student_id
        WHERE k.kind IS NOT NULL AND s.district_id = %(d)s
        GROUP BY e.year_id, e.area, s.school_id, k.kind
        """,
        {"d": district.pk, "gap": CONTIGUOUS_DAYS},
    )


def participation(*, district: District) -> list[tuple]:
    """(window_id, school_id, screened?, n, n_<subgroup>...) of every screening window."""
    return _fetch(
        f"""
        WITH enrolled AS (
            SELECT w.id AS window_id, s.*,
                   EXISTS (SELECT 1 FROM {Score._meta.db_table} sc
                           WHERE sc.district_id = %(d)s AND sc.window_id = w.id AND sc.student_id = s.id) AS screened
            FROM {ScreeningWindow._meta.db_table} w
            JOIN {Student._meta.db_table} s ON s.district_id = w.district_id
                 AND s.entry_date <= w.end_date AND (s.exit_date IS NULL OR s.exit_date >= w.end_date)
            WHERE w.district_id = %(d)s
        )
        SELECT e.window_id, e.school_id, e.screened, {_flags("e")}
        FROM enrolled e GROUP BY e.window_id, e.school_id, e.screened
        """,
        {"d": district.pk},
    )
