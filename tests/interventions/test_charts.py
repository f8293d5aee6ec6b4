"""The progress-monitoring chart: valid, accessible, correctly scaled SVG (interventions/charts.py)."""

from __future__ import annotations

import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from interventions.charts import ChartData, progress_chart_svg

SVG = "{http://www.w3.org/2000/svg}"
START = date(2025, 9, 22)
GOAL_DATE = date(2026, 1, 30)


def weekly(values, start=START):
    return [(start + timedelta(days=7 * i), v) for i, v in enumerate(values)]


def full(**overrides) -> ChartData:
    pts = weekly([33, 36, 35, 39, 41, 40, 44, 43, 47, 50])
    kw = dict(
        start=START,
        end=GOAL_DATE,
        baseline_points=[(date(2025, 9, 8), 30), (date(2025, 9, 11), 34), (date(2025, 9, 15), 32)],
        points=pts,
        baseline=32,
        goal=(GOAL_DATE, 70),
        aim_line=((START, 32), (GOAL_DATE, 70)),
        trend=((pts[0][0], 33.4), (pts[-1][0], 49.6)),
        phases=[(date(2025, 11, 3), "Phase 2")],
        direction="up",
        measure="R-CBM words correct",
        title="Reading progress, R-CBM words correct",
        level_cut=45,
    )
    kw.update(overrides)
    return ChartData(**kw)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [el for el in root.iter() if cls in (el.get("class") or "").split()]


def test_valid_accessible_svg():
    svg = progress_chart_svg(full())
    root = parse(svg)
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 720 320"
    assert root.get("width") == "100%"
    title, desc = root.find(SVG + "title"), root.find(SVG + "desc")
    assert title.text == "Reading progress, R-CBM words correct"
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    # the description summarises the data for screen readers
    assert "10 progress points" in desc.text
    assert "latest score 50" in desc.text
    assert "Baseline (median) 32" in desc.text
    assert "Goal: 70 or more by Jan 30" in desc.text
    assert (
        "foreignObject" not in svg
        and "var(--" not in svg
        and "<style" not in svg
        and "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )


def test_one_circle_per_progress_point_and_squares_for_baseline():
    data = full()
    root = parse(progress_chart_svg(data))
    assert len(list(root.iter(SVG + "circle"))) == len(data.points)
    assert len(by_class(root, "baseline-point")) == len(data.baseline_points)
    assert all(el.tag == SVG + "rect" and el.get("fill", "#ffffff") for el in by_class(root, "baseline-point"))


def test_lines_present_when_given_and_absent_when_none():
    root = parse(progress_chart_svg(full()))
    for cls in ("aim-line", "trend-line", "goal-marker", "criterion-line", "baseline-median"):
        assert len(by_class(root, cls)) == 1, cls
    assert by_class(root, "aim-line")[0].get("stroke-dasharray")  # dashed
    assert by_class(root, "trend-line")[0].get("stroke-dasharray") is None  # solid

    bare = parse(progress_chart_svg(full(aim_line=None, trend=None, goal=None, level_cut=None, baseline=None)))
    for cls in ("aim-line", "trend-line", "goal-marker", "criterion-line", "baseline-median"):
        assert by_class(bare, cls) == [], cls
    legend = "".join(by_class(bare, "legend")[0].itertext())
    assert "Aim line" not in legend and "Trend" not in legend and "Goal" not in legend
    assert "Aim line" in "".join(by_class(root, "legend")[0].itertext())


def test_phase_lines_count_and_labels():
    phases = [(date(2025, 10, 13), "Phase 2"), (date(2025, 11, 3), "Phase 3"), (date(2025, 11, 17), "")]
    root = parse(progress_chart_svg(full(phases=phases)))
    assert len(by_class(root, "phase-line")) == 3
    assert [el.text for el in by_class(root, "phase-label")] == ["Phase 2", "Phase 3"]
    # the progress path is broken at each phase change: 4 segments
    assert len(by_class(root, "progress-line")) == 4
    assert by_class(parse(progress_chart_svg(full(phases=[]))), "phase-line") == []


def test_text_is_escaped():
    evil = '<script>alert("x")</script> & co'
    svg = progress_chart_svg(full(measure=evil, title=evil, phases=[(date(2025, 11, 3), evil)]))
    assert "<script>" not in svg
    root = parse(svg)
    assert root.find(SVG + "title").text == evil
    assert by_class(root, "y-label")[0].text == evil
    assert by_class(root, "phase-label")[0].text == evil
    assert not list(root.iter(SVG + "script"))


def test_scale_higher_is_up_and_later_is_right():
    pts = [(date(2025, 10, 1), 10), (date(2025, 10, 15), 40), (date(2025, 11, 1), 25)]
    root = parse(progress_chart_svg(full(points=pts, phases=[])))
    circles = [(float(c.get("cx")), float(c.get("cy"))) for c in root.iter(SVG + "circle")]
    assert circles[0][0] < circles[1][0] < circles[2][0]
    # 40 > 25 > 10 on the page means smaller y
    assert circles[1][1] < circles[2][1] < circles[0][1]
    # the goal (70) sits above every probe
    goal_y = max(float(p.split(",")[1]) for p in by_class(root, "goal-marker")[0].get("points").split())
    assert goal_y < min(y for _, y in circles)


def test_descending_goal():
    pts = weekly([12, 11, 11, 9, 8])
    data = full(
        points=pts,
        baseline=12,
        goal=(GOAL_DATE, 3),
        aim_line=((START, 12), (GOAL_DATE, 3)),
        trend=((pts[0][0], 12.1), (pts[-1][0], 8.0)),
        direction="down",
        level_cut=None,
        baseline_points=[],
        measure="Errors per minute",
    )
    root = parse(progress_chart_svg(data))
    aim = by_class(root, "aim-line")[0]
    assert float(aim.get("y2")) > float(aim.get("y1"))  # goes down the scale, i.e. larger page y
    assert "3 or less" in root.find(SVG + "desc").text


@pytest.mark.parametrize(
    "points",
    [
        [],
        [(START, 40)],
        [(START + timedelta(days=i), 25) for i in range(5)],  # all equal
        [(START, 0), (START, 0)],  # zeros on one day
        [(START - timedelta(days=30), 5), (GOAL_DATE + timedelta(days=40), 90)],  # outside start/end
        [(START, -3.5), (START + timedelta(days=3), float("nan"))],  # negative; NaN dropped
    ],
)
def test_edge_cases_render(points):
    for data in (
        ChartData(start=START, end=START, points=points),
        full(points=points, trend=None),
        ChartData(
            start=START,
            end=GOAL_DATE,
            points=points,
            baseline=0,
            goal=(GOAL_DATE, 0),
            aim_line=((START, 0), (GOAL_DATE, 0)),
        ),
    ):
        root = parse(progress_chart_svg(data))
        expected = sum(1 for _, s in points if s == s)
        assert len(list(root.iter(SVG + "circle"))) == expected
        for el in root.iter():
            for attr in ("x", "y", "cx", "cy", "x1", "x2", "y1", "y2"):
                v = el.get(attr)
                if v is not None:
                    assert v not in ("nan", "inf", "-inf"), (el.tag, attr, v)
    if not points:
        assert by_class(root, "empty-note")


def test_points_outside_range_extend_the_axis():
    early, late = START - timedelta(days=30), GOAL_DATE + timedelta(days=40)
    root = parse(progress_chart_svg(full(points=[(early, 5), (START, 20), (late, 90)], phases=[])))
    xs = [float(c.get("cx")) for c in root.iter(SVG + "circle")]
    ys = [float(c.get("cy")) for c in root.iter(SVG + "circle")]
    plot = root.find(f"{SVG}defs/{SVG}clipPath/{SVG}rect")
    left, top = float(plot.get("x")), float(plot.get("y"))
    right, bottom = left + float(plot.get("width")), top + float(plot.get("height"))
    assert all(left <= x <= right for x in xs) and all(top <= y <= bottom for y in ys)
    assert xs[0] < xs[1] < xs[2]


def test_several_points_on_one_day_are_all_drawn_and_nudged_apart():
    day = date(2025, 10, 6)
    root = parse(progress_chart_svg(full(points=[(day, 30), (day, 30), (day, 31)], phases=[])))
    xs = [float(c.get("cx")) for c in root.iter(SVG + "circle")]
    assert len(xs) == 3 and len(set(xs)) == 3 and max(xs) - min(xs) < 12


def test_ids_use_prefix_and_are_deterministic():
    a = progress_chart_svg(full(), id_prefix="reading")
    b = progress_chart_svg(full(), id_prefix="math")
    assert a == progress_chart_svg(full(), id_prefix="reading")
    ids_a = {el.get("id") for el in parse(a).iter() if el.get("id")}
    ids_b = {el.get("id") for el in parse(b).iter() if el.get("id")}
    assert ids_a and all(i.startswith("reading") for i in ids_a)
    assert all(i.startswith("math") for i in ids_b) and not ids_a & ids_b
    assert "url(#reading-plot)" in a
    # a hostile prefix is made safe
    odd = parse(progress_chart_svg(full(), id_prefix='1 "x"<y>'))
    assert all(" " not in (el.get("id") or "") for el in odd.iter())


def test_spanish_labels_use_localised_months_and_decimals():
    root = parse(progress_chart_svg(full(points=weekly([33, 36.5])), lang="es"))
    assert "36,5" in root.find(SVG + "desc").text
    ticks = [t.text for t in by_class(root, "x-ticks")[0]]
    assert "1 Dic" in ticks and "1 Ene" in ticks, ticks  # day first, Spanish month
    english = [t.text for t in by_class(parse(progress_chart_svg(full())), "x-ticks")[0]]
    assert "Dec 1" in english and "Jan 1" in english


def test_rendering_is_cheap():
    data = full()
    progress_chart_svg(data)
    t = time.perf_counter()
    for _ in range(200):
        progress_chart_svg(data)
    per_chart = (time.perf_counter() - t) / 200
    assert per_chart < 0.01  # ~0.3 ms in practice; generous for slow CI


def test_renders_to_pdf_with_weasyprint(tmp_path):
    weasyprint = pytest.importorskip("weasyprint")
    html = (
        f"<html><body><h1>Progress</h1>{progress_chart_svg(full(), id_prefix='a')}"
        f"{progress_chart_svg(ChartData(start=START, end=START), id_prefix='b')}</body></html>"
    )
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000
    if shutil.which("pdftoppm"):
        (tmp_path / "chart.pdf").write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(tmp_path / "chart.pdf"), str(tmp_path / "page")],
            check=True,
            timeout=60,
        )
        assert list(tmp_path.glob("page*.png"))
