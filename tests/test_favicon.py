"""Every page links the favicon, and the files it links are there (issue 14, item 6)."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_links_the_svg_favicon_and_its_raster_copies(client):
    html = client.get(reverse("login")).content.decode()
    for name, marker in [
        ("favicon.svg", b"<svg"),
        ("favicon.ico", b"\x00\x00\x01\x00"),  # ICO header: reserved 0, type 1 (icon)
        ("apple-touch-icon.png", b"\x89PNG"),
    ]:
        assert f"/static/{name}" in html, f"base.html does not link {name}"
        path = finders.find(name)
        assert path, f"static/{name} is missing"
        with open(path, "rb") as file:
            assert file.read(8).startswith(marker), f"static/{name} is not what its name says"
