"""The letterhead logo: PNG, JPEG or SVG by content, with a size cap (notifications.letters.logo).

Issue 16, web hardening: the upload accepted an HTML page, an `.htaccess` and a 20 MB file.
"""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from mtss.tenancy import tenant_context
from notifications import services
from notifications.models import LetterSettings

pytestmark = pytest.mark.django_db


def _image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (10, 80, 160)).save(buffer, format=kind)
    return buffer.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#036"/></svg>'


def _save(side, name: str, data: bytes):
    with tenant_context(side.district):
        return services.letter_settings_save(
            district=side.district, actor=None, logo=SimpleUploadedFile(name, data, content_type="image/png")
        )


def _refusal(side, name: str, data: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        _save(side, name, data)
    return " ".join(caught.value.message_dict["logo"])


@pytest.mark.parametrize(
    ("kind", "ext"),
    [("PNG", "png"), ("JPEG", "jpg")],
)
def test_it_keeps_a_png_or_jpeg_under_a_name_of_its_content(world, kind, ext):
    row = _save(world.a, "whatever.html", _image(kind))
    assert row.logo.name.startswith(f"letterheads/d{world.a.district.pk}/logo-") and row.logo.name.endswith(f".{ext}")


def test_it_keeps_a_clean_svg(world):
    row = _save(world.a, "crest.svg", SVG)
    assert row.logo.name.endswith(".svg")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("logo.png", b"<html><script>alert(1)</script></html>"),
        (".htaccess", b"AddType application/x-httpd-php .png\n"),
        ("logo.gif", b"GIF89a" + b"\x00" * 40),
    ],
)
def test_it_refuses_what_is_not_a_png_jpeg_or_svg(world, name, data):
    assert "PNG, JPEG or SVG" in _refusal(world.a, name, data)
    with tenant_context(world.a.district):
        assert not LetterSettings.objects.filter(district=world.a.district).exclude(logo="").exists()


def test_it_refuses_a_gif_by_its_content(world):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="GIF")
    assert "this file is a GIF image" in _refusal(world.a, "logo.png", buffer.getvalue())


def test_it_refuses_a_file_over_the_size_cap(world):
    assert "at most 1024 KB" in _refusal(world.a, "big.png", _image("PNG") + b"\x00" * (20 * 1024 * 1024))


@pytest.mark.parametrize(
    ("svg", "says"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script>"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "event handler (onload)"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
            b'<image x:href="https://evil.example/t.png"/></svg>',
            "outside the file (href)",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p/></foreignObject></svg>', "<foreignobject>"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://evil.example/x.css);</style></svg>',
            "styles load something",
        ),
    ],
)
def test_it_refuses_an_svg_with_scripts_or_outside_references(world, svg, says):
    assert says in _refusal(world.a, "logo.svg", svg)


def test_it_refuses_an_svg_with_entities(world):
    bomb = b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
    assert "PNG, JPEG or SVG" in _refusal(world.a, "logo.svg", bomb)


def test_the_settings_page_names_the_field(world, login):
    client = login(world.a.district_admin)
    upload = SimpleUploadedFile("index.html", b"<html></html>", content_type="text/html")
    response = client.post("/notices/settings/", {"action": "settings", "logo": upload}, follow=True)
    assert "logo: The logo must be a PNG, JPEG or SVG image" in response.content.decode()
