"""Screening pages: the window breakdown, the review queue, mid-year entrants, and for
district administrators the windows, the catalog with its norm tables, column
mappings and imports (rosters and scores: upload, dry run, errors as CSV).

Thin: parse, call a selector or a service, render. Student names never travel in
URLs: filters are ids, grades and statuses.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mtss import access_log
from mtss.api_params import query_int
from mtss.decorators import district_member
from mtss.models import School, SchoolYear
from mtss.permissions import allowed
from mtss.selectors import school_list
from mtss.spreadsheet import formula_safe
from mtss.tenancy import tenant_context
from screening import jobs, selectors, services
from screening.charts import COLORS, EDGES, breakdown_svg
from screening.forms import ImportNamesForm, MappingForm, NormsForm, UploadForm, WindowForm
from screening.importers import FORMATS
from screening.models import ReviewItem
from screening.risk import TIER_GUIDELINE
from students.importers.csvio import ERRORS_CSV_HEADER
from students.models import ImportRun

ERRORS_SHOWN = 50


def _errors_to_form(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            target = name.replace("columns.", "col_")
            form.add_error(target if target in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


def _window(request):
    window_id = query_int(request.GET.get("window"))
    if window_id:
        return selectors.window_get(district=request.district, window_id=window_id)
    return selectors.default_window(district=request.district)


# --- the breakdown --------------------------------------------------------------------------------------


@district_member("may_view_screening")
def overview(request):
    district, membership = request.district, request.membership
    window = _window(request)
    context = {
        "windows": list(selectors.windows(district=district)),
        "window": window,
        "guideline": TIER_GUIDELINE,
        "colors": COLORS,
        "edges": EDGES,
    }
    if window is None:
        return render(request, "screening/overview.html", context)
    schools = list(school_list(district=district, membership=membership))
    school_id = query_int(request.GET.get("school"))
    if school_id and school_id not in {s.pk for s in schools}:
        school_id = None  # another district's or school's id reads as "all my schools"
    grade = query_int(request.GET.get("grade"))
    measure_id = query_int(request.GET.get("measure"))
    filters = {"school_id": school_id, "grade": grade, "measure_id": measure_id}
    result = selectors.breakdown(district=district, membership=membership, window=window, **filters)
    total, subgroups = selectors.subgroup_breakdown(district=district, membership=membership, window=window, **filters)
    chart = breakdown_svg(
        result.chart,
        title=_("Risk levels, %(w)s") % {"w": window},
        description=_(
            "Share of screened students in Tier 1, Tier 2, Tier 3 and not computed, per %(by)s and "
            "measure; the dashed line marks the 80%% Tier 1 guideline. The table below gives the "
            "numbers."
        )
        % {"by": _("grade") if result.chart_by == "grade" else _("school")},
    )
    context.update(
        {
            "schools": schools,
            "school_id": school_id,
            "grade": grade,
            "measure_id": measure_id,
            "grades": [
                (g, dict(School.GRADE_CHOICES).get(g, g))
                for g in selectors.window_grades(district=district, window=window)
            ],
            "measures": selectors.window_measures(district=district, window=window),
            "result": result,
            # The table pages by school: a district of 1,000 schools has about 4,000 rows.
            "table_page": Paginator(result.school_groups(), selectors.BREAKDOWN_SCHOOLS_PAGE).get_page(
                request.GET.get("page")
            ),
            "chart": chart,
            "total": total,
            "subgroups": subgroups,
            "review_counts": selectors.review_counts(district=district, membership=membership, window=window),
        }
    )
    return render(request, "screening/overview.html", context)


# --- review queue -----------------------------------------------------------------------------------------

REVIEW_PAGE = 50


@district_member("may_view_screening")
def review_queue(request):
    district, membership = request.district, request.membership
    window = _window(request)
    status = request.GET.get("status", ReviewItem.Status.OPEN)
    if status not in ReviewItem.Status.values and status != "all":
        status = ReviewItem.Status.OPEN
    context = {
        "windows": list(selectors.windows(district=district)),
        "window": window,
        "status": status,
        "statuses": ReviewItem.Status.choices,
        "can_act": allowed(membership, "may_review_screening"),
    }
    if window is not None:
        items = selectors.review_queue(
            district=district, membership=membership, window=window, status="" if status == "all" else status
        )
        page = Paginator(items, REVIEW_PAGE).get_page(request.GET.get("page"))
        rows = list(page.object_list)
        counts = selectors.review_counts(district=district, membership=membership, window=window)
        context.update(
            {
                "page": page,
                "rows": rows,
                "status_counts": [(v, label, counts[v]) for v, label in ReviewItem.Status.choices],
                # The policy's other routes into services and its completion dates.
                "eligible_groups": selectors.eligibility_groups(
                    district=district, membership=membership, window=window
                ),
                "deadlines": selectors.screening_deadlines(
                    district=district, window=window, today=timezone.localdate()
                ),
            }
        )
        # One access-log row for the page: the queue's rows and the eligibility groups' students.
        access_log.record(
            request,
            action="list",
            what="screening review queue",
            student_ids=[i.student_id for i in rows] + [s.pk for g in context["eligible_groups"] for s in g.students],
        )
    return render(request, "screening/review_queue.html", context)


@district_member("may_review_screening")
def review_item_action(request, item_id: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    item = selectors.review_item_get(district=request.district, membership=request.membership, item_id=item_id)
    action = request.POST.get("action", "")
    status = request.POST.get("status", "open")
    status = status if status in ReviewItem.Status.values or status == "all" else "open"
    back = reverse("screening_review") + f"?window={item.window_id}&status={status}"
    if action == "plan":
        # The item is marked when the plan is saved (the plan form carries the item's id).
        if item.status not in (ReviewItem.Status.OPEN, ReviewItem.Status.REVIEWED):
            messages.error(request, _("This student is no longer waiting for a plan in the queue."))
            return redirect(back)
        messages.info(
            request,
            _("%(n)s: fill in the plan below; the queue marks it once the plan is saved.")
            % {"n": item.student.full_name},
        )
        return redirect(reverse("plan_create", args=[item.student_id]) + f"?review_item={item.pk}")
    try:
        services.review_item_decide(
            district=request.district,
            actor=request.user,
            item=item,
            action=action,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    name = item.student.full_name
    labels = {"reviewed": _("marked reviewed"), "dismiss": _("dismissed"), "reopen": _("back in the queue")}
    messages.success(request, _("%(n)s: %(what)s.") % {"n": name, "what": labels.get(action, action)})
    return redirect(back)


@district_member("may_view_screening")
def entrants(request):
    window = _window(request)
    context = {"windows": list(selectors.windows(district=request.district)), "window": window}
    if window is not None:
        shown, total, rule = selectors.mid_year_entrants(
            district=request.district, membership=request.membership, window=window
        )
        access_log.record(
            request, action="list", what="mid-year entrants to screen", student_ids=[e.student.pk for e in shown]
        )
        context.update({"entrants": shown, "total": total, "rule": rule, "limit": selectors.ENTRANTS_SHOWN})
    return render(request, "screening/entrants.html", context)


# --- windows ----------------------------------------------------------------------------------------------


@district_member("may_manage_screening")
def windows(request):
    district = request.district
    years = SchoolYear.objects.filter(district=district).order_by("-start_date")
    form = WindowForm(request.POST or None, school_years=years)
    if request.method == "POST" and request.POST.get("action") == "defaults":
        year = years.filter(pk=query_int(request.POST.get("school_year"))).first()
        if year is None:
            raise Http404
        try:
            made = services.windows_default(district=district, actor=request.user, school_year=year)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(n)s window(s) added to %(y)s.") % {"n": len(made), "y": year.name})
        return redirect("screening_windows")
    if request.method == "POST" and form.is_valid():
        try:
            window = services.window_save(district=district, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Window %(w)s saved.") % {"w": window})
            return redirect("screening_windows")
    return render(
        request,
        "screening/windows.html",
        {"form": form, "years": years, "windows": list(selectors.windows(district=district))},
    )


@district_member("may_manage_screening")
def window_edit(request, window_id: int):
    district = request.district
    window = selectors.window_get(district=district, window_id=window_id)
    years = SchoolYear.objects.filter(district=district).order_by("-start_date")
    initial = {
        "school_year": window.school_year_id,
        "season": window.season,
        "start_date": window.start_date,
        "end_date": window.end_date,
    }
    form = WindowForm(request.POST or None, school_years=years, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.window_save(district=district, actor=request.user, window=window, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Window %(w)s saved.") % {"w": window})
            return redirect("screening_windows")
    return render(request, "screening/window_form.html", {"form": form, "window": window})


# --- catalog and norms -------------------------------------------------------------------------------------


@district_member("may_view_screening")
def catalog(request):
    district = request.district
    services.catalog_ensure(district=district)
    form = None
    if allowed(request.membership, "may_manage_screening"):
        form = NormsForm(request.POST or None, request.FILES or None, measures=selectors.measures(district=district))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            upload = data["file"]
            run = jobs.import_job_submit(
                district=district,
                actor=request.user,
                kind=ImportRun.Kind.NORMS,
                chunks=upload.chunks(),
                file_name=upload.name,
                options={
                    "table": data["kind"],
                    "norm": data["norm"],
                    "measure": data["measure"].pk if data["measure"] else None,
                    "name": data["name"],
                    "source": data["source"],
                },
                dry_run=data["dry_run"],
            )
            if run is not None:
                return redirect("screening_import_detail", run_id=run.pk)
    elif request.method == "POST":
        raise Http404
    assessments = selectors.catalog(district=district)
    links = selectors.measure_policy_links(district=district)
    for assessment in assessments:
        for measure in assessment.measures.all():
            measure.policy_link = links.get(measure.pk, "")
    return render(
        request,
        "screening/catalog.html",
        {"assessments": assessments, "norm_tables": selectors.norm_tables(district=district), "form": form},
    )


@district_member("may_manage_screening")
def measure_edit(request, measure_id: int):
    district = request.district
    measure = selectors.measure_get(district=district, measure_id=measure_id)
    form = ImportNamesForm(request.POST or None, initial={"import_names": "\n".join(measure.import_names or [])})
    if request.method == "POST" and form.is_valid():
        try:
            services.measure_update(
                district=district, actor=request.user, measure=measure, import_names=form.cleaned_data["import_names"]
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Import names of %(m)s saved.") % {"m": measure.name})
            return redirect("screening_catalog")
    return render(request, "screening/measure_form.html", {"form": form, "measure": measure})


# --- column mappings -----------------------------------------------------------------------------------------


@district_member("may_manage_screening")
def mappings(request):
    return _mapping_form(request, None)


@district_member("may_manage_screening")
def mapping_edit(request, mapping_id: int):
    return _mapping_form(request, selectors.mapping_get(district=request.district, mapping_id=mapping_id))


def _mapping_form(request, mapping):
    district = request.district
    initial = {}
    if mapping is not None:
        initial = {
            "name": mapping.name,
            "measure": mapping.measure_id,
            **{f"col_{k}": v for k, v in mapping.columns.items()},
        }
    form = MappingForm(request.POST or None, measures=selectors.measures(district=district), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.mapping_save(
                district=district,
                actor=request.user,
                name=form.cleaned_data["name"],
                columns=form.columns(),
                measure=form.cleaned_data["measure"],
                mapping=mapping,
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Mapping %(n)s saved.") % {"n": saved.name})
            return redirect("screening_mappings")
    return render(
        request,
        "screening/mappings.html",
        {"form": form, "mapping": mapping, "mappings": list(selectors.mappings(district=district))},
    )


# --- imports ------------------------------------------------------------------------------------------------------

IMPORTS_PAGE = 25


@district_member("may_manage_screening")
def imports(request):
    district = request.district
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        mappings=selectors.mappings(district=district),
        measures=selectors.measures(district=district),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        run = jobs.import_job_submit(
            district=district,
            actor=request.user,
            kind=data["kind"],
            chunks=upload.chunks(),
            file_name=upload.name,
            options={
                "format": data["format"],
                "mapping": data["mapping"].pk if data["mapping"] else None,
                "measure": data["measure"].key if data["measure"] else "",
                "shape": data["shape"],
                "confirm": data["confirm"],
            },
            dry_run=data["dry_run"],
            accept_valid_rows=data["accept_valid_rows"],
        )
        return redirect("screening_import_detail", run_id=run.pk)
    page = Paginator(selectors.import_runs(district=district), IMPORTS_PAGE).get_page(request.GET.get("page"))
    return render(request, "screening/imports.html", {"form": form, "page": page, "formats": FORMATS})


@district_member("may_manage_screening")
def import_detail(request, run_id: int):
    district = request.district
    run = selectors.import_run_get(district=district, run_id=run_id)
    exits = run.details.get("exits") or {}
    if request.method == "POST":
        action = request.POST.get("action")
        confirm = None
        if exits.get("needs_confirmation"):
            confirm = query_int(request.POST.get("confirm_exits", "").replace(",", "").strip())
            if confirm != exits.get("total"):
                messages.error(
                    request,
                    _("Type the number of exits, %(n)s, to confirm them; nothing was imported.")
                    % {"n": exits.get("total")},
                )
                return redirect("screening_import_detail", run_id=run.pk)
        new = None
        if action in ("import", "accept") and run.is_finished:
            new = jobs.import_job_again(
                district=district,
                actor=request.user,
                run=run,
                accept_valid_rows=action == "accept",
                confirm_exits=confirm,
            )
        if new is None:
            messages.error(request, _("The uploaded file is no longer kept; upload it again."))
            return redirect("screening_import_detail", run_id=run.pk)
        return redirect("screening_import_detail", run_id=new.pk)
    # The report quotes students' ids from the file, and a roster's unmatched students (FERPA access log).
    access_log.record(
        request,
        action="view",
        what=f"import {run.pk} report",
        student_ids=[u["id"] for u in run.details.get("unmatched_students", [])[:100] if "id" in u],
    )
    kept = run.is_finished and jobs.staged_upload_kept(district=district, run=run)
    rows = [(entity.replace("_", " "), counts) for entity, counts in (run.counts or {}).items()]
    needs_exits = bool(exits.get("needs_confirmation"))
    # A roster refused only for its exits (its one problem) can be imported once they are confirmed.
    refused_for_exits = (
        run.status == ImportRun.Status.REFUSED
        and needs_exits
        and run.error_count == 1
        and not run.details.get("refused_whole")
    )
    return render(
        request,
        "screening/import_detail.html",
        {
            "run": run,
            "progress": _progress_context(district, run),
            "rows": rows,
            "errors": run.errors[:ERRORS_SHOWN],
            "errors_shown": ERRORS_SHOWN,
            "unmatched": run.details.get("unmatched_students", [])[:100],
            "unmatched_total": run.details.get("unmatched_total", 0),
            "can_import": kept and (run.status == ImportRun.Status.DRY_RUN or refused_for_exits),
            "can_accept": (
                kept
                and run.status == ImportRun.Status.REFUSED
                and not run.details.get("refused_whole")
                and not refused_for_exits
                and _valid_rows(run) > 0
            ),
            "exits": exits if needs_exits else None,
            "would": run.status in (ImportRun.Status.DRY_RUN, ImportRun.Status.REFUSED),
        },
    )


@district_member("may_manage_screening")
def import_progress(request, run_id: int):
    """The progress fragment htmx polls while the job runs; once it ends, htmx reloads the report."""
    district = request.district
    run = selectors.import_run_get(district=district, run_id=run_id)
    response = render(
        request, "screening/_import_progress.html", {"run": run, "progress": _progress_context(district, run)}
    )
    if run.is_finished and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


def _progress_context(district, run: ImportRun) -> dict:
    state = jobs.import_progress(district=district, run=run)
    total, read = state.get("total") or 0, state.get("read") or 0
    phase = state.get("phase", run.status)
    if run.is_finished:
        percent = 100
    elif phase in ("writing", "validated", "validating"):
        percent = 90 if phase == "writing" else 80
    else:
        percent = min(75, read * 75 // total) if total else 0  # reading is most of the work
    return {**state, "phase": phase, "percent": percent}


def _valid_rows(run: ImportRun) -> int:
    """How many rows the run would write (created or updated)."""
    return sum(c.get("created", 0) + c.get("updated", 0) for c in (run.counts or {}).values())


class _Echo:
    def write(self, value):
        return value


@district_member("may_manage_screening")
def import_errors_csv(request, run_id: int):
    district = request.district
    run = selectors.import_run_get(district=district, run_id=run_id)
    errors = selectors.import_errors(district=district, run=run)
    # Rejected rows quote students' ids from the file: an export of student data (FERPA access log).
    access_log.record(
        request,
        action="export",
        what=f"rejected rows of import {run.pk}",
        student_ids=selectors.import_error_student_ids(district=district, run=run),
    )
    writer = csv.writer(_Echo())

    def rows():
        # The body streams after the middleware's tenant context has ended: enter the district's again.
        with tenant_context(district):
            yield writer.writerow(ERRORS_CSV_HEADER)
            for error in errors:
                yield writer.writerow([formula_safe(error.get(k)) for k in ERRORS_CSV_HEADER])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime(run.started_at).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-{stamp}-rejected-rows.csv"'
    return response
