"""Server-rendered SVG charts for the dashboards (pure Python: no database, no JavaScript).

The house style of interventions/charts.py: a standalone ``<svg role="img">``
with a ``<title>`` and a ``<desc>`` that states the numbers, basic presentation
attributes only (the same string goes into WeasyPrint PDFs), deterministic ids,
colours with at least 4.5:1 contrast for text and 3:1 for shapes on white, and
nothing told by colour alone: every bar carries its value as text, a bar judged on
too few cases is drawn hollow and says so, and stacked segments are labelled.
Every chart sits beside a table with the same numbers (the accessible reading).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from mtss import palette

FONT = "Helvetica, Arial, 'DejaVu Sans', sans-serif"
FS = 11
CHAR_W = 0.58
C_BAR = palette.BLUE
C_MUTED = palette.MUTED
C_TEXT = palette.TEXT
C_AXIS = palette.AXIS
C_GRID = palette.GRID
C_THRESHOLD = palette.ORANGE
# Tier segments: light fills (the label inside is dark text, > 7:1), separated by white gaps.
TIER_FILLS = palette.TIER_FILL
TIER_EDGES = palette.TIER_EDGE


def _t(value) -> str:
    return escape(str(value))


def _a(value) -> str:
    return escape(str(value), {'"': "&quot;"})


def _n(v: float) -> str:
    s = f"{v:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _prefix(prefix: str) -> str:
    p = re.sub(r"[^A-Za-z0-9_-]", "-", prefix or "chart")
    return p if re.match(r"[A-Za-z_]", p) else "c" + p


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(1, chars - 1)] + "…"


@dataclass
class Bar:
    label: str
    value: float | None  # None: nothing to show (no data, or too few cases)
    n: int = 0
    note: str = ""  # e.g. "too few to judge", drawn instead of a value


def bar_chart_svg(
    bars: list[Bar],
    *,
    title: str,
    description: str = "",
    unit: str = "%",
    max_value: float | None = None,
    threshold: float | None = None,
    threshold_label: str = "",
    width: int = 720,
    id_prefix: str = "bars",
) -> str:
    """Horizontal bars, one per row, with the value and n printed at the end of each."""
    pid = _prefix(id_prefix)
    label_chars = max(10, min(34, max((len(b.label) for b in bars), default=10)))
    left = int(label_chars * FS * CHAR_W) + 14
    right = 120
    row_h = 22
    top = 28 if threshold is not None else 12
    height = top + max(1, len(bars)) * row_h + 26
    plot_w = width - left - right
    values = [b.value for b in bars if b.value is not None]
    top_value = max([max_value or 0, *(values or [0]), threshold or 0]) or 1
    scale = plot_w / top_value

    desc_parts = [description] if description else []
    desc_parts += [
        f"{b.label}: "
        + (b.note if b.value is None and b.note else "no data" if b.value is None else f"{b.value:.0f}{unit}")
        + f" (n={b.n})"
        for b in bars
    ]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{pid}-title {pid}-desc" id="{pid}" class="report-chart" font-family="{_a(FONT)}" '
        f'font-size="{FS}">',
        f'<title id="{pid}-title">{_t(title)}</title>',
        f'<desc id="{pid}-desc">{_t("; ".join(desc_parts))}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    # Grid at quarters of the scale.
    for i in range(5):
        x = left + plot_w * i / 4
        out.append(f'<line x1="{_n(x)}" y1="{top - 4}" x2="{_n(x)}" y2="{height - 22}" stroke="{C_GRID}"/>')
        out.append(
            f'<text x="{_n(x)}" y="{height - 8}" text-anchor="middle" fill="{C_TEXT}">'
            f"{_t(f'{top_value * i / 4:.0f}{unit}')}</text>"
        )
    for i, bar in enumerate(bars):
        y = top + i * row_h
        cy = y + row_h / 2
        out.append(
            f'<text x="{left - 8}" y="{_n(cy + FS * 0.35)}" text-anchor="end" fill="{C_TEXT}">'
            f"{_t(_clip(bar.label, label_chars))}</text>"
        )
        if bar.value is None:
            note = bar.note or "no data"
            out.append(
                f'<rect class="bar-muted" x="{left}" y="{_n(y + 4)}" width="{_n(plot_w * 0.25)}" '
                f'height="{row_h - 8}" fill="#ffffff" stroke="{C_MUTED}" stroke-dasharray="3 2"/>'
            )
            out.append(
                f'<text x="{_n(left + plot_w * 0.25 + 6)}" y="{_n(cy + FS * 0.35)}" fill="{C_MUTED}" '
                f'font-style="italic">{_t(note)} (n={bar.n})</text>'
            )
            continue
        w = max(1.0, bar.value * scale)
        out.append(
            f'<rect class="bar" x="{left}" y="{_n(y + 4)}" width="{_n(min(w, plot_w))}" height="{row_h - 8}" '
            f'fill="{C_BAR}"/>'
        )
        out.append(
            f'<text x="{_n(left + min(w, plot_w) + 6)}" y="{_n(cy + FS * 0.35)}" fill="{C_TEXT}">'
            f"{_t(f'{bar.value:.0f}{unit}')} (n={bar.n})</text>"
        )
    out.append(f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{height - 22}" stroke="{C_AXIS}"/>')
    if threshold is not None:
        x = left + threshold * scale
        out.append(
            f'<line class="threshold" x1="{_n(x)}" y1="{top - 6}" x2="{_n(x)}" y2="{height - 22}" '
            f'stroke="{C_THRESHOLD}" stroke-width="2" stroke-dasharray="6 3"/>'
        )
        out.append(
            f'<text x="{_n(x)}" y="{top - 10}" text-anchor="middle" fill="{C_THRESHOLD}" font-weight="bold">'
            f"{_t(threshold_label or f'{threshold:.0f}{unit}')}</text>"
        )
    out.append("</svg>")
    return "".join(out)


@dataclass
class Stack:
    label: str
    counts: dict[int, int]  # tier -> students

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, tier: int) -> float:
        return self.counts.get(tier, 0) / self.total * 100 if self.total else 0.0


def tier_stack_svg(
    stacks: list[Stack],
    *,
    title: str,
    reference: dict[int, float] | None = None,
    reference_label: str = "Guideline",
    width: int = 720,
    id_prefix: str = "tiers",
    min_n: int = 0,
    too_few: str = "too few to judge",
) -> str:
    """One 100 % bar per row split into Tier 1 / 2 / 3, with a reference row (80/15/5) on top.

    A row of fewer than `min_n` students is drawn hollow with its n and no shares.
    """
    pid = _prefix(id_prefix)
    rows = ([Stack(reference_label, {k: round(v * 10) for k, v in reference.items()})] if reference else []) + stacks
    label_chars = max(10, min(30, max((len(s.label) for s in rows), default=10)))
    left = int(label_chars * FS * CHAR_W) + 14
    right = 70
    row_h = 20
    top = 30
    height = top + len(rows) * row_h + 10
    plot_w = width - left - right

    def described(s, i):
        if (i or not reference) and s.total < min_n:
            return f"{s.label}: {too_few} (n={s.total})"
        return (
            f"{s.label}: "
            + ", ".join(f"Tier {t} {s.share(t):.0f}%" for t in (1, 2, 3))
            + (f" (n={s.total})" if i or not reference else "")
        )

    desc = "; ".join(described(s, i) for i, s in enumerate(rows))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{pid}-title {pid}-desc" id="{pid}" class="report-chart" font-family="{_a(FONT)}" '
        f'font-size="{FS}">',
        f'<title id="{pid}-title">{_t(title)}</title>',
        f'<desc id="{pid}-desc">{_t(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    # Legend.
    x = left
    for tier in (1, 2, 3):
        out.append(
            f'<rect x="{x}" y="8" width="14" height="12" fill="{TIER_FILLS[tier]}" stroke="{TIER_EDGES[tier]}"/>'
        )
        out.append(f'<text x="{x + 18}" y="18" fill="{C_TEXT}">Tier {tier}</text>')
        x += 70
    for i, stack in enumerate(rows):
        y = top + i * row_h
        cy = y + row_h / 2
        is_reference = bool(reference) and i == 0
        out.append(
            f'<text x="{left - 8}" y="{_n(cy + FS * 0.35)}" text-anchor="end" fill="{C_TEXT}"'
            f"{' font-weight="bold"' if is_reference else ''}>{_t(_clip(stack.label, label_chars))}</text>"
        )
        if not is_reference and stack.total < min_n:
            out.append(
                f'<rect class="stack-muted" x="{left}" y="{_n(y + 3)}" width="{_n(plot_w * 0.25)}" '
                f'height="{row_h - 6}" fill="#ffffff" stroke="{C_MUTED}" stroke-dasharray="3 2"/>'
            )
            out.append(
                f'<text x="{_n(left + plot_w * 0.25 + 6)}" y="{_n(cy + FS * 0.35)}" fill="{C_MUTED}" '
                f'font-style="italic">{_t(too_few)} (n={stack.total})</text>'
            )
            continue
        x = float(left)
        for tier in (1, 2, 3):
            w = plot_w * stack.share(tier) / 100
            if w <= 0:
                continue
            out.append(
                f'<rect class="tier-{tier}" x="{_n(x)}" y="{_n(y + 3)}" width="{_n(w)}" height="{row_h - 6}" '
                f'fill="{TIER_FILLS[tier]}" stroke="{TIER_EDGES[tier]}" stroke-width="0.8"/>'
            )
            if w > 30:
                out.append(
                    f'<text x="{_n(x + w / 2)}" y="{_n(cy + FS * 0.35)}" text-anchor="middle" '
                    f'fill="{C_TEXT}" font-size="{FS - 1}">{stack.share(tier):.0f}%</text>'
                )
            x += w
        if not is_reference:
            out.append(f'<text x="{left + plot_w + 6}" y="{_n(cy + FS * 0.35)}" fill="{C_TEXT}">n={stack.total}</text>')
    out.append("</svg>")
    return "".join(out)
