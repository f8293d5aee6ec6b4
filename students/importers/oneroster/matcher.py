"""Matches the records read (reader.py) to what the district already has, one query per kind of
record, and plans the changes (plan.py). Writes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

from django.contrib.auth.hashers import make_password
from django.db.models.functions import Lower
from django.utils.text import slugify

from mtss.models import Membership, MembershipSchool, Role, School, SchoolYear, User
from students.importers.oneroster.reader import (
    ADMIN_ORGS,
    CONTACT_ROLES,
    DEPARTMENT_ORG,
    KEPT_ROLES,
    PLACEHOLDER_BIRTH_DATE,
    PLACEHOLDER_EMAIL_DOMAIN,
    REFINES,
    SCHOOL_ORG,
    STAFF_ROLES,
    STUDENT_ROLE,
    SUBGROUP_COLUMNS,
    UNMATCHED_LIMIT,
    ClassEnrollment,
    Klass,
    Org,
    Person,
    RoleRec,
    RosterFileReader,
    Session,
    _entity_of_roles,
)
from students.models import Enrollment, Guardian, Student, StudentUserObjectPermission


class RosterMatcher(RosterFileReader):
    """Matches the records read to what the district has (one query per kind) and plans the changes."""

    def build(self) -> None:
        self._load()
        self._plan_schools()
        self._plan_years()
        self._check_classes()
        self._classify_people()
        self._plan_staff()
        self._plan_students()
        self._plan_enrollments()
        self._finish_schools_and_students()
        self._plan_guardians()
        self._plan_exits()
        self._plan_enrollment_rows()
        self._plan_grants()
        self._list_unmatched()

    def _load(self) -> None:
        """What the district has: one query per kind of record."""
        d = self.district
        self.db_schools = list(
            School.objects.filter(district=d).values("id", "sourced_id", "code", "name", "grade_low", "grade_high")
        )
        self.db_years = list(
            SchoolYear.objects.filter(district=d).values("id", "sourced_id", "name", "start_date", "end_date")
        )
        self.db_students = list(
            Student.objects.filter(district=d).values(
                "id",
                "sourced_id",
                "local_id",
                "state_id",
                "school_id",
                "first_name",
                "middle_name",
                "last_name",
                "preferred_name",
                "birth_date",
                "grade",
                "gender",
                "race_ethnicity",
                "entry_date",
                "exit_date",
                "updated_at",
                *SUBGROUP_COLUMNS,
            )
        )
        self.db_memberships = list(
            Membership.objects.filter(district=d).values("id", "user_id", "role", "is_active", "sourced_id")
        )
        self.db_membership_schools = list(
            MembershipSchool.objects.filter(district=d).values("id", "membership_id", "school_id")
        )
        self.db_guardians = list(
            Guardian.objects.filter(district=d).values(
                "id",
                "sourced_id",
                "student_id",
                "first_name",
                "last_name",
                "relationship",
                "email",
                "phone",
                "receives_notices",
                "notices_paused_by_roster",
            )
        )
        self.db_enrollments = list(
            Enrollment.objects.filter(district=d, student__sourced_id__gt="").values(
                "id", "student_id", "school_id", "school_year_id", "grade", "start_date", "end_date"
            )
        )
        self.student_by_sid = {s["sourced_id"]: s for s in self.db_students if s["sourced_id"]}
        self.student_by_pk = {s["id"]: s for s in self.db_students}
        self.membership_by_sid = {m["sourced_id"]: m for m in self.db_memberships if m["sourced_id"]}
        self.plan.student_ids.update({sid: s["id"] for sid, s in self.student_by_sid.items()})
        self.plan.user_ids.update({sid: m["user_id"] for sid, m in self.membership_by_sid.items()})

    def _covered_school_ids(self) -> set[int]:
        """The schools bulk files speak for: those in orgs.csv and those their rows name."""
        keys = {key for key in self.org_school.values() if key} | self.referenced_schools
        return {self.plan.school_ids[k] for k in keys if k in self.plan.school_ids}

    def _covered_school_keys(self) -> set[str]:
        return {key for key in self.org_school.values() if key} | self.referenced_schools

    # Schools ----------------------------------------------------------------------------------

    def _plan_schools(self) -> None:
        plan = self.plan
        self.school_by_sid = {s["sourced_id"]: s for s in self.db_schools if s["sourced_id"]}
        by_code = {s["code"]: s for s in self.db_schools}
        self.school_key_of_pk = {s["id"]: (s["sourced_id"] or f"id:{s['id']}") for s in self.db_schools}
        plan.school_ids.update({key: pk for pk, key in self.school_key_of_pk.items()})
        self.org_school: dict[str, str | None] = {}  # org sid -> school key; None for district-level orgs
        self.referenced_schools: set[str] = set()
        candidates: list[Org] = []
        districts = []
        for org in sorted(self.orgs.values(), key=lambda o: o.line):
            if org.deleted:
                plan.note(
                    "org-deleted",
                    f"orgs.csv line {org.line}: {org.sid} is tobedeleted; an import never deletes a school",
                )
            elif org.type == SCHOOL_ORG:
                candidates.append(org)
            elif org.type in ADMIN_ORGS:
                self.org_school[org.sid] = None
                if org.type == "district":
                    districts.append(org)
        for org in sorted(self.orgs.values(), key=lambda o: o.line):
            if org.type != DEPARTMENT_ORG or org.deleted:
                continue
            parent = self.orgs.get(org.parent)
            if parent is not None and parent.type == SCHOOL_ORG and not parent.deleted:
                self.org_school[org.sid] = parent.sid
            elif org.parent in self.school_by_sid:
                self.org_school[org.sid] = org.parent
            else:
                plan.note(
                    "department",
                    f"orgs.csv line {org.line}: {org.sid} is a department with no school above "
                    "it in the roster or the district; it is imported as a school",
                )
                candidates.append(org)
        # The district org is not imported, but it must be one, and should be this district.
        for org in districts[1:]:
            self.reject(
                "orgs",
                org.sid,
                "orgs.csv",
                org.line,
                "type",
                f"a roster covers one district and {districts[0].sid} (line {districts[0].line}) is "
                "already its district",
                "schools",
            )
        if districts and districts[0].name.strip().lower() != self.district.name.strip().lower():
            plan.note(
                "district-name",
                f"orgs.csv line {districts[0].line}: the roster's district is "
                f"{districts[0].name!r} and this district is {self.district.name!r}; check "
                "that the roster belongs here",
            )

        codes: dict[str, Org] = {}
        adopted: set[int] = set()
        self.school_desired: dict[str, dict] = {}
        for org in sorted(candidates, key=lambda o: o.line):

            def reject(reason, org=org):
                self.reject("orgs", org.sid, "orgs.csv", org.line, "identifier", reason, "schools")

            if len(org.identifier) > 40:
                reject("longer than 40 characters")
                continue
            code = org.identifier or _fit(org.sid, 40)
            if code in codes:
                reject(f"school code {code!r} is also on line {codes[code].line}")
                continue
            existing = self.school_by_sid.get(org.sid)
            holder = by_code.get(code)
            if existing is None and holder is not None:
                if holder["sourced_id"] or holder["id"] in adopted:
                    reject(f"school code {code!r} already belongs to another school")
                    continue
                existing = holder  # a school entered by hand: adopt it
                adopted.add(holder["id"])
            elif existing is not None and holder is not None and holder["id"] != existing["id"]:
                reject(f"school code {code!r} already belongs to another school")
                continue
            codes[code] = org
            self.org_school[org.sid] = org.sid
            self.school_desired[org.sid] = {"existing": existing, "name": org.name, "code": code}
            if existing is not None:
                plan.school_ids.pop(self.school_key_of_pk[existing["id"]], None)
                self.school_key_of_pk[existing["id"]] = org.sid
                plan.school_ids[org.sid] = existing["id"]

    def school_of_org(self, org_sid: str) -> tuple[str | None, str | None]:
        """(school key, problem). (None, None) is a district-level org: no school, no error."""
        if org_sid in self.org_school:
            key = self.org_school[org_sid]
            if key and key not in self.school_desired and key not in self.school_by_sid:
                return None, f"org {org_sid} belongs to school {self._rejected_text('orgs', key) or key}"
            return key, None
        rejected = self._rejected_text("orgs", org_sid)
        if rejected:
            return None, f"org {rejected}"
        if org_sid in self.school_by_sid:
            return org_sid, None
        if org_sid in self.orgs:
            return None, f"org {org_sid} is tobedeleted"
        return None, f"org {org_sid} is not in orgs.csv nor a school of this district"

    # School years -----------------------------------------------------------------------------

    def _plan_years(self) -> None:
        plan = self.plan
        by_sid = {y["sourced_id"]: y for y in self.db_years if y["sourced_id"]}
        by_name = {y["name"]: y for y in self.db_years}
        plan.year_ids.update({y["name"]: y["id"] for y in self.db_years})
        self.year_dates = {y["name"]: (y["start_date"], y["end_date"]) for y in self.db_years}
        wanted: dict[str, Session] = {}
        for session in sorted(self.sessions.values(), key=lambda s: s.line):
            if session.type != "schoolyear" or session.deleted:
                continue
            name = _year_name(session)
            if name in wanted:
                self.reject(
                    "academicSessions",
                    session.sid,
                    "academicSessions.csv",
                    session.line,
                    "schoolYear",
                    f"school year {name} is also on line {wanted[name].line}",
                    "school_years",
                )
                continue
            wanted[name] = session
        self.file_year_names = set(wanted)
        # Terms may name a year the roster has no schoolYear session for: it spans them.
        spans = defaultdict(list)
        for session in self.sessions.values():
            name = self._session_year(session.sid)
            if name and name not in wanted and name not in by_name:
                spans[name].append(session)
        for name, sessions in sorted(spans.items()):
            start, end = min(s.start for s in sessions), max(s.end for s in sessions)
            if start < end:
                wanted[name] = Session("", min(s.line for s in sessions), False, "schoolyear", start, end, "", None)
                plan.note(
                    "derived-year",
                    f"academicSessions.csv: no schoolYear session for {name}; it spans its terms, {start} to {end}",
                )
        years = plan.plans["school_years"]
        for name, session in wanted.items():
            existing = by_sid.get(session.sid) if session.sid else None
            if existing is None:
                existing = by_name.get(name)
                if existing is not None and existing["sourced_id"] and existing["sourced_id"] != session.sid:
                    self.reject(
                        "academicSessions",
                        session.sid,
                        "academicSessions.csv",
                        session.line,
                        "sourcedId",
                        f"school year {name} already exists with sourcedId {existing['sourced_id']}",
                        "school_years",
                    )
                    continue
            elif existing["name"] != name and name in by_name:
                self.reject(
                    "academicSessions",
                    session.sid,
                    "academicSessions.csv",
                    session.line,
                    "schoolYear",
                    f"school year {name} already exists",
                    "school_years",
                )
                continue
            values = {
                "name": name,
                "start_date": session.start,
                "end_date": session.end,
                "sourced_id": session.sid or (existing or {}).get("sourced_id", ""),
            }
            self.year_dates[name] = (session.start, session.end)
            if existing is None:
                years.create.append(values)
            else:
                years.changed(existing["id"], values, _diff(existing, values))
                if existing["name"] != name:
                    plan.year_ids.pop(existing["name"], None)
                    self.year_dates.pop(existing["name"], None)
                plan.year_ids[name] = existing["id"]
        self.known_years = set(plan.year_ids) | {v["name"] for v in years.create}

    def _check_classes(self) -> None:
        """A class must be at a known school; in a bulk sessions file, its terms must be there too."""
        bulk_sessions = self._mode("academicSessions") == "bulk"
        for klass in sorted(self.classes.values(), key=lambda k: k.line):

            def reject(column, reason, klass=klass):
                self.reject("classes", klass.sid, "classes.csv", klass.line, column, reason, "enrollments")
                del self.classes[klass.sid]

            if klass.deleted:
                continue
            school, problem = self.school_of_org(klass.school)
            if problem or school is None:
                reject("schoolSourcedId", problem or f"org {klass.school} is not a school")
                continue
            unknown = [t for t in klass.terms if t not in self.sessions]
            if unknown and (bulk_sessions or self._rejected_text("academicSessions", unknown[0])):
                rejected = self._rejected_text("academicSessions", unknown[0])
                reject(
                    "termSourcedIds",
                    f"term {rejected}" if rejected else f"term {unknown[0]} is not in academicSessions.csv",
                )

    def _session_year(self, sid: str, depth: int = 0) -> str | None:
        session = self.sessions.get(sid)
        if session is None or depth > 5:
            return None
        if session.year:
            return f"{session.year - 1}-{session.year}"
        if session.type == "schoolyear":
            return _year_name(session)
        return self._session_year(session.parent, depth + 1)

    def _year_for_date(self, day: dt.date | None) -> str | None:
        if day is not None:
            for name, (start, end) in sorted(self.year_dates.items()):
                if start <= day <= end:
                    return name
        return None

    def _default_year(self) -> str | None:
        """The roster's own school year when it has exactly one, else the year containing today."""
        if len(self.file_year_names) == 1:
            return next(iter(self.file_year_names))
        return self._year_for_date(self.today)

    # People -----------------------------------------------------------------------------------

    def _classify_people(self) -> None:
        """Split users into students, staff and contacts, checking their orgs and links."""
        plan = self.plan
        self.students_in_file: dict[str, tuple[Person, str]] = {}  # sid -> (person, school key)
        self.staff_in_file: dict[str, tuple[Person, str, set[str]]] = {}  # sid -> (person, role, school keys)
        self.contacts_in_file: dict[str, tuple[Person, str]] = {}  # sid -> (person, relationship)
        known = (
            set(self.people)
            | set(self.rejected["users"])
            | set(self.student_by_sid)
            | set(self.membership_by_sid)
            | {g["sourced_id"] for g in self.db_guardians if g["sourced_id"]}
        )
        for person in sorted(self.people.values(), key=lambda p: p.line):
            if person.deleted:
                continue
            entity = _entity_of_roles(person.roles)
            unknown = [a for a in person.agents if a not in known]
            if unknown:
                self.reject(
                    "users",
                    person.sid,
                    "users.csv",
                    person.line,
                    "agentSourcedIds",
                    f"{unknown[0]} is not a user in users.csv nor in this district",
                    entity,
                )
                continue
            kinds = {r.role for r in person.roles}
            staff_roles = [r for r in person.roles if r.role in STAFF_ROLES]
            contact_roles = [r for r in person.roles if r.role in CONTACT_ROLES]
            if STUDENT_ROLE in kinds:
                if staff_roles or contact_roles:
                    plan.note(
                        "student-staff",
                        f"users.csv line {person.line}: {person.sid} is a student and "
                        f"{', '.join(sorted(kinds - {STUDENT_ROLE}))}; only the student is "
                        "imported (a student gets no staff access)",
                    )
                self._classify_student(person)
                continue
            if staff_roles:
                self._classify_staff(person, staff_roles)
            if contact_roles and person.sid not in self.rejected["users"]:
                self.contacts_in_file[person.sid] = (person, CONTACT_ROLES[contact_roles[0].role])

    def _classify_student(self, person: Person) -> None:
        roles = [r for r in person.roles if r.role == STUDENT_ROLE]
        checks = [(org, r.file, r.line, r.org_column) for r in roles for org in r.orgs]
        if person.primary_org:
            checks.insert(0, (person.primary_org, "users.csv", person.line, "primaryOrgSourcedId"))
        school = None
        bad = False
        for org, file, line, column in checks:
            key, problem = self.school_of_org(org)
            if problem:
                self.reject("users", person.sid, file, line, column, problem, "students")
                bad = True
            elif key and school is None:
                school = key
        if bad:
            return
        if school is None:
            self.reject(
                "users",
                person.sid,
                roles[0].file,
                roles[0].line,
                roles[0].org_column,
                "none of the student's orgs is a school",
                "students",
            )
            return
        self.referenced_schools.add(school)
        self.students_in_file[person.sid] = (person, school)

    def _classify_staff(self, person: Person, staff_roles: list[RoleRec]) -> None:
        primary = next((r for r in staff_roles if r.primary), staff_roles[0])
        role = STAFF_ROLES[primary.role]
        schools: set[str] = set()
        bad = False
        for rec in staff_roles:
            for org in rec.orgs:
                key, problem = self.school_of_org(org)
                if problem:
                    self.reject("users", person.sid, rec.file, rec.line, rec.org_column, problem, "staff")
                    bad = True
                elif key and STAFF_ROLES[rec.role] == role:
                    schools.add(key)
        if bad:
            return
        others = sorted({r.role for r in staff_roles if STAFF_ROLES[r.role] != role})
        if others:
            self.plan.note(
                "several-roles",
                f"users.csv line {person.line}: {person.sid} is {primary.role} and "
                f"{', '.join(others)}; the membership is {role} (its primary role)",
            )
        if primary.role in ("districtadministrator", "systemadministrator"):
            self.plan.note(
                "district-admin",
                f"users.csv line {person.line}: {person.sid} is a {primary.role}; "
                "imported read only (district administration is granted by hand)",
            )
        self.referenced_schools |= schools
        self.staff_in_file[person.sid] = (person, role, schools)

    def _plan_staff(self) -> None:
        plan = self.plan
        d = self.district
        staff = plan.plans["staff"]
        by_user = {m["user_id"]: m for m in self.db_memberships}
        schools_of: dict[int, dict[int, int]] = defaultdict(dict)  # membership -> school id -> link id
        for link in self.db_membership_schools:
            schools_of[link["membership_id"]][link["school_id"]] = link["id"]
        people = [p for p, _, _ in self.staff_in_file.values()]
        emails = {p.email.lower() for p in people if p.email}
        accounts = {}
        if emails:
            accounts = {
                u["email_lower"]: u["id"]
                for u in User.objects.annotate(email_lower=Lower("email"))
                .filter(email_lower__in=emails)
                .values("id", "email_lower")
            }
        wanted = set()
        for p in people:
            base = p.username or _fit(p.sid, 150)
            wanted |= {base, _fit(f"{base}.{d.slug}", 150)}
        taken = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
        emails_seen: dict[str, int] = {}
        self.staff_planned: set[str] = set()
        for sid, (person, role, schools) in self.staff_in_file.items():

            def reject(column, reason, sid=sid, person=person):
                self.reject("users", sid, "users.csv", person.line, column, reason, "staff")

            email = person.email.lower()
            if email in emails_seen:
                reject("email", f"{person.email} is also the e-mail of line {emails_seen[email]}")
                continue
            if email:
                emails_seen[email] = person.line
            membership = self.membership_by_sid.get(sid)
            user_id = membership["user_id"] if membership else accounts.get(email)
            if membership is None and user_id is not None:
                membership = by_user.get(user_id)  # a member entered by hand, found by e-mail: adopt
                if membership is not None and membership["sourced_id"]:
                    reject("email", f"{person.email} belongs to roster staff member {membership['sourced_id']}")
                    continue
            if user_id is None:
                username = person.username or _fit(sid, 150)
                if username in taken:
                    username = _fit(f"{username}.{d.slug}", 150)
                    if username in taken:
                        reject("username", f"the username {person.username or sid!r} is taken")
                        continue
                taken.add(username)
                plan.new_users.append(
                    {
                        "sid": sid,
                        "username": username,
                        "first_name": person.given[:150],
                        "last_name": person.family[:150],
                        "password": make_password(None),
                        "email": person.email or f"{slugify(sid)[:60] or 'staff'}.{d.slug}@{PLACEHOLDER_EMAIL_DOMAIN}",
                    }
                )
            else:
                plan.user_ids[sid] = user_id
            self.staff_planned.add(sid)
            if membership is None:
                staff.create.append({"sourced_id": sid, "role": role, "is_active": person.enabled})
                current = {}
            else:
                keep_active = membership["is_active"] and self._protected(membership)
                values = {
                    "role": membership["role"] if membership["role"] in KEPT_ROLES else role,
                    "is_active": person.enabled or keep_active,
                    "sourced_id": sid,
                }
                current = {self.school_key_of_pk.get(pk): link for pk, link in schools_of[membership["id"]].items()}
                staff.changed(membership["id"], values, _diff(membership, values), force=schools != set(current))
            plan.membership_schools_add.extend((sid, key) for key in sorted(schools - set(current)))
            plan.membership_schools_remove.extend(link for key, link in current.items() if key not in schools)
        # Deactivate: tobedeleted staff; in a bulk users file, roster staff it no longer lists.
        mode = self._mode("users")
        gone = set(self.deleted["users"])
        if mode == "bulk":
            gone |= set(self.membership_by_sid) - set(self.staff_in_file)
        gone -= set(self.rejected["users"]) | self.staff_planned
        covered = self._covered_school_ids()
        for sid in sorted(gone):
            membership = self.membership_by_sid.get(sid)
            if membership is None or not membership["is_active"]:
                continue
            theirs = set(schools_of[membership["id"]])
            if sid not in self.deleted["users"] and theirs and not theirs & covered:
                continue  # staff of schools this roster does not cover
            if self._protected(membership):
                plan.note(
                    "protected",
                    f"staff member {sid} is gone from the roster but is a district administrator "
                    "or the person importing; left active",
                )
                continue
            staff.deactivated(membership["id"], {"is_active": False})

    def _protected(self, membership: dict) -> bool:
        return membership["role"] == Role.DISTRICT_ADMIN or membership["user_id"] == self.actor_id

    def _is_stale(self, modified: dt.datetime | None, existing: dict | None) -> bool:
        """Delta files: a row older than the stored record does not overwrite it. The
        stored time is Student.updated_at (any change, by a roster or by hand)."""
        return bool(modified and existing and modified < existing["updated_at"])

    def _plan_students(self) -> None:
        plan = self.plan
        by_local = {s["local_id"]: s for s in self.db_students}
        local_in_file: dict[str, int] = {}
        self.student_desired: dict[str, dict] = {}  # sid -> fields the roster sets (school as a key)
        self.student_existing: dict[str, dict | None] = {}
        delta = self._mode("users") == "delta"
        for sid, (person, school) in self.students_in_file.items():

            def reject(column, reason, sid=sid, person=person):
                self.reject("users", sid, "users.csv", person.line, column, reason, "students")

            if len(person.identifier) > 40:
                reject("identifier", "longer than 40 characters")
                continue
            local_id = person.identifier or _fit(sid, 40)
            if local_id in local_in_file:
                reject("identifier", f"local id {local_id!r} is also on line {local_in_file[local_id]}")
                continue
            existing = self.student_by_sid.get(sid)
            holder = by_local.get(local_id)
            if existing is None and holder is not None:
                if holder["sourced_id"]:
                    reject("identifier", f"local id {local_id!r} belongs to roster student {holder['sourced_id']}")
                    continue
                existing = holder  # a student entered by hand: adopt it
            elif existing is not None and holder is not None and holder["id"] != existing["id"]:
                reject("identifier", f"local id {local_id!r} belongs to another student")
                continue
            local_in_file[local_id] = person.line
            if delta and self._is_stale(person.modified, existing):
                self.stale.add(sid)
                plan.note(
                    "stale",
                    f"users.csv line {person.line}: {sid} changed here after its dateLastModified; not overwritten",
                )
                continue
            values = {
                "sourced_id": sid,
                "local_id": local_id,
                "school": school,
                "first_name": person.given,
                "middle_name": person.middle,
                "last_name": person.family,
            }
            if "preferredGivenName" in self.users_columns:
                values["preferred_name"] = person.preferred
            if person.state_id:
                values["state_id"] = person.state_id[:40]
            if person.grade is not None:
                values["grade"] = person.grade
            demographic = self.demographics.get(sid)
            if demographic is not None and not demographic.deleted:
                values.update(demographic.fields)
            self.student_desired[sid] = values
            self.student_existing[sid] = existing
        # demographics.csv rows of students not in users.csv (a delta, or demographics alone)
        delta_demographics = self._mode("demographics") == "delta"
        for sid, demographic in sorted(self.demographics.items(), key=lambda i: i[1].line):
            if demographic.deleted or sid in self.student_desired or sid in self.stale:
                continue
            if sid in self.people or sid in self.rejected["users"] or sid in self.membership_by_sid:
                continue  # staff and contacts (MTSS keeps no demographics for them), or already reported
            existing = self.student_by_sid.get(sid)
            if existing is not None and self._mode("users") == "bulk":
                continue  # users.csv no longer lists the student: exited below, demographics aside
            if existing is None:
                self.reject(
                    "demographics",
                    sid,
                    "demographics.csv",
                    demographic.line,
                    "sourcedId",
                    f"{sid} is not a student in users.csv nor in this district",
                    "students",
                )
                continue
            if delta_demographics and self._is_stale(demographic.modified, existing):
                continue
            self.student_desired[sid] = {"sourced_id": sid, **demographic.fields}
            self.student_existing[sid] = existing

    def _plan_enrollments(self) -> None:
        """Class enrolments -> (student, school, year) enrolments and teacher -> students grants."""
        plan = self.plan
        students = set(self.student_desired) | set(self.student_by_sid)
        staff = set(self.staff_planned) | set(self.membership_by_sid)
        bulk_classes = self._mode("classes") == "bulk"
        self.student_enrollments: dict[tuple[str, str, str], list[ClassEnrollment]] = defaultdict(list)
        class_students: dict[str, set[str]] = defaultdict(set)
        class_teachers: dict[str, set[str]] = defaultdict(set)
        self.enrolled_years: set[str] = set()
        for enrollment in sorted(self.enrollments.values(), key=lambda e: e.line):
            entity = "grants" if enrollment.role == "teacher" else "enrollments"

            def reject(column, reason, enrollment=enrollment, entity=entity):
                self.reject("enrollments", enrollment.sid, "enrollments.csv", enrollment.line, column, reason, entity)
                self.enrollment_rejected_users.add(enrollment.user)

            school, problem = self.school_of_org(enrollment.school)
            if problem or school is None:
                reject("schoolSourcedId", problem or f"org {enrollment.school} is not a school")
                continue
            klass = self.classes.get(enrollment.klass)
            if klass is None:
                rejected = self._rejected_text("classes", enrollment.klass)
                if rejected or bulk_classes:
                    reject(
                        "classSourcedId",
                        f"class {rejected}" if rejected else f"class {enrollment.klass} is not in classes.csv",
                    )
                    continue
            user = enrollment.user
            if user in self.rejected["users"]:
                reject("userSourcedId", f"user {self._rejected_text('users', user)}")
                continue
            if user not in self.people and user not in students and user not in staff:
                reject("userSourcedId", f"user {user} is not in users.csv nor in this district")
                continue
            if enrollment.deleted or (klass is not None and klass.deleted):
                continue  # a bulk enrolments file then ends what it no longer lists
            if enrollment.role == STUDENT_ROLE:
                if user not in students:
                    plan.note(
                        "not-a-student",
                        f"enrollments.csv line {enrollment.line}: {user} is enrolled as a "
                        "student but is not a student in users.csv; ignored",
                    )
                    continue
                if user in self.stale:
                    continue
                year = self._enrollment_year(klass, enrollment)
                if year is None:
                    reject(
                        "classSourcedId",
                        "cannot tell the school year: the class's terms name none and no school "
                        "year contains the enrolment",
                    )
                    continue
                if year not in self.known_years:
                    reject("classSourcedId", f"school year {year} is not in academicSessions.csv nor in this district")
                    continue
                self.enrolled_years.add(year)
                self.referenced_schools.add(school)
                self.student_enrollments[(user, school, year)].append(enrollment)
                class_students[enrollment.klass].add(user)
            elif enrollment.role == "teacher":
                if user not in staff:
                    plan.note(
                        "not-staff",
                        f"enrollments.csv line {enrollment.line}: {user} teaches a class but is "
                        "not staff in users.csv; ignored",
                    )
                    continue
                class_teachers[enrollment.klass].add(user)
            else:
                plan.note(
                    "other-enrolment",
                    f"enrollments.csv line {enrollment.line}: the role "
                    f"{enrollment.role} gives no access in MTSS; ignored",
                )
        self.wanted_grants: dict[str, set[str]] = defaultdict(set)
        for klass, teachers in class_teachers.items():
            for teacher in teachers:
                self.wanted_grants[teacher] |= class_students.get(klass, set())

    def _enrollment_year(self, klass: Klass | None, enrollment: ClassEnrollment) -> str | None:
        if klass is not None:
            for term in klass.terms:
                year = self._session_year(term)
                if year:
                    return year
        return self._year_for_date(enrollment.begin) or self._default_year()

    def _finish_schools_and_students(self) -> None:
        """School grade spans, entry dates and placeholders need all of the above."""
        plan = self.plan
        grades_at: dict[str, set[int]] = defaultdict(set)
        for sid, values in self.student_desired.items():
            existing = self.student_existing.get(sid)
            grade = values.get("grade", existing["grade"] if existing else None)
            school = values.get("school") or (self.school_key_of_pk[existing["school_id"]] if existing else None)
            if grade is not None and school:
                grades_at[school].add(grade)
        db_school = {s["id"]: s for s in self.db_schools}
        span: dict[str, tuple[int, int]] = {}
        schools = plan.plans["schools"]
        for key in sorted(set(self.school_desired) | set(grades_at)):
            desired = self.school_desired.get(key)
            grades = grades_at.get(key, set())
            existing = desired["existing"] if desired else db_school.get(plan.school_ids.get(key))
            if existing is None:
                low, high = (min(grades), max(grades)) if grades else (0, 5)
                schools.create.append(
                    {
                        "sourced_id": key,
                        "name": desired["name"],
                        "code": desired["code"],
                        "grade_low": low,
                        "grade_high": high,
                    }
                )
            else:
                low, high = min([existing["grade_low"], *grades]), max([existing["grade_high"], *grades])
                values = {
                    "sourced_id": key if desired else existing["sourced_id"],
                    "name": desired["name"] if desired else existing["name"],
                    "code": desired["code"] if desired else existing["code"],
                    "grade_low": low,
                    "grade_high": high,
                }
                changed = _diff(existing, values)
                if desired or changed:
                    schools.changed(existing["id"], values, changed)
            span[key] = (low, high)

        first_day: dict[str, dt.date] = {}
        for (sid, _, year), rows in self.student_enrollments.items():
            start = min((r.begin for r in rows if r.begin), default=None) or self.year_dates[year][0]
            first_day[sid] = min(start, first_day.get(sid, start))
        default_year = self._default_year()
        fallback_entry = self.year_dates[default_year][0] if default_year else self.today
        students = plan.plans["students"]
        no_birth = no_grade = 0
        self.final_grade: dict[str, int] = {}
        for sid, values in self.student_desired.items():
            existing = self.student_existing.get(sid)
            if existing is None:
                if "birth_date" not in values:
                    values["birth_date"] = PLACEHOLDER_BIRTH_DATE
                    no_birth += 1
                if "grade" not in values:
                    school = values["school"]
                    values["grade"] = (
                        span[school][0] if school in span else db_school[plan.school_ids[school]]["grade_low"]
                    )
                    no_grade += 1
                values["entry_date"] = first_day.get(sid, fallback_entry)
                students.create.append(values)
            else:
                if "school" in values:  # in users.csv, so active
                    entry = first_day.get(sid)
                    if entry and entry < existing["entry_date"]:
                        values["entry_date"] = entry
                    if existing["exit_date"] is not None:
                        values["exit_date"] = None
                current = {**existing, "school": self.school_key_of_pk[existing["school_id"]]}
                changed = _diff(current, values)
                merged = {k: v for k, v in current.items() if k not in ("id", "school_id")} | values
                merged["updated_at"] = self.now
                students.changed(existing["id"], merged, changed | ({"updated_at"} if changed else set()))
            self.final_grade[sid] = values.get("grade", existing["grade"] if existing else 0)
        if no_birth:
            plan.note(
                "placeholder-birth",
                f"{no_birth} new students have no birth date in the roster (it comes from "
                f"demographics.csv): stored as {PLACEHOLDER_BIRTH_DATE}; correct them",
            )
        if no_grade:
            plan.note(
                "placeholder-grade",
                f"{no_grade} new students have no grade in the roster (users.csv grades): "
                "stored as their school's lowest grade; correct them",
            )

    def _plan_guardians(self) -> None:
        plan = self.plan
        guardians = plan.plans["guardians"]
        links: dict[tuple[str, str], tuple[Person, str]] = {}  # (contact sid, student sid) -> (contact, relationship)
        for sid, (person, relationship) in self.contacts_in_file.items():
            for agent in person.agents:
                if agent in self.student_desired or agent in self.student_by_sid:
                    links[(sid, agent)] = (person, relationship)
        for student_sid, (student, _) in self.students_in_file.items():
            if student_sid in self.student_desired:
                for agent in student.agents:
                    if agent in self.contacts_in_file:
                        links[(agent, student_sid)] = self.contacts_in_file[agent]
        linked = {contact for contact, _ in links}
        for sid, (person, _) in self.contacts_in_file.items():
            if sid not in linked:
                plan.note(
                    "lone-contact",
                    f"users.csv line {person.line}: {sid} is a parent or guardian of no student "
                    "in the roster or the district; not imported",
                )
        sid_of_student = {s["id"]: s["sourced_id"] for s in self.db_students if s["sourced_id"]}
        sid_of_student.update({e["id"]: sid for sid, e in self.student_existing.items() if e})
        by_key, by_name = {}, {}
        for g in self.db_guardians:
            student_sid = sid_of_student.get(g["student_id"])
            if student_sid and g["sourced_id"]:
                by_key[(g["sourced_id"], student_sid)] = g
            elif student_sid:  # a guardian entered by hand: adopted when the names match
                by_name.setdefault((student_sid, g["first_name"].lower(), g["last_name"].lower()), g)
        for (contact_sid, student_sid), (person, relationship) in sorted(links.items()):
            existing = by_key.get((contact_sid, student_sid)) or by_name.pop(
                (student_sid, person.given.lower(), person.family.lower()), None
            )
            values = {
                "sourced_id": contact_sid,
                "first_name": person.given,
                "last_name": person.family,
                "email": person.email,
                "phone": person.phone,
                "relationship": relationship,
            }
            if existing is None:
                guardians.create.append({**values, "student": student_sid, "receives_notices": True})
                continue
            if existing["relationship"] in REFINES.get(relationship, ()):
                values["relationship"] = existing["relationship"]
            values["email"] = values["email"] or existing["email"]
            values["phone"] = values["phone"] or existing["phone"]
            # The link is back (a student who left is re-enrolled): notices the roster paused resume,
            # so parent letters do not silently stop; a contact who opted out by hand stays out.
            values["receives_notices"] = existing["receives_notices"] or existing["notices_paused_by_roster"]
            values["notices_paused_by_roster"] = False
            guardians.changed(existing["id"], values, _diff(existing, values))
        # Contacts the roster no longer links to a student stop receiving notices.
        mode = self._mode("users")
        covered = self._covered_school_ids()
        for (contact_sid, student_sid), g in by_key.items():
            if (contact_sid, student_sid) in links or not g["receives_notices"]:
                continue
            if {contact_sid, student_sid} & (set(self.rejected["users"]) | self.stale):
                continue
            student = self.student_by_sid.get(student_sid)
            if contact_sid in self.deleted["users"] or (
                mode == "bulk" and student is not None and student["school_id"] in covered
            ):
                guardians.deactivated(g["id"], {"receives_notices": False, "notices_paused_by_roster": True})

    def _plan_exits(self) -> None:
        mode = self._mode("users")
        if mode == "absent":
            return
        students = self.plan.plans["students"]
        covered = self._covered_school_ids()
        gone = set(self.deleted["users"])
        if mode == "bulk":
            gone |= set(self.student_by_sid) - set(self.people)
        gone -= set(self.rejected["users"])
        for sid in sorted(gone):
            student = self.student_by_sid.get(sid)
            if student is None or student["exit_date"] is not None:
                continue
            person = self.people.get(sid)
            if person is not None and mode == "delta" and self._is_stale(person.modified, student):
                continue
            if sid not in self.deleted["users"] and student["school_id"] not in covered:
                continue  # a school this roster does not cover
            students.deactivated(
                student["id"], {"exit_date": max(self.today, student["entry_date"]), "updated_at": self.now}
            )
            self.exited.add(student["id"])

    def _plan_enrollment_rows(self) -> None:
        plan = self.plan
        enrollments = plan.plans["enrollments"]
        sid_of_student = {s["id"]: s["sourced_id"] for s in self.db_students if s["sourced_id"]}
        sid_of_student.update({e["id"]: sid for sid, e in self.student_existing.items() if e})
        year_of_pk = {pk: name for name, pk in plan.year_ids.items()}
        by_key = {}
        for e in self.db_enrollments:
            key = (
                sid_of_student.get(e["student_id"]),
                self.school_key_of_pk.get(e["school_id"]),
                year_of_pk.get(e["school_year_id"]),
            )
            if all(key):
                by_key[key] = e
        for key, rows in self.student_enrollments.items():
            sid, school, year = key
            start = min((r.begin for r in rows if r.begin), default=None)
            ends = [r.end for r in rows]
            end = max(ends) if all(ends) else None
            existing = by_key.get(key)
            values = {"grade": self.final_grade.get(sid, 0), "end_date": end}
            if existing is None:
                enrollments.create.append(
                    {
                        "student": sid,
                        "school": school,
                        "school_year": year,
                        "start_date": start or self.year_dates[year][0],
                        **values,
                    }
                )
            else:
                values["start_date"] = start or existing["start_date"]
                enrollments.changed(existing["id"], values, _diff(existing, values))
        # End what the roster no longer lists: exited students' open enrolments and, for a
        # bulk enrolments file, open enrolments in its years at its schools.
        bulk = self._mode("enrollments") == "bulk"
        covered = self._covered_school_keys()
        for key, e in by_key.items():
            sid, school, year = key
            if key in self.student_enrollments or e["end_date"] is not None:
                continue
            if sid in self.rejected["users"] or sid in self.stale or sid in self.enrollment_rejected_users:
                continue
            if e["student_id"] in self.exited or (bulk and school in covered and year in self.enrolled_years):
                last_day = min(self.today, self.year_dates.get(year, (None, self.today))[1])
                enrollments.deactivated(e["id"], {"end_date": max(last_day, e["start_date"])})

    def _plan_grants(self) -> None:
        plan = self.plan
        grants = plan.plans["grants"]
        bulk = self._mode("enrollments") == "bulk"
        roster_teachers = {
            m["user_id"]: m["sourced_id"] for m in self.db_memberships if m["sourced_id"] and m["role"] == Role.TEACHER
        }
        user_ids = {plan.user_ids[t] for t in self.wanted_grants if t in plan.user_ids}
        if bulk:
            user_ids |= set(roster_teachers)
        have: dict[int, set[int]] = defaultdict(set)
        if user_ids:
            for user_id, student_id in StudentUserObjectPermission.objects.filter(
                district=self.district, user_id__in=user_ids, permission__codename="view_student"
            ).values_list("user_id", "content_object_id"):
                have[user_id].add(student_id)
        for teacher, students in sorted(self.wanted_grants.items()):
            existing = have.get(plan.user_ids.get(teacher), set())
            for student in students:
                if plan.student_ids.get(student) in existing:
                    grants.unchanged += 1
                else:
                    plan.grants_add[teacher].add(student)
        if not bulk:
            return
        # Roster teachers lose grants to students of the covered schools no longer in their
        # classes. Grants of other roles (a specialist's caseload) are not touched.
        covered = self._covered_school_ids()
        spared = {self.plan.student_ids.get(s) for s in self.enrollment_rejected_users}
        for user_id, sid in roster_teachers.items():
            if sid in self.rejected["users"] or sid in self.enrollment_rejected_users:
                continue
            wanted = {plan.student_ids.get(s) for s in self.wanted_grants.get(sid, ())}
            for student_id in have.get(user_id, ()):
                student = self.student_by_pk.get(student_id)
                if student_id in wanted or student_id in spared or student is None:
                    continue
                if student["school_id"] in covered:
                    plan.grants_remove[user_id].add(student_id)

    def _list_unmatched(self) -> None:
        """Students of the covered schools that no roster record matched: listed, never dropped."""
        if self._mode("users") != "bulk":
            return
        plan = self.plan
        covered = self._covered_school_ids()
        matched = {e["id"] for e in self.student_existing.values() if e}
        for student in self.db_students:
            if student["id"] in matched or student["school_id"] not in covered or student["exit_date"] is not None:
                continue
            if student["id"] in self.exited:
                action = "exited: no longer in the roster"
            elif not student["sourced_id"]:
                action = "left as is: entered by hand, matches no roster student"
            else:
                continue  # rejected or stale rows: reported as such
            plan.unmatched_total += 1
            if len(plan.unmatched) < UNMATCHED_LIMIT:
                plan.unmatched.append({"id": student["id"], "local_id": student["local_id"], "action": action})


def _year_name(session: Session) -> str:
    """SchoolYear.name: OneRoster's schoolYear is the year in which the school year ends."""
    if session.year:
        return f"{session.year - 1}-{session.year}"
    if session.start.year != session.end.year:
        return f"{session.start.year}-{session.end.year}"
    return str(session.start.year)


def _fit(value: str, length: int) -> str:
    """A key that fits a column: itself, or a stable shortened form."""
    if len(value) <= length:
        return value
    return f"{value[: length - 9]}-{hashlib.sha1(value.encode()).hexdigest()[:8]}"


def _diff(existing: dict, values: dict) -> set[str]:
    return {key for key, value in values.items() if key in existing and existing[key] != value}
