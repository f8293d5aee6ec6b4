"""Staff pages and the API for notices: list with filters, preview in any language
(HTML and PDF), a student's history, acknowledge/regenerate/retry, print batches,
letter settings; another district's notice and a student not yours answer 404."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from mtss.models import AccessLog
from mtss.tenancy import tenant_context
from notifications import services
from notifications.models import DistrictLanguage, Notice, NoticeStatus
from tests.notifications.helpers import FULL_CONTEXT


@pytest.fixture
def queued(letters, django_capture_on_commit_callbacks):
    side = letters["side"]
    with django_capture_on_commit_callbacks(execute=True), tenant_context(side.district):
        notices = services.notices_for_event(
            district=side.district,
            student=side.students[0],
            trigger="tier_start",
            period_key="placement-3",
            tier=2,
            context={k: v for k, v in FULL_CONTEXT.items() if k != "from_tier"},
        )
    with tenant_context(side.district):  # related rows loaded now: row-level security hides them later
        return Notice.objects.select_related("student", "student__school", "district").get(pk=notices[0].pk)


def test_the_list_filters_and_the_detail_previews_in_any_language(queued, login):
    client = login(_admin(queued))
    response = client.get(reverse("notice_list"), {"status": "sent", "type": "placement_start"})
    assert response.status_code == 200 and queued.student.last_name in response.content.decode()
    assert queued.student.last_name not in client.get(reverse("notice_list"), {"status": "failed"}).content.decode()
    page = client.get(reverse("notice_detail", kwargs={"notice_id": queued.pk}), {"lang": "ar"})
    html = page.content.decode()
    assert 'lang="ar" dir="rtl"' in html and "إشعار بخدمات التدخل" in html
    assert 'id="review-note"' in html  # machine-drafted, not reviewed yet
    pdf = client.get(reverse("notice_pdf", kwargs={"notice_id": queued.pk}), {"lang": "hy"})
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Ծանուցում միջամտության ծառայությունների մասին" in text
    stored = client.get(reverse("notice_pdf", kwargs={"notice_id": queued.pk}))
    assert b"".join(stored.streaming_content)[:5] == b"%PDF-"
    with tenant_context(queued.district):
        assert AccessLog.objects.filter(district=queued.district, what="notice preview").exists()


def _admin(notice):
    from mtss.models import Membership

    with tenant_context(notice.district):
        return Membership.objects.get(district=notice.district, role="district_admin").user


def test_reviewed_language_and_fallback_notes(queued, login):
    admin = _admin(queued)
    client = login(admin)
    with tenant_context(queued.district):
        DistrictLanguage.objects.create(district=queued.district, language="es", reviewed=True)
    html = client.get(reverse("notice_detail", kwargs={"notice_id": queued.pk})).content.decode()
    assert 'id="review-note"' not in html and 'id="fallback-note"' not in html


def test_acknowledge_regenerate_retry_and_student_history(queued, login, django_capture_on_commit_callbacks):
    client = login(_admin(queued))
    url = reverse("notice_acknowledge", kwargs={"notice_id": queued.pk})
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    with tenant_context(queued.district):
        queued.refresh_from_db()
    assert queued.status == NoticeStatus.ACKNOWLEDGED
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("notice_regenerate", kwargs={"notice_id": queued.pk}))
    with tenant_context(queued.district):
        queued.refresh_from_db()
    assert queued.status == NoticeStatus.SENT
    history = client.get(reverse("student_notices", kwargs={"student_id": queued.student_id})).content.decode()
    assert "acknowledged" in history and "regenerate" in history
    response = client.post(reverse("notice_retry", kwargs={"notice_id": queued.pk}), follow=True)
    assert "Only a failed or maybe-sent notice can be sent again." in response.content.decode()


def test_a_maybe_sent_notice_is_explained_and_sent_again_only_by_staff(
    queued, login, django_capture_on_commit_callbacks
):
    """A worker stopped mid-delivery: the sweeper marks the notice maybe sent (not resent);
    the failures list says so and only the administrator's deliberate resend sends it."""
    from django.core import mail
    from django.utils import timezone

    from notifications.models import NoticeEvent

    past = timezone.now() - dt.timedelta(minutes=10)
    with tenant_context(queued.district):
        Notice.objects.filter(pk=queued.pk).update(
            status=NoticeStatus.GENERATED, send_started_at=past, claimed_until=past, sent_at=None
        )
        assert services.notices_stalled_mark(district=queued.district) == [queued.pk]
        assert services.notices_stalled_mark(district=queued.district) == []  # once
        assert services.outbox_due(district=queued.district, older_than_seconds=0) == []  # never resent by itself
    mail.outbox.clear()
    client = login(_admin(queued))
    page = client.get(reverse("letter_settings")).content.decode()
    assert f'id="failure-{queued.pk}" data-status="maybe_sent"' in page
    assert "it may have been delivered" in page and "Send again (the family may get it twice)" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notice_retry", kwargs={"notice_id": queued.pk}), {"next": "failures"})
    assert response.status_code == 302
    with tenant_context(queued.district):
        queued.refresh_from_db()
        verbs = list(NoticeEvent.objects.filter(notice=queued).values_list("verb", flat=True))
    assert queued.status == NoticeStatus.SENT and queued.send_started_at is None
    assert verbs[-5:] == ["maybe_sent", "resend", "generated", "sending", "emailed"]
    assert len(mail.outbox) == 1


def test_a_print_batch_whose_merge_fails_puts_its_letters_back(letters, login, monkeypatch):
    from notifications.letters import pdf
    from notifications.models import PrintBatch

    side = letters["side"]
    with tenant_context(side.district):
        notice = services.progress_reports_create(district=side.district, as_of=dt.date(2026, 10, 20))[0]
        Notice.objects.filter(pk=notice.pk).update(channel="print", status=NoticeStatus.GENERATED)

    def broken(files, progress=None):
        raise ValueError("unreadable letter")

    monkeypatch.setattr(pdf, "merge_pdfs", broken)
    client = login(side.district_admin)
    response = client.post(reverse("notice_print"), {"school": notice.school_id})
    with tenant_context(side.district):
        batch = PrintBatch.objects.get()
        notice.refresh_from_db()
    assert response["Location"] == reverse("notice_print_batch", kwargs={"batch_id": batch.pk})
    assert batch.status == "failed" and not batch.pdf
    assert notice.status == NoticeStatus.GENERATED and notice.print_batch_id is None  # back in the queue
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="failed"' in page and 'id="batch-error"' in page


def test_a_teacher_sees_but_cannot_act_and_another_district_gets_404(queued, world, login):
    client = login(world.a.teacher)
    detail = client.get(reverse("notice_detail", kwargs={"notice_id": queued.pk}))
    # A teacher sees a student only with a roster grant (students.selectors); this one has none.
    assert detail.status_code == 404
    assert client.post(reverse("notice_acknowledge", kwargs={"notice_id": queued.pk})).status_code == 404
    other = login(world.b.district_admin)
    assert other.get(reverse("notice_detail", kwargs={"notice_id": queued.pk})).status_code == 404
    assert other.get(reverse("notice_pdf", kwargs={"notice_id": queued.pk})).status_code == 404
    assert other.get(reverse("api_notice_detail", kwargs={"notice_id": queued.pk})).status_code == 404
    assert login(world.a.teacher).get(reverse("letter_settings")).status_code == 404


def test_print_center_builds_a_batch_and_serves_its_pdf(letters, login, django_capture_on_commit_callbacks):
    """The batch is a job (issue 16, item 7): the button leads to the batch's page, which polls
    its progress; once merged, the page offers the PDF. Here (as in the demo) the job ran in-process."""
    from notifications.models import PrintBatch
    from students.models import Guardian

    side = letters["side"]
    with tenant_context(side.district):
        Guardian.objects.filter(district=side.district).update(email="")
    with django_capture_on_commit_callbacks(execute=True), tenant_context(side.district):
        services.progress_reports_create(district=side.district, as_of=dt.date(2026, 10, 20))
    client = login(side.district_admin)
    page = client.get(reverse("notice_print")).content.decode()
    assert side.school.name in page
    response = client.post(reverse("notice_print"), {"school": side.school.pk})
    with tenant_context(side.district):
        batch = PrintBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("notice_print_batch", kwargs={"batch_id": batch.pk})
    assert batch.status == "done" and batch.merged == batch.letter_count == 3
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in page and "3 of 3 letters merged." in page
    assert "hx-get" not in page  # finished: no more polling
    download = reverse("notice_print_batch_pdf", kwargs={"batch_id": batch.pk})
    assert f'id="batch-download" href="{download}"' in page
    pdf = client.get(download)
    data = b"".join(pdf.streaming_content)
    assert len(PdfReader(io.BytesIO(data)).pages) == batch.page_count >= 3
    assert batch.pdf.name == f"print-batches/d{side.district.pk}/batch-{batch.pk}.pdf"  # keyed by the district
    assert client.post(reverse("notice_print"), {"school": 999999}).status_code == 404


def test_a_print_batch_in_progress_is_polled_and_has_no_pdf_yet(letters, login):
    from notifications.models import PrintBatch

    side = letters["side"]
    with tenant_context(side.district):
        batch = PrintBatch.objects.create(
            district=side.district, school=side.school, letter_count=200, merged=40, status="running"
        )
    client = login(side.district_admin)
    progress = reverse("notice_print_batch_progress", kwargs={"batch_id": batch.pk})
    page = client.get(reverse("notice_print_batch", kwargs={"batch_id": batch.pk})).content.decode()
    assert f'hx-get="{progress}" hx-trigger="every 1s"' in page
    fragment = client.get(progress).content.decode()
    assert fragment.startswith('<section id="batch-progress"') and 'data-status="running"' in fragment
    assert '<progress value="20" max="100"' in fragment and "40 of 200 letters merged." in fragment
    assert client.get(reverse("notice_print_batch_pdf", kwargs={"batch_id": batch.pk})).status_code == 404
    assert login(side.teacher).get(progress).status_code == 404  # not a printer of notices


def test_letter_settings_save_and_bad_input_names_the_field(letters, login):
    side = letters["side"]
    client = login(side.district_admin)
    assert (
        client.post(
            reverse("letter_settings"),
            {
                "action": "settings",
                "letterhead_name": "Loudon County Schools",
                "signature_name": "Dr. Rivera",
                "phone": "865-555-0100",
            },
        ).status_code
        == 302
    )
    assert (
        client.post(reverse("letter_settings"), {"action": "review", "language": "ar", "reviewed": "1"}).status_code
        == 302
    )
    bad = client.post(
        reverse("letter_settings"), {"action": "text", "language": "zz", "key": "greeting", "text": "Hola"}
    )
    assert bad.status_code == 400 and "language" in bad.content.decode()
    with tenant_context(side.district):
        assert DistrictLanguage.objects.get(district=side.district, language="ar").reviewed


def test_api_list_preview_acknowledge(queued, login):
    client = login(_admin(queued))
    listing = client.get(reverse("api_notice_list"), {"status": "sent"}).json()
    assert [row["id"] for row in listing["results"]] == [queued.pk]
    assert client.get(reverse("api_notice_list"), {"status": "bogus"}).status_code == 400
    preview = client.get(reverse("api_notice_preview", kwargs={"notice_id": queued.pk}), {"lang": "ko"})
    assert preview["X-Letter-Language"] == "ko" and "중재 서비스 안내" in preview.content.decode()
    pdf = client.get(reverse("api_notice_preview", kwargs={"notice_id": queued.pk}), {"lang": "ru", "output": "pdf"})
    assert pdf.content[:5] == b"%PDF-"
    ack = client.post(reverse("api_notice_acknowledge", kwargs={"notice_id": queued.pk}))
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    again = client.post(reverse("api_notice_acknowledge", kwargs={"notice_id": queued.pk}))
    assert again.status_code == 400 and "status" in again.json()
    detail = client.get(reverse("api_notice_detail", kwargs={"notice_id": queued.pk})).json()
    assert [e["verb"] for e in detail["events"]][-1] == "acknowledged"


def test_the_language_switcher_serves_the_staff_ui_in_spanish(queued, client, login):
    client = login(_admin(queued))
    client.post("/i18n/setlang/", {"language": "es", "next": reverse("notice_list")})
    html = client.get(reverse("notice_list")).content.decode()
    assert "Avisos a las familias" in html and 'lang="es"' in html


def test_the_staff_view_says_when_a_letter_falls_back_to_english(program, login, django_capture_on_commit_callbacks):
    from tests import factories as f
    from tests.notifications.helpers import policy_without, use_policy

    side = program["side"]
    use_policy(side.district, policy_without("vi"))  # a district that offers no Vietnamese letters
    student = side.students[0]
    f.make_guardian(student, first_name="Minh", preferred_language="vi", email="")
    with django_capture_on_commit_callbacks(execute=True), tenant_context(side.district):
        created = services.notices_for_event(
            district=side.district,
            student=student,
            trigger="tier_start",
            period_key="placement-5",
            tier=2,
            context={"reason": "Below the 25th percentile", "meeting": {"date": "2026-10-05", "place": "Room 12"}},
        )
    with tenant_context(side.district):  # after the commit callbacks ran (generated)
        notice = Notice.objects.get(pk=next(n.pk for n in created if n.language == "vi"))
    assert notice.rendered_language == "en" and "does not offer" in notice.fallback_reason
    html = login(side.district_admin).get(reverse("notice_detail", kwargs={"notice_id": notice.pk})).content.decode()
    # The staff note, and the letter's own note in the family's language (issue 18 item 6).
    assert 'id="fallback-note"' in html and "Thư này bằng tiếng Anh" in html
    listing = login(side.district_admin).get(reverse("notice_list")).content.decode()
    assert "vi → en" in listing and "English fallback" in listing


def test_letterhead_files_are_kept_per_district():
    from notifications.models import LetterSettings, logo_path

    assert logo_path(LetterSettings(district_id=7), "logo.png") == "letterheads/d7/logo.png"
