"""The README's screenshots (issue 14, "Done when": the README screenshots show the new home and
plan form). The images are made by the browser tests with SCREENSHOTS=1 (tests/browser/conftest.py,
`screenshot`); this checks that what the README embeds is in the repository, with alt text."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def _images() -> list[tuple[str, str]]:
    return IMAGE.findall((ROOT / "README.md").read_text(encoding="utf-8"))


def test_every_image_the_readme_embeds_exists_and_has_alt_text():
    images = _images()
    assert images
    for alt, path in images:
        if path.startswith(("http://", "https://")):
            continue
        assert alt.strip(), f"{path} has no alt text"
        file = ROOT / path
        assert file.is_file() and file.stat().st_size > 1000, f"{path} is missing from the repository"
        assert file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"


def test_the_readme_shows_the_home_page_and_the_plan_form():
    paths = {path for _alt, path in _images()}
    assert "docs/screenshots/home-specialist-desktop.png" in paths
    assert "docs/screenshots/plan-form.png" in paths
