"""Rostering sync from a OneRoster REST API (students.importers.oneroster.rest, students.services.roster_sync_run).

Against a real HTTP server on loopback (tests/oneroster_server.py) that serves the
shipped CSV fixtures as the REST binding's JSON behind an OAuth 2 token endpoint,
with paging and the dateLastModified filter. The counts are those the CSV import of
the same fixtures gives (worked out by hand in test_oneroster_import.py).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from mtss.models import AuditEvent, Role
from mtss.tenancy import tenant_context
from students.importers.oneroster import rest
from students.models import Enrollment, ImportRun, RosterSync, Student
from students.services import roster_sync_request, roster_sync_run
from students.tasks import roster_sync_due
from tests.oneroster_server import CLIENT_ID, CLIENT_SECRET, STAMP, OneRosterServer, iso, records_from_csv

pytestmark = pytest.mark.postgres
DATA = Path(__file__).resolve().parent.parent / "data" / "oneroster"
SECRET_ENV = "MTSS_TEST_ONEROSTER_SECRET"
ANNA, MMICHEL, MARY = "usr-222-567891", "usr-222-1234561232", "usr-222-66778899"
CREATED = {  # as the CSV import of the same files (test_oneroster_import.CREATED)
    "1.1": dict(schools=1, school_years=1, staff=2, students=3, guardians=1, enrollments=1, grants=1),
    "1.2": dict(schools=1, school_years=1, staff=3, students=3, guardians=2, enrollments=1, grants=1),
}
SAMPLE = {"1.1": "v1p1-full", "1.2": "v1p2-full"}


@pytest.fixture
def secret(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)


def serve(version: str = "1.2") -> OneRosterServer:
    return OneRosterServer(records_from_csv(DATA / SAMPLE[version], version=version), version=version)


def connect(district, server: OneRosterServer, **values) -> RosterSync:
    with tenant_context(district):
        settings = {
            "enabled": True,
            "version": server.version,
            "base_url": server.base_url,
            "token_url": server.token_url,
            "client_id": CLIENT_ID,
            "client_secret_env": SECRET_ENV,
        }
        return RosterSync.objects.create(district=district, **(settings | values))


def students_of(district) -> dict[str, Student]:
    with tenant_context(district):
        return {s.sourced_id: s for s in Student.objects.filter(district=district).exclude(sourced_id="")}


def created(run: ImportRun) -> dict:
    return {entity: counts["created"] for entity, counts in run.counts.items()}


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_a_first_sync_pulls_everything_and_imports_it_like_the_csv_roster(world, secret, version):
    district = world.a.district
    with serve(version) as server:
        connect(district, server)
        sync = roster_sync_run(district=district)
    assert sync.state == RosterSync.State.SUCCEEDED, sync.message
    assert sync.progress["mode"] == "full"
    assert sync.progress["fetched"]["users"] == 6 and sync.progress["skipped"] == ["demographics"]
    run = sync.last_run
    assert run.status == ImportRun.Status.SUCCEEDED and run.format == f"oneroster-{version}"
    assert created(run) == CREATED[version]
    assert set(students_of(district)) == {ANNA, MMICHEL, MARY}
    assert sync.modified_since == dt.datetime.fromisoformat(STAMP.replace("Z", "+00:00"))
    # A full pull asks for everything: no filter on any request.
    assert {name for name, _ in server.requests} >= {"orgs", "academicSessions", "classes", "users", "enrollments"}
    assert all("filter" not in query for _, query in server.requests)
    # Another district is untouched.
    assert not set(students_of(world.b.district)) & {ANNA, MMICHEL, MARY}


def test_paging_reads_every_page(world):
    with serve() as server:
        connection = rest.Connection(
            base_url=server.base_url,
            token_url=server.token_url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            page_size=2,
        )
        users = list(rest.OneRosterApi(connection).records("users", since=None))
    assert len(users) == 6 and len({u["sourcedId"] for u in users}) == 6
    offsets = [int(q["offset"]) for name, q in server.requests if name == "users"]
    assert offsets == [0, 2, 4]


def test_a_later_sync_asks_only_for_changes_and_applies_them(world, secret):
    district = world.a.district
    with serve() as server:
        connect(district, server)
        assert roster_sync_run(district=district).state == RosterSync.State.SUCCEEDED
        # Changed in the SIS after our import (an older change would not overwrite ours: the delta rule).
        changed_at = (timezone.now() + dt.timedelta(minutes=5)).replace(microsecond=0)
        later = iso(changed_at)
        users = {u["sourcedId"]: u for u in server.records["users"]}
        users[MMICHEL].update(familyName="Jones-Lee", dateLastModified=later)
        users[ANNA].update(status="tobedeleted", dateLastModified=later)
        server.requests.clear()
        sync = roster_sync_run(district=district)
    assert sync.state == RosterSync.State.SUCCEEDED, sync.message
    assert sync.progress["mode"] == "delta" and sync.progress["fetched"]["users"] == 2
    assert sync.progress["fetched"]["orgs"] == 0  # nothing else changed: nothing else came
    filters = {query.get("filter") for _, query in server.requests}
    assert filters == {"dateLastModified>'2026-09-01T12:00:00.000000Z'"}
    pupils = students_of(district)
    assert pupils[MMICHEL].last_name == "Jones-Lee"
    assert pupils[ANNA].exit_date is not None  # tobedeleted: exited, never deleted
    assert pupils[MARY].exit_date is None  # not in the delta: untouched
    assert sync.modified_since == changed_at
    with tenant_context(district):
        assert Enrollment.objects.filter(district=district, student=pupils[MMICHEL]).count() == 1


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("slow", "users: the server did not answer within 0.5 s"),
        ("endless", "users: the page at offset 2 repeats the previous one"),
        ("malformed", "users: the page at offset 0 is not JSON"),
    ],
)
def test_a_misbehaving_server_fails_the_sync_and_writes_nothing(world, secret, settings, fault, words):
    settings.ONEROSTER_TIMEOUT_SECONDS = 0.5
    district = world.a.district
    before = set(students_of(district))
    with serve() as server:
        server.fault["users"] = fault
        server.slow_seconds = 2
        connect(district, server)
        settings.ONEROSTER_PAGE_SIZE = 2  # so that "endless" shows on the second page
        sync = roster_sync_run(district=district)
    assert sync.state == RosterSync.State.FAILED
    assert words in sync.message
    assert set(students_of(district)) == before
    assert sync.modified_since is None and sync.last_run is None


def test_wrong_credentials_and_a_missing_secret_are_named(world, monkeypatch):
    district = world.a.district
    with serve() as server:
        connect(district, server)
        monkeypatch.delenv(SECRET_ENV, raising=False)
        sync = roster_sync_run(district=district)
        assert sync.state == RosterSync.State.FAILED
        assert f"The environment variable {SECRET_ENV} is not set" in sync.message
        monkeypatch.setenv(SECRET_ENV, "wrong")
        sync = roster_sync_run(district=district)
    assert sync.state == RosterSync.State.FAILED
    assert "the token endpoint refused the client credentials (invalid_client)" in sync.message
    assert not server.requests  # no roster data was asked for without a token
    assert not students_of(district).keys() & {ANNA, MMICHEL, MARY}


def test_a_rejected_row_refuses_the_sync_and_keeps_the_mark(world, secret):
    district = world.a.district
    with serve() as server:
        del server.records["users"][0]["givenName"]  # a required field
        connect(district, server)
        sync = roster_sync_run(district=district)
    assert sync.state == RosterSync.State.REFUSED
    assert sync.last_run.status == ImportRun.Status.REFUSED
    assert any(e["file"] == "users.csv" and e["column"] == "givenName" for e in sync.last_run.errors)
    assert sync.modified_since is None  # the next sync is full again
    assert not students_of(district).keys() & {ANNA, MMICHEL, MARY}


def test_the_nightly_beat_queues_only_districts_that_turned_it_on(world, secret, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from mtss.celery import app

    app.conf.task_always_eager = True
    try:
        with serve() as server:
            connect(world.a.district, server)
            connect(world.b.district, server, enabled=False)
            assert roster_sync_due() == 1
    finally:
        app.conf.task_always_eager = False
    assert set(students_of(world.a.district)) == {ANNA, MMICHEL, MARY}
    assert not students_of(world.b.district).keys() & {ANNA, MMICHEL, MARY}
    with tenant_context(world.a.district):
        verbs = set(AuditEvent.objects.filter(district=world.a.district).values_list("verb", flat=True))
    assert {"roster_sync.finish", "roster.import"} <= verbs


# --- the page ---------------------------------------------------------------------------------------


def test_the_page_saves_the_connection_and_names_bad_fields(world, login):
    admin = world.a.users[Role.DISTRICT_ADMIN]
    client = login(admin)
    url = reverse("roster_sync")
    bad = client.post(
        url,
        {
            "version": "1.2",
            "base_url": "http://sis.example.org/ims/oneroster/rostering/v1p2",
            "token_url": "https://sis.example.org/token",
            "client_id": "abc",
            "client_secret_env": "1 BAD",
        },
    )
    assert bad.status_code == 400
    errors = bad.context["form"].errors
    assert "Use https" in errors["base_url"][0]
    assert "letters, digits and underscores" in errors["client_secret_env"][0]
    with tenant_context(world.a.district):
        assert not RosterSync.objects.filter(district=world.a.district).exists()
    good = client.post(
        url,
        {
            "enabled": "on",
            "version": "1.2",
            "base_url": "https://sis.example.org/ims/oneroster/rostering/v1p2",
            "token_url": "https://sis.example.org/token",
            "client_id": "abc",
            "client_secret_env": "ONEROSTER_SECRET",
        },
    )
    assert good.status_code == 302
    with tenant_context(world.a.district):
        sync = RosterSync.objects.get(district=world.a.district)
        assert AuditEvent.objects.filter(verb="roster_sync.configure", object_id=str(sync.pk)).exists()
    assert sync.enabled and sync.client_secret_env == "ONEROSTER_SECRET"
    page = client.get(url)
    assert b"ONEROSTER_SECRET" in page.content and b"Never run" in page.content


def test_only_district_administrators_reach_the_page(world, login):
    for role in (Role.TEACHER, Role.PRINCIPAL, Role.INTERVENTION_SPECIALIST):
        assert login(world.a.users[role]).get(reverse("roster_sync")).status_code == 404


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_sync_now_runs_on_a_real_worker_and_the_page_shows_the_result(world, secret, login, start_worker):
    start_worker("roster")
    with serve() as server:
        connect(world.a.district, server)
        client = login(world.a.users[Role.DISTRICT_ADMIN])
        response = client.post(reverse("roster_sync"), {"action": "sync"})
        assert response.status_code == 302
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with tenant_context(world.a.district):
                state = RosterSync.objects.get(district=world.a.district).state
            if state not in (RosterSync.State.QUEUED, RosterSync.State.RUNNING):
                break
            time.sleep(0.3)
        assert state == RosterSync.State.SUCCEEDED
        polled = client.get(reverse("roster_sync"), headers={"HX-Request": "true"})
    assert polled.status_code == 200 and b'id="sync-state">Imported (full)' in polled.content
    assert b"hx-trigger" not in polled.content  # finished: the page stops polling
    assert set(students_of(world.a.district)) == {ANNA, MMICHEL, MARY}


def test_a_sync_that_would_exit_many_students_waits_for_the_typed_number(world, secret, settings):
    settings.ROSTER_EXIT_CONFIRM_MIN = 1
    district = world.a.district
    with serve() as server:
        connect(district, server)
        assert roster_sync_run(district=district).state == RosterSync.State.SUCCEEDED
        server.records["users"] = [u for u in server.records["users"] if u["sourcedId"] not in (ANNA, MMICHEL)]
        sync = roster_sync_run(district=district, full=True)
        assert sync.state == RosterSync.State.REFUSED
        assert "would exit 2 students" in sync.message
        assert students_of(district)[ANNA].exit_date is None  # nothing written
        total = sync.last_run.details["exits"]["total"]
        with tenant_context(district):  # as the page's request runs (mtss.middleware)
            assert roster_sync_request(district=district, actor=None, full=True, confirm_exits=total) is not None
        sync = roster_sync_run(district=district)
    assert sync.state == RosterSync.State.SUCCEEDED, sync.message
    assert students_of(district)[ANNA].exit_date is not None and sync.confirm_exits is None
