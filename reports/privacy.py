"""The district's privacy page for staff (issue 18, item 5); its content is
students.privacy.notice, which the family portal renders too."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone

from mtss.decorators import district_member
from students.privacy.notice import privacy_notice


@district_member()
def privacy_page(request):
    return render(
        request, "reports/privacy.html", privacy_notice(district=request.district, today=timezone.localdate())
    )
