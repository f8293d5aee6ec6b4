"""The weekly fidelity summary as a PDF (WeasyPrint, mtss/pdf.py).

Aggregates only: sessions and minutes delivered against planned, the headline
counts, and the breakdown by interventionist, intervention and tier. No student
is named, so the e-mailed file discloses no record; the plans behind each number
are one click away in the signed-in dashboard.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from mtss.models import District, Membership, School
from mtss.pdf import render_pdf_cached
from reports import report_tables, selectors
from reports.charts import Bar, bar_chart_svg
from reports.tables import pct


def weekly_fidelity_context(
    *, district: District, membership: Membership, school: School, start: dt.date, end: dt.date
) -> dict:
    rows = selectors.fidelity_plans(district=district, membership=membership, school=school, start=start, end=end)
    policy = selectors.fidelity_policy(district=district, as_of=end)
    headline = selectors.fidelity_headline(rows)

    def link(**_extra):
        return None

    summary = report_tables.fidelity_summary_table(headline, policy, link, selectors.DEFAULT_IDLE_DAYS)
    sections = []
    for by, label in (("provider", _("Interventionist")), ("intervention", _("Intervention")), ("tier", _("Tier"))):
        groups = selectors.group_plans(rows, by)
        table = report_tables.fidelity_groups_table(groups, by_label=str(label), link=link, by=by)
        chart = (
            bar_chart_svg(
                [Bar(g.label, pct(g.total("attended_sessions"), g.total("planned_sessions")), g.n) for g in groups],
                title=_("Sessions delivered %% by %(dim)s") % {"dim": str(label).lower()},
                max_value=100,
                threshold=policy["threshold"],
                id_prefix=f"pdf-{by}",
            )
            if groups
            else ""
        )
        sections.append({"table": table, "chart": chart})
    context = {
        "district": district,
        "school": school,
        "start": start,
        "end": end,
        "summary": summary,
        "sections": sections,
        "policy": policy,
        "generated_at": timezone.now(),
    }
    return context


def weekly_fidelity_pdf(
    *, district: District, membership: Membership, school: School, start: dt.date, end: dt.date
) -> bytes:
    context = weekly_fidelity_context(district=district, membership=membership, school=school, start=start, end=end)
    return render_pdf_cached("reports/pdf/fidelity_summary.html", context, district_id=district.pk)
