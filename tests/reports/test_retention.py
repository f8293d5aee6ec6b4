"""Retention (issue 18, item 5), on PostgreSQL as the application role with row-level security:
the dry run counts per kind, the purge deletes exactly that, stops when more is due, audits,
and the access log's append-only rule still holds outside the counted purge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from interventions.models import Plan
from mtss.models import AccessLog, AuditEvent, PurgeRun
from mtss.tenancy import tenant_context
from notifications.models import LetterType, Notice
from reports.retention import retention_dry_run, retention_purge, years_before
from students.models import Student
from tests.notifications.helpers import sample_notice

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Six years from today: every access-log row written now is past the default five years, whatever today is.
AS_OF = timezone.localdate() + dt.timedelta(days=366 * 6)


def _exit(district, student_id, on):
    with tenant_context(district):
        Student.objects.filter(pk=student_id).update(entry_date=on - dt.timedelta(days=400), exit_date=on)


def _setup(fidelity):
    side = fidelity["side"]
    gone = fidelity["plans"]["P2"].student_id  # exited 6 years before AS_OF: due
    recent = fidelity["plans"]["P4"].student_id  # exited 1 year before AS_OF: kept
    _exit(side.district, gone, years_before(AS_OF, 6))
    _exit(side.district, recent, years_before(AS_OF, 1))
    with tenant_context(side.district):
        for student_id in (gone, recent):
            sample_notice(
                district=side.district,
                student=Student.objects.get(pk=student_id),
                letter_type=LetterType.PLACEMENT_START,
                language="en",
                save=True,
            )
        AccessLog.objects.bulk_create(
            [AccessLog(district=side.district, action="view", what="x", path="/") for _ in range(3)]
        )
        plans = Plan.objects.filter(district=side.district, student_id=gone).count()
        logs = AccessLog.objects.filter(district=side.district).count()
        notices = {s: Notice.objects.filter(district=side.district, student_id=s).count() for s in (gone, recent)}
    return side, gone, recent, plans, logs, notices


def test_it_connects_as_the_application_role_under_row_level_security():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False,)


def test_the_dry_run_counts_per_kind_and_the_purge_deletes_exactly_that(fidelity, world):
    side, gone, recent, plans, logs, notices = _setup(fidelity)
    assert plans >= 1 and logs >= 3
    with tenant_context(side.district):
        run = retention_dry_run(district=side.district, actor=None, as_of=AS_OF)
        # The dry run deletes nothing.
        assert Plan.objects.filter(district=side.district, student_id=gone).count() == plans
    assert run.status == PurgeRun.Status.DRY_RUN
    assert notices[gone] >= 1 and run.counts["notices"] == notices[gone]
    assert run.counts["access_log"] == logs
    assert run.counts["intervention_records"] >= plans
    assert run.counts["screening_scores"] == 0
    assert run.schedule["intervention_records"] == 5
    with tenant_context(side.district):
        run = retention_purge(district=side.district, run=run, actor=side.district_admin)
        assert run.status == PurgeRun.Status.PURGED
        assert run.purged_counts == run.counts
        assert not Plan.objects.filter(district=side.district, student_id=gone).exists()
        assert Plan.objects.filter(district=side.district, student_id=recent).exists()
        assert not Notice.objects.filter(district=side.district, student_id=gone).exists()
        assert Notice.objects.filter(district=side.district, student_id=recent).count() == notices[recent]
        assert not AccessLog.objects.filter(district=side.district).exists()
        # The student row stays: a roster exits students; retention removes their records.
        assert Student.objects.filter(pk=gone).exists()
        entry = AuditEvent.objects.get(district=side.district, verb="retention.purge")
    assert entry.object_id == run.pk and entry.changes["deleted"] == run.counts
    # The other district's rows were never in reach.
    with tenant_context(world.b.district):
        assert Student.objects.filter(district=world.b.district).count() == 4


def test_a_purge_that_would_delete_more_than_its_dry_run_stops_and_deletes_nothing(fidelity):
    side, gone, recent, plans, logs, notices = _setup(fidelity)
    with tenant_context(side.district):
        run = retention_dry_run(district=side.district, actor=None, as_of=AS_OF)
    # Between the dry run and the purge, a roster exits the other student too (long ago).
    _exit(side.district, recent, years_before(AS_OF, 7))
    with tenant_context(side.district):
        run = retention_purge(district=side.district, run=run, actor=None)
        assert run.status == PurgeRun.Status.STOPPED
        assert "notices" in run.note and "intervention_records" in run.note
        assert run.purged_counts["notices"] == notices[gone] + notices[recent]
        kept = Notice.objects.filter(district=side.district, student_id__in=[gone, recent]).count()
        assert kept == notices[gone] + notices[recent]
        assert Plan.objects.filter(district=side.district, student_id=gone).count() == plans
        assert AccessLog.objects.filter(district=side.district).count() == logs
        assert AuditEvent.objects.filter(district=side.district, verb="retention.stopped", object_id=run.pk).exists()
        with pytest.raises(ValueError, match="Purge run"):
            retention_purge(district=side.district, run=run, actor=None)


def test_the_access_log_purge_function_refuses_more_than_it_was_told(world):
    with tenant_context(world.a.district):
        AccessLog.objects.bulk_create(
            [AccessLog(district=world.a.district, action="view", what="x", path="/") for _ in range(2)]
        )
        before = AccessLog.objects.filter(district=world.a.district).count()
        with connection.cursor() as cursor:
            cursor.execute("SELECT mtss_accesslog_purge(%s, %s)", [timezone.now() + dt.timedelta(days=1), 1])
            assert cursor.fetchone() == (before,)
        assert AccessLog.objects.filter(district=world.a.district).count() == before
    with tenant_context(world.b.district):
        # Another district's rows are out of reach of the function too.
        with connection.cursor() as cursor:
            cursor.execute("SELECT mtss_accesslog_purge(%s, %s)", [timezone.now() + dt.timedelta(days=1), 10_000])
    with tenant_context(world.a.district):
        assert AccessLog.objects.filter(district=world.a.district).count() == before


def test_the_command_dry_runs_then_purges_only_with_the_dry_runs_total(fidelity, capsys):
    side, gone, *_ = _setup(fidelity)
    slug = side.district.slug
    # The command's dry run is as of today; exit the student long enough ago for today too.
    _exit(side.district, gone, years_before(timezone.localdate(), 6))
    call_command("retention", "--district", slug, "--dry-run")
    out = capsys.readouterr().out
    assert "Dry run" in out and "intervention_records: " in out and "(kept 5 years)" in out
    with tenant_context(side.district):
        run = PurgeRun.objects.get(district=side.district)
    with pytest.raises(CommandError, match=f"--confirm {run.total}"):
        call_command("retention", "--district", slug, "--purge", "--confirm", str(run.total + 1))
    call_command("retention", "--district", slug, "--purge", "--confirm", str(run.total))
    assert "Purged" in capsys.readouterr().out
    with tenant_context(side.district):
        assert PurgeRun.objects.get(pk=run.pk).status == PurgeRun.Status.PURGED
        assert not Plan.objects.filter(district=side.district, student_id=gone).exists()
    with pytest.raises(CommandError, match="no dry run"):
        call_command("retention", "--district", slug, "--purge", "--confirm", "0")
