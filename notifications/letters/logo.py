"""The letterhead logo: PNG, JPEG or SVG, recognised by content, with a size cap.

Issue 16, web hardening: the upload accepted anything (an HTML page, an `.htaccess`, a
20 MB file) under the name the browser sent. Now the content decides: Pillow must read
a PNG or JPEG, or defusedxml must parse an SVG with no script, no event handler, no
embedded foreign content and no reference outside the file. The stored name is chosen
here (`logo-<digest>.<type>`), never the uploaded one.
"""

from __future__ import annotations

import hashlib
import io
import re

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_PIXELS = 4096 * 4096
SVG_NS = "{http://www.w3.org/2000/svg}"
# Elements that run code or pull in another document.
_SVG_FORBIDDEN = {"script", "foreignobject", "iframe", "embed", "object", "audio", "video", "handler", "listener"}
# The only references an SVG logo may hold: its own fragments and inline raster images.
_SAFE_REF = re.compile(r"^\s*(#|data:image/(png|jpeg);base64,)", re.IGNORECASE)
_CSS_URL = re.compile(r"url\s*\(|@import|expression\s*\(", re.IGNORECASE)


def _refuse(message: str):
    raise ValidationError({"logo": [message]})


def _raster(data: bytes) -> str | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    if kind not in ("PNG", "JPEG"):
        _refuse(_("The logo must be a PNG, JPEG or SVG image; this file is a %(kind)s image.") % {"kind": kind})
    if width * height > LOGO_MAX_PIXELS:
        _refuse(_("The logo is %(w)s × %(h)s pixels: at most 4096 × 4096.") % {"w": width, "h": height})
    return "png" if kind == "PNG" else "jpg"


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def _check_svg(data: bytes) -> bool:
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return False
    if root.tag != f"{SVG_NS}svg":
        return False
    for element in root.iter():
        tag = _local(element.tag) if isinstance(element.tag, str) else ""
        if tag in _SVG_FORBIDDEN:
            _refuse(
                _("The SVG logo contains a <%(tag)s> element; logos may not hold scripts or embedded documents.")
                % {"tag": tag}
            )
        if tag == "style" and _CSS_URL.search(element.text or ""):
            _refuse(_("The SVG logo's styles load something from outside the file."))
        for name, value in element.attrib.items():
            attribute = _local(name)
            if attribute.startswith("on"):
                _refuse(
                    _("The SVG logo has an event handler (%(name)s); logos may not hold scripts.") % {"name": attribute}
                )
            if attribute in ("href", "src") and not _SAFE_REF.match(value):
                _refuse(
                    _("The SVG logo refers to something outside the file (%(name)s); embed images instead.")
                    % {"name": attribute}
                )
            if attribute == "style" and _CSS_URL.search(value):
                _refuse(_("The SVG logo's styles load something from outside the file."))
    return True


def logo_checked(upload) -> ContentFile:
    """The upload as a file to store, or a ValidationError on `logo` that says what is wrong."""
    if upload.size is not None and upload.size > LOGO_MAX_BYTES:
        _refuse(_("The logo is %(size)s KB: at most 1024 KB.") % {"size": upload.size // 1024})
    data = upload.read(LOGO_MAX_BYTES + 1)
    if len(data) > LOGO_MAX_BYTES:
        _refuse(_("The logo is larger than 1024 KB."))
    kind = _raster(data) or ("svg" if _check_svg(data) else None)
    if kind is None:
        _refuse(_("The logo must be a PNG, JPEG or SVG image; this file is none of them."))
    return ContentFile(data, name=f"logo-{hashlib.sha256(data).hexdigest()[:12]}.{kind}")
