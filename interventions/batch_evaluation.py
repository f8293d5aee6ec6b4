"""The decision rules over many plans at once, for reports and the caseload.

`evaluate(district=..., plans=<Plan queryset>, as_of=...)` builds the three long
tables of `mtss.rules.batch.evaluate_many` with a fixed number of set-based
queries (`values_list`, never a query per plan) and returns its result: one row
per plan with the recommendation, the observed and goal rates of improvement and
every rule's status.

It builds the same case as the pure-Python path (`interventions.selectors._case`),
so a plan's row here and its plan page agree:

* the latest phase gives the start, the goal and the baseline; a later phase's
  baseline is the median of the last *k* progress probes before it (RULES.md 1.0);
* the review cadence is anchored at the tier placement's start;
* sessions are the attendance rows of the plan (present = delivered).

Two ways to pass sessions:

* ``sessions="rows"``: every attendance row (a school: a few thousand rows). Needed
  when progress-monitoring frequency counts sessions (Holland Patent: "every tenth
  session").
* ``sessions="totals"``: one aggregate query; each plan's delivered sessions are
  passed as a few synthetic rows per plan that carry the same counts and minute
  sums (sessions at or above the planned minutes, and shorter ones, separately, so
  the "minutes must match the dosage" rule sees the same split). Fidelity, minimum
  sessions and so the recommendation come out the same; progress-monitoring
  frequency by sessions does not (its status is left out of district numbers).
  This is what keeps a 50,000-student district's page fast: the database sums
  half a million attendance rows instead of sending them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING

from django.db.models import Count, F, Func, IntegerField, Q, QuerySet, Sum

from interventions.evaluation_inputs import MeasureRequest, calendars_for, norms_for
from interventions.models import Attendance, Plan, PlanPhase, Probe
from mtss.models import District
from mtss.policy.adapters import rule_config
from mtss.rules.calendar import SchoolCalendar
from mtss.rules.config import RuleConfig
from mtss.selectors import policy_document
from screening.scores import finite_score_q

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# pandas and numpy (and the batch engine built on them) are imported where they are used: every
# page module imports this one, and `manage.py` start-up must not pay for them (issue 16, item 7).

EPOCH = dt.date(1970, 1, 1)
ENGINE_STATUS = Attendance.ENGINE_STATUS


class EpochDay(Func):
    """Days since 1970-01-01 as an integer, computed by the database.

    Sending integers instead of date objects lets pandas build its date columns
    without converting a Python object per row.
    """

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra):
        # PostgreSQL: date - date is an integer number of days.
        return super().as_sql(compiler, connection, template="(%(expressions)s - DATE '1970-01-01')", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)", **extra
        )


def _dates(days) -> np.ndarray:
    import numpy as np

    return np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[ns]")


def _day_number(day: dt.date) -> int:
    return (day - EPOCH).days


PLAN_FIELDS = (
    "id",
    "tier",
    "area",
    "student__grade",
    "start_date",
    "goal_target",
    "goal_roi",
    "goal_target_date",
    "goal_direction",
    "sessions_per_week",
    "sessions_per_cycle",
    "cycle_days",
    "minutes_per_session",
    "placement__start_date",
    "goal_measure",
    "dd_level_cut",
    "dd_growth_cut",
    "dd_override_reason",
    "student__school_id",
)


def _configs(district: District, rows: list[tuple], as_of: dt.date, version, policy) -> tuple[dict, list]:
    """One RuleConfig per (tier, area, grade) the plans use."""
    configs: dict[tuple, RuleConfig] = {}
    keys = []
    for row in rows:
        key = (row[1], row[2], row[3])
        if key not in configs:
            config = None
            if policy is not None:
                try:
                    config = rule_config(policy, tier=row[1], area=row[2], grade=row[3], version=str(version.version))
                except LookupError:
                    config = None
            configs[key] = config or RuleConfig(tier=row[1], area=row[2])
        keys.append(key)
    return configs, keys


def evaluate(
    *, district: District, plans: QuerySet[Plan], as_of: dt.date, sessions: str | list[tuple] = "rows"
) -> pd.DataFrame:
    """`evaluate_many` over the plans of the queryset as of a day; one row per plan id.

    `sessions` is "rows", "totals" (see the module docstring) or attendance rows the
    caller already read, as ``(plan_id, epoch_day, minutes, attendance status)``
    (`attendance_rows`), so a page that needs them anyway reads them once.
    Adds ``tier``, ``area``, ``grade``, ``start``, ``pm_every_days`` and
    ``last_probe`` columns. Empty input gives an empty frame with the same columns.
    """
    import numpy as np
    import pandas as pd

    from mtss.rules.batch import evaluate_many

    if isinstance(sessions, str) and sessions not in ("rows", "totals"):
        raise ValueError("sessions must be 'rows', 'totals' or a list of attendance rows")
    rows = list(plans.order_by().values_list(*PLAN_FIELDS))
    if not rows:
        return pd.DataFrame(
            columns=[
                "recommendation",
                "roi",
                "goal_roi",
                "sessions_delivered",
                "sessions_pct",
                "minutes_pct",
                "status_fidelity",
                "status_pm_frequency",
                "status_review_due",
                "status_minimum_sessions",
                "tier",
                "area",
                "grade",
                "start",
                "pm_every_days",
                "last_probe",
            ]
        ).rename_axis("plan_id")
    ids = [r[0] for r in rows]
    id_filter = plans.order_by().values("pk")

    # Latest phase per plan (start, goal): phases are few per plan.
    latest: dict[int, tuple] = {}
    for plan_id, number, start, target, roi, target_date in (
        PlanPhase.objects.filter(district=district, plan_id__in=id_filter)
        .order_by("plan_id", "number")
        .values_list("plan_id", "number", "start_date", "goal_target", "goal_roi", "goal_target_date")
    ):
        latest[plan_id] = (number, start, target, roi, target_date)

    version, policy = policy_document(district=district, as_of=as_of)
    configs, keys = _configs(district, rows, as_of, version, policy)
    # The same norms and calendars as the plan page (interventions/evaluation_inputs.py): the
    # primary measure's criteria, each school's days without school.
    requests = {row[0]: MeasureRequest(row[14], row[3], row[15], row[16], row[17]) for row in rows}
    norms = norms_for(district=district, policy=policy, requests=requests.values(), on=as_of)
    first = min([as_of] + [d for row in rows for d in (row[4], row[13]) if d is not None])
    calendars = calendars_for(
        district=district, policy=policy, school_ids={row[18] for row in rows}, start=first, end=as_of
    )
    config_index = {key: i for i, key in enumerate(configs)}
    plan_rows = []
    later_phase: dict[int, dt.date] = {}
    for row, key in zip(rows, keys, strict=False):
        (
            plan_id,
            tier,
            area,
            grade,
            start,
            target,
            roi,
            target_date,
            direction,
            per_week,
            per_cycle,
            cycle_days,
            minutes,
            placement_start,
            _,
            _,
            _,
            _,
            school_id,
        ) = row
        criteria = norms[requests[plan_id]]
        plan_start = start
        phase = latest.get(plan_id)
        if phase is not None:
            number, start, target, roi, target_date = phase
            if number > 1:
                later_phase[plan_id] = start
        plan_rows.append(
            (
                plan_id,
                config_index[key],
                start,
                target_date,
                target,
                np.nan if target is not None else roi,
                direction,
                per_week,
                per_cycle,
                cycle_days,
                minutes,
                placement_start or plan_start,
                np.nan if criteria.level_cut is None else criteria.level_cut,
                np.nan if criteria.roi_cut is None else criteria.roi_cut,
                school_id,
                tier,
                area,
                grade,
            )
        )
    plans_df = pd.DataFrame(
        plan_rows,
        columns=[
            "plan_id",
            "config",
            "start",
            "target_date",
            "target",
            "target_roi",
            "direction",
            "sessions_per_week",
            "sessions_per_cycle",
            "cycle_days",
            "minutes_per_session",
            "tier_start",
            "level_cut",
            "roi_cut",
            "calendar",
            "tier",
            "area",
            "grade",
        ],
    )
    for name in ("start", "target_date", "tier_start"):
        plans_df[name] = pd.to_datetime(plans_df[name])
    for name in (
        "target",
        "target_roi",
        "sessions_per_week",
        "sessions_per_cycle",
        "cycle_days",
        "minutes_per_session",
        "level_cut",
        "roi_cut",
    ):
        plans_df[name] = pd.to_numeric(plans_df[name]).astype(float)

    config_list = list(configs.values())
    baseline_k = {plan_id: config_list[row[1]].baseline_k for plan_id, row in zip(ids, plan_rows, strict=False)}
    probes_df, last_probe = _probes(district, id_filter, later_phase, baseline_k)
    if not isinstance(sessions, str):
        sessions_df = _session_frame([r for r in sessions if r[1] <= _day_number(as_of)])
    elif sessions == "rows":
        sessions_df = _session_frame(attendance_rows(district=district, plans=id_filter, until=as_of))
    else:
        sessions_df = _session_totals(district, id_filter, plans_df, later_phase, as_of)
    by_index = {i: config for i, config in enumerate(configs.values())}
    school_calendars = {
        school_id: SchoolCalendar(c.non_instructional, c.weekdays) for school_id, c in calendars.items()
    }
    plans_df["calendar"] = plans_df["calendar"].astype(object)
    result = evaluate_many(
        by_index, plans_df.drop(columns=["tier", "area", "grade"]), probes_df, sessions_df, as_of, school_calendars
    )
    extra = plans_df.set_index("plan_id")[["tier", "area", "grade", "start"]]
    extra["pm_every_days"] = [config_list[c].pm_every_days for c in plans_df["config"]]
    extra["last_probe"] = extra.index.map(last_probe)
    return result.join(extra)


def _probes(district: District, id_filter, later_phase: dict[int, dt.date], baseline_k: dict[int, int]) -> pd.DataFrame:
    import pandas as pd

    rows = list(
        Probe.objects.filter(finite_score_q(), district=district, plan_id__in=id_filter, measure__isnull=True)
        .order_by()
        .values_list("plan_id", EpochDay("date"), "score", "is_baseline", "id")
    )
    frame = pd.DataFrame(rows, columns=["plan_id", "day", "score", "is_baseline", "id"])
    frame["score"] = frame["score"].astype(float)
    frame["is_baseline"] = frame["is_baseline"].astype(bool)
    # The latest progress probe (not baseline) per plan: when the next one is due.
    progress = frame[~frame["is_baseline"]]
    last_probe = {
        plan_id: EPOCH + dt.timedelta(days=int(day))
        for plan_id, day in progress.groupby("plan_id")["day"].max().items()
    }
    if later_phase and len(frame):
        # A later phase starts from the median of the last k progress points before it
        # (interventions.selectors._case): those probes become its baseline.
        starts = frame["plan_id"].map({pid: _day_number(day) for pid, day in later_phase.items()})
        in_later = starts.notna()
        keep = ~in_later | ~frame["is_baseline"]
        frame = frame[keep]
        starts = starts[keep]
        before = starts.notna() & (frame["day"] < starts)
        candidates = frame[before].sort_values(["plan_id", "day", "id"])
        rank_from_end = candidates.groupby("plan_id").cumcount(ascending=False)
        picked = candidates.index[rank_from_end.to_numpy() < candidates["plan_id"].map(baseline_k).to_numpy()]
        frame = frame.copy()
        frame.loc[picked, "is_baseline"] = True
    frame["date"] = _dates(frame["day"].to_numpy())
    return frame[["plan_id", "date", "score", "is_baseline"]], last_probe


def attendance_rows(*, district: District, plans, until: dt.date) -> list[tuple]:
    """(plan_id, epoch day, minutes, status) of every attendance row of the plans up to a day: one query."""
    return list(
        Attendance.objects.filter(district=district, plan_id__in=plans, session__date__lte=until)
        .order_by()
        .values_list("plan_id", EpochDay("session__date"), "session__minutes", "status")
    )


def _session_frame(rows: list[tuple]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["plan_id", "day", "minutes", "status"])
    frame["minutes"] = frame["minutes"].astype(float)
    frame["status"] = frame["status"].map(ENGINE_STATUS)
    frame["date"] = _dates(frame["day"].to_numpy())
    return frame[["plan_id", "date", "minutes", "status"]]


def _session_totals(
    district: District, id_filter, plans_df: pd.DataFrame, later_phase: dict[int, dt.date], as_of: dt.date
) -> pd.DataFrame:
    """Delivered sessions per plan as a few synthetic rows (see the module docstring)."""
    import numpy as np
    import pandas as pd

    full = Q(session__minutes__gte=F("plan__minutes_per_session"))
    base = Attendance.objects.filter(
        district=district, plan_id__in=id_filter, status=Attendance.Status.PRESENT, session__date__lte=as_of
    )
    totals = {
        plan_id: [full_n, full_m or 0, short_n, short_m or 0]
        for plan_id, full_n, full_m, short_n, short_m in (
            base.filter(session__date__gte=F("plan__start_date"))
            .order_by()
            .values("plan_id")
            .annotate(
                full_n=Count("id", filter=full),
                full_m=Sum("session__minutes", filter=full),
                short_n=Count("id", filter=~full),
                short_m=Sum("session__minutes", filter=~full),
            )
            .values_list("plan_id", "full_n", "full_m", "short_n", "short_m")
        )
    }
    if later_phase:
        # Plans in a later phase count only the sessions since it began: their rows are few.
        minutes_of = dict(zip(plans_df["plan_id"], plans_df["minutes_per_session"], strict=False))
        recount: dict[int, list] = defaultdict(lambda: [0, 0, 0, 0])
        for plan_id, day, minutes in (
            base.filter(plan_id__in=list(later_phase))
            .order_by()
            .values_list("plan_id", "session__date", "session__minutes")
        ):
            if day < later_phase[plan_id]:
                continue
            slot = 0 if minutes >= minutes_of[plan_id] else 2
            recount[plan_id][slot] += 1
            recount[plan_id][slot + 1] += minutes
        for plan_id in later_phase:
            totals[plan_id] = recount[plan_id]
    start_of = dict(zip(plans_df["plan_id"], plans_df["start"], strict=False))
    plan_ids, counts, minutes, dates = [], [], [], []
    for plan_id, (full_n, full_m, short_n, short_m) in totals.items():
        for n, total in ((full_n, full_m), (short_n, short_m)):
            if n:
                plan_ids.append(plan_id)
                counts.append(n)
                minutes.append(total / n)
                dates.append(start_of[plan_id])
    counts_arr = np.asarray(counts, dtype=np.int64)
    return pd.DataFrame(
        {
            "plan_id": np.repeat(np.asarray(plan_ids, dtype=np.int64), counts_arr),
            "date": np.repeat(np.asarray(dates, dtype="datetime64[ns]"), counts_arr),
            "minutes": np.repeat(np.asarray(minutes, dtype=float), counts_arr),
            "status": np.full(int(counts_arr.sum()), "delivered", dtype=object),
        }
    )


RESPONDING = frozenset({"continue", "raise_goal", "exit"})
NOT_RESPONDING = frozenset({"modify", "intensify", "refer_evaluation"})
NOT_JUDGED = frozenset({"insufficient_data", "low_fidelity"})


def response_of(recommendation: str) -> str | None:
    """'responding', 'not_responding' or None (not judged: too little data, or low fidelity).

    A plan whose fidelity is low is never counted as not responding (RULES.md 3.3:
    failing to check fidelity "can lead to the potentially erroneous conclusion").
    """
    if recommendation in RESPONDING:
        return "responding"
    if recommendation in NOT_RESPONDING:
        return "not_responding"
    return None
