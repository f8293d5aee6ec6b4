"""The school calendar as data: everything that counts time counts instructional days (issue 12, item 2)."""

from __future__ import annotations

from datetime import date, timedelta

from mtss.rules.calendar import expand_ranges, instructional_days, nth_instructional_day_after
from mtss.rules.config import RuleConfig
from mtss.rules.engine import Case, Goal, Probe, Session, evaluate

# A Tier 2 plan from Monday 2 December 2024 to Friday 24 January 2025, 4 sessions a week,
# through a winter break from Monday 23 December to Friday 3 January and the MLK holiday.
START, AS_OF = date(2024, 12, 2), date(2025, 1, 24)
BREAK = expand_ranges([(date(2024, 12, 23), date(2025, 1, 3))]) | {date(2025, 1, 20)}
CONFIG = RuleConfig(sessions_per_week=4, minutes_per_session=30, pm_every_days=7)


def school_days(first=START, last=AS_OF, holidays=BREAK):
    day = first
    while day <= last:
        if day.weekday() < 5 and day not in holidays:
            yield day
        day += timedelta(days=1)


def winter_case(**changes) -> Case:
    days = list(school_days())
    # Monday to Thursday of every school week: every scheduled session, no more.
    sessions = tuple(Session(day, 30) for day in days if day.weekday() < 4)
    # Weekly probes on Fridays of school weeks (and the Friday before the break).
    probes = tuple(Probe(day, 40 + i) for i, day in enumerate(d for d in days if d.weekday() == 4))
    values = dict(
        start=START,
        as_of=AS_OF,
        goal=Goal(target_date=date(2025, 3, 28), target=70),
        baseline_probes=(Probe(START - timedelta(days=3), 38),),
        probes=probes,
        sessions=sessions,
        non_instructional=BREAK,
    )
    values.update(changes)
    return Case(**values)


def test_it_counts_instructional_days_without_weekends_and_breaks():
    assert instructional_days(START, AS_OF) == 40
    assert instructional_days(START, AS_OF, BREAK) == 29
    assert instructional_days(AS_OF, START, BREAK) == 0
    assert instructional_days(START, AS_OF, BREAK, weekdays=(0, 1, 2, 3)) == 23  # a four-day week
    assert nth_instructional_day_after(date(2024, 12, 20), 1, BREAK) == date(2025, 1, 6)


def test_every_school_day_session_through_winter_break_is_adequate_fidelity():
    # Issue 12: "a student who got every school-day session through winter break must read adequate
    # fidelity" -- counted over calendar weeks the break made it 76 %.
    finding = evaluate(CONFIG, winter_case()).finding("fidelity")
    assert finding.values["sessions_delivered"] == 23
    assert finding.values["sessions_scheduled"] == 23  # 29 school days x 4/5, floored
    assert finding.status == "adequate"
    without_calendar = evaluate(CONFIG, winter_case(non_instructional=frozenset())).finding("fidelity")
    assert without_calendar.status == "low"


def test_make_up_sessions_and_probes_on_non_instructional_days_count():
    saturday = date(2025, 1, 11)
    extra = winter_case().sessions + (Session(saturday, 30),)
    finding = evaluate(CONFIG, winter_case(sessions=extra)).finding("fidelity")
    assert finding.values["sessions_delivered"] == 24
    probe_in_break = winter_case().probes + (Probe(date(2024, 12, 27), 45),)
    assert evaluate(CONFIG, winter_case(probes=probe_in_break)).n_points == len(probe_in_break)


def test_weekly_probes_around_a_break_are_on_time_and_the_current_gap_counts():
    finding = evaluate(CONFIG, winter_case()).finding("pm_frequency")
    # Friday 20 December to Friday 10 January is 5 school days, not 21 calendar days.
    assert finding.status == "compliant"
    assert finding.values["current_gap_days"] == 0 and finding.values["max_gap_days"] <= 5
    # No probe for the last three school weeks: the current gap is late, whatever happened before.
    late = winter_case(probes=tuple(p for p in winter_case().probes if p.date < date(2025, 1, 6)))
    late_finding = evaluate(CONFIG, late).finding("pm_frequency")
    assert late_finding.status == "not_compliant"
    assert late_finding.values["current_gap_days"] == 14
    assert "since the last probe" in late_finding.explanation


def test_an_old_gap_outside_the_recent_window_no_longer_counts():
    days = [d for d in school_days() if d.weekday() == 4]
    probes = (Probe(days[0], 40),) + tuple(Probe(d, 41) for d in days[3:])  # a long gap in December
    finding = evaluate(CONFIG.replace(pm_recent_periods=3), winter_case(probes=probes)).finding("pm_frequency")
    assert finding.status == "compliant"
    assert (
        evaluate(CONFIG.replace(pm_recent_periods=20), winter_case(probes=probes)).finding("pm_frequency").status
        == "not_compliant"
    )


def test_review_dates_and_six_day_cycles_skip_the_break():
    config = CONFIG.replace(review_every_weeks=3)
    finding = evaluate(config, winter_case(last_review=date(2024, 12, 20))).finding("review_due")
    # 15 school days after Monday 2 December: 14 up to Friday 20 December, the 15th is Monday
    # 6 January, after the break (by calendar weeks it would have been 23 December, in the break).
    assert finding.values["last_scheduled"] == "2025-01-06"
    assert finding.values["next_review"] == "2025-01-28"  # 15 more, skipping MLK day
    assert finding.status == "due"
    cycle = RuleConfig(sessions_per_cycle=3, cycle_days=6, minutes_per_session=30)
    assert evaluate(cycle, winter_case()).finding("fidelity").values["sessions_scheduled"] == 14  # 29 x 3/6


def test_time_in_the_tier_is_counted_in_instructional_weeks():
    config = CONFIG.replace(duration_min_weeks=10, duration_max_weeks=20)
    finding = evaluate(config, winter_case()).finding("duration")
    assert finding.values["instructional_days"] == 28  # after the start day, to 24 January
    assert finding.status == "before_min"
    later = evaluate(config, winter_case(as_of=date(2025, 6, 27))).finding("duration")
    assert later.status == "past_max"


def test_the_nth_instructional_day_jumps_whole_weeks_and_still_lands_on_the_same_day():
    """It skips whole weeks (a review date 100 school days out walked 140 days, on every caseload
    page); walking day by day is the definition, and every anchor, count, week and closure agrees."""
    import random

    def walk(anchor, n, closed, weekdays):
        day = anchor
        while n > 0:
            day += timedelta(days=1)
            if day.weekday() in weekdays and day not in closed:
                n -= 1
        return day

    rng = random.Random(16)
    for _ in range(2000):
        anchor = date(2024, 8, 1) + timedelta(days=rng.randrange(365))
        weekdays = tuple(sorted(rng.sample(range(7), rng.randint(1, 7))))
        closed = frozenset(anchor + timedelta(days=rng.randrange(1, 400)) for _ in range(rng.randrange(60)))
        n = rng.randrange(0, 200)
        assert nth_instructional_day_after(anchor, n, closed, weekdays) == walk(anchor, n, closed, weekdays), (
            anchor,
            n,
            weekdays,
        )
