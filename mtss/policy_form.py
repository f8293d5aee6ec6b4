"""The policy editor for people: one form per section, generated from the pydantic schema.

The schema (mtss/policy/schema.py) is the single source of truth: field types give
the inputs (a number, yes/no, a choice from a Literal, a comma-separated list),
constraints stay in the schema's validation, and help text comes from the schema
itself: the field's description or ``informational`` note, the comment written
above or beside the field, and the model's docstring. The document's ``notes``
give each value its source note (a quote from a declared source or a marked
default). Nothing here re-states a rule: a section is saved by patching the
current document and validating the whole document with ``validate_policy``,
the same validation as the JSON editor; errors come back as paths
(``tiers[1].dosage.minutes_per_session``) and are mapped to the field and a
human label ("Tier 2 › Dosage › Minutes per session").

No Django here: the view (mtss/policy_views.py) turns a ``SectionForm`` into a page.
"""

from __future__ import annotations

import copy
import functools
import inspect
import json
import math
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from django.utils.translation import gettext, gettext_lazy
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from mtss.policy.schema import (
    ROOT,
    CutScoreRisk,
    Note,
    PolicyDocument,
    PolicyError,
    PolicyValidationError,
    validate_policy,
)

Loc = tuple[str | int, ...]
_UNION_TYPE = type(int | None)

# Top-level values that describe the document, edited together as "About"; schema_version
# and notes are not edited here (notes are shown beside each field; the JSON editor edits them).
ABOUT_FIELDS = ("name", "title", "version", "state", "grades")
SKIPPED_TOP = frozenset({"schema_version", "notes"}) | set(ABOUT_FIELDS)


def sections() -> list[tuple[str, str]]:
    """(key, title) of every section the editor has a form for, in the schema's order."""
    out = [("about", gettext("About this policy"))]
    for name in PolicyDocument.model_fields:
        if name not in SKIPPED_TOP:
            out.append((name, str(SECTION_TITLES.get(name, humanize(name)))))
    return out


# The sections' titles in the staff's language (the schema's field names are English).
SECTION_TITLES = {
    "sources": gettext_lazy("Sources"),
    "areas": gettext_lazy("Areas"),
    "teams": gettext_lazy("Teams"),
    "tiers": gettext_lazy("Tiers"),
    "screening": gettext_lazy("Screening"),
    "progress_monitoring": gettext_lazy("Progress monitoring"),
    "decision_rules": gettext_lazy("Decision rules"),
    "fidelity": gettext_lazy("Fidelity"),
    "parent_contact": gettext_lazy("Parent contact"),
    "required_plans": gettext_lazy("Required plans"),
    "mid_year_entry": gettext_lazy("Mid-year entry"),
    "special_education_referral": gettext_lazy("Special education referral"),
    "meetings": gettext_lazy("Meetings"),
    "reporting": gettext_lazy("Reporting"),
    "calendar": gettext_lazy("Calendar"),
    "privacy": gettext_lazy("Privacy"),
}


def humanize(name: str) -> str:
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


# --- help text from the schema's own words ---------------------------------------------------


@functools.cache
def _comments(model: type[BaseModel]) -> dict[str, str]:
    """Comments written above or beside each field of a model's class body."""
    try:
        lines = inspect.getsource(model).splitlines()
    except (OSError, TypeError):  # pragma: no cover - source always ships with the app
        return {}
    found: dict[str, str] = {}
    pending: list[str] = []
    for line in lines[1:]:
        stripped = line.strip()
        if stripped.startswith("#"):
            pending.append(stripped.lstrip("#").strip())
            continue
        match = re.match(r"^\s{4}([a-z_][a-z0-9_]*)\s*:", line)
        if match and match[1] in model.model_fields:
            parts = list(pending)
            beside = re.search(r"#\s*(.+)$", line)
            if beside and "'" not in line.split("#")[0][-3:]:
                parts.append(beside[1].strip())
            if parts:
                found[match[1]] = " ".join(parts)
        pending = []
    return found


def field_help(model: type[BaseModel], name: str) -> str:
    info = model.model_fields[name]
    parts = []
    if info.description:
        parts.append(info.description)
    comment = _comments(model).get(name)
    if comment:
        parts.append(comment)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if extra.get("informational"):
        parts.append(humanize(str(extra["informational"])) + ".")
    return " ".join(parts)


def model_help(model: type[BaseModel]) -> str:
    doc = inspect.getdoc(model) or ""
    if model.__doc__ is None or doc.startswith(("Base of", "A base")):
        return ""
    return " ".join(doc.split())


def note_text(note: Note | None, sources: Mapping[str, str]) -> str:
    """A source note in words: the quote and its source, or why a default was chosen."""
    if note is None:
        return ""
    if note.default:
        return f"Default (the sources are silent): {note.why}"
    quotes = " … ".join(f"“{q}”" for q in note.quotes)
    text = f"{sources.get(note.source or '', note.source)}: {quotes}"
    return text + (f" ({note.comment})" if note.comment else "")


# --- annotations --------------------------------------------------------------------------


def _strip(annotation: Any) -> tuple[Any, bool]:
    """The annotation without Annotated/Optional wrappers, and whether None is allowed."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, _UNION_TYPE):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) < len(typing.get_args(annotation)):
                optional = True
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation, optional


def _model(annotation: Any) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _literal_choices(annotation: Any) -> list[Any] | None:
    if typing.get_origin(annotation) is Literal:
        return list(typing.get_args(annotation))
    return None


def _union_member(annotation: Any, value: Any) -> type[BaseModel] | None:
    """The member of a discriminated union (``method``) a value belongs to."""
    if not isinstance(value, Mapping):
        return None
    for member in typing.get_args(annotation):
        model = _model(_strip(member)[0])
        if model and "method" in model.model_fields:
            if typing.get_args(model.model_fields["method"].annotation) == (value.get("method"),):
                return model
    return None


# --- the form -----------------------------------------------------------------------------


@dataclass
class Field:
    loc: Loc
    label: str  # the field's own label
    full_label: str  # with its groups: "Tier 2 › Dosage › Minutes per session"
    kind: str  # "int" | "float" | "bool" | "choice" | "text" | "list"
    required: bool
    initial: str
    optional: bool = False
    help: str = ""
    note: str = ""
    choices: list[str] = field(default_factory=list)
    item_kind: str = "text"  # for "list": the kind of each item
    item_choices: list[str] = field(default_factory=list)
    value: str = ""
    errors: list[str] = field(default_factory=list)
    missing: bool = False  # required, and the document has no value yet (a new list item)

    @property
    def name(self) -> str:
        return ".".join(str(part) for part in self.loc)

    @property
    def input_id(self) -> str:
        return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name)


@dataclass
class GridCell:
    grade: int
    season: str | None
    name: str
    label: str
    initial: str
    value: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass
class Grid:
    """A cut-score table (grade x season) of one screening measure."""

    loc: Loc  # of the CutScoreRisk
    label: str
    seasons: list[str | None]
    rows: list[tuple[str, list[GridCell]]]  # (grade label, cells)
    labels: dict[tuple[int, str | None], str]  # row labels kept when a cell changes
    errors: list[str] = field(default_factory=list)

    def cells(self):
        for _, row in self.rows:
            yield from row


@dataclass
class ListButton:
    """A submit button that adds an item to, or removes one from, a list of the document.

    ``value`` is what the button posts as ``list_action`` ("add:tiers", "remove:tiers.2");
    ``kind`` ("add", "add_first" to an empty list, "remove") and ``item`` ("tier") make its text
    (the template words it, translated); ``context`` says which list or item (visually hidden, so
    that each button's name is unique for a screen reader)."""

    value: str
    kind: str
    item: str
    context: str
    # Where the page comes back to after a removal (the button's formaction is this fragment): the
    # item that took the removed one's place, not the top of a long form. An added item needs none:
    # its first field has autofocus, which a fragment in the URL would cancel.
    anchor: str = ""


@dataclass
class Group:
    loc: Loc
    label: str
    help: str
    depth: int
    fields: list[Field] = field(default_factory=list)
    grid: Grid | None = None
    errors: list[str] = field(default_factory=list)
    remove: ListButton | None = None  # set on the group of a list's item
    add: list[ListButton] = field(default_factory=list)  # after the last item of a list (or its empty place)
    new: bool = False  # the item was just added: its first field takes the focus

    @property
    def anchor(self) -> str:
        return _anchor(self.loc)


def _anchor(loc: Loc) -> str:
    return "g-" + (re.sub(r"[^A-Za-z0-9_-]", "-", ".".join(map(str, loc))) or "root")


def singular(name: str) -> str:
    """ "norm_tables" -> "norm table": one item of a list, in words."""
    text = humanize(name).lower()
    return text[:-1] if text.endswith("s") and not text.endswith("ss") else text


def grade_label(grade: int) -> str:
    return gettext("Kindergarten") if grade == 0 else gettext("Grade %(grade)s") % {"grade": grade}


def item_label(name: str, index: int, item: Any) -> str:
    """How a person names an item of a list: "Tier 2", the measure's name, its key."""
    if isinstance(item, Mapping):
        if name == "tiers" and isinstance(item.get("number"), int):
            title = item.get("name")
            return gettext("Tier %(number)s") % {"number": item["number"]} + (
                f" ({title})" if title and str(item["number"]) not in str(title) else ""
            )
        for key in ("name", "title", "label", "key", "id"):
            if isinstance(item.get(key), str) and item[key]:
                return item[key]
        if "grade" in item:
            season = f", {item['season']}" if item.get("season") else ""
            return f"{grade_label(item['grade'])}{season}"
    return f"{humanize(name).rstrip('s')} {index + 1}"


def label_for_loc(data: Any, loc: Loc) -> str:
    """('tiers', 1, 'dosage', 'minutes_per_session') -> "Tier 2 › Dosage › Minutes per session"."""
    parts: list[str] = []
    node = data
    for index, part in enumerate(loc):
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            parent = loc[index - 1] if index else ""
            label = item_label(str(parent), part, item)
            if parts:
                parts[-1] = label  # "Tiers › Tier 2" reads as "Tier 2"
            else:
                parts.append(label)
            node = item
        else:
            if index == 1 and loc[0] == "notes":
                parts.append(f"the note on {part}")
            else:
                parts.append(humanize(part))
            node = node.get(part) if isinstance(node, Mapping) else None
    return " › ".join(parts) or gettext("The whole policy")


_PATH_TOKEN = re.compile(r'\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|\.?([A-Za-z_][A-Za-z0-9_]*)')


def parse_path(path: str) -> Loc:
    """'tiers[1].dosage.minutes_per_session' -> ('tiers', 1, 'dosage', 'minutes_per_session')."""
    if path == ROOT:
        return ()
    loc: list[str | int] = []
    for quoted, number, name in _PATH_TOKEN.findall(path):
        loc.append(int(number) if number else (quoted or name))
    return tuple(loc)


@functools.cache
def _schema_field_names() -> frozenset[str]:
    names: set[str] = set()
    pending: list[type[BaseModel]] = [PolicyDocument]
    seen: set[type] = set()
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            names.add(name)
            stack = [info.annotation]
            while stack:
                annotation = stack.pop()
                found = _model(annotation)
                if found:
                    pending.append(found)
                stack.extend(typing.get_args(annotation))
    return frozenset(names)


def humanize_message(message: str) -> str:
    """Schema field names in a message become words: min_points -> “Min points”."""
    names = _schema_field_names()

    def swap(match: re.Match) -> str:
        word = match[0]
        return f"“{humanize(word)}”" if word in names and "_" in word else word

    return re.sub(r"\b[a-z]+(?:_[a-z]+)+\b", swap, message)


def error_messages(errors: list[PolicyError], data: Any) -> list[tuple[Loc, str, str]]:
    """(loc, human label, message in words) for each validation error."""
    out = []
    for error in errors:
        loc = parse_path(error.path)
        out.append((loc, label_for_loc(data, loc), humanize_message(error.message)))
    return out


def _display(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "list":
        return ", ".join(_display(item, "text") for item in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if kind == "int" else f"{value:g}"
    return str(value)


class SectionForm:
    """The fields of one section of a policy document, their values and their errors."""

    def __init__(self, document: dict, section: str, *, added: Loc | None = None) -> None:
        self.document = document
        self.section = section
        self.added = added  # the item a list action just added (its first field is focused)
        self.groups: list[Group] = []
        self.errors: list[tuple[str, str]] = []  # (label, message) not beside a field
        self._notes, self._sources = self._provenance(document)
        if section == "about":
            group = Group((), gettext("About this policy"), "", 0)
            for name in ABOUT_FIELDS:
                self._add_field(group, PolicyDocument, name, document, ())
            self.groups.append(group)
        else:
            info = PolicyDocument.model_fields[section]
            self._walk(info.annotation, document.get(section, _default(info)), (section,), 0, {})
        self.title = dict(sections())[section]

    @staticmethod
    def _provenance(document: dict):
        try:
            doc = validate_policy(document)
        except PolicyValidationError:
            return None, {}
        return doc, {source.id: source.title for source in doc.sources}

    def _note(self, loc: Loc) -> str:
        if self._notes is None:
            return ""
        return note_text(self._notes.note_for(".".join(map(str, loc))), self._sources)

    # -- building ----------------------------------------------------------------------
    def _walk(self, annotation: Any, value: Any, loc: Loc, depth: int, context: dict) -> None:
        base, _ = _strip(annotation)
        if typing.get_origin(base) is list:
            (item_annotation,) = typing.get_args(base)
            item_base, _ = _strip(item_annotation)
            is_models = _model(item_base) is not None or any(
                _model(_strip(member)[0]) for member in typing.get_args(item_base)
            )
            if is_models and isinstance(value, list):
                self._walk_list(item_annotation, value, loc, depth, context)
                return
        model = _model(base)
        if model is None and typing.get_origin(base) in (typing.Union, _UNION_TYPE):
            model = _union_member(base, value)
        if model is None or not isinstance(value, Mapping):
            return
        group = Group(loc, label_for_loc(self.document, loc), model_help(model), depth)
        self.groups.append(group)
        if model is CutScoreRisk:
            group.grid = self._grid(loc, value, context)
        nested = []
        for name, info in model.model_fields.items():
            field_base, _ = _strip(info.annotation)
            choices = _literal_choices(field_base)
            if name == "method" and choices and len(choices) == 1:
                continue  # the kind of a rule; changing it is a change of shape (Advanced)
            if model is CutScoreRisk and name == "rows":
                continue  # the grid
            if self._add_field(group, model, name, value, loc):
                continue
            nested.append((name, info))
        for name, info in nested:
            child = value.get(name, _default(info))
            self._walk(info.annotation, child, loc + (name,), depth + 1, {**context, **_context(model, value)})

    def _walk_list(self, item_annotation: Any, items: list, loc: Loc, depth: int, context: dict) -> None:
        """The items of a list of models, each with a "Remove" button, then "Add another"."""
        name = str(loc[-1])
        owner = label_for_loc(self.document, loc)
        for index, item in enumerate(items):
            first = len(self.groups)
            self._walk(item_annotation, item, loc + (index,), depth, context)
            if len(self.groups) > first:
                group = self.groups[first]
                group.remove = ListButton(
                    f"remove:{_dotted(loc + (index,))}",
                    "remove",
                    singular(name),
                    group.label,
                    _anchor(loc + (min(index, len(items) - 2),) if len(items) > 1 else loc),
                )
                group.new = (loc + (index,)) == self.added
        if not items:
            # An empty list still needs a place for its "Add" button.
            self.groups.append(Group(loc, owner, "", depth))
        self.groups[-1].add.append(
            ListButton(
                f"add:{_dotted(loc)}",
                "add" if items else "add_first",
                singular(name),
                owner,
                _anchor(loc + (len(items),)),
            )
        )

    def _add_field(self, group: Group, model: type[BaseModel], name: str, value: Mapping, loc: Loc) -> bool:
        """Add a scalar (or list of scalars) field; False for a nested model or a mapping."""
        info = model.model_fields[name]
        base, optional = _strip(info.annotation)
        item_kind, item_choices = "text", []
        if typing.get_origin(base) is list:
            (item,) = typing.get_args(base)
            item_base, _ = _strip(item)
            if _model(item_base) or typing.get_origin(item_base) in (list, dict):
                return False
            item_kind, item_choices = _scalar_kind(item_base)
            if item_kind is None:
                return False
            kind, choices = "list", []
        else:
            kind, choices = _scalar_kind(base)
            if kind is None:
                return False
        current = value.get(name, _default(info)) if isinstance(value, Mapping) else None
        if current is PydanticUndefined:
            current = None  # a required value of an item just added: the person fills it in
        help_text = field_help(model, name)
        if kind == "list" and item_choices:
            help_text = (help_text + " " if help_text else "") + gettext(
                "Separate items with commas; choose from: %(choices)s."
            ) % {"choices": ", ".join(item_choices)}
        elif kind == "list":
            help_text = (help_text + " " if help_text else "") + gettext("Separate items with commas.")
        group.fields.append(
            Field(
                loc=loc + (name,),
                label=humanize(name),
                full_label=label_for_loc(self.document, loc + (name,)),
                kind=kind,
                required=info.is_required() and not optional,
                initial=_display(current, kind),
                help=help_text,
                note=self._note(loc + (name,)),
                choices=[str(c) for c in choices],
                item_kind=item_kind,
                item_choices=[str(c) for c in item_choices],
            )
        )
        group.fields[-1].value = group.fields[-1].initial
        group.fields[-1].optional = optional or not info.is_required()
        group.fields[-1].missing = current is None and not group.fields[-1].optional
        return True

    def _grid(self, loc: Loc, risk: Mapping, context: dict) -> Grid:
        rows = [row for row in risk.get("rows", []) if isinstance(row, Mapping)]
        grades = sorted({g for g in context.get("grades", []) if isinstance(g, int)} | {r.get("grade") for r in rows})
        seasons: list[str | None] = [s for s in context.get("seasons", []) if isinstance(s, str)] or [
            "fall",
            "winter",
            "spring",
        ]
        if any(row.get("season") is None for row in rows):
            seasons = [None, *seasons]
        by_cell = {(row.get("grade"), row.get("season")): row for row in rows}
        name = ".".join(map(str, loc))
        grid_rows = []
        for grade in grades:
            cells = []
            for season in seasons:
                row = by_cell.get((grade, season))
                shown = _display(row.get("below"), "float") if row else ""
                season_label = season or gettext("any season")
                cells.append(
                    GridCell(
                        grade=grade,
                        season=season,
                        name=f"{name}.cut.{grade}.{season or 'any'}",
                        label=gettext("Cut score, %(grade)s, %(season)s")
                        % {"grade": grade_label(grade), "season": season_label},
                        initial=shown,
                        value=shown,
                    )
                )
            grid_rows.append((grade_label(grade), cells))
        labels = {(row.get("grade"), row.get("season")): row.get("label") for row in rows if row.get("label")}
        return Grid(loc, label_for_loc(self.document, loc) + " › " + gettext("Cut scores"), seasons, grid_rows, labels)

    # -- reading a submission ----------------------------------------------------------
    def fields(self):
        for group in self.groups:
            yield from group.fields

    def bind(self, posted: Mapping[str, str]) -> dict | None:
        """Apply posted values to a copy of the document; None when a value cannot be read.

        Only values the person changed are written, so the new version differs from
        the current one exactly where they typed (and the diff says so).
        """
        new = copy.deepcopy(self.document)
        ok = True
        for item in self.fields():
            raw = str(posted.get(item.name, item.initial)).strip()
            item.value = raw
            if raw == item.initial:
                if item.missing and raw == "":
                    item.errors.append("is required")
                    ok = False
                continue
            try:
                parsed = _parse(item, raw)
            except ValueError as error:
                item.errors.append(str(error))
                ok = False
                continue
            _set(new, item.loc, parsed)
        for group in self.groups:
            if group.grid is None:
                continue
            changed = False
            for cell in group.grid.cells():
                cell.value = str(posted.get(cell.name, cell.initial)).strip()
                changed |= cell.value != cell.initial
            if not changed:
                continue
            rows = []
            for cell in group.grid.cells():
                if not cell.value:
                    continue
                try:
                    below = _number(cell.value, whole=False)
                except ValueError as error:
                    cell.errors.append(str(error))
                    ok = False
                    continue
                row: dict[str, Any] = {"grade": cell.grade}
                if cell.season is not None:
                    row["season"] = cell.season
                row["below"] = below
                if group.grid.labels.get((cell.grade, cell.season)):
                    row["label"] = group.grid.labels[(cell.grade, cell.season)]
                rows.append(row)
            _set(new, group.grid.loc + ("rows",), rows)
        return new if ok else None

    def attach(self, errors: list[PolicyError], data: Any) -> None:
        """Put each validation error beside its field, else on its group, else at the top."""
        by_field = {item.loc: item for item in self.fields()}
        by_group = {group.loc: group for group in self.groups}
        cells = {group.grid.loc + ("rows",): group.grid for group in self.groups if group.grid}
        for loc, label, message in error_messages(errors, data):
            if loc in by_field:
                by_field[loc].errors.append(message)
                continue
            grid = next((g for prefix, g in cells.items() if loc[: len(prefix)] == prefix), None)
            if grid is not None:
                grid.errors.append(f"{label}: {message}")
                continue
            owner = next((by_group[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in by_group), None)
            if owner is not None and loc and loc[0] == self.section:
                owner.errors.append(f"{label}: {message}" if owner.loc != loc else message)
            else:
                self.errors.append((label, message))

    @property
    def has_errors(self) -> bool:
        return bool(
            self.errors
            or any(g.errors for g in self.groups)
            or any(f.errors for f in self.fields())
            or any(c.errors for g in self.groups if g.grid for c in g.grid.cells())
            or any(g.grid.errors for g in self.groups if g.grid)
        )

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(anchor, label, message) of every error, for the summary at the top of the page."""
        out = [("", label, message) for label, message in self.errors]
        for group in self.groups:
            out += [(group.anchor, group.label, message) for message in group.errors]
            for item in group.fields:
                out += [(item.input_id, item.full_label, message) for message in item.errors]
            if group.grid:
                out += [(group.anchor, group.grid.label, message) for message in group.grid.errors]
                for cell in group.grid.cells():
                    out += [(group.anchor, cell.label, message) for message in cell.errors]
        return out


def _default(info) -> Any:
    value = info.get_default(call_default_factory=True)
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def _context(model: type[BaseModel], value: Mapping) -> dict:
    """What a nested form needs from its parent: a screening measure's grades and seasons."""
    if "grades" in model.model_fields and "seasons" in model.model_fields:
        return {"grades": value.get("grades", []), "seasons": value.get("seasons", [])}
    return {}


def _scalar_kind(annotation: Any) -> tuple[str | None, list]:
    choices = _literal_choices(annotation)
    if choices is not None:
        return "choice", choices
    if annotation is bool:
        return "bool", []
    if annotation is int:
        return "int", []
    if annotation is float:
        return "float", []
    if annotation is str:
        return "text", []
    return None, []


def _number(raw: str, *, whole: bool) -> int | float:
    try:
        value = float(raw.replace(",", "")) if not whole else None
        if whole:
            if not re.fullmatch(r"[+-]?\d+", raw):
                raise ValueError
            return int(raw)
    except ValueError:
        raise ValueError(f"must be a {'whole ' if whole else ''}number, got “{raw}”") from None
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got “{raw}”")
    return value


def _parse_scalar(kind: str, choices: list[str], raw: str) -> Any:
    if kind == "int":
        return _number(raw, whole=True)
    if kind == "float":
        return _number(raw, whole=False)
    if kind == "bool":
        if raw not in ("yes", "no"):
            raise ValueError(f"must be yes or no, got “{raw}”")
        return raw == "yes"
    if kind == "choice":
        if raw in choices:
            return raw
        raise ValueError(f"must be one of {', '.join(choices)}, got “{raw}”")
    return raw


def _parse(item: Field, raw: str) -> Any:
    if raw == "":
        if item.kind == "list":
            return []
        if item.optional:
            return None
        raise ValueError("is required")
    if item.kind == "list":
        parts = [part.strip() for part in raw.split(",") if part.strip()]
        return [_parse_scalar(item.item_kind, item.item_choices, part) for part in parts]
    return _parse_scalar(item.kind, item.choices, raw)


def _set(document: dict, loc: Loc, value: Any) -> None:
    node: Any = document
    for part in loc[:-1]:
        if isinstance(node, Mapping):
            if part not in node or node[part] is None:
                node[part] = {}
            node = node[part]
        else:
            node = node[part]
    if value is None and isinstance(node, dict):
        node.pop(loc[-1], None)  # an emptied optional value: absent, its default
    else:
        node[loc[-1]] = value


# --- adding and removing items of a list -------------------------------------------------------
#
# A list of models (tiers, screening measures, risk bands, notices, meetings ...) gets a "Remove"
# button on each item and an "Add another" button after the last. They are plain submit buttons
# (no script needed): the page posts what was typed, the view applies it and the list action to
# the working copy of the section, and shows the form again. The working copy travels in a hidden
# field (``draft``) until "Save as a new version", which validates the whole document as always.


def _dotted(loc: Loc) -> str:
    return ".".join(str(part) for part in loc)


def _loc(path: str) -> Loc:
    return tuple(int(part) if part.isdigit() else part for part in path.split(".") if part != "")


def _section_notes(document: dict, section: str) -> dict:
    notes = document.get("notes")
    if not isinstance(notes, dict):
        return {}
    return {key: note for key, note in notes.items() if key == section or key.startswith(section + ".")}


def draft_of(document: dict, section: str) -> str:
    """The section's working copy as JSON, for the form's hidden ``draft`` field: its value and its
    source notes (which a removed item takes with it, and renumbers after it)."""
    if section == "about":
        return ""  # no lists of items there
    draft = {"value": document.get(section), "notes": _section_notes(document, section)}
    return json.dumps(draft, ensure_ascii=False, separators=(",", ":"))


def with_draft(document: dict, section: str, draft: str | None) -> dict:
    """The document with the posted working copy of the section in place (if it reads)."""
    if not draft or section == "about" or section not in PolicyDocument.model_fields:
        return document
    try:
        value = json.loads(draft)
    except ValueError:
        return document
    if not isinstance(value, dict) or "value" not in value or not isinstance(value.get("notes"), dict):
        return document
    merged = copy.deepcopy(document)
    merged[section] = value["value"]
    if isinstance(merged.get("notes"), dict):
        own = _section_notes(merged, section)
        merged["notes"] = {k: v for k, v in merged["notes"].items() if k not in own} | value["notes"]
    return merged


def _annotation_at(document: Any, loc: Loc) -> Any:
    """The schema's annotation of the value at `loc` (None when the path leaves the schema)."""
    annotation: Any = PolicyDocument
    node: Any = document
    for part in loc:
        base, _ = _strip(annotation)
        if isinstance(part, int):
            if typing.get_origin(base) is not list:
                return None
            (annotation,) = typing.get_args(base)
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            continue
        model = _model(base) or _union_member(base, node)
        if model is None or part not in model.model_fields:
            return None
        annotation = model.model_fields[part].annotation
        node = node.get(part) if isinstance(node, Mapping) else None
    return annotation


def skeleton(annotation: Any, like: Any = None) -> dict | None:
    """A new item of a list of models: its required values, empty for the person to fill in.

    Values with a default are left out (the default applies); a rule's kind (``method``) follows
    the item it is added after (`like`); nested required models are built the same way."""
    base, _ = _strip(annotation)
    model = _model(base)
    if model is None:
        model = _union_member(base, like) or next(
            (m for m in (_model(_strip(a)[0]) for a in typing.get_args(base)) if m), None
        )
    if model is None:
        return None
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if not info.is_required():
            continue
        field_base, _ = _strip(info.annotation)
        choices = _literal_choices(field_base)
        if choices and len(choices) == 1:
            out[name] = choices[0]
        elif typing.get_origin(field_base) is list:
            out[name] = []
        elif _model(field_base) or typing.get_origin(field_base) in (typing.Union, _UNION_TYPE):
            child = skeleton(info.annotation, like.get(name) if isinstance(like, Mapping) else None)
            out[name] = child
        else:
            out[name] = None
    return out


class ListActionError(ValueError):
    """A list action that does not fit the document (a stale page, a hand-made request)."""


@dataclass
class ListChange:
    """What a list action did: "added" (`loc` is the new item's) or "removed", the item's label, the list's."""

    kind: str
    item: str
    within: str
    loc: Loc | None = None


def apply_list_action(document: dict, section: str, action: str) -> tuple[dict, ListChange]:
    """Add an item to a list of the section, or remove one: the new document and what changed.
    Nothing is validated here; saving validates the whole document."""
    kind, _, path = action.partition(":")
    loc = _loc(path)
    if kind not in ("add", "remove") or not loc or loc[0] != section:
        raise ListActionError("That change of a list does not fit this section.")
    new = copy.deepcopy(document)
    if kind == "add":
        annotation = _annotation_at(document, loc)
        base = _strip(annotation)[0] if annotation is not None else None
        if base is None or typing.get_origin(base) is not list:
            raise ListActionError("That list is not part of the policy.")
        (item_annotation,) = typing.get_args(base)
        parent = _container(new, loc[:-1])
        items = parent.get(loc[-1]) if isinstance(parent, Mapping) else None
        if items is None:
            items = parent[loc[-1]] = []
        item = skeleton(item_annotation, items[-1] if items else None)
        if item is None:
            raise ListActionError("That list is not a list of items.")
        items.append(item)
        index = len(items) - 1
        return new, ListChange("added", item_label(str(loc[-1]), index, item), label_for_loc(new, loc), loc + (index,))
    index = loc[-1]
    items = _container(new, loc[:-1])
    if not isinstance(index, int) or not isinstance(items, list) or not 0 <= index < len(items):
        raise ListActionError("That item is no longer in the list; the page was out of date.")
    label = label_for_loc(document, loc)
    items.pop(index)
    _renumber_notes(new, loc[:-1], index)
    return new, ListChange("removed", label, label_for_loc(document, loc[:-1]))


def _container(document: Any, loc: Loc) -> Any:
    node = document
    for part in loc:
        if isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                return None
            node = node[part]
        else:
            if not isinstance(node, dict):
                return None
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
    return node


def _renumber_notes(document: dict, list_loc: Loc, removed: int) -> None:
    """Source notes are keyed by path ("meetings.6.title"): after item `removed` of the list left,
    its notes go with it and the notes of the items after it move up one place, so each note still
    names its value (validate_policy refuses a note that names nothing)."""
    notes = document.get("notes")
    if not isinstance(notes, dict):
        return
    prefix = _dotted(list_loc) + "."
    renamed: dict[str, Any] = {}
    for key, note in notes.items():
        head, rest = (key[len(prefix) :].split(".", 1) + [""])[:2] if key.startswith(prefix) else ("", "")
        if not head.isdigit():
            renamed[key] = note
        elif int(head) == removed:
            continue
        else:
            index = int(head) - 1 if int(head) > removed else int(head)
            renamed[prefix + str(index) + ("." + rest if rest else "")] = note
    document["notes"] = renamed
