"""The calendar page: every member reads it, only district admins change it, another
district's event is 404, and an .ics goes through preview then confirm."""

from __future__ import annotations

import base64

import pytest

from mtss.calendars.models import CalendarEvent
from mtss.tenancy import tenant_context
from tests.calendars.helpers import D, add, ics_bytes

pytestmark = pytest.mark.django_db


def _events(side):
    with tenant_context(side.district):
        return list(CalendarEvent.objects.filter(district=side.district).values_list("name", "start_date", "school_id"))


def test_a_teacher_reads_the_calendar_without_the_forms(world, login):
    add(world.a, "break", "Winter break", D(2026, 12, 21), D(2027, 1, 1))
    response = login(world.a.teacher).get("/calendar/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Winter break" in html and "Add to the calendar" not in html and "Delete" not in html
    # 2026-08-01 (Sat) .. 2027-06-30 (Wed): 47 weeks (235 weekdays) + Sat..Wed (3) = 238, minus the break's 10.
    assert response.context["instructional"] == 228
    month = login(world.a.teacher).get("/calendar/?view=month")
    assert month.status_code == 200 and len(month.context["months"]) == 11


def test_only_a_district_admin_may_change_the_calendar(world, login):
    event = add(world.a, "break", "Winter break", D(2026, 12, 21), D(2027, 1, 1))
    client = login(world.a.principal)
    data = {"kind": "closure", "name": "Snow day", "start_date": "2027-01-12", "end_date": "2027-01-12", "school": ""}
    assert client.post("/calendar/events/new/", data).status_code == 404
    assert client.post(f"/calendar/events/{event.pk}/delete/").status_code == 404
    assert client.get("/calendar/import/").status_code == 404
    assert [e[0] for e in _events(world.a)] == ["Winter break"]


def test_an_admin_adds_a_snow_day_for_one_school_and_deletes_it_after_confirming(world, login):
    client = login(world.a.district_admin)
    response = client.post(
        "/calendar/events/new/",
        {
            "kind": "closure",
            "name": "Snow day",
            "start_date": "2027-01-12",
            "end_date": "2027-01-12",
            "school": world.a.school.pk,
        },
    )
    assert response.status_code == 302
    assert _events(world.a) == [("Snow day", D(2027, 1, 12), world.a.school.pk)]
    with tenant_context(world.a.district):
        event = CalendarEvent.objects.get(district=world.a.district)
    confirm = client.get(f"/calendar/events/{event.pk}/delete/")
    assert confirm.status_code == 200 and "Snow day" in confirm.content.decode()
    assert _events(world.a)  # a GET deletes nothing
    assert client.post(f"/calendar/events/{event.pk}/delete/").status_code == 302
    assert _events(world.a) == []


def test_bad_input_is_a_400_naming_the_field_or_the_dates(world, login):
    add(world.a, "break", "Winter break", D(2026, 12, 21), D(2027, 1, 1))
    client = login(world.a.district_admin)
    backwards = client.post(
        "/calendar/events/new/",
        {"kind": "closure", "name": "Snow day", "start_date": "2027-01-12", "end_date": "2027-01-11"},
    )
    assert backwards.status_code == 400
    assert backwards.context["form"].errors["end_date"] == [
        "The last day (2027-01-11) is before the first day (2027-01-12)."
    ]
    overlap = client.post(
        "/calendar/events/new/",
        {"kind": "break", "name": "Recess", "start_date": "2026-12-28", "end_date": "2027-01-08"},
    )
    assert overlap.status_code == 400
    assert "both cover 2026-12-28 to 2027-01-01" in overlap.content.decode()
    other_school = client.post(
        "/calendar/events/new/",
        {
            "kind": "closure",
            "name": "Snow day",
            "start_date": "2027-01-12",
            "end_date": "2027-01-12",
            "school": world.b.school.pk,
        },
    )
    assert other_school.status_code == 400 and "school" in other_school.context["form"].errors


def test_another_districts_event_is_404(world, login):
    theirs = add(world.b, "closure", "Snow day", D(2027, 1, 12), D(2027, 1, 12))
    client = login(world.a.district_admin)
    assert client.get(f"/calendar/events/{theirs.pk}/delete/").status_code == 404
    assert client.post(f"/calendar/events/{theirs.pk}/delete/").status_code == 404
    assert _events(world.b) == [("Snow day", D(2027, 1, 12), None)]
    assert client.get("/calendar/?year=999999").status_code == 404


def test_the_outsider_is_not_let_in(world, login):
    assert login(world.outsider).get("/calendar/").status_code == 404


def test_an_ics_upload_previews_then_imports_on_confirm(world, login):
    client = login(world.a.district_admin)
    upload = ics_bytes("district-2026-27.ics")
    from django.core.files.uploadedfile import SimpleUploadedFile

    preview = client.post("/calendar/import/", {"file": SimpleUploadedFile("calendar.ics", upload, "text/calendar")})
    assert preview.status_code == 200
    assert len(preview.context["result"].created) == 10 and "Winter Break" in preview.content.decode()
    assert _events(world.a) == []
    confirm = client.post("/calendar/import/", {"confirm": "1", "content": preview.context["content"], "school": ""})
    assert confirm.status_code == 302
    assert len(_events(world.a)) == 10
    assert base64.b64decode(preview.context["content"]) == upload


def test_a_bad_ics_upload_is_a_400_with_the_reason(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(world.a.district_admin)
    response = client.post("/calendar/import/", {"file": SimpleUploadedFile("x.ics", ics_bytes("broken.ics"))})
    assert response.status_code == 400
    assert "could not be read" in response.context["form"].errors["file"][0]
    overlap = client.post(
        "/calendar/import/", {"file": SimpleUploadedFile("o.ics", ics_bytes("overlapping-breaks.ics"))}
    )
    assert overlap.status_code == 400 and "Import these days" not in overlap.content.decode()
    assert _events(world.a) == []
