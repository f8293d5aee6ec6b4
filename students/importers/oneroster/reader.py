"""Reads a OneRoster folder or zip into plain records and validates every row (file, line, column,
reason). No database query: matching is matcher.py, writing writer.py."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from mtss.models import District, Role, User
from students.importers.csvio import Column, ImportFileError, Row, RowError, Source, open_csv
from students.importers.oneroster.plan import RosterPlan
from students.models import Gender, Guardian, RaceEthnicity

MODES = {"bulk", "delta", "absent"}
VERSIONS = {"1.0", "1.1", "1.2"}
# The files this importer reads; the manifest may name others (courses, results...), which are ignored.
FILES = ("orgs", "academicSessions", "users", "roles", "classes", "enrollments", "demographics")

# OneRoster role -> MTSS membership role. "administrator" (1.1) is a school
# administrator, so a principal of the user's schools; aides and proctors read only.
# Nobody becomes a district administrator through a roster: that is granted by hand.
STAFF_ROLES = {
    "teacher": Role.TEACHER,
    "administrator": Role.PRINCIPAL,
    "principal": Role.PRINCIPAL,
    "siteadministrator": Role.PRINCIPAL,
    "counselor": Role.COUNSELOR,
    "aide": Role.READ_ONLY,
    "proctor": Role.READ_ONLY,
    "districtadministrator": Role.READ_ONLY,
    "systemadministrator": Role.READ_ONLY,
}
CONTACT_ROLES = {
    "parent": Guardian.Relationship.PARENT,
    "guardian": Guardian.Relationship.GUARDIAN,
    "relative": Guardian.Relationship.RELATIVE,
}
STUDENT_ROLE = "student"
# Roles OneRoster cannot express: a membership that has one keeps it on re-import.
KEPT_ROLES = {Role.DISTRICT_ADMIN, Role.INTERVENTION_SPECIALIST, Role.PSYCHOLOGIST}
# A relationship entered by hand that refines the roster's generic one is kept.
REFINES = {
    Guardian.Relationship.PARENT: {
        Guardian.Relationship.MOTHER,
        Guardian.Relationship.FATHER,
        Guardian.Relationship.FOSTER_PARENT,
    },
    Guardian.Relationship.RELATIVE: {Guardian.Relationship.GRANDPARENT},
}
SCHOOL_ORG = "school"
DEPARTMENT_ORG = "department"
ADMIN_ORGS = {"district", "local", "state", "national"}

# CEDS grade codes (OneRoster `grades`) -> School.GRADE_CHOICES. Codes outside
# PK-12 (post-secondary, ungraded, other) say nothing usable: the grade stays unknown.
GRADES = {"IT": -1, "PR": -1, "PK": -1, "TK": -1, "PREK": -1, "KG": 0, "K": 0, "00": 0, "0": 0}
GRADES.update({f"{g:02d}": g for g in range(1, 13)} | {str(g): g for g in range(1, 13)})
NO_GRADE = {"13", "PS", "UG", "OTHER"}

SEX = {
    "male": Gender.MALE,
    "m": Gender.MALE,
    "female": Gender.FEMALE,
    "f": Gender.FEMALE,
    "other": Gender.NONBINARY,
    "x": Gender.NONBINARY,
    "nonbinary": Gender.NONBINARY,
    "non-binary": Gender.NONBINARY,
    "unspecified": Gender.UNKNOWN,
    "unknown": Gender.UNKNOWN,
}
RACE_COLUMNS = {
    "americanIndianOrAlaskaNative": RaceEthnicity.AMERICAN_INDIAN,
    "asian": RaceEthnicity.ASIAN,
    "blackOrAfricanAmerican": RaceEthnicity.BLACK,
    "nativeHawaiianOrOtherPacificIslander": RaceEthnicity.PACIFIC_ISLANDER,
    "white": RaceEthnicity.WHITE,
}
# Not in the OneRoster spec: vendor columns some SIS exports add to demographics.csv.
SUBGROUP_COLUMNS = {
    "english_learner": ("englishLearner", "ell", "limitedEnglishProficiency", "lep"),
    "standard_english_learner": ("standardEnglishLearner", "sel"),
    "disability_iep": ("iep", "studentWithDisabilities", "swd", "specialEducation"),
    "section_504": ("section504", "plan504"),
    "foster": ("fosterCare", "foster"),
    "homeless": ("homeless", "mcKinneyVento"),
    "socioeconomically_disadvantaged": (
        "economicallyDisadvantaged",
        "socioeconomicallyDisadvantaged",
        "freeReducedLunch",
        "frl",
    ),
    "gifted": ("gifted", "giftedTalented", "gate"),
    # LAUSD names expelled students among its subgroups (seed 000); SIS exports call it so.
    "expelled": ("expelled", "expulsion"),
}

# Student.birth_date and Student.grade are required by the model, but OneRoster
# leaves them optional (birthDate lives in demographics.csv; `grades` may be blank).
# A new student the roster says nothing about gets these, and the run warns how many.
PLACEHOLDER_BIRTH_DATE = dt.date(1900, 1, 1)
PLACEHOLDER_EMAIL_DOMAIN = "roster.invalid"  # RFC 2606: never delivered

STATUS = Column("status")
MODIFIED = Column("dateLastModified", aliases=("dataLastModified",))
COLUMNS = {
    "manifest": [Column("propertyName", True), Column("value", True)],
    "orgs": [
        Column("sourcedId", True),
        STATUS,
        MODIFIED,
        Column("name", True),
        Column("type", True),
        Column("identifier"),
        Column("parentSourcedId"),
    ],
    "academicSessions": [
        Column("sourcedId", True),
        STATUS,
        MODIFIED,
        Column("title"),
        Column("type", True),
        Column("startDate", True),
        Column("endDate", True),
        Column("parentSourcedId"),
        Column("schoolYear"),
    ],
    "users": [
        Column("sourcedId", True),
        STATUS,
        MODIFIED,
        Column("enabledUser"),
        Column("orgSourcedIds"),
        Column("role"),
        Column("username"),
        Column("userIds"),
        Column("givenName", True),
        Column("familyName", True),
        Column("middleName"),
        Column("identifier"),
        Column("email"),
        Column("sms"),
        Column("phone"),
        Column("agentSourcedIds"),
        Column("grades"),
        Column("password"),
        Column("userMasterIdentifier"),
        Column("preferredGivenName"),
        Column("preferredMiddleName"),
        Column("preferredFamilyName"),
        Column("primaryOrgSourcedId"),
        Column("pronouns"),
    ],
    "roles": [
        Column("sourcedId"),
        STATUS,
        MODIFIED,
        Column("userSourcedId", True),
        Column("roleType"),
        Column("role", True),
        Column("orgSourcedId", True),
        Column("userProfileSourcedId"),
        Column("beginDate"),
        Column("endDate"),
    ],
    "classes": [
        Column("sourcedId", True),
        STATUS,
        MODIFIED,
        Column("title"),
        Column("grades"),
        Column("courseSourcedId"),
        Column("classCode"),
        Column("classType"),
        Column("location"),
        Column("schoolSourcedId", True),
        Column("termSourcedIds"),
        Column("subjects"),
        Column("subjectCodes"),
        Column("periods"),
    ],
    "enrollments": [
        Column("sourcedId", True),
        STATUS,
        MODIFIED,
        Column("classSourcedId", True),
        Column("schoolSourcedId", True),
        Column("userSourcedId", True),
        Column("role", True),
        Column("primary"),
        Column("beginDate"),
        Column("endDate"),
    ],
    "demographics": [
        # OneRoster 1.0 keys demographics.csv by `userSourcedId` (1.1 renamed it `sourcedId`):
        # either names the user; a file with neither is refused (ImportFileError in _read_file).
        Column("sourcedId"),
        Column("userSourcedId"),
        STATUS,
        MODIFIED,
        Column("birthDate"),
        Column("sex"),
        *(Column(name) for name in RACE_COLUMNS),
        Column("demographicRaceTwoOrMoreRaces"),
        Column("hispanicOrLatinoEthnicity"),
        Column("countryOfBirthCode"),
        Column("stateOfBirthAbbreviation"),
        Column("cityOfBirth"),
        Column("publicSchoolResidenceStatus"),
        *(Column(key, aliases=aliases) for key, aliases in SUBGROUP_COLUMNS.items()),
    ],
}
UNMATCHED_LIMIT = 500


# --- records read from the files --------------------------------------------------------


@dataclass(slots=True)
class Org:
    sid: str
    line: int
    deleted: bool
    name: str
    type: str
    identifier: str
    parent: str


@dataclass(slots=True)
class Session:
    sid: str
    line: int
    deleted: bool
    type: str
    start: dt.date | None
    end: dt.date | None
    parent: str
    year: int | None


@dataclass(slots=True)
class RoleRec:
    role: str  # lower case, e.g. "teacher"
    orgs: list[str]
    primary: bool
    file: str
    line: int
    org_column: str


@dataclass(slots=True)
class Person:
    sid: str
    line: int
    deleted: bool
    modified: dt.datetime | None
    enabled: bool
    username: str
    given: str
    family: str
    middle: str
    preferred: str
    identifier: str
    email: str
    phone: str
    agents: list[str]
    grade: int | None
    state_id: str
    primary_org: str
    roles: list[RoleRec] = field(default_factory=list)


@dataclass(slots=True)
class Klass:
    sid: str
    line: int
    deleted: bool
    school: str
    terms: list[str]


@dataclass(slots=True)
class ClassEnrollment:
    sid: str
    line: int
    deleted: bool
    klass: str
    school: str
    user: str
    role: str
    begin: dt.date | None
    end: dt.date | None


@dataclass(slots=True)
class Demographic:
    sid: str
    line: int
    deleted: bool
    modified: dt.datetime | None
    fields: dict


class RosterFileReader:
    """Reads the roster's files into plain records (and rejects bad rows); no database query."""

    def __init__(self, district: District, source: Source, *, today: dt.date | None, actor: User | None):
        self.district = district
        self.source = source
        self.actor_id = getattr(actor, "pk", None)
        self.today = today or timezone.localdate(timezone=ZoneInfo(district.timezone))
        self.now = timezone.now()
        self.plan = RosterPlan(district, source.label)
        self.orgs: dict[str, Org] = {}
        self.sessions: dict[str, Session] = {}
        self.people: dict[str, Person] = {}
        self.classes: dict[str, Klass] = {}
        self.enrollments: dict[str, ClassEnrollment] = {}
        self.demographics: dict[str, Demographic] = {}
        self.rejected: dict[str, dict[str, tuple[str, int]]] = defaultdict(dict)  # file -> sid -> (file, line)
        self.deleted: dict[str, set[str]] = defaultdict(set)  # file -> sids marked tobedeleted
        self._seen: dict[str, dict[str, tuple]] = defaultdict(dict)  # file -> sid -> (line, fingerprint, modified)
        self.enrollment_rejected_users: set[str] = set()  # nothing of theirs is ended for want of a rejected row
        self.users_columns: set[str] = set()
        self.exited: set[int] = set()
        self.stale: set[str] = set()

    # --- errors ---------------------------------------------------------------------------------

    def reject(self, file_key: str, sid: str, file: str, line: int, column: str, reason: str, entity: str) -> None:
        self.plan.errors.add(file, line, column, reason, entity=entity)
        if sid:
            self.rejected[file_key].setdefault(sid, (file, line))

    def reject_row(self, file_key: str, sid: str, row: Row, entity: str) -> None:
        self.plan.errors.add_row(row, entity=entity)
        if sid:
            self.rejected[file_key].setdefault(sid, (row.file, row.line))

    def _rejected_text(self, file_key: str, sid: str) -> str | None:
        found = self.rejected[file_key].get(sid)
        return f"{sid} was rejected ({found[0]} line {found[1]})" if found else None

    def _mode(self, key: str) -> str:
        return self.plan.modes.get(key, "absent")

    # --- manifest and files -----------------------------------------------------------------------

    def read(self) -> None:
        self._read_manifest()
        if self.plan.refused_whole:
            return
        for key, handler in (
            ("orgs", self._org),
            ("academicSessions", self._session),
            ("users", self._person),
            ("roles", self._role),
            ("classes", self._class),
            ("enrollments", self._enrollment),
            ("demographics", self._demographic),
        ):
            self._read_file(key, handler)
        if not self.plan.refused_whole and self._mode("users") != "absent":
            self._drop_people_without_roles()

    def _read_manifest(self) -> None:
        plan = self.plan
        found = self.source.find("manifest.csv")
        if found is None:
            names = ", ".join(self.source.names()[:10]) or "nothing"
            plan.file_errors.append(
                RowError(
                    self.source.label,
                    None,
                    "",
                    "manifest.csv is missing: a OneRoster roster is a folder or zip holding manifest.csv and the CSV "
                    f"files it names (found: {names})",
                )
            )
            return
        name, opener = found
        properties: dict[str, tuple[str, int]] = {}
        try:
            with open_csv(opener, name=name, columns=COLUMNS["manifest"]) as table:
                plan.encodings[name] = table.encoding
                for row in table:
                    properties[row.raw("propertyName").lower()] = (row.raw("value"), row.line)
        except ImportFileError as error:
            plan.file_errors.extend(error.errors)
            return
        version, line = properties.get("oneroster.version", ("", None))
        if version and version not in VERSIONS:
            plan.file_errors.append(
                RowError(name, line, "value", f"OneRoster version {version!r} is not supported (1.0, 1.1 or 1.2)")
            )
            return
        modes = {}
        for file_key in FILES:
            value, line = properties.get(f"file.{file_key.lower()}", ("", None))
            mode = value.strip().lower() or "absent"  # blank values occur in the wild: absent
            if mode not in MODES:
                plan.file_errors.append(
                    RowError(name, line, "value", f"file.{file_key} is {value!r}: expected bulk, delta or absent")
                )
            modes[file_key] = mode
        if not version:
            version = "1.2" if modes.get("roles") != "absent" else "1.1"
            plan.note("version", f"{name}: no oneroster.version; read as {version}")
        plan.version, plan.modes = version, modes
        if version != "1.2" and modes.get("roles") != "absent":
            plan.note("roles", f"{name}: roles.csv is OneRoster 1.2 but the roster says {version}; read anyway")
        for file_key in FILES:
            if modes.get(file_key) == "absent" and self.source.find(f"{file_key}.csv"):
                plan.note("absent", f"{file_key}.csv is present but the manifest marks it absent: ignored")

    def _read_file(self, key: str, handler) -> None:
        mode = self._mode(key)
        if mode == "absent":
            return
        found = self.source.find(f"{key}.csv")
        if found is None:
            self.plan.file_errors.append(
                RowError(f"{key}.csv", None, "", f"the manifest marks file.{key} {mode} but {key}.csv is missing")
            )
            return
        name, opener = found
        try:
            with open_csv(opener, name=name, columns=COLUMNS[key]) as table:
                self.plan.encodings[name] = table.encoding
                for raw, canonical in table.renamed:
                    if raw.lower() != canonical.lower():
                        self.plan.note("renamed", f"{name}: column {raw!r} read as {canonical}")
                if table.ignored:
                    self.plan.note("ignored", f"{name}: columns not used: {', '.join(table.ignored)}")
                if key == "users":
                    self.users_columns = table.columns
                    if "role" not in table.columns and self.plan.version != "1.2":
                        raise ImportFileError(
                            name, f"OneRoster {self.plan.version} users.csv needs a role column", line=1, column="role"
                        )
                    if "role" not in table.columns and self._mode("roles") == "absent":
                        raise ImportFileError(
                            name,
                            "OneRoster 1.2 keeps roles in roles.csv, but the manifest marks file.roles absent",
                            line=1,
                            column="role",
                        )
                if key == "demographics" and not {"sourcedId", "userSourcedId"} & table.columns:
                    raise ImportFileError(
                        name,
                        "this required column is missing from the header (OneRoster 1.0 calls it userSourcedId)",
                        line=1,
                        column="sourcedId",
                    )
                if key == "demographics" and "sourcedId" not in table.columns:
                    self.plan.note("renamed", f"{name}: column 'userSourcedId' read as sourcedId (OneRoster 1.0)")
                for row in table:
                    handler(row, mode)
        except ImportFileError as error:
            self.plan.file_errors.extend(error.errors)

    def _status(self, row: Row) -> tuple[bool, dt.datetime | None]:
        """(deleted, dateLastModified). Bulk files should leave both blank; many fill
        them in, so both are read in either mode. `inactive` is OneRoster 1.0's tobedeleted."""
        status = row.raw("status").lower()
        deleted = status in ("tobedeleted", "inactive")
        if status not in ("", "active") and not deleted:
            row.reject("status", f"{row.raw('status')!r} is not active or tobedeleted")
        return deleted, row.datetime("dateLastModified")

    def _first(self, key: str, sid: str, row: Row, modified: dt.datetime | None, mode: str, entity: str) -> bool:
        """Whether to use this row. A repeated sourcedId: an identical row is skipped;
        in a delta the newer row wins; otherwise the later row is rejected."""
        seen = self._seen[key].get(sid)
        values = hash(row.values())  # a fingerprint, not the row: memory stays one int per row
        if seen is None:
            self._seen[key][sid] = (row.line, values, modified)
            return True
        line, previous, previous_modified = seen
        if values == previous:
            self.plan.note("duplicate", f"{row.file} line {row.line} repeats line {line}; skipped")
            return False
        if mode == "delta" and modified and previous_modified:
            if modified >= previous_modified:
                self._seen[key][sid] = (row.line, values, modified)
                return True
            return False
        self.plan.errors.add(
            row.file, row.line, "sourcedId", f"{sid} is also on line {line}, with other values", entity=entity
        )
        return False

    def _org(self, row: Row, mode: str) -> None:
        sid = row.text("sourcedId", required=True)
        deleted, modified = self._status(row)
        org_type = row.text("type", required=True).lower()
        if org_type and org_type not in {SCHOOL_ORG, DEPARTMENT_ORG, *ADMIN_ORGS}:
            row.reject(
                "type", f"{row.raw('type')!r} is not an org type (school, department, district, local, state, national)"
            )
        org = Org(
            sid,
            row.line,
            deleted,
            row.text("name", required=True, max_length=200),
            org_type,
            row.text("identifier"),
            row.text("parentSourcedId"),
        )
        if not self._first("orgs", sid, row, modified, mode, "schools"):
            return
        if row.problems:
            self.reject_row("orgs", sid, row, "schools")
            return
        if deleted:
            self.deleted["orgs"].add(sid)
        self.orgs[sid] = org

    def _session(self, row: Row, mode: str) -> None:
        sid = row.text("sourcedId", required=True)
        deleted, modified = self._status(row)
        start, end = row.date("startDate", required=True), row.date("endDate", required=True)
        year_text = row.text("schoolYear")
        year = None
        if year_text:
            if year_text.isdigit() and len(year_text) == 4:
                year = int(year_text)
            else:
                row.reject("schoolYear", f"{year_text!r} is not a year (YYYY, the year the school year ends)")
        session_type = row.text("type", required=True).lower()
        if start and end and start >= end and session_type == "schoolyear" and not deleted:
            row.reject("endDate", f"the school year ends ({end}) before it starts ({start})")
        if not self._first("academicSessions", sid, row, modified, mode, "school_years"):
            return
        if row.problems:
            self.reject_row("academicSessions", sid, row, "school_years")
            return
        self.sessions[sid] = Session(
            sid, row.line, deleted, session_type, start, end, row.text("parentSourcedId"), year
        )

    def _person(self, row: Row, mode: str) -> None:
        sid = row.text("sourcedId", required=True)
        deleted, modified = self._status(row)
        enabled = row.boolean("enabledUser")
        email = row.text("email", max_length=254)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                row.reject("email", f"{email!r} is not an e-mail address")
        grade = None
        grades = row.items("grades")
        if grades:
            code = grades[0].upper()
            if code in GRADES:
                grade = GRADES[code]
            elif code not in NO_GRADE:
                row.reject("grades", f"{grades[0]!r} is not a grade code (PK, KG, 01-12...)")
        person = Person(
            sid=sid,
            line=row.line,
            deleted=deleted,
            modified=modified,
            enabled=enabled is not False,
            username=row.text("username", max_length=150),
            given=row.text("givenName", required=True, max_length=100),
            family=row.text("familyName", required=True, max_length=100),
            middle=row.text("middleName", max_length=100),
            preferred=row.text("preferredGivenName", max_length=100),
            identifier=row.text("identifier"),
            email=email,
            phone=(row.text("phone") or row.text("sms"))[:40],
            agents=row.items("agentSourcedIds"),
            grade=grade,
            state_id=_state_id(row.items("userIds")),
            primary_org=row.text("primaryOrgSourcedId"),
        )
        role = row.text("role").lower()
        if role:
            if _role_kind(role) is None:
                row.reject("role", f"{row.raw('role')!r} is not a OneRoster role")
            person.roles.append(RoleRec(role, row.items("orgSourcedIds"), True, row.file, row.line, "orgSourcedIds"))
        elif self.plan.version != "1.2":
            row.reject("role", "a value is required")
        entity = _entity_of_roles(person.roles)
        if not self._first("users", sid, row, modified, mode, entity):
            return
        if row.problems:
            self.reject_row("users", sid, row, entity)
            return
        if deleted:
            self.deleted["users"].add(sid)
        self.people[sid] = person

    def _role(self, row: Row, mode: str) -> None:
        """OneRoster 1.2 roles.csv: one row per user, role and org."""
        deleted, _ = self._status(row)
        user = row.text("userSourcedId", required=True)
        role = row.text("role", required=True).lower()
        if role and _role_kind(role) is None:
            row.reject("role", f"{row.raw('role')!r} is not a OneRoster role")
        org = row.text("orgSourcedId", required=True)
        row.date("beginDate")  # validated, not used: see README.md, "Roster import"
        row.date("endDate")
        role_type = row.text("roleType").lower()
        if role_type and role_type not in ("primary", "secondary"):
            row.reject("roleType", f"{row.raw('roleType')!r} is not primary or secondary")
        entity = _role_kind(role) or ""
        if user and not row.problems and user not in self.people and user not in self.rejected["users"]:
            row.reject("userSourcedId", f"{user} is not in users.csv")
        if row.problems:
            self.reject_row("users", user, row, entity)  # a user with a bad role row is rejected whole
            return
        if deleted or user in self.rejected["users"]:
            return
        self.people[user].roles.append(
            RoleRec(role, [org], role_type != "secondary", row.file, row.line, "orgSourcedId")
        )

    def _drop_people_without_roles(self) -> None:
        for sid, person in list(self.people.items()):
            if sid in self.rejected["users"]:
                del self.people[sid]
            elif not person.roles and not person.deleted:
                self.reject(
                    "users", sid, "users.csv", person.line, "role", "the user has no role (none in roles.csv)", ""
                )
                del self.people[sid]

    def _class(self, row: Row, mode: str) -> None:
        sid = row.text("sourcedId", required=True)
        deleted, modified = self._status(row)
        klass = Klass(sid, row.line, deleted, row.text("schoolSourcedId", required=True), row.items("termSourcedIds"))
        if not self._first("classes", sid, row, modified, mode, "enrollments"):
            return
        if row.problems:
            self.reject_row("classes", sid, row, "enrollments")
            return
        self.classes[sid] = klass

    def _enrollment(self, row: Row, mode: str) -> None:
        sid = row.text("sourcedId", required=True)
        deleted, modified = self._status(row)
        role = row.text("role", required=True).lower()
        if role and _role_kind(role) is None:
            row.reject("role", f"{row.raw('role')!r} is not a OneRoster role")
        enrollment = ClassEnrollment(
            sid,
            row.line,
            deleted,
            row.text("classSourcedId", required=True),
            row.text("schoolSourcedId", required=True),
            row.text("userSourcedId", required=True),
            role,
            row.date("beginDate"),
            row.date("endDate"),
        )
        row.boolean("primary")
        if enrollment.begin and enrollment.end and enrollment.end < enrollment.begin:
            row.reject("endDate", f"the enrolment ends ({enrollment.end}) before it begins ({enrollment.begin})")
        entity = "grants" if role == "teacher" else "enrollments"
        if not self._first("enrollments", sid, row, modified, mode, entity):
            return
        if row.problems:
            self.reject_row("enrollments", sid, row, entity)
            self.enrollment_rejected_users.add(row.raw("userSourcedId"))
            return
        self.enrollments[sid] = enrollment

    def _demographic(self, row: Row, mode: str) -> None:
        sid = row.text("sourcedId" if row.has("sourcedId") else "userSourcedId", required=True)
        deleted, modified = self._status(row)
        fields = {}
        birth = row.date("birthDate")
        if birth:
            if birth > self.today:
                row.reject("birthDate", f"{birth} is in the future")
            fields["birth_date"] = birth
        sex = row.text("sex").lower()
        if sex:
            if sex in SEX:
                fields["gender"] = SEX[sex]
            else:
                row.reject("sex", f"{row.raw('sex')!r} is not male, female, other or unspecified")
        flags = [*RACE_COLUMNS, "demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity"]
        if any(row.has(c) for c in flags):
            races = [RACE_COLUMNS[c] for c in RACE_COLUMNS if row.boolean(c)]
            if row.boolean("hispanicOrLatinoEthnicity"):
                fields["race_ethnicity"] = RaceEthnicity.HISPANIC  # federal reporting: ethnicity first
            elif row.boolean("demographicRaceTwoOrMoreRaces") or len(races) > 1:
                fields["race_ethnicity"] = RaceEthnicity.TWO_OR_MORE
            else:
                fields["race_ethnicity"] = races[0] if races else RaceEthnicity.UNKNOWN
        for key in SUBGROUP_COLUMNS:
            value = row.boolean(key)  # blank: the roster does not say, the record keeps its value
            if value is not None:
                fields[key] = value
        if not self._first("demographics", sid, row, modified, mode, "students"):
            return
        if row.problems:
            self.reject_row("demographics", sid, row, "students")
            return
        self.demographics[sid] = Demographic(sid, row.line, deleted, modified, fields)

    # --- planning -------------------------------------------------------------------------------


def _role_kind(role: str) -> str | None:
    if role == STUDENT_ROLE:
        return "students"
    if role in STAFF_ROLES:
        return "staff"
    if role in CONTACT_ROLES:
        return "guardians"
    return None


def _entity_of_roles(roles: list[RoleRec]) -> str:
    kinds = {_role_kind(r.role) for r in roles}
    return next((kind for kind in ("students", "staff", "guardians") if kind in kinds), "")


def _state_id(user_ids: list[str]) -> str:
    """`userIds` like `{state:123456}`: the state student id, when the type says so."""
    for item in user_ids:
        kind, _, value = item.strip("{} ").partition(":")
        if kind.strip().lower() in ("state", "stateid", "ssid", "sasid", "statestudentid") and value.strip():
            return value.strip()
    return ""
