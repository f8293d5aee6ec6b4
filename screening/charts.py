"""The screening chart: one stacked bar of Tier 1/2/3 shares per school (or grade) and measure.

Server-rendered SVG (no JavaScript), drawn against the 80 % Tier 1 guideline; the
table beside it carries the same numbers for screen readers (the SVG is an image
with a title and a description that say so).
"""

from __future__ import annotations

from html import escape

from django.utils.safestring import mark_safe

from mtss import palette

# The charts' tier palette (mtss/palette.py): a light fill drawn with its edge.
COLORS = {
    "tier1": palette.TIER_FILL[1],
    "tier2": palette.TIER_FILL[2],
    "tier3": palette.TIER_FILL[3],
    "not_computed": palette.NOT_COMPUTED_FILL,
}
EDGES = {
    "tier1": palette.TIER_EDGE[1],
    "tier2": palette.TIER_EDGE[2],
    "tier3": palette.TIER_EDGE[3],
    "not_computed": palette.NOT_COMPUTED_EDGE,
}
LABEL_WIDTH = 300
BAR_WIDTH = 420
ROW = 26
TOP = 30


def breakdown_svg(bars, *, title: str, description: str) -> str:
    """`bars`: [(label, TierCounts)]. Shares are of the scores with a computed tier."""
    height = TOP + ROW * max(len(bars), 1) + 20
    width = LABEL_WIDTH + BAR_WIDTH + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title chart-desc" font-family="system-ui, sans-serif" font-size="13">',
        f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(description)}</desc>',
        f'<text x="{LABEL_WIDTH}" y="16" fill="{palette.TEXT}">0 %</text>',
        f'<text x="{LABEL_WIDTH + BAR_WIDTH - 34}" y="16" fill="{palette.TEXT}">100 %</text>',
    ]
    guide = LABEL_WIDTH + BAR_WIDTH * 0.8
    for i, (label, counts) in enumerate(bars):
        y = TOP + i * ROW
        text = label if len(label) <= 44 else label[:43] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" fill="{palette.TEXT}">{escape(text)}</text>'
        )
        total = counts.total or 1
        x = float(LABEL_WIDTH)
        for key in ("tier1", "tier2", "tier3", "not_computed"):
            n = getattr(counts, key)
            if not n:
                continue
            w = BAR_WIDTH * n / total
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{ROW - 8}" fill="{COLORS[key]}" '
                f'stroke="{EDGES[key]}"/>'
            )
            x += w
        share = counts.share(1)
        shown = "-" if share is None else f"{share:.0f} %"
        parts.append(f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + 15}" fill="{palette.TEXT}">{shown}</text>')
    parts.append(
        f'<line x1="{guide:.1f}" y1="{TOP - 6}" x2="{guide:.1f}" y2="{TOP + ROW * len(bars)}" '
        f'stroke="{palette.AXIS}" stroke-width="1.5" stroke-dasharray="4 3"/>'
    )
    parts.append(
        f'<text x="{guide - 40:.1f}" y="{TOP + ROW * len(bars) + 14}" fill="{palette.TEXT}">80 % guideline</text>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))
