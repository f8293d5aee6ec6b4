"""Server-rendered SVG progress-monitoring chart (pure Python: no database, no JS).

One function, :func:`progress_chart_svg`, turns a :class:`ChartData` of plain
values into a standalone ``<svg>`` string: baseline probes, progress probes,
the baseline median, the aim line to the goal, the OLS trend, phase-change
lines, an optional criterion line and a legend. The same string is used inline
in the HTML page and in PDFs rendered by WeasyPrint, so it sticks to basic SVG
presentation attributes (no CSS, no ``foreignObject``, no ``dominant-baseline``,
no external fonts).

Readable without colour: progress probes are filled circles on a solid line,
baseline probes hollow squares, the goal a star, the aim line dashed, the trend
solid and thicker, phase lines long-dashed verticals, the criterion dotted.
Every colour has at least 4.5:1 contrast on white.

Output is deterministic (no random ids): every id starts with ``id_prefix`` so
several charts can share a page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal
from xml.sax.saxutils import escape

from mtss import palette

Score = float
Point = tuple[date, Score]

__all__ = ["ChartData", "progress_chart_svg"]


# Labels are marked for makemessages and translated at render time (see _Tr).
def gettext_noop(s: str) -> str:
    return s


L_PROGRESS = gettext_noop("Progress")
L_BASELINE = gettext_noop("Baseline")
L_AIM = gettext_noop("Aim line")
L_TREND = gettext_noop("Trend")
L_GOAL = gettext_noop("Goal")
L_PHASE = gettext_noop("Phase change")
L_CRITERION = gettext_noop("Criterion")
L_NO_DATA = gettext_noop("No progress data yet")
L_DESC_POINTS = gettext_noop("%(n)s progress points from %(first)s to %(last)s; latest score %(latest)s on %(date)s.")
L_DESC_ONE = gettext_noop("1 progress point: score %(latest)s on %(date)s.")
L_DESC_NONE = gettext_noop("No progress points yet.")
L_DESC_BASELINE = gettext_noop("Baseline (median) %(value)s.")
L_DESC_BASELINE_PROBES = gettext_noop("%(n)s baseline probes.")
L_DESC_GOAL_UP = gettext_noop("Goal: %(value)s or more by %(date)s.")
L_DESC_GOAL_DOWN = gettext_noop("Goal: %(value)s or less by %(date)s.")
L_DESC_TREND = gettext_noop("Trend from %(a)s to %(b)s.")
L_DESC_PHASES = gettext_noop("Phase changes: %(list)s.")
L_DESC_CRITERION = gettext_noop("Criterion %(value)s.")

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Colours (contrast on white): all >= 4.5:1.
C_PROGRESS = palette.BLUE
C_BASELINE = "#4d4d4d"  # dark grey, 8.5:1
C_AIM = "#1e7b34"  # green, 5.4:1
C_TREND = palette.ORANGE
C_GOAL = "#1e7b34"
C_PHASE = "#595959"  # grey, 7:1
C_CRITERION = "#6a3d9a"  # purple, 8.2:1
C_AXIS = palette.AXIS
C_GRID = palette.GRID
C_TEXT = palette.TEXT

FONT = "Helvetica, Arial, 'DejaVu Sans', sans-serif"
# The font that draws a language's labels first. WeasyPrint lays out SVG <text> without
# its `lang`, so without this Chinese and Korean labels come out in fontconfig's default
# CJK face, the Japanese one (issue 18 item 6); browsers also read the root's lang.
LANG_FONTS = {
    "zh-hans": "'Noto Sans CJK SC'",
    "zh-hant": "'Noto Sans CJK TC'",
    "ko": "'Noto Sans CJK KR'",
    "ja": "'Noto Sans CJK JP'",
    "hy": "'Noto Sans Armenian'",
    "ar": "'Noto Sans Arabic'",
}
# The BCP 47 tag of Django's language codes that differ from it.
_BCP47 = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant"}
FS = 11  # base font size (px in the viewBox)
CHAR_W = 0.58  # average glyph width in em, for layout estimates


@dataclass
class ChartData:
    """Everything the chart needs, as plain values (no ORM objects).

    Scores are numbers; dates are ``datetime.date``. ``phases`` lists the phase
    changes *after* the first phase (which begins at ``start``).
    """

    start: date
    end: date
    baseline_points: list[Point] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    baseline: float | None = None
    goal: Point | None = None
    aim_line: tuple[Point, Point] | None = None
    trend: tuple[Point, Point] | None = None
    phases: list[tuple[date, str]] = field(default_factory=list)
    direction: Literal["up", "down"] = "up"
    measure: str = ""
    title: str = ""
    level_cut: float | None = None


# --------------------------------------------------------------------------- i18n


class _Tr:
    """Translate through Django when it is set up; plain English otherwise."""

    def __init__(self, lang: str):
        self.lang = lang
        self._gettext = None
        self._months = _MONTHS_EN
        try:
            from django.apps import apps
            from django.conf import settings

            if settings.configured and apps.ready and getattr(settings, "USE_I18N", False):
                from django.utils import translation

                self._ctx = translation.override(lang)
                self._gettext = translation.gettext
                return
        except Exception:  # pragma: no cover - Django absent or half-configured
            pass
        self._ctx = nullcontext()

    def __enter__(self):
        self._ctx.__enter__()
        if self._gettext is not None:
            from django.utils.dates import MONTHS_3

            self._months = tuple(str(MONTHS_3[m]).title() for m in range(1, 13))
        return self

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)

    def __call__(self, s: str) -> str:
        return self._gettext(s) if self._gettext is not None else s

    def day(self, d: date) -> str:
        """Short month/day: "Sep 3" in English, "3 Sep" elsewhere."""
        m = self._months[d.month - 1]
        return f"{m} {d.day}" if self.lang.split("-")[0] == "en" else f"{d.day} {m}"

    def num(self, v: float, step: float | None = None) -> str:
        # The same formatting as the letters' text (mtss.numbers), so a chart and the sentence
        # under it agree on "71,2" or "71.2" (issue 18 item 6).
        from mtss.numbers import format_number

        s = _fmt_num(v, step)
        decimals = len(s.split(".")[1]) if "." in s else 0
        return format_number(float(s), self.lang, decimals=decimals)


# --------------------------------------------------------------------------- helpers


def _fmt_num(v: float, step: float | None = None) -> str:
    """A score for people: integers without decimals, else up to 2 (or the step's)."""
    if step is not None and step > 0:  # as many decimals as the tick step needs (2.5 -> 1)
        decimals = next((d for d in range(5) if abs(round(step, d) - step) < 1e-9 * max(1.0, step)), 4)
    else:
        decimals = 0 if abs(v - round(v)) < 1e-9 else 2
    s = f"{v:.{decimals}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _n(v: float) -> str:
    """A coordinate: one decimal, no trailing '.0' (deterministic, compact)."""
    s = f"{v:.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    return "0" if s == "-0" else s


def _attr(v: str) -> str:
    return escape(str(v), {'"': "&quot;"})


def _text(v: str) -> str:
    return escape(str(v))


def _safe_prefix(prefix: str) -> str:
    p = re.sub(r"[^A-Za-z0-9_.-]", "-", prefix or "chart")
    if not re.match(r"[A-Za-z_]", p):
        p = "c" + p
    return p


def _finite(v) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _clean(points: Iterable[Point] | None) -> list[Point]:
    """Drop unusable points (missing date/score, NaN) and sort by date, stably."""
    out = [(d, float(s)) for d, s in (points or []) if isinstance(d, date) and _finite(s)]
    out.sort(key=lambda p: p[0])
    return out


def _nice_step(span: float, target: int) -> float:
    raw = span / max(target, 1)
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag + 1e-12:
            return m * mag
    return 10 * mag  # pragma: no cover


def _y_scale(values: Sequence[float], target: int) -> tuple[float, float, list[float]]:
    """Nice (lo, hi, ticks) covering values; never a zero span."""
    lo, hi = min(values), max(values)
    if lo >= 0 and lo <= hi * 0.5:  # counts, percentages: anchor at zero when it costs little
        lo = 0.0
    if hi - lo < 1e-9:
        pad = max(1.0, abs(hi) * 0.1)
        lo, hi = lo - pad, hi + pad
        if values and min(values) >= 0 and lo < 0:
            lo, hi = 0.0, hi + pad
    step = _nice_step(hi - lo, target)
    lo_t = math.floor(lo / step + 1e-9) * step
    hi_t = math.ceil(hi / step - 1e-9) * step
    if hi_t - lo_t < 1e-9:
        hi_t = lo_t + step
    n = int(round((hi_t - lo_t) / step))
    ticks = [lo_t + i * step for i in range(n + 1)]
    return lo_t, hi_t, ticks


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, 1)


def _x_ticks(lo: date, hi: date, max_ticks: int) -> list[date]:
    """Calendar-friendly ticks: days, Mondays, fortnights or month starts."""
    span = (hi - lo).days
    max_ticks = max(2, max_ticks)
    for days in (1, 2, 7, 14):
        if span / days <= max_ticks:
            first = lo
            if days >= 7:
                first = lo + timedelta(days=(7 - lo.weekday()) % 7)  # next Monday
            out, d = [], first
            while d <= hi:
                out.append(d)
                d += timedelta(days=days)
            return out
    for months in (1, 2, 3, 6, 12, 24, 60):
        if span / (30.44 * months) <= max_ticks:
            break
    d = lo if lo.day == 1 else _add_months(lo, 1)
    d = date(d.year, d.month, 1)
    while (d.month - 1) % months:  # align to Jan/Mar/... for multi-month steps
        d = _add_months(d, 1)
    out = []
    while d <= hi:
        out.append(d)
        d = _add_months(d, months)
    return out


def _star(cx: float, cy: float, r: float) -> str:
    pts = []
    for i in range(10):
        rad = r if i % 2 == 0 else r * 0.45
        a = math.pi / 2 + i * math.pi / 5
        pts.append(f"{_n(cx + rad * math.cos(a))},{_n(cy - rad * math.sin(a))}")
    return " ".join(pts)


# --------------------------------------------------------------------------- chart


def progress_chart_svg(
    data: ChartData,
    *,
    width: int = 720,
    height: int = 320,
    lang: str = "en",
    id_prefix: str = "chart",
    y_label: str | None = None,
) -> str:
    """Render ``data`` as a standalone, accessible SVG string.

    ``y_label`` replaces the measure's name on the vertical axis (a parent letter labels it
    from the catalogue: the measure's name is the district's English)."""
    with _Tr(lang) as tr:
        return _render(data, width, height, tr, _safe_prefix(id_prefix), y_label)


def _render(data: ChartData, width: int, height: int, tr: _Tr, pid: str, y_label: str | None = None) -> str:
    width = max(int(width), 240)
    height = max(int(height), 160)
    base_pts = _clean(data.baseline_points)
    pts = _clean(data.points)
    phases = sorted(((d, str(lbl or "")) for d, lbl in (data.phases or []) if isinstance(d, date)), key=lambda p: p[0])
    goal = data.goal if data.goal and isinstance(data.goal[0], date) and _finite(data.goal[1]) else None
    aim = (
        data.aim_line
        if data.aim_line and all(isinstance(p[0], date) and _finite(p[1]) for p in data.aim_line)
        else None
    )
    trend = data.trend if data.trend and all(isinstance(p[0], date) and _finite(p[1]) for p in data.trend) else None
    baseline = float(data.baseline) if _finite(data.baseline) else None
    cut = float(data.level_cut) if _finite(data.level_cut) else None
    down = data.direction == "down"

    # ---- domains -----------------------------------------------------------
    dates = [data.start, data.end] + [d for d, _ in base_pts] + [d for d, _ in pts] + [d for d, _ in phases]
    scores = [s for _, s in base_pts] + [s for _, s in pts]
    if goal:
        dates.append(goal[0])
        scores.append(float(goal[1]))
    for line in (aim, trend):
        if line:
            dates += [line[0][0], line[1][0]]
            scores += [float(line[0][1]), float(line[1][1])]
    if baseline is not None:
        scores.append(baseline)
    if cut is not None:
        scores.append(cut)
    dates = [d for d in dates if isinstance(d, date)]
    d_lo, d_hi = min(dates), max(dates)
    span_days = (d_hi - d_lo).days
    pad_days = max(1, round(span_days * 0.02))
    x_lo, x_hi = d_lo - timedelta(days=pad_days), d_hi + timedelta(days=pad_days)
    x_lo_o, x_span = x_lo.toordinal(), (x_hi - x_lo).days  # > 0 by construction

    # ---- layout ------------------------------------------------------------
    legend_items = _legend_items(
        tr,
        bool(pts),
        bool(base_pts) or baseline is not None,
        bool(aim),
        bool(trend),
        bool(goal),
        bool(phases),
        cut is not None,
    )
    legend_rows = _legend_layout(legend_items, width - 20)
    top = 10 + len(legend_rows) * 18 + 8
    left, right, bottom = 58, 18, 34
    pw, ph = width - left - right, height - top - bottom
    if ph < 60:  # very short charts: shrink the legend gap rather than the plot
        top = max(10, height - bottom - 60)
        ph = height - top - bottom

    y_lo, y_hi, y_ticks = _y_scale(scores or [0.0, 1.0], max(3, int(ph // 40)))
    y_span = y_hi - y_lo
    y_step = y_ticks[1] - y_ticks[0] if len(y_ticks) > 1 else None

    def X(d: date) -> float:
        return left + (d.toordinal() - x_lo_o) / x_span * pw

    def Y(v: float) -> float:
        return top + (y_hi - float(v)) / y_span * ph

    out: list[str] = []
    a = out.append
    title = data.title or tr(L_PROGRESS)
    code = (tr.lang or "en").lower()
    lang_tag = _BCP47.get(code, code)
    font = f"{LANG_FONTS[code]}, {FONT}" if code in LANG_FONTS else FONT
    a(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="{pid}-title {pid}-desc" '
        f'id="{pid}" class="progress-chart" lang="{lang_tag}" xml:lang="{lang_tag}" '
        f'font-family="{_attr(font)}" font-size="{FS}">'
    )
    a(f'<title id="{pid}-title">{_text(title)}</title>')
    description = _describe(tr, base_pts, pts, baseline, goal, trend, phases, cut, down, y_step)
    a(f'<desc id="{pid}-desc">{_text(description)}</desc>')
    a(f'<defs><clipPath id="{pid}-plot"><rect x="{left}" y="{top}" width="{pw}" height="{ph}"/></clipPath></defs>')
    a(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>')

    # ---- grid and axes -----------------------------------------------------
    a(f'<g class="grid" stroke="{C_GRID}" stroke-width="1">')
    for t in y_ticks:
        a(f'<line x1="{left}" y1="{_n(Y(t))}" x2="{left + pw}" y2="{_n(Y(t))}"/>')
    x_ticks = [d for d in _x_ticks(x_lo, x_hi, int(pw // 62)) if x_lo <= d <= x_hi]
    for d in x_ticks:
        a(f'<line x1="{_n(X(d))}" y1="{top}" x2="{_n(X(d))}" y2="{top + ph}"/>')
    a("</g>")
    a(
        f'<g class="axes" stroke="{C_AXIS}" stroke-width="1">'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}"/>'
        f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}"/></g>'
    )
    a(f'<g class="y-ticks" fill="{C_TEXT}" text-anchor="end">')
    for t in y_ticks:
        a(f'<text x="{left - 6}" y="{_n(Y(t) + FS * 0.35)}">{_text(tr.num(t, y_step))}</text>')
    a("</g>")
    a(f'<g class="x-ticks" fill="{C_TEXT}" text-anchor="middle">')
    for d in x_ticks:
        a(f'<text x="{_n(X(d))}" y="{top + ph + 16}">{_text(tr.day(d))}</text>')
    a("</g>")
    axis_label = y_label if y_label is not None else data.measure
    if axis_label:
        cy = top + ph / 2
        a(
            f'<text class="y-label" x="14" y="{_n(cy)}" transform="rotate(-90 14 {_n(cy)})" '
            f'text-anchor="middle" fill="{C_TEXT}">{_text(axis_label)}</text>'
        )

    # ---- plot contents (clipped to the plot area) ----------------------------
    a(f'<g clip-path="url(#{pid}-plot)">')
    if cut is not None:
        a(
            f'<line class="criterion-line" x1="{left}" y1="{_n(Y(cut))}" x2="{left + pw}" y2="{_n(Y(cut))}" '
            f'stroke="{C_CRITERION}" stroke-width="1.5" stroke-dasharray="2 3"/>'
        )
    if base_pts and base_pts[0][0] < data.start:
        xs = X(data.start) - min(4, pw * 0.01)
        a(
            f'<line class="start-line" x1="{_n(xs)}" y1="{top}" x2="{_n(xs)}" y2="{top + ph}" '
            f'stroke="{C_PHASE}" stroke-width="1"/>'
        )
    for d, _label in phases:
        xp = X(d) - 2
        a(
            f'<line class="phase-line" x1="{_n(xp)}" y1="{top}" x2="{_n(xp)}" y2="{top + ph}" '
            f'stroke="{C_PHASE}" stroke-width="1.5" stroke-dasharray="7 4"/>'
        )
    if baseline is not None:
        x0 = X(base_pts[0][0]) if base_pts else X(data.start)
        x1 = X(data.start)
        if base_pts and base_pts[-1][0] > data.start:
            x1 = X(base_pts[-1][0])
        if x1 - x0 < 14:
            x0 = x1 - 14
        a(
            f'<line class="baseline-median" x1="{_n(x0)}" y1="{_n(Y(baseline))}" x2="{_n(x1)}" '
            f'y2="{_n(Y(baseline))}" stroke="{C_BASELINE}" stroke-width="2"/>'
        )
    if aim:
        (d0, s0), (d1, s1) = aim
        a(
            f'<line class="aim-line" x1="{_n(X(d0))}" y1="{_n(Y(s0))}" x2="{_n(X(d1))}" y2="{_n(Y(s1))}" '
            f'stroke="{C_AIM}" stroke-width="2" stroke-dasharray="8 5"/>'
        )
    if trend:
        (d0, s0), (d1, s1) = trend
        a(
            f'<line class="trend-line" x1="{_n(X(d0))}" y1="{_n(Y(s0))}" x2="{_n(X(d1))}" y2="{_n(Y(s1))}" '
            f'stroke="{C_TREND}" stroke-width="2.5"/>'
        )

    # Progress probes: joined within a phase, broken at each phase change.
    coords = _spread(pts, X, Y)
    if coords:
        segments: list[list[tuple[float, float]]] = [[]]
        bounds = [d for d, _ in phases]
        k = 0
        for (d, _), xy in zip(pts, coords, strict=False):
            nk = sum(1 for b in bounds if b <= d)
            if nk != k and segments[-1]:
                segments.append([])
            k = nk
            segments[-1].append(xy)
        a(f'<g class="progress" stroke="{C_PROGRESS}" fill="{C_PROGRESS}">')
        for seg in segments:
            if len(seg) > 1:
                a(
                    f'<polyline class="progress-line" fill="none" stroke-width="1.5" '
                    f'points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in seg)}"/>'
                )
        for x, y in coords:
            a(f'<circle class="progress-point" cx="{_n(x)}" cy="{_n(y)}" r="3.5" stroke="#ffffff" stroke-width="0.8"/>')
        a("</g>")
    if base_pts:
        a(f'<g class="baseline" fill="#ffffff" stroke="{C_BASELINE}" stroke-width="1.5">')
        for x, y in _spread(base_pts, X, Y):
            a(f'<rect class="baseline-point" x="{_n(x - 3.5)}" y="{_n(y - 3.5)}" width="7" height="7"/>')
        a("</g>")
    a("</g>")  # end clip

    # Markers and labels drawn unclipped so they stay whole at the plot edges.
    if goal:
        gx, gy = X(goal[0]), Y(goal[1])
        a(
            f'<polygon class="goal-marker" points="{_star(gx, gy, 8)}" fill="{C_GOAL}" stroke="#ffffff" '
            f'stroke-width="1"/>'
        )
        label = f"{tr(L_GOAL)} {tr.num(float(goal[1]))}"
        lw = len(label) * FS * CHAR_W
        lx, anchor = (gx - 11, "end") if gx + 11 + lw > width - 2 else (gx + 11, "start")
        ly = gy - 6 if gy - 6 - FS > top - 4 else gy + FS + 4
        a(
            f'<text class="goal-label" x="{_n(lx)}" y="{_n(ly)}" text-anchor="{anchor}" fill="{C_GOAL}" '
            f'font-weight="bold">{_text(label)}</text>'
        )
    row_ends: list[float] = []  # phase labels close together go on successive rows
    for d, label in phases:
        if label:
            lx = X(d) + 2
            row = next((i for i, end in enumerate(row_ends) if lx > end + 4), len(row_ends))
            if row == len(row_ends):
                row_ends.append(0.0)
            row_ends[row] = lx + len(label) * (FS - 1) * CHAR_W
            a(
                f'<text class="phase-label" x="{_n(lx)}" y="{_n(top + FS + 1 + row * (FS + 2))}" fill="{C_PHASE}" '
                f'font-size="{FS - 1}">{_text(label)}</text>'
            )
    if cut is not None:
        a(
            f'<text class="criterion-label" x="{left + pw - 3}" y="{_n(Y(cut) - 4)}" text-anchor="end" '
            f'fill="{C_CRITERION}" font-size="{FS - 1}">{_text(tr.num(cut))}</text>'
        )
    if not pts:
        a(
            f'<text class="empty-note" x="{_n(left + pw / 2)}" y="{_n(top + ph / 2)}" text-anchor="middle" '
            f'fill="{C_PHASE}" font-style="italic">{_text(tr(L_NO_DATA))}</text>'
        )

    # ---- legend ------------------------------------------------------------
    a('<g class="legend">')
    for r, row in enumerate(legend_rows):
        y = 10 + r * 18 + 9
        for x, (kind, label) in row:
            a(_legend_glyph(kind, x, y))
            a(f'<text x="{_n(x + 26)}" y="{_n(y + FS * 0.35)}" fill="{C_TEXT}">{_text(label)}</text>')
    a("</g>")
    a("</svg>")
    return "".join(out)


def _spread(points: list[Point], X, Y) -> list[tuple[float, float]]:
    """Pixel positions; several probes on one day are nudged apart horizontally."""
    out: list[tuple[float, float]] = []
    i = 0
    while i < len(points):
        j = i
        while j < len(points) and points[j][0] == points[i][0]:
            j += 1
        n = j - i
        for k in range(i, j):
            off = (k - i - (n - 1) / 2) * 4.0 if n > 1 else 0.0
            out.append((X(points[k][0]) + off, Y(points[k][1])))
        i = j
    return out


def _legend_items(tr: _Tr, progress, baseline, aim, trend, goal, phase, criterion) -> list[tuple[str, str]]:
    items = [
        ("progress", L_PROGRESS, progress),
        ("baseline", L_BASELINE, baseline),
        ("aim", L_AIM, aim),
        ("trend", L_TREND, trend),
        ("goal", L_GOAL, goal),
        ("phase", L_PHASE, phase),
        ("criterion", L_CRITERION, criterion),
    ]
    return [(kind, tr(label)) for kind, label, shown in items if shown]


def _legend_layout(items: list[tuple[str, str]], avail: float) -> list[list[tuple[float, tuple[str, str]]]]:
    """Place legend entries left to right, wrapping to a new row when full."""
    rows: list[list[tuple[float, tuple[str, str]]]] = [[]]
    x = 10.0
    for item in items:
        w = 26 + len(item[1]) * FS * CHAR_W + 16
        if rows[-1] and x + w > avail + 10:
            rows.append([])
            x = 10.0
        rows[-1].append((x, item))
        x += w
    return [row for row in rows if row]


def _legend_glyph(kind: str, x: float, y: float) -> str:
    x0, x1, xm = _n(x), _n(x + 22), _n(x + 11)
    ys = _n(y)
    if kind == "progress":
        return (
            f'<line x1="{x0}" y1="{ys}" x2="{x1}" y2="{ys}" stroke="{C_PROGRESS}" stroke-width="1.5"/>'
            # a path, not <circle>: every <circle> in the chart is a progress probe
            f'<path d="M{_n(x + 7.5)},{ys} a3.5,3.5 0 1,0 7,0 a3.5,3.5 0 1,0 -7,0 z" fill="{C_PROGRESS}"/>'
        )
    if kind == "baseline":
        return (
            f'<line x1="{x0}" y1="{ys}" x2="{x1}" y2="{ys}" stroke="{C_BASELINE}" stroke-width="2"/>'
            f'<rect x="{_n(x + 7.5)}" y="{_n(y - 3.5)}" width="7" height="7" fill="#ffffff" '
            f'stroke="{C_BASELINE}" stroke-width="1.5"/>'
        )
    if kind == "aim":
        return (
            f'<line x1="{x0}" y1="{ys}" x2="{x1}" y2="{ys}" stroke="{C_AIM}" stroke-width="2" stroke-dasharray="8 5"/>'
        )
    if kind == "trend":
        return f'<line x1="{x0}" y1="{ys}" x2="{x1}" y2="{ys}" stroke="{C_TREND}" stroke-width="2.5"/>'
    if kind == "goal":
        return f'<polygon points="{_star(x + 11, y, 7)}" fill="{C_GOAL}"/>'
    if kind == "phase":
        return (
            f'<line x1="{xm}" y1="{_n(y - 7)}" x2="{xm}" y2="{_n(y + 7)}" stroke="{C_PHASE}" '
            f'stroke-width="1.5" stroke-dasharray="4 2"/>'
        )
    return (
        f'<line x1="{x0}" y1="{ys}" x2="{x1}" y2="{ys}" stroke="{C_CRITERION}" stroke-width="1.5" '
        f'stroke-dasharray="2 3"/>'
    )


def _describe(tr: _Tr, base_pts, pts, baseline, goal, trend, phases, cut, down, step) -> str:
    parts = []
    if len(pts) > 1:
        parts.append(
            tr(L_DESC_POINTS)
            % {
                "n": len(pts),
                "first": tr.day(pts[0][0]),
                "last": tr.day(pts[-1][0]),
                "latest": tr.num(pts[-1][1]),
                "date": tr.day(pts[-1][0]),
            }
        )
    elif pts:
        parts.append(tr(L_DESC_ONE) % {"latest": tr.num(pts[0][1]), "date": tr.day(pts[0][0])})
    else:
        parts.append(tr(L_DESC_NONE))
    if base_pts:
        parts.append(tr(L_DESC_BASELINE_PROBES) % {"n": len(base_pts)})
    if baseline is not None:
        parts.append(tr(L_DESC_BASELINE) % {"value": tr.num(baseline)})
    if goal:
        msg = L_DESC_GOAL_DOWN if down else L_DESC_GOAL_UP
        parts.append(tr(msg) % {"value": tr.num(float(goal[1])), "date": tr.day(goal[0])})
    if trend:
        parts.append(
            tr(L_DESC_TREND) % {"a": tr.num(round(float(trend[0][1]), 1)), "b": tr.num(round(float(trend[1][1]), 1))}
        )
    if phases:
        names = ", ".join(f"{lbl} ({tr.day(d)})" if lbl else tr.day(d) for d, lbl in phases)
        parts.append(tr(L_DESC_PHASES) % {"list": names})
    if cut is not None:
        parts.append(tr(L_DESC_CRITERION) % {"value": tr.num(cut)})
    return " ".join(parts)
