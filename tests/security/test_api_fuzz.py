"""A bounded schemathesis run against the API's own OpenAPI schema: no answer may be a 5xx.

Issue 16, web hardening: OPTIONS and NUL bytes answered 500, and the schema described
output shapes as request bodies. Schemathesis reads /api/schema/ from a real server on
loopback (pytest-django's live_server), signs in with a real district token (a district
administrator, who may call every operation), and sends generated requests to every
operation, a few examples each (API_FUZZ_EXAMPLES, API_FUZZ_SECONDS bound the run),
with the `not_a_server_error` check only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres

EXAMPLES = os.environ.get("API_FUZZ_EXAMPLES", "3")
SECONDS = os.environ.get("API_FUZZ_SECONDS", "180")


def test_schemathesis_finds_no_server_error(transactional_db, live_server, world, tmp_path):
    from mtss.services import api_token_create
    from mtss.tenancy import tenant_context
    from tests.interventions.tenancy_objects import _objects

    side = world.a
    with tenant_context(side.district):
        _objects(side)  # a plan, group, session, meeting... so id routes have something to find
        _token, key = api_token_create(district=side.district, user=side.district_admin, name="schemathesis")
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
    # The schema /api/schema/ serves, written to a file: generating it takes longer than
    # schemathesis waits for a response on a busy 2-core machine.
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = tmp_path / "openapi.json"
    schema.write_bytes(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    result = subprocess.run(
        [
            cli,
            "run",
            str(schema),
            "--url",
            live_server.url,
            "--header",
            f"Authorization: Bearer {key}",
            "--checks",
            "not_a_server_error",
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            EXAMPLES,
            "--max-time",
            SECONDS,
            "--workers",
            "1",
            "--seed",
            "16",
            "--request-timeout",
            "30",
            "--continue-on-failure",
            "--no-color",
            "--suppress-health-check",
            "all",
        ],
        capture_output=True,
        text=True,
        timeout=int(SECONDS) + 120,
        cwd=tmp_path,  # schemathesis keeps its example database (.schemathesis/) in the working directory
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )
    output = result.stdout + result.stderr
    (Path(os.environ.get("API_FUZZ_OUTPUT", tmp_path)) / "schemathesis.txt").write_text(output)
    assert "Server error" not in output, output[-6000:]
    assert result.returncode == 0, output[-6000:]
    assert " 0 operations" not in output and "Operations" in output, output[-3000:]
