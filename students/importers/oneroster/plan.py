"""What importing a roster would do: per kind of record, what is created, updated, left unchanged or
deactivated, and the rejected rows (see students/importers/oneroster/__init__.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from mtss.models import District
from students.importers.csvio import ErrorLog, ImportErrors, RowError
from students.importers.oneroster.writer import write_plan

ENTITIES = ("schools", "school_years", "staff", "students", "guardians", "enrollments", "grants")
COUNT_KEYS = ("created", "updated", "unchanged", "deleted", "rejected")
EXAMPLES_PER_WARNING = 5


@dataclass
class EntityPlan:
    """What would change for one kind of record.

    `create` holds field dicts whose references are keys (school=sourcedId...),
    resolved to ids when written. `update` and `deactivate` hold (id, values);
    every values dict of a list carries every field of its `*_fields` set.
    """

    create: list[dict] = field(default_factory=list)
    update: list[tuple[int, dict]] = field(default_factory=list)
    update_fields: set[str] = field(default_factory=set)
    deactivate: list[tuple[int, dict]] = field(default_factory=list)
    deactivate_fields: set[str] = field(default_factory=set)
    unchanged: int = 0

    def changed(self, pk: int, values: dict, fields: Iterable[str], *, force: bool = False) -> None:
        fields = set(fields)
        if fields or force:
            self.update.append((pk, values))
            self.update_fields |= fields
        else:
            self.unchanged += 1

    def deactivated(self, pk: int, values: dict) -> None:
        self.deactivate.append((pk, values))
        self.deactivate_fields |= set(values)


class RosterPlan(ImportErrors):
    """A validated roster and what importing it would do (see the module docstring)."""

    def __init__(self, district: District, source_label: str):
        self.district = district
        self.file_name = source_label
        self.version = ""
        self.modes: dict[str, str] = {}
        self.encodings: dict[str, str] = {}
        self.errors = ErrorLog()
        self.file_errors: list[RowError] = []
        self._notes: dict[str, list[str]] = {}
        self.plans = {entity: EntityPlan() for entity in ENTITIES}
        self.new_users: list[dict] = []
        self.membership_schools_add: list[tuple[str, str]] = []  # (staff sid, school key)
        self.membership_schools_remove: list[int] = []  # MembershipSchool ids
        self.grants_add: dict[str, set[str]] = defaultdict(set)  # teacher sid -> student sids
        self.grants_remove: dict[int, set[int]] = defaultdict(set)  # user id -> student ids
        self.unmatched: list[dict] = []
        self.unmatched_total = 0
        # key -> id, filled from the database and after each bulk insert
        self.school_ids: dict[str, int] = {}
        self.year_ids: dict[str, int] = {}
        self.user_ids: dict[str, int] = {}  # staff sid -> user id
        self.student_ids: dict[str, int] = {}
        self.written = False

    @property
    def format(self) -> str:
        return f"oneroster-{self.version}" if self.version else "oneroster"

    def note(self, kind: str, message: str) -> None:
        """A warning; many of one kind are counted, with the first few kept as examples."""
        self._notes.setdefault(kind, []).append(message)

    @property
    def warnings(self) -> list[str]:
        out = []
        for messages in self._notes.values():
            out.extend(messages[:EXAMPLES_PER_WARNING])
            if len(messages) > EXAMPLES_PER_WARNING:
                out.append(f"... and {len(messages) - EXAMPLES_PER_WARNING} more like the one above")
        return out

    def counts(self) -> dict:
        counts = {}
        for entity, plan in self.plans.items():
            if entity == "grants":
                created = sum(len(v) for v in self.grants_add.values())
                deleted = sum(len(v) for v in self.grants_remove.values())
            else:
                created, deleted = len(plan.create), len(plan.deactivate)
            counts[entity] = {
                "created": created,
                "updated": len(plan.update),
                "unchanged": plan.unchanged,
                "deleted": deleted,
                "rejected": self.errors.rejected_rows(entity),
            }
        other = self.errors.rejected_rows("")
        if other:
            counts["other"] = dict.fromkeys(COUNT_KEYS, 0) | {"rejected": other}
        return counts

    def details(self) -> dict:
        return {
            "version": self.version,
            "manifest": self.modes,
            "encodings": self.encodings,
            "accounts_created": len(self.new_users),
            "unmatched_students": self.unmatched,
            "unmatched_total": self.unmatched_total,
        }

    def write(self) -> None:
        """Apply the plan (writer.py). The caller holds a transaction and the district's tenant context."""
        write_plan(self)
