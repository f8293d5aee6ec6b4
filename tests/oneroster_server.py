"""A small OneRoster REST server on loopback, for the rostering-sync tests and benchmark.

It serves the shipped OneRoster CSV fixtures (tests/data/oneroster) as the REST
binding's JSON, behind an OAuth 2 client-credentials token endpoint, with the
specification's paging (`limit`, `offset`, `X-Total-Count`) and the
`dateLastModified>'…'` filter. Tests change `records` to make a delta, and set
`fault` to make the server misbehave ("slow", "endless", "malformed").
It is a test double of a SIS, started by the tests: no product code imports it.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import json
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

CLIENT_ID = "mtss-test-client"
CLIENT_SECRET = "not-a-real-secret"  # noqa: S105 (a test server's fixed credential)
BASE_PATHS = {"1.2": "/ims/oneroster/rostering/v1p2", "1.1": "/ims/oneroster/v1p1"}
STAMP = "2026-09-01T12:00:00.000Z"


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class OneRosterServer:
    """`with OneRosterServer(records, version="1.2") as server:` then `server.base_url`, `server.token_url`."""

    def __init__(self, records: dict[str, list[dict]] | None = None, *, version: str = "1.2", generator=None):
        self.records = records or {}
        self.version = version
        # For the benchmark: collection -> (count, make(index) -> record), generated page by page.
        self.generator: dict[str, tuple[int, Callable[[int], dict]]] = generator or {}
        self.fault: dict[str, str] = {}  # collection -> "slow" | "endless" | "malformed"
        self.slow_seconds = 3.0
        self.requests: list[tuple[str, dict]] = []
        self.tokens: set[str] = set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self.root + BASE_PATHS[self.version]

    @property
    def token_url(self) -> str:
        return self.root + "/oauth/token"

    def __enter__(self) -> OneRosterServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- answers ------------------------------------------------------------------------------------

    def token(self, headers, body: bytes) -> tuple[int, dict]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        if form.get("grant_type") != "client_credentials" or (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {"error": "invalid_client"}
        token = secrets.token_hex(16)
        self.tokens.add(token)
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": 3600}

    def collection(self, name: str, query: dict) -> tuple[int, dict | str, dict]:
        limit = int(query.get("limit", "100"))
        offset = int(query.get("offset", "0"))
        fault = self.fault.get(name)
        if fault == "slow":
            time.sleep(self.slow_seconds)
        if fault == "malformed":
            return 200, "<html><body>Service unavailable</body></html>", {}
        if fault == "endless":
            offset = 0  # ignores paging: the same full page for ever
        if name in self.generator:
            count, make = self.generator[name]
            page = [make(i) for i in range(offset, min(count, offset + limit))]
            return 200, {name: page}, {"X-Total-Count": str(count)}
        if name not in self.records:
            return 404, {"imsx_codeMajor": "failure", "imsx_description": f"{name} not offered"}, {}
        rows = self.records[name]
        since = _since(query.get("filter", ""))
        if since is not None:
            rows = [r for r in rows if dt.datetime.fromisoformat(r["dateLastModified"].replace("Z", "+00:00")) > since]
        if fault == "endless":
            return 200, {name: (rows * (limit // max(len(rows), 1) + 1))[:limit]}, {}
        return 200, {name: rows[offset : offset + limit]}, {"X-Total-Count": str(len(rows))}


def _since(expression: str) -> dt.datetime | None:
    if not expression:
        return None
    field, _, value = expression.partition(">")
    assert field.strip() == "dateLastModified", expression
    return dt.datetime.fromisoformat(value.strip().strip("'").replace("Z", "+00:00"))


def _handler(server: OneRosterServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, status: int, body, headers: dict | None = None) -> None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if not isinstance(body, str) else "text/html")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if urlsplit(self.path).path != "/oauth/token":
                return self._send(404, {})
            return self._send(*server.token(self.headers, body))

        def do_GET(self):
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            base = BASE_PATHS[server.version]
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in server.tokens:
                return self._send(401, {"imsx_codeMajor": "failure", "imsx_description": "unauthorized"})
            if not url.path.startswith(base + "/"):
                return self._send(404, {})
            name = url.path[len(base) + 1 :]
            server.requests.append((name, query))
            return self._send(*server.collection(name, query))

    return Handler


# --- the shipped CSV fixtures as REST records ---------------------------------------------------------


def _rows(folder: Path, name: str) -> list[dict]:
    path = folder / f"{name}.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [{k: (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(handle)]


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _ref(value: str, kind: str) -> dict | None:
    return {"sourcedId": value, "type": kind, "href": f"/{kind}s/{value}"} if value else None


def _clean(record: dict) -> dict:
    return {k: v for k, v in record.items() if v not in ("", None, [])}


def _base(row: dict) -> dict:
    return {"sourcedId": row["sourcedId"], "status": row.get("status") or "active", "dateLastModified": STAMP}


def records_from_csv(folder: Path, *, version: str) -> dict[str, list[dict]]:
    """The fixture folder's CSV rows as the REST binding serves them (one stamp for every record)."""
    roles: dict[str, list[dict]] = {}
    for row in _rows(folder, "roles"):
        user = row.get("userSourcedId", "")
        roles.setdefault(user, []).append(
            _clean(
                {
                    "roleType": row.get("roleType"),
                    "role": row.get("role"),
                    "org": _ref(row.get("orgSourcedId", ""), "org"),
                    "beginDate": row.get("beginDate"),
                    "endDate": row.get("endDate"),
                }
            )
        )
    data = {
        "orgs": [
            _clean(
                {
                    **_base(r),
                    "name": r.get("name"),
                    "type": r.get("type"),
                    "identifier": r.get("identifier"),
                    "parent": _ref(r.get("parentSourcedId", ""), "org"),
                }
            )  # fmt: skip
            for r in _rows(folder, "orgs")
        ],
        "academicSessions": [
            _clean(
                {
                    **_base(r),
                    "title": r.get("title"),
                    "type": r.get("type"),
                    "startDate": r.get("startDate"),
                    "endDate": r.get("endDate"),
                    "parent": _ref(r.get("parentSourcedId", ""), "academicSession"),
                    "schoolYear": r.get("schoolYear"),
                }
            )  # fmt: skip
            for r in _rows(folder, "academicSessions")
        ],
        "classes": [
            _clean(
                {
                    **_base(r),
                    "title": r.get("title"),
                    "classCode": r.get("classCode"),
                    "classType": r.get("classType"),
                    "location": r.get("location"),
                    "grades": _list(r.get("grades", "")),
                    "subjects": _list(r.get("subjects", "")),
                    "course": _ref(r.get("courseSourcedId", ""), "course"),
                    "school": _ref(r.get("schoolSourcedId", ""), "org"),
                    "terms": [_ref(t, "academicSession") for t in _list(r.get("termSourcedIds", ""))],
                    "periods": _list(r.get("periods", "")),
                }
            )  # fmt: skip
            for r in _rows(folder, "classes")
        ],
        "users": [],
        "enrollments": [
            _clean(
                {
                    **_base(r),
                    "user": _ref(r.get("userSourcedId", ""), "user"),
                    "class": _ref(r.get("classSourcedId", ""), "class"),
                    "school": _ref(r.get("schoolSourcedId", ""), "org"),
                    "role": r.get("role"),
                    "primary": (r.get("primary", "").lower() == "true") if r.get("primary") else None,
                    "beginDate": r.get("beginDate"),
                    "endDate": r.get("endDate"),
                }
            )  # fmt: skip
            for r in _rows(folder, "enrollments")
        ],
    }
    for r in _rows(folder, "users"):
        user = {
            **_base(r),
            "enabledUser": (r.get("enabledUser", "").lower() != "false") if r.get("enabledUser") else None,
            "username": r.get("username"),
            "userIds": [
                {"type": t, "identifier": i}
                for t, _, i in (item.strip("{}").partition(":") for item in _list(r.get("userIds", "")))
            ],
            "givenName": r.get("givenName"),
            "familyName": r.get("familyName"),
            "middleName": r.get("middleName"),
            "identifier": r.get("identifier"),
            "email": r.get("email"),
            "sms": r.get("sms"),
            "phone": r.get("phone"),
            "agents": [_ref(a, "user") for a in _list(r.get("agentSourcedIds", ""))],
            "grades": _list(r.get("grades", "")),
        }
        if version == "1.2":
            user["roles"] = roles.get(r["sourcedId"], [])
            user["primaryOrg"] = _ref(r.get("primaryOrgSourcedId", ""), "org")
        else:
            user["role"] = r.get("role")
            user["orgs"] = [_ref(o, "org") for o in _list(r.get("orgSourcedIds", ""))]
        data["users"].append(_clean(user))
    demographics = _rows(folder, "demographics")
    if demographics:
        data["demographics"] = [
            _clean({**_base(r), **{k: v for k, v in r.items() if k not in ("sourcedId", "status", "dateLastModified")}})
            for r in demographics
        ]
    return data
