"""The dashboards' SVG charts: accessible, the numbers in text, small n drawn differently."""

from reports.charts import Bar, Stack, bar_chart_svg, tier_stack_svg


def test_a_bar_chart_names_every_value_and_marks_too_few():
    svg = bar_chart_svg(
        [Bar("Archer", 56.25, 3), Bar("Bell <B>", None, 2, note="too few to judge")],
        title="Sessions delivered",
        threshold=80,
        threshold_label="threshold 80%",
        max_value=100,
        id_prefix="t1",
    )
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-labelledby="t1-title t1-desc"' in svg
    assert '<title id="t1-title">Sessions delivered</title>' in svg
    assert "Archer: 56% (n=3)" in svg and "too few to judge (n=2)" in svg
    assert "Bell &lt;B&gt;" in svg and "<B>" not in svg  # escaped
    assert svg.count('class="bar"') == 1 and svg.count('class="bar-muted"') == 1
    assert 'class="threshold"' in svg and "threshold 80%" in svg


def test_a_tier_stack_puts_the_guideline_first_and_labels_shares():
    svg = tier_stack_svg(
        [Stack("Elementary", {1: 9, 2: 2, 3: 1})],
        title="Tiers",
        reference={1: 80.0, 2: 15.0, 3: 5.0},
        reference_label="Guideline 80/15/5",
        id_prefix="t2",
    )
    assert svg.index("Guideline 80/15/5") < svg.index("Elementary")
    assert "Elementary: Tier 1 75%, Tier 2 17%, Tier 3 8% (n=12)" in svg
    assert "n=12" in svg and ">75%<" in svg
    assert svg == tier_stack_svg(
        [Stack("Elementary", {1: 9, 2: 2, 3: 1})],
        title="Tiers",
        reference={1: 80.0, 2: 15.0, 3: 5.0},
        reference_label="Guideline 80/15/5",
        id_prefix="t2",
    )  # deterministic
