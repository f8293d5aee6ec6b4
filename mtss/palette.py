"""The one colour palette of the SVG charts (interventions/charts.py, reports/charts.py,
screening/charts.py), in step with the tier badges of static/css/app.css (.tier-2, .tier-3).

Every line, edge and text colour has at least 3:1 contrast on white (WCAG 2.1 1.4.11;
text 4.5:1, 1.4.3); tier fills are light and always drawn with their edge, so a tier is
told apart by the edge, the legend and the table too, never by hue alone.
"""

TEXT = "#222222"
AXIS = "#333333"
GRID = "#e2e2e2"
MUTED = "#6b6b6b"  # grey, 5.3:1
BLUE = "#1f4e9c"  # 7.9:1
ORANGE = "#b34700"  # 5.3:1

TIER_FILL = {1: "#c9dcf2", 2: "#fde68a", 3: "#fecaca"}
TIER_EDGE = {1: "#1f4e9c", 2: "#8a6d00", 3: "#9f1239"}
NOT_COMPUTED_FILL = "#ffffff"
NOT_COMPUTED_EDGE = MUTED
