"""Pull a roster from a SIS's OneRoster REST API into OneRoster CSV files.

The pulled records are written, page by page, as the CSV files of a OneRoster
package (manifest.csv and one file per collection) in a scratch folder. The CSV
importer (read_roster, then the all-or-nothing writer) then takes the folder as it
takes an uploaded zip: one matcher and one writer for every way a roster arrives,
and memory stays flat however large the district (nothing is held but one page).

A first pull is full ("bulk" in the manifest: what is missing is deactivated).
Later pulls ask only for what changed, with the specification's filter
`dateLastModified>'…'` ("delta": `status=tobedeleted` deactivates).

Specification: 1EdTech OneRoster 1.2 Rostering REST binding (and 1.1), section
"Pagination" (`limit`, `offset`, `X-Total-Count`), "Filtering" and "Security"
(OAuth 2 client credentials; 1.2 scope roster-core.readonly).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error
from requests_oauthlib import OAuth2Session

from students.importers.oneroster.reader import COLUMNS, RACE_COLUMNS, SUBGROUP_COLUMNS

SCOPES = {
    "1.2": ["https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"],
    "1.1": ["https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly"],
}
# Collections in the order the importer needs them; demographics is optional on
# many servers (a 404 there means "not offered", not a failure).
COLLECTIONS = ("orgs", "academicSessions", "classes", "users", "enrollments", "demographics")
OPTIONAL = {"demographics"}
PAGE_SIZE = 1000
# A server that keeps answering full pages past this many records is looping.
MAX_RECORDS = 5_000_000


class RosterApiError(Exception):
    """The API could not be read; the message names the collection and what went wrong."""


@dataclass
class Connection:
    base_url: str
    token_url: str
    client_id: str
    client_secret: str
    version: str = "1.2"
    timeout: float = 30.0
    page_size: int = PAGE_SIZE
    max_records: int = MAX_RECORDS


@dataclass
class Pull:
    """What a pull fetched: records per collection and the newest dateLastModified seen."""

    delta: bool
    counts: dict[str, int] = field(default_factory=dict)
    newest: dt.datetime | None = None
    skipped: list[str] = field(default_factory=list)


class OneRosterApi:
    def __init__(self, connection: Connection):
        self.connection = connection
        if connection.token_url.startswith("http://") and is_loopback(connection.token_url):
            # oauthlib refuses http; a SIS proxy on this host (students.forms allows only
            # loopback over http) is not on the network, so its token never travels.
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
        self.session = OAuth2Session(
            client=BackendApplicationClient(client_id=connection.client_id), scope=SCOPES[connection.version]
        )

    def _token(self) -> None:
        try:
            self.session.fetch_token(
                token_url=self.connection.token_url,
                client_id=self.connection.client_id,
                client_secret=self.connection.client_secret,
                timeout=self.connection.timeout,
                include_client_id=True,
            )
        except OAuth2Error as error:
            raise RosterApiError(f"the token endpoint refused the client credentials ({error.error})") from None
        except requests.RequestException as error:
            raise RosterApiError(f"the token endpoint could not be reached ({type(error).__name__})") from None
        except ValueError:
            raise RosterApiError("the token endpoint did not answer with an OAuth 2 token") from None

    def _get(self, collection: str, params: dict) -> requests.Response | None:
        url = f"{self.connection.base_url.rstrip('/')}/{collection}"
        for attempt in range(2):
            if not self.session.token:
                self._token()
            try:
                response = self.session.get(url, params=params, timeout=self.connection.timeout)
            except requests.Timeout:
                raise RosterApiError(
                    f"{collection}: the server did not answer within {self.connection.timeout:g} s"
                ) from None
            except requests.RequestException as error:
                raise RosterApiError(
                    f"{collection}: the server could not be reached ({type(error).__name__})"
                ) from None
            if response.status_code == 401 and attempt == 0:
                self.session.token = {}  # expired mid-pull: one new token, then give up
                continue
            break
        if response.status_code == 404 and collection in OPTIONAL:
            return None
        if response.status_code != 200:
            raise RosterApiError(f"{collection}: the server answered HTTP {response.status_code}")
        return response

    def records(self, collection: str, *, since: dt.datetime | None) -> Iterator[dict] | None:
        """Every record of a collection, a page at a time; None if the server does not offer it."""
        params = {"limit": self.connection.page_size, "offset": 0}
        if since is not None:
            params["filter"] = f"dateLastModified>'{since.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}'"
        first = self._get(collection, params)
        if first is None:
            return None
        return self._pages(collection, params, first)

    def _pages(self, collection: str, params: dict, response: requests.Response) -> Iterator[dict]:
        seen = 0
        previous_first = None
        while True:
            page = _page_records(collection, response, offset=params["offset"])
            if page and previous_first is not None and page[0].get("sourcedId") == previous_first:
                raise RosterApiError(
                    f"{collection}: the page at offset {params['offset']} repeats the previous one; "
                    "the server ignores paging"
                )
            previous_first = page[0].get("sourcedId") if page else None
            yield from page
            seen += len(page)
            total = _total(response)
            if len(page) < params["limit"] or (total is not None and seen >= total):
                return
            if seen >= self.connection.max_records:
                raise RosterApiError(
                    f"{collection}: the server kept sending pages past {self.connection.max_records:,} records"
                )
            params = {**params, "offset": params["offset"] + len(page)}
            response = self._get(collection, params)


def is_loopback(url: str) -> bool:
    """A URL on this host: the only place plain http is allowed (students.forms.RosterSyncForm)."""
    return urlsplit(url).hostname in ("localhost", "127.0.0.1", "::1")


def _page_records(collection: str, response: requests.Response, *, offset: int) -> list[dict]:
    try:
        body = response.json()
    except (json.JSONDecodeError, ValueError):
        raise RosterApiError(f"{collection}: the page at offset {offset} is not JSON") from None
    records = body.get(collection) if isinstance(body, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) and r.get("sourcedId") for r in records):
        raise RosterApiError(
            f"{collection}: the page at offset {offset} is not a OneRoster collection "
            f'(expected {{"{collection}": [records with a sourcedId]}})'
        )
    return records


def _total(response: requests.Response) -> int | None:
    try:
        return int(response.headers["X-Total-Count"])
    except (KeyError, ValueError):
        return None


# --- JSON records -> CSV rows --------------------------------------------------------------------


def _ref(value) -> str:
    return value.get("sourcedId", "") if isinstance(value, dict) else ""


def _refs(values) -> str:
    return ",".join(_ref(v) for v in values or [] if _ref(v))


def _joined(values) -> str:
    return ",".join(str(v) for v in values or [])


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _common(record: dict) -> dict:
    return {
        "sourcedId": record["sourcedId"],
        "status": _text(record.get("status")),
        "dateLastModified": _text(record.get("dateLastModified")),
    }


def _org(r: dict) -> dict:
    return {**_common(r), "name": _text(r.get("name")), "type": _text(r.get("type")),
            "identifier": _text(r.get("identifier")), "parentSourcedId": _ref(r.get("parent"))}  # fmt: skip


def _session(r: dict) -> dict:
    return {
        **_common(r),
        "title": _text(r.get("title")),
        "type": _text(r.get("type")),
        "startDate": _text(r.get("startDate")),
        "endDate": _text(r.get("endDate")),
        "parentSourcedId": _ref(r.get("parent")),
        "schoolYear": _text(r.get("schoolYear")),
    }


def _class(r: dict) -> dict:
    return {
        **_common(r),
        "title": _text(r.get("title")),
        "grades": _joined(r.get("grades")),
        "courseSourcedId": _ref(r.get("course")),
        "classCode": _text(r.get("classCode")),
        "classType": _text(r.get("classType")),
        "location": _text(r.get("location")),
        "schoolSourcedId": _ref(r.get("school")),
        "termSourcedIds": _refs(r.get("terms")),
        "subjects": _joined(r.get("subjects")),
        "subjectCodes": _joined(r.get("subjectCodes")),
        "periods": _joined(r.get("periods")),
    }


def _user_ids(values) -> str:
    # CSV binding: "{type:identifier}" items separated by commas.
    return ",".join(f"{{{v.get('type', '')}:{v.get('identifier', '')}}}" for v in values or [] if isinstance(v, dict))


def _user(r: dict, version: str) -> dict:
    row = {
        **_common(r),
        "enabledUser": _text(r.get("enabledUser")),
        "username": _text(r.get("username")),
        "userIds": _user_ids(r.get("userIds")),
        "givenName": _text(r.get("givenName")),
        "familyName": _text(r.get("familyName")),
        "middleName": _text(r.get("middleName")),
        "identifier": _text(r.get("identifier")),
        "email": _text(r.get("email")),
        "sms": _text(r.get("sms")),
        "phone": _text(r.get("phone")),
        "agentSourcedIds": _refs(r.get("agents")),
        "grades": _joined(r.get("grades")),
        "userMasterIdentifier": _text(r.get("userMasterIdentifier")),
        "preferredGivenName": _text(r.get("preferredFirstName") or r.get("preferredGivenName")),
        "preferredMiddleName": _text(r.get("preferredMiddleName")),
        "preferredFamilyName": _text(r.get("preferredLastName") or r.get("preferredFamilyName")),
        "primaryOrgSourcedId": _ref(r.get("primaryOrg")),
        "pronouns": _text(r.get("pronouns")),
    }
    if version == "1.1":
        row["role"] = _text(r.get("role"))
        row["orgSourcedIds"] = _refs(r.get("orgs"))
    return row


def _roles(r: dict) -> Iterator[dict]:
    for role in r.get("roles") or []:
        if isinstance(role, dict):
            yield {
                "userSourcedId": r["sourcedId"],
                "status": _text(r.get("status")),
                "dateLastModified": _text(r.get("dateLastModified")),
                "roleType": _text(role.get("roleType")),
                "role": _text(role.get("role")),
                "orgSourcedId": _ref(role.get("org")),
                "userProfileSourcedId": _text(role.get("userProfile")),
                "beginDate": _text(role.get("beginDate")),
                "endDate": _text(role.get("endDate")),
            }


def _enrollment(r: dict) -> dict:
    return {
        **_common(r),
        "classSourcedId": _ref(r.get("class")),
        "schoolSourcedId": _ref(r.get("school")),
        "userSourcedId": _ref(r.get("user")),
        "role": _text(r.get("role")),
        "primary": _text(r.get("primary")),
        "beginDate": _text(r.get("beginDate")),
        "endDate": _text(r.get("endDate")),
    }


def _demographic(r: dict) -> dict:
    row = {**_common(r), "birthDate": _text(r.get("birthDate")), "sex": _text(r.get("sex"))}
    for name in (*RACE_COLUMNS, "demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity"):
        row[name] = _text(r.get(name))
    for name in ("countryOfBirthCode", "stateOfBirthAbbreviation", "cityOfBirth", "publicSchoolResidenceStatus"):
        row[name] = _text(r.get(name))
    # Subgroups are not in the specification; SIS vendors send them as extension
    # fields in `metadata` (e.g. "metadata": {"ext:englishLearner": true}).
    extensions = {key.rsplit(":", 1)[-1].lower(): value for key, value in (r.get("metadata") or {}).items()}
    for key, aliases in SUBGROUP_COLUMNS.items():
        for alias in (key, *aliases):
            if alias.lower() in extensions:
                row[key] = _text(extensions[alias.lower()])
                break
    return row


def _header(file: str, version: str) -> list[str]:
    names = [column.name for column in COLUMNS[file]]
    if file == "users" and version == "1.2":
        names = [n for n in names if n not in ("role", "orgSourcedIds", "password")]
    if file == "users" and version == "1.1":
        names = [n for n in names if n != "password"]
    return names


# --- the pull ----------------------------------------------------------------------------------------


def pull(api: OneRosterApi, folder: Path, *, since: dt.datetime | None) -> Pull:
    """Fetch every collection into `folder` as a OneRoster CSV package; return what was fetched.

    Raises RosterApiError on any failure; the folder is then incomplete and must be
    discarded (the caller imports nothing).
    """
    version = api.connection.version
    result = Pull(delta=since is not None)
    row_of = {
        "orgs": _org,
        "academicSessions": _session,
        "classes": _class,
        "users": lambda record: _user(record, version),
        "enrollments": _enrollment,
        "demographics": _demographic,
    }
    files: dict[str, str] = {}
    for collection in COLLECTIONS:
        records = api.records(collection, since=since)
        if records is None:
            result.skipped.append(collection)
            files[collection] = "absent"
            continue
        # 1.2 keeps a user's roles in roles.csv; 1.1 in users.csv itself.
        names = [collection, "roles"] if collection == "users" and version == "1.2" else [collection]
        with contextlib.ExitStack() as stack:
            writers = {}
            for file in names:
                handle = stack.enter_context((folder / f"{file}.csv").open("w", newline="", encoding="utf-8"))
                writers[file] = csv.DictWriter(handle, fieldnames=_header(file, version), extrasaction="ignore")
                writers[file].writeheader()
                files[file] = "delta" if result.delta else "bulk"
            count = 0
            for record in records:
                count += 1
                result.newest = _newer(result.newest, record.get("dateLastModified"))
                writers[collection].writerow(row_of[collection](record))
                if "roles" in writers:
                    writers["roles"].writerows(_roles(record))
            result.counts[collection] = count
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["propertyName", "value"])
        writer.writerow(["manifest.version", "1.0"])
        writer.writerow(["oneroster.version", version])
        for file in ("orgs", "academicSessions", "classes", "users", "roles", "enrollments", "demographics"):
            if file == "roles" and version == "1.1":
                continue
            writer.writerow([f"file.{file}", files.get(file, "absent")])
    return result


def _newer(current: dt.datetime | None, value) -> dt.datetime | None:
    if not value:
        return current
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return current
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed if current is None or parsed > current else current
