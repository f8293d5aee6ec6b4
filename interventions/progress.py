"""The progress graph of a plan: engine results turned into the chart's plain data."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from interventions.charts import ChartData, progress_chart_svg
from interventions.selectors import MeasureResult, PlanResult
from mtss.rules import engine


def _at(start: dt.date, weeks: float) -> dt.date:
    return start + dt.timedelta(days=round(weeks * 7))


def chart_data(result: PlanResult, measure: MeasureResult | None = None) -> ChartData:
    """The chart of the plan's primary measure, or of one of its measures (its own goal and aim line)."""
    plan = result.plan
    primary = measure is None or measure.measure is None
    if measure is None:
        case, evaluation, config, probes = result.case, result.evaluation, result.config, result.data.probes
        name = plan.goal_measure
    else:
        case, evaluation, config, probes = measure.case, measure.evaluation, measure.config, measure.probes
        name = measure.name
    phase1_start = result.data.phases[0].start_date if result.data.phases and primary else case.start
    goal_date = case.goal.target_date
    goal = (goal_date, evaluation.goal_score) if evaluation.goal_score is not None else None
    aim = None
    if evaluation.baseline is not None and evaluation.goal_score is not None:
        aim = ((case.start, evaluation.baseline), (goal_date, evaluation.goal_score))
    points = engine.data_points(case.probes, case.start, case.as_of)
    trend_line = None
    fitted = engine.trend(config, points) if len(points.x) >= 2 else None
    if fitted is not None and len(points.x) >= config.roi_min_points:
        first, last = points.x[0], points.x[-1]
        trend_line = (
            (_at(case.start, first), fitted.intercept + fitted.slope * first),
            (_at(case.start, last), fitted.intercept + fitted.slope * last),
        )
    phases = [(p.start_date, _("Phase %(n)s") % {"n": p.number}) for p in result.data.phases[1:]] if primary else []
    all_points = [(p.date, p.score) for p in probes if not p.is_baseline]
    return ChartData(
        start=phase1_start,
        end=max([goal_date] + [d for d, _ in all_points]),
        baseline_points=[(p.date, p.score) for p in probes if p.is_baseline],
        points=all_points,
        baseline=evaluation.baseline,
        goal=goal,
        aim_line=aim,
        trend=trend_line,
        phases=phases,
        direction=case.goal.direction,
        measure=name,
        title=_("%(area)s progress, %(measure)s") % {"area": plan.area.title(), "measure": name},
        level_cut=case.level_cut,
    )


def chart_svg(
    result: PlanResult,
    *,
    lang: str = "en",
    id_prefix: str = "chart",
    measure: MeasureResult | None = None,
    y_label: str | None = None,
) -> str:
    return progress_chart_svg(chart_data(result, measure), lang=lang, id_prefix=id_prefix, y_label=y_label)
