"""The built-in policy presets: the four districts of the source documents.

Each preset is a JSON policy document in ``presets/`` whose every value carries a
note quoting the sentence of its source (the source documents, copied to ``tests/data/seeds/``) or marking a default.
A district starts from one of them and edits its own copy.
"""

import json
from functools import cache
from importlib import resources
from typing import Any

from mtss.policy.schema import PolicyDocument, validate_policy

PRESETS_PACKAGE = "mtss.policy"
PRESETS_FOLDER = "presets"


def preset_names() -> list[str]:
    """Names of the built-in presets, sorted: ``['holland-patent-ny', ...]``."""
    folder = resources.files(PRESETS_PACKAGE) / PRESETS_FOLDER
    return sorted(entry.name.removesuffix(".json") for entry in folder.iterdir() if entry.name.endswith(".json"))


def preset_data(name: str) -> dict[str, Any]:
    """The preset as parsed JSON (a fresh dict each call, safe to edit)."""
    if name not in preset_names():
        raise LookupError(f"no policy preset {name!r}; presets: {', '.join(preset_names())}")
    text = (resources.files(PRESETS_PACKAGE) / PRESETS_FOLDER / f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def load_preset(name: str) -> PolicyDocument:
    """The validated preset (cached: documents are immutable)."""
    return validate_policy(preset_data(name))
