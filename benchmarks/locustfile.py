"""The simulated staff of benchmarks/load_test.py (locust runs this file; it is not a benchmark itself).

Specialists log group sessions the way the session form does: the page's CSRF token and its
one-time submission token (mtss/idempotency.py) are posted back, then the same form is posted
a second time as a double click or a retry after a time-out would; that resend must save
nothing and be answered "already saved" (a redirect). Principals and the district
administrator open caseloads and their dashboards. Who is who comes from the JSON file named
by LOAD_TEST_SUBJECTS, which load_test.py writes after seeding.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
import time

import requests
from locust import HttpUser, between, task

with open(os.environ["LOAD_TEST_SUBJECTS"]) as handle:
    SUBJECTS = json.load(handle)
_SPECIALISTS = itertools.cycle(SUBJECTS["specialists"])
_LEADS = itertools.cycle(SUBJECTS["leads"])
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission" value="([^"]+)"')
ATTENDANCE = re.compile(r'name="(att_\d+)"')
TODAY = dt.date.fromisoformat(SUBJECTS["today"])


def _first(pattern: re.Pattern, text: str) -> str:
    found = pattern.search(text)
    return found.group(1) if found else ""


class Staff(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    pool = _SPECIALISTS

    def on_start(self):
        # Signing in is timed apart from the work (load_test.py prints it on its own line): a
        # password check costs about a second of CPU by design (PBKDF2), and the target is the
        # staff's work once signed in. A refused sign-in is still an error of the run.
        self.me = next(self.pool)
        started = time.perf_counter()
        with requests.Session() as session:
            page = session.get(f"{self.host}/accounts/login/", timeout=120)
            form = {"username": self.me["username"], "password": SUBJECTS["password"]}
            form["csrfmiddlewaretoken"] = _first(CSRF, page.text)
            answer = session.post(f"{self.host}/accounts/login/", form, timeout=120)
            signed_in = "/accounts/login/" not in answer.url
            self.client.cookies.update(session.cookies)
        with open(os.environ["LOAD_TEST_SIGN_INS"], "a") as handle:
            handle.write(f"{time.perf_counter() - started:.4f} {'ok' if signed_in else 'refused'}\n")

    @task(2)
    def caseload(self):
        self.client.get("/interventions/caseload/", name="caseload")


class Specialist(Staff):
    weight = 4
    pool = _SPECIALISTS

    @task(3)
    def log_session(self):
        group = random.choice(self.me["groups"])
        url = f"/interventions/groups/{group}/"
        page = self.client.get(url, name="group page")
        # A day of the last four weeks: several staff may pick the same group and day at once,
        # which the duplicate check after the run is about.
        day = TODAY - dt.timedelta(days=random.randint(0, 27))
        form = {
            "csrfmiddlewaretoken": _first(CSRF, page.text),
            "submission": _first(SUBMISSION, page.text),
            "date": day.isoformat(),
            "minutes": "30",
            "note": "",
        }
        for field in set(ATTENDANCE.findall(page.text)):
            form[field] = "present"
        with self.client.post(url, form, name="session: log", allow_redirects=False, catch_response=True) as response:
            saved = response.status_code == 302
            # 200: the form again with a message (that group and day is already logged, or the
            # day is before a plan started): an answer, not an error.
            if response.status_code not in (200, 302):
                response.failure(f"status {response.status_code}")
        with self.client.post(
            url, form, name="session: resend same token", allow_redirects=False, catch_response=True
        ) as response:
            if saved and response.status_code != 302:
                response.failure(f"a resent submission answered {response.status_code}, not 'already saved'")
            elif response.status_code not in (200, 302):
                response.failure(f"status {response.status_code}")


class Lead(Staff):
    weight = 1
    pool = _LEADS

    @task(3)
    def dashboard(self):
        self.client.get(self.me["dashboard"], name=self.me["dashboard_name"])
