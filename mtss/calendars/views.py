"""The calendar page: every member reads the school year; district admins add and
delete days without school and import an .ics file (preview, then confirm).

Non-admins get 404 on the changing views, as everywhere (mtss.decorators).
The calendar holds no student data: nothing here goes to the access log.
"""

from __future__ import annotations

import base64
import binascii
import calendar as pycalendar
import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mtss.calendars import selectors, services
from mtss.calendars.forms import CalendarEventForm, IcsUploadForm, SchoolYearForm
from mtss.calendars.ics import MAX_BYTES
from mtss.decorators import district_member
from mtss.permissions import allowed
from mtss.selectors import school_list


def _errors_to_form(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _schools(request):
    return school_list(district=request.district)


def _months(year, events) -> list[dict]:
    """Month grids (weeks of Monday..Sunday) of the school year, each day with its events."""
    by_day: dict[dt.date, list] = {}
    for event in events:
        day = max(event.start_date, year.start_date)
        while day <= min(event.end_date, year.end_date):
            by_day.setdefault(day, []).append(event)
            day += dt.timedelta(days=1)
    months, first = [], year.start_date.replace(day=1)
    grid = pycalendar.Calendar(firstweekday=0)
    while first <= year.end_date:
        weeks = []
        for week in grid.monthdatescalendar(first.year, first.month):
            weeks.append(
                [
                    {
                        "date": day,
                        "in_month": day.month == first.month,
                        "in_year": year.start_date <= day <= year.end_date,
                        "weekend": day.weekday() >= 5,
                        "events": by_day.get(day, []),
                    }
                    for day in week
                ]
            )
        months.append({"first": first, "weeks": weeks})
        first = (first + dt.timedelta(days=32)).replace(day=1)
    return months


def _page(request, *, form=None, year_form=None, status=200):
    district = request.district
    years = list(selectors.school_years(district=district))
    year = None
    year_id = request.GET.get("year", "")
    if year_id.isdigit():
        year = selectors.school_year_get(district=district, school_year_id=int(year_id))
    elif years:
        year = selectors.school_year_current(district=district, today=timezone.localdate())
    view = "month" if request.GET.get("view") == "month" else "list"
    can_edit = allowed(request.membership, "may_edit_calendar")
    context = {"years": years, "year": year, "view": view, "can_edit": can_edit}
    if year is not None:
        events = list(selectors.calendar_events(district=district, start=year.start_date, end=year.end_date))
        off = selectors.non_instructional_dates(
            district=district, school_id=None, start=year.start_date, end=year.end_date
        )
        context.update(
            events=events,
            terms=list(selectors.terms(district=district, school_year=year)),
            cycles=list(selectors.day_cycles(district=district, school_year=year)),
            instructional=selectors.count_instructional_days(year.start_date, year.end_date, off),
            months=_months(year, events) if view == "month" else [],
        )
    if can_edit:
        if form is None:
            form = CalendarEventForm()
        form.set_schools(_schools(request))
        context["form"] = form
        context["year_form"] = year_form or SchoolYearForm()
    return render(request, "mtss/calendar.html", context, status=status)


@district_member()
def calendar_page(request):
    return _page(request)


@district_member("may_edit_calendar")
def event_add(request):
    if request.method != "POST":
        return redirect("calendar")
    form = CalendarEventForm(request.POST)
    form.set_schools(_schools(request))
    if form.is_valid():
        data = form.cleaned_data
        try:
            event = services.calendar_event_create(
                district=request.district,
                actor=request.user,
                kind=data["kind"],
                name=data["name"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                school=data["school"],
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(
                request,
                _("Added: %(name)s, %(dates)s.")
                % {"name": event.name, "dates": services.date_span(event.start_date, event.end_date)},
            )
            return redirect(
                reverse("calendar") + f"?year={request.POST.get('year', '')}"
                if request.POST.get("year", "").isdigit()
                else reverse("calendar")
            )
    return _page(request, form=form, status=400)


@district_member("may_edit_calendar")
def event_delete(request, calendar_event_id: int):
    event = selectors.calendar_event_get(district=request.district, event_id=calendar_event_id)
    if request.method == "POST":
        services.calendar_event_delete(district=request.district, actor=request.user, event=event)
        messages.success(
            request,
            _("Deleted: %(name)s, %(dates)s.")
            % {"name": event.name, "dates": services.date_span(event.start_date, event.end_date)},
        )
        return redirect("calendar")
    return render(request, "mtss/calendar_delete.html", {"event": event})


@district_member("may_edit_calendar")
def school_year_add(request):
    if request.method != "POST":
        return redirect("calendar")
    year_form = SchoolYearForm(request.POST)
    if year_form.is_valid():
        data = year_form.cleaned_data
        try:
            year = services.school_year_save(
                district=request.district,
                actor=request.user,
                name=data["name"],
                start_date=data["start_date"],
                end_date=data["end_date"],
            )
        except ValidationError as error:
            _errors_to_form(year_form, error)
        else:
            messages.success(request, _("School year %(name)s added.") % {"name": year.name})
            return redirect(reverse("calendar") + f"?year={year.pk}")
    return _page(request, year_form=year_form, status=400)


@district_member("may_edit_calendar")
def ics_upload(request):
    """Upload -> dry run shown as a preview -> confirm (the file travels back in the form)."""
    schools = _schools(request)
    form = IcsUploadForm(request.POST or None, request.FILES or None)
    form.set_schools(schools)
    context = {"form": form}
    if request.method == "POST" and request.POST.get("confirm"):
        try:
            content = base64.b64decode(request.POST.get("content", ""), validate=True)
        except (binascii.Error, ValueError):
            content = b""
        school_id = request.POST.get("school", "")
        school = schools.filter(pk=int(school_id)).first() if school_id.isdigit() else None
        if not content or len(content) > MAX_BYTES or (school_id and school is None):
            messages.error(request, _("The preview expired or was changed; upload the file again."))
            return redirect("calendar_import")
        return _ics_run(request, content, school, dry_run=False, context=context)
    if request.method == "POST" and form.is_valid():
        return _ics_run(request, form.cleaned_data["file"], form.cleaned_data["school"], dry_run=True, context=context)
    return render(request, "mtss/calendar_import.html", context, status=400 if request.method == "POST" else 200)


def _ics_run(request, content: bytes, school, *, dry_run: bool, context: dict):
    form = context["form"]
    try:
        result = services.ics_import(
            district=request.district, actor=request.user, content=content, school=school, dry_run=dry_run
        )
    except ValidationError as error:
        _errors_to_form(form, error)
        return render(request, "mtss/calendar_import.html", context, status=400)
    if not dry_run and result.ok:
        messages.success(
            request,
            _("Imported: %(c)s added, %(u)s updated, %(n)s unchanged, %(s)s skipped.")
            % {
                "c": len(result.created),
                "u": len(result.updated),
                "n": len(result.unchanged),
                "s": len(result.skipped),
            },
        )
        return redirect("calendar")
    context.update(result=result, school=school, content=base64.b64encode(content).decode("ascii"))
    return render(request, "mtss/calendar_import.html", context, status=200 if result.ok else 400)
