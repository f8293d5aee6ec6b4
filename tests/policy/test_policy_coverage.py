"""Every field of the policy schema is read by product code, or says why not (issue 12, item 7).

The test walks the pydantic models from ``PolicyDocument`` down and looks for each
field's name used as an attribute (``.field``) or a key (``"field"``) in the
product's own code and templates (not in ``schema.py``, tests, benchmarks or docs).
A field no code reads must be marked in the schema with
``json_schema_extra={"informational": "why"}``, or be listed in ``PENDING_WIRING``
below. The check is by name, so it errs on the side of "read"; what it catches is a
field nothing mentions at all.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic import BaseModel

from mtss.policy.schema import PolicyDocument

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {".venv", "tests", "benchmarks", "docs", "var", "node_modules", "static", "locale", ".git"}

# Fields that drive the live product once the lead wires them (issue 12, "Every policy field is
# read"): meeting and review cadences, consultation cadence, referral conditions and exceptions,
# eligibility groups, first-required-assessment, notice timing. Empty this set as they are wired;
# the test fails when a listed field is already read, so the list only shrinks.
PENDING_WIRING: set[str] = set()


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []

    def inner(annotation) -> list[type[BaseModel]]:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return [annotation]
        return [model for argument in typing.get_args(annotation) for model in inner(argument)]

    def walk(model: type[BaseModel]) -> None:
        if model in found:
            return
        found.append(model)
        for field in model.model_fields.values():
            for sub in inner(field.annotation):
                walk(sub)

    walk(root)
    return found


def _fields() -> dict[str, object]:
    return {
        f"{model.__name__}.{name}": field
        for model in _models(PolicyDocument)
        for name, field in model.model_fields.items()
    }


def _product_text() -> str:
    files = [
        path
        for path in ROOT.rglob("*")
        if path.suffix in {".py", ".html", ".txt"}
        and not SKIPPED & set(path.relative_to(ROOT).parts)
        and "migrations" not in path.parts
        and path.name != "schema.py"
    ]
    return "\n".join(path.read_text(encoding="utf-8", errors="ignore") for path in files)


def _informational(field) -> str:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return str(extra.get("informational") or "")


def _unread() -> set[str]:
    text = _product_text()
    return {
        name for name in _fields() if not re.search(rf"(\.{name.split('.')[1]}\b|[\"']{name.split('.')[1]}[\"'])", text)
    }


def test_the_walk_sees_every_part_of_the_document():
    names = _fields()
    assert len(names) > 150
    assert {
        "Tier.special_education",
        "DecisionRules.progress_test",
        "NormTable.points",
        "CalendarPolicy.instructional_weekdays",
        "ReferralException.weeks_in_tier",
    } <= set(names)


def test_every_policy_field_is_read_or_says_why_not():
    fields = _fields()
    missing = sorted(name for name in _unread() if not _informational(fields[name]) and name not in PENDING_WIRING)
    assert missing == [], (
        "fields no product code reads: read them, or mark them informational with a reason "
        f"(json_schema_extra={{'informational': ...}}): {missing}"
    )


def test_pending_wiring_lists_only_unread_fields_that_exist():
    fields = _fields()
    assert PENDING_WIRING <= set(fields), sorted(PENDING_WIRING - set(fields))
    wired = sorted(PENDING_WIRING - _unread())
    assert wired == [], f"these are read now: remove them from PENDING_WIRING: {wired}"


def test_informational_marks_carry_a_reason_and_are_not_read():
    fields = _fields()
    marked = {
        name
        for name, field in fields.items()
        if isinstance(getattr(field, "json_schema_extra", None), dict) and "informational" in field.json_schema_extra
    }
    assert marked and all(len(_informational(fields[name])) > 10 for name in marked)
