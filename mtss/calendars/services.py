"""Writes of the school calendar. Each takes the district first, runs in one
transaction, validates the calendar as a whole and records an audit event.

Refused (issue 12, "Bad input"): a last day before the first day (the field is
named), breaks that overlap (both breaks and the shared dates are named), and a
school year left with no instructional day (the year, its dates and the school
are named). The checks run after the write, inside the transaction, so what is
refused is never half-written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mtss.calendars import ics
from mtss.calendars.models import CalendarEvent, DayCycle, Term
from mtss.calendars.selectors import count_instructional_days, non_instructional_by_school
from mtss.models import District, School, SchoolYear, User
from mtss.services import audit
from mtss.tenancy import tenant_context


def _d(value: dt.date) -> str:
    return value.isoformat()


def date_span(first: dt.date, last: dt.date) -> str:
    return _d(first) if first == last else _("%(a)s to %(b)s") % {"a": _d(first), "b": _d(last)}


def _check_dates(start_date, end_date, *, strict: bool = False) -> None:
    errors = {}
    if not isinstance(start_date, dt.date):
        errors["start_date"] = _("Give the first day as a date (YYYY-MM-DD).")
    if not isinstance(end_date, dt.date):
        errors["end_date"] = _("Give the last day as a date (YYYY-MM-DD).")
    if errors:
        raise ValidationError(errors)
    if end_date < start_date or (strict and end_date == start_date):
        raise ValidationError(
            {
                "end_date": _("The last day (%(end)s) is before the first day (%(start)s).")
                % {"end": _d(end_date), "start": _d(start_date)}
                if end_date < start_date
                else _("The last day (%(end)s) must be after the first day.") % {"end": _d(end_date)}
            }
        )


def _school_name(school_id: int | None, names: dict[int, str]) -> str:
    return names.get(school_id, "") if school_id is not None else _("the whole district")


def validate_calendar(*, district: District, start: dt.date, end: dt.date) -> None:
    """Refuse overlapping breaks and school years without an instructional day around [start, end]."""
    errors: list[str] = []
    breaks = list(
        CalendarEvent.objects.filter(
            district=district, kind=CalendarEvent.Kind.BREAK, start_date__lte=end, end_date__gte=start
        ).values_list("pk", "school_id", "name", "start_date", "end_date")
    )
    # A break may overlap another only if they belong to two different schools;
    # a district-wide break overlaps every school's.
    for i, (_pk_a, school_a, name_a, first_a, last_a) in enumerate(breaks):
        for _pk_b, school_b, name_b, first_b, last_b in breaks[i + 1 :]:
            if school_a is not None and school_b is not None and school_a != school_b:
                continue
            if first_a <= last_b and first_b <= last_a:
                errors.append(
                    _("The break “%(a)s” (%(a_dates)s) overlaps the break “%(b)s” (%(b_dates)s): both cover %(both)s.")
                    % {
                        "a": name_a,
                        "a_dates": date_span(first_a, last_a),
                        "b": name_b,
                        "b_dates": date_span(first_b, last_b),
                        "both": date_span(max(first_a, first_b), min(last_a, last_b)),
                    }
                )
    years = SchoolYear.objects.filter(district=district, start_date__lte=end, end_date__gte=start)
    for year in years:
        school_ids = set(
            CalendarEvent.objects.filter(
                district=district,
                school__isnull=False,
                start_date__lte=year.end_date,
                end_date__gte=year.start_date,
            ).values_list("school_id", flat=True)
        )
        off = non_instructional_by_school(
            district=district, school_ids=[None, *school_ids], start=year.start_date, end=year.end_date
        )
        empty = [
            school_id
            for school_id, days in off.items()
            if count_instructional_days(year.start_date, year.end_date, days) == 0
        ]
        if empty:
            names = dict(
                School.objects.filter(district=district, pk__in=[s for s in empty if s]).values_list("pk", "name")
            )
            for school_id in empty:
                errors.append(
                    _(
                        "The school year %(year)s (%(dates)s) would have no instructional day for "
                        "%(who)s: every weekday from %(first)s to %(last)s is a holiday, break or closure."
                    )
                    % {
                        "year": year.name,
                        "dates": date_span(year.start_date, year.end_date),
                        "who": _school_name(school_id, names),
                        "first": _d(year.start_date),
                        "last": _d(year.end_date),
                    }
                )
    if errors:
        raise ValidationError(errors)


# --- school years and day cycles ------------------------------------------------------------------


def school_year_save(
    *,
    district: District,
    actor: User | None,
    name: str,
    start_date: dt.date,
    end_date: dt.date,
    school_year: SchoolYear | None = None,
    sourced_id: str | None = None,
) -> SchoolYear:
    """Create or edit a school year (first and last instructional day)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the school year a name, e.g. 2026-2027.")})
    if len(name) > 20:
        raise ValidationError({"name": _("The name is longer than 20 characters.")})
    _check_dates(start_date, end_date, strict=True)
    with tenant_context(district), transaction.atomic():
        clash = SchoolYear.objects.filter(district=district, name=name)
        if school_year is not None:
            clash = clash.exclude(pk=school_year.pk)
        if clash.exists():
            raise ValidationError(
                {"name": _("The district already has a school year named %(name)s.") % {"name": name}}
            )
        year = school_year or SchoolYear(district=district)
        if year.district_id != district.pk:
            raise ValidationError({"school_year": _("Select a valid school year.")})
        before = {"name": year.name, "start_date": str(year.start_date), "end_date": str(year.end_date)}
        year.name, year.start_date, year.end_date = name, start_date, end_date
        if sourced_id is not None:
            year.sourced_id = sourced_id
        created = year.pk is None
        year.save()
        validate_calendar(district=district, start=start_date, end=end_date)
        audit(
            district=district,
            actor=actor,
            verb="school_year.create" if created else "school_year.update",
            obj=year,
            changes={
                "name": name,
                "start_date": _d(start_date),
                "end_date": _d(end_date),
                **({} if created else {"before": before}),
            },
        )
    return year


def day_cycle_set(
    *,
    district: District,
    actor: User | None,
    school_year: SchoolYear,
    length: int | None,
    first_day: dt.date | None = None,
    school: School | None = None,
) -> DayCycle | None:
    """Set (or with length None, remove) the day cycle of a school year, district-wide or for one school."""
    if school_year.district_id != district.pk or (school is not None and school.district_id != district.pk):
        raise ValidationError({"school_year": _("Select a valid school year.")})
    with tenant_context(district), transaction.atomic():
        existing = DayCycle.objects.filter(district=district, school_year=school_year, school=school).first()
        if length is None:
            if existing is not None:
                existing.delete()
                audit(district=district, actor=actor, verb="day_cycle.delete", obj=school_year)
            return None
        if not 2 <= int(length) <= 20:
            raise ValidationError({"length": _("A day cycle has between 2 and 20 days.")})
        first_day = first_day or school_year.start_date
        if not school_year.start_date <= first_day <= school_year.end_date:
            raise ValidationError(
                {
                    "first_day": _("Cycle day 1 (%(day)s) is outside the school year %(year)s (%(dates)s).")
                    % {
                        "day": _d(first_day),
                        "year": school_year.name,
                        "dates": date_span(school_year.start_date, school_year.end_date),
                    }
                }
            )
        cycle = existing or DayCycle(district=district, school_year=school_year, school=school)
        cycle.length, cycle.first_day = int(length), first_day
        cycle.save()
        audit(
            district=district,
            actor=actor,
            verb="day_cycle.set",
            obj=cycle,
            changes={"length": cycle.length, "first_day": _d(first_day), "school_id": getattr(school, "pk", None)},
        )
    return cycle


# --- days without school -----------------------------------------------------------------------------


def _event_fields(*, district: District, kind: str, name: str, start_date, end_date, school: School | None) -> str:
    if kind not in CalendarEvent.Kind.values:
        raise ValidationError({"kind": _("Choose holiday, break or closure.")})
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the day a name, e.g. Winter break or Snow day.")})
    if len(name) > 200:
        raise ValidationError({"name": _("The name is longer than 200 characters.")})
    if school is not None and school.district_id != district.pk:
        raise ValidationError({"school": _("Select a valid school.")})
    _check_dates(start_date, end_date)
    return name


def calendar_event_create(
    *,
    district: District,
    actor: User | None,
    kind: str,
    name: str,
    start_date: dt.date,
    end_date: dt.date,
    school: School | None = None,
    source: str = CalendarEvent.Source.MANUAL,
    external_uid: str = "",
) -> CalendarEvent:
    """Add a holiday, break or closure for the whole district (school None) or one school."""
    name = _event_fields(
        district=district, kind=kind, name=name, start_date=start_date, end_date=end_date, school=school
    )
    with tenant_context(district), transaction.atomic():
        event = CalendarEvent.objects.create(
            district=district,
            school=school,
            kind=kind,
            name=name,
            start_date=start_date,
            end_date=end_date,
            source=source,
            external_uid=external_uid,
        )
        validate_calendar(district=district, start=start_date, end=end_date)
        audit(district=district, actor=actor, verb="calendar_event.create", obj=event, changes=_event_changes(event))
    return event


def calendar_event_update(
    *,
    district: District,
    actor: User | None,
    event: CalendarEvent,
    kind: str,
    name: str,
    start_date: dt.date,
    end_date: dt.date,
    school: School | None = None,
) -> CalendarEvent:
    name = _event_fields(
        district=district, kind=kind, name=name, start_date=start_date, end_date=end_date, school=school
    )
    if event.district_id != district.pk:
        raise ValidationError({"event": _("Select a valid event.")})
    with tenant_context(district), transaction.atomic():
        before = _event_changes(event)
        old_start, old_end = event.start_date, event.end_date
        event.kind, event.name, event.start_date, event.end_date, event.school = (
            kind,
            name,
            start_date,
            end_date,
            school,
        )
        event.save()
        validate_calendar(district=district, start=min(start_date, old_start), end=max(end_date, old_end))
        audit(
            district=district,
            actor=actor,
            verb="calendar_event.update",
            obj=event,
            changes={**_event_changes(event), "before": before},
        )
    return event


def calendar_event_delete(*, district: District, actor: User | None, event: CalendarEvent) -> None:
    """Delete a day without school. Deleting can never empty a school year or make breaks overlap."""
    if event.district_id != district.pk:
        raise ValidationError({"event": _("Select a valid event.")})
    with tenant_context(district), transaction.atomic():
        changes = _event_changes(event)
        pk = event.pk
        CalendarEvent.objects.filter(district=district, pk=pk).delete()
        audit(district=district, actor=actor, verb="calendar_event.delete", obj=None, changes={"id": pk, **changes})


def _event_changes(event: CalendarEvent) -> dict:
    return {
        "kind": event.kind,
        "name": event.name,
        "start_date": _d(event.start_date),
        "end_date": _d(event.end_date),
        "school_id": event.school_id,
        "source": event.source,
    }


# --- iCalendar import ----------------------------------------------------------------------------------


@dataclass
class IcsImportResult:
    """What an import did (or, in a dry run, would do)."""

    dry_run: bool
    start: dt.date
    end: dt.date
    created: list[ics.IcsDay] = field(default_factory=list)
    updated: list[ics.IcsDay] = field(default_factory=list)
    unchanged: list[ics.IcsDay] = field(default_factory=list)
    skipped: list[ics.IcsSkipped] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _ics_window(district: District, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    if start and end:
        return start, end
    years = list(SchoolYear.objects.filter(district=district).values_list("start_date", "end_date"))
    if not years:
        raise ValidationError(
            {"file": _("Add a school year first: the import keeps the days inside the district's school years.")}
        )
    return start or min(y[0] for y in years), end or max(y[1] for y in years)


def ics_import(
    *,
    district: District,
    actor: User | None,
    content: bytes,
    school: School | None = None,
    dry_run: bool = False,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> IcsImportResult:
    """Import the all-day days off of an .ics file into the district (or one school's) calendar.

    All or nothing; idempotent by UID (per occurrence for recurring events): a second
    import of the same file changes nothing, an edited file updates in place. A dry
    run does every step, validation included, then rolls back: its result is the
    preview. A broken file raises ValidationError on `file`; a calendar the import
    would make invalid returns the reasons in `errors` (nothing written).
    """
    if school is not None and school.district_id != district.pk:
        raise ValidationError({"school": _("Select a valid school.")})
    with tenant_context(district):
        window = _ics_window(district, start, end)
        try:
            days, skipped = ics.parse_ics(content, start=window[0], end=window[1])
        except ics.IcsError as error:
            raise ValidationError({"file": str(error)}) from None
        result = IcsImportResult(dry_run=dry_run, start=window[0], end=window[1], skipped=skipped)
        try:
            with transaction.atomic():
                _ics_apply(district, actor, days, school, result)
                if dry_run:
                    transaction.set_rollback(True)
        except ValidationError as error:
            result.errors = list(error.messages)
            result.created, result.updated, result.unchanged = _ics_plan(district, days, school)
    return result


def _ics_plan(district: District, days: list[ics.IcsDay], school: School | None):
    have = {
        e.external_uid: e
        for e in CalendarEvent.objects.filter(
            district=district, source=CalendarEvent.Source.ICS, external_uid__in=[d.uid for d in days]
        )
    }
    created, updated, unchanged = [], [], []
    for day in days:
        event = have.get(day.uid)
        if event is None:
            created.append(day)
        elif (event.kind, event.name, event.start_date, event.end_date, event.school_id) == (
            day.kind,
            day.name,
            day.start_date,
            day.end_date,
            getattr(school, "pk", None),
        ):
            unchanged.append(day)
        else:
            updated.append(day)
    return created, updated, unchanged


def _ics_apply(district, actor, days, school, result: IcsImportResult) -> None:
    result.created, result.updated, result.unchanged = _ics_plan(district, days, school)
    if result.created:
        CalendarEvent.objects.bulk_create(
            [
                CalendarEvent(
                    district=district,
                    school=school,
                    kind=d.kind,
                    name=d.name,
                    start_date=d.start_date,
                    end_date=d.end_date,
                    source=CalendarEvent.Source.ICS,
                    external_uid=d.uid,
                )
                for d in result.created
            ]
        )
    for d in result.updated:
        CalendarEvent.objects.filter(district=district, source=CalendarEvent.Source.ICS, external_uid=d.uid).update(
            kind=d.kind, name=d.name, start_date=d.start_date, end_date=d.end_date, school=school
        )
    changed = result.created + result.updated
    if changed:
        validate_calendar(
            district=district, start=min(d.start_date for d in changed), end=max(d.end_date for d in changed)
        )
    audit(
        district=district,
        actor=actor,
        verb="calendar.ics_import",
        changes={
            "created": len(result.created),
            "updated": len(result.updated),
            "unchanged": len(result.unchanged),
            "skipped": len(result.skipped),
            "school_id": getattr(school, "pk", None),
        },
    )


# --- OneRoster academicSessions --------------------------------------------------------------------------


@dataclass
class AcademicSessionsResult:
    school_years_created: int = 0
    school_years_updated: int = 0
    terms_created: int = 0
    terms_updated: int = 0
    terms_deleted: int = 0
    unchanged: int = 0


_TERM_KINDS = {"term": Term.Kind.TERM, "semester": Term.Kind.SEMESTER, "gradingperiod": Term.Kind.GRADING_PERIOD}
# Parents before children: a grading period names its semester or term as parent.
_KIND_ORDER = {"schoolyear": 0, "term": 1, "semester": 2, "gradingperiod": 3}


def _record_error(index: int, record: Mapping, message: str) -> str:
    sid = str(record.get("sourcedId") or "").strip()
    return _("academicSessions record %(n)s%(sid)s: %(msg)s") % {
        "n": index,
        "sid": f" (sourcedId {sid})" if sid else "",
        "msg": message,
    }


def _parse_session(index: int, record: Mapping) -> tuple[dict | None, list[str]]:
    errors = []
    sid = str(record.get("sourcedId") or "").strip()
    title = " ".join(str(record.get("title") or "").split())
    kind = str(record.get("type") or "").strip()
    if not sid:
        errors.append(_record_error(index, record, _("sourcedId is missing.")))
    if not title:
        errors.append(_record_error(index, record, _("title is missing.")))
    if kind.lower() not in _KIND_ORDER:
        errors.append(
            _record_error(
                index, record, _("type %(t)r is not schoolYear, term, semester or gradingPeriod.") % {"t": kind}
            )
        )
    dates = {}
    for key in ("startDate", "endDate"):
        raw = str(record.get(key) or "").strip()
        try:
            dates[key] = dt.date.fromisoformat(raw[:10])
        except ValueError:
            errors.append(
                _record_error(index, record, _("%(f)s %(v)r is not a date (YYYY-MM-DD).") % {"f": key, "v": raw})
            )
    if len(dates) == 2 and dates["endDate"] < dates["startDate"]:
        errors.append(
            _record_error(
                index,
                record,
                _("endDate %(e)s is before startDate %(s)s.")
                % {"e": _d(dates["endDate"]), "s": _d(dates["startDate"])},
            )
        )
    if errors:
        return None, errors
    return {
        "index": index,
        "sid": sid,
        "title": title,
        "kind": kind.lower(),
        "start": dates["startDate"],
        "end": dates["endDate"],
        "parent": str(record.get("parentSourcedId") or "").strip(),
        "school_year": str(record.get("schoolYear") or "").strip(),
        "deleted": str(record.get("status") or "").strip().lower() == "tobedeleted",
    }, []


def academic_sessions_upsert(
    *, district: District, actor: User | None, sessions: Iterable[Mapping[str, object]]
) -> AcademicSessionsResult:
    """Upsert school years and terms from OneRoster academicSessions records, all or nothing.

    Each record is a mapping with the OneRoster field names (CSV columns or REST
    JSON keys): sourcedId, title, type (schoolYear / term / semester /
    gradingPeriod), startDate, endDate, parentSourcedId, schoolYear (the ending
    year, e.g. "2027"), and optionally status ("tobedeleted" deletes a term; a
    school year is never deleted by a roster: screening windows hang on it).

    A school year is found by sourcedId, else adopted by name (a year entered by
    hand before the first roster sync). A term's school year is its parent chain's,
    else the year whose schoolYear matches, else the year containing its dates.
    Raises ValidationError listing every bad record by number and field.
    """
    parsed, errors = [], []
    for index, record in enumerate(sessions, start=1):
        row, row_errors = _parse_session(index, record)
        errors.extend(row_errors)
        if row:
            parsed.append(row)
    if errors:
        raise ValidationError(errors)
    parsed.sort(key=lambda r: (_KIND_ORDER[r["kind"]], r["start"], r["index"]))
    result = AcademicSessionsResult()
    with tenant_context(district), transaction.atomic():
        years = list(SchoolYear.objects.filter(district=district))
        year_by_sid = {y.sourced_id: y for y in years if y.sourced_id}
        year_by_name = {y.name: y for y in years}
        term_by_sid = {t.sourced_id: t for t in Term.objects.filter(district=district).exclude(sourced_id="")}
        for row in parsed:
            if row["kind"] != "schoolyear":
                continue
            if row["deleted"]:
                continue
            name = row["title"][:20]
            year = year_by_sid.get(row["sid"]) or (
                year_by_name.get(name) if not getattr(year_by_name.get(name), "sourced_id", "") else None
            )
            if year is None and name in year_by_name:
                errors.append(
                    _record_error(
                        row["index"],
                        row_as_record(row),
                        _("a school year named %(name)s already exists with another sourcedId.") % {"name": name},
                    )
                )
                continue
            if row["end"] <= row["start"]:
                errors.append(
                    _record_error(
                        row["index"], row_as_record(row), _("a school year's endDate must be after its startDate.")
                    )
                )
                continue
            if year is None:
                year = SchoolYear.objects.create(
                    district=district, name=name, start_date=row["start"], end_date=row["end"], sourced_id=row["sid"]
                )
                result.school_years_created += 1
            elif (year.name, year.start_date, year.end_date, year.sourced_id) != (
                name,
                row["start"],
                row["end"],
                row["sid"],
            ):
                year.name, year.start_date, year.end_date, year.sourced_id = name, row["start"], row["end"], row["sid"]
                year.save()
                result.school_years_updated += 1
            else:
                result.unchanged += 1
            year_by_sid[row["sid"]] = year
            year_by_name[name] = year
        all_years = list(year_by_name.values())
        for row in parsed:
            if row["kind"] == "schoolyear":
                continue
            term = term_by_sid.get(row["sid"])
            if row["deleted"]:
                if term is not None:
                    term.delete()
                    result.terms_deleted += 1
                continue
            parent_term = term_by_sid.get(row["parent"])
            year = (
                year_by_sid.get(row["parent"])
                or (parent_term.school_year if parent_term else None)
                or _year_for(all_years, row)
            )
            if year is None:
                errors.append(
                    _record_error(
                        row["index"],
                        row_as_record(row),
                        _(
                            "no school year found for it: give parentSourcedId or schoolYear, or import its schoolYear "
                            "session."
                        ),
                    )
                )
                continue
            values = {
                "school_year": year,
                "parent": parent_term,
                "name": row["title"][:100],
                "kind": _TERM_KINDS[row["kind"]],
                "start_date": row["start"],
                "end_date": row["end"],
            }
            if term is None:
                term = Term.objects.create(district=district, sourced_id=row["sid"], **values)
                result.terms_created += 1
            elif any(getattr(term, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(term, k, v)
                term.save()
                result.terms_updated += 1
            else:
                result.unchanged += 1
            term_by_sid[row["sid"]] = term
        if errors:
            raise ValidationError(errors)
        if parsed:
            validate_calendar(
                district=district, start=min(r["start"] for r in parsed), end=max(r["end"] for r in parsed)
            )
        audit(district=district, actor=actor, verb="calendar.academic_sessions", changes=vars(result).copy())
    return result


def row_as_record(row: dict) -> dict:
    return {"sourcedId": row["sid"]}


def _year_for(years: list[SchoolYear], row: dict) -> SchoolYear | None:
    if row["school_year"].isdigit():
        # OneRoster's schoolYear is the year in which the school year ends ("2027" for 2026-27).
        match = [y for y in years if y.end_date.year == int(row["school_year"])]
        if len(match) == 1:
            return match[0]
    containing = [y for y in years if y.start_date <= row["start"] and row["end"] <= y.end_date]
    return containing[0] if len(containing) == 1 else None
