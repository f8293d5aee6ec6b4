"""Shared fixtures: two districts, each with schools, staff of every role and
students, plus an outsider with no membership (ARCHITECTURE.md, Tenancy)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings

from mtss.models import District, Role, School, User
from tests import factories as f

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright + live_server (tests only)

# No test depends on machine speed (issue 11): Hypothesis's per-example deadline and its
# "input generation is slow" health check fail on a busy 2-core machine, not on a bug.
settings.register_profile("mtss", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mtss")


@pytest.fixture(autouse=True)
def import_jobs_in_process(request):
    """Import jobs run inside the request that queued them, as in the embedded demo. The tests of
    the real worker (tests/screening/test_import_jobs.py, fixture `import_worker`) opt out."""
    if "import_worker" in request.fixturenames:
        yield
        return
    from django.test import override_settings

    with override_settings(IMPORT_JOBS_IN_PROCESS=True):
        yield


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """One test database per test process, so parallel runs on one server never collide."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        db.setdefault("TEST", {})["NAME"] = f"test_{db['NAME']}_{os.getpid()}"


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    broker = settings.CELERY_BROKER_URL or "none (jobs run in-process)"
    return [f"database: {engine}", f"celery broker: {broker}"]


def _through_pgbouncer(db: dict) -> bool:
    from urllib.parse import urlparse

    url = os.environ.get("PGBOUNCER_URL")
    return bool(url) and db["ENGINE"].endswith("postgresql") and str(db.get("PORT")) == str(urlparse(url).port)


def pytest_collection_modifyitems(config, items):
    """In the SQLite fallback, PostgreSQL-only tests cannot run: deselect them loudly.

    `make test` refuses the fallback when REQUIRE_SERVICES=1, so CI always runs them.
    """
    from django.conf import settings

    missing = []
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        missing.append(("postgres", "SQLite fallback: PostgreSQL-only tests (row-level security, COPY)"))
    if not settings.CELERY_BROKER_URL:
        missing.append(("redis", "no Redis: tests of the real Redis and Celery worker"))
    if not _through_pgbouncer(settings.DATABASES["default"]):
        # `make test` runs them in a second pass with DATABASE_URL=$PGBOUNCER_URL.
        missing.append(("pgbouncer", "database not reached through PgBouncer: the pooling tests"))
    if not os.environ.get("REPLICA_DATABASE_URL"):
        missing.append(("replica", "no streaming replica (REPLICA_DATABASE_URL): the read-replica tests"))
    for marker, what in missing:
        unrunnable = [item for item in items if item.get_closest_marker(marker)]
        if unrunnable and marker == "replica" and os.environ.get("REQUIRE_SERVICES") == "1":
            # CI starts the replica (scripts/services.sh): its tests must run there, never vanish.
            raise pytest.UsageError(f"REQUIRE_SERVICES=1 but {what}: {len(unrunnable)} tests cannot run.")
        if unrunnable:
            config.hook.pytest_deselected(items=unrunnable)
            items[:] = [item for item in items if not item.get_closest_marker(marker)]
            print(f"\n{what}: {len(unrunnable)} not run.")


@dataclass
class Side:
    district: District
    school: School
    other_school: School
    users: dict[str, User] = field(default_factory=dict)
    students: list = field(default_factory=list)

    def __getattr__(self, role):  # side.principal, side.teacher, ...
        users = self.__dict__.get("users", {})
        if role in users:
            return users[role]
        raise AttributeError(role)


@dataclass
class World:
    a: Side
    b: Side
    outsider: User


def _side(slug: str, state: str) -> Side:
    district = f.make_district(slug, state=state)
    school = f.make_school(district, name=f"{slug} Elementary")
    other = f.make_school(district, name=f"{slug} Middle", grade_low=6, grade_high=8)
    side = Side(district=district, school=school, other_school=other)
    for role in Role.values:
        schools = [school] if role != Role.DISTRICT_ADMIN else []
        side.users[role] = f.make_member(district, role, schools=schools, username=f"{role}-{slug}")
    year = f.make_school_year(district)
    for i in range(3):
        student = f.make_student(district, school, last_name=f"Alpha{slug[:1]}{i}")
        f.make_guardian(student)
        f.make_enrollment(student, year)
        side.students.append(student)
    side.students.append(f.make_student(district, other, last_name=f"Beta{slug[:1]}", grade=7))
    return side


@pytest.fixture
def world(db) -> World:
    return World(a=_side("district-a", "TN"), b=_side("district-b", "NY"), outsider=f.make_user("outsider"))


@pytest.fixture
def login(client):
    def _login(user: User):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


from tests.interventions.cico_fixtures import cico  # noqa: E402,F401  (shared fixture: a check-in/check-out plan)
from tests.interventions.plan_form_fixtures import flagged  # noqa: E402,F401  (shared fixture: a screening flag with norms)
from tests.program import program  # noqa: E402,F401  (shared fixture: a district running interventions)
from tests.workers import start_worker  # noqa: E402,F401  (shared fixture: real Celery workers and beat)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """Each test counts its own requests: rate-limit counters live in the shared Redis."""
    import uuid

    settings.RATELIMIT_CACHE_PREFIX = f"rl:{uuid.uuid4().hex}:"
