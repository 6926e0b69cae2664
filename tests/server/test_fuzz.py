"""No input yields a 5xx: schemathesis fuzzes every operation of /openapi.json.

Every answer must also be one the schema documents, with the documented body:
refusals carry the `ErrorBody` shape, so clients can rely on /docs.

It runs as its own process against a real server process, as an admin (so the
admin routes are exercised past the permission check), and the server's own
request log is read afterwards for any 5xx schemathesis might not have seen.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx
import pytest
from support.servers import LiveServer

EXAMPLES_PER_OPERATION = 30


@pytest.mark.slow
def test_fuzzing_finds_no_server_error_and_only_documented_answers(
    live_server: LiveServer, tmp_path: Path
) -> None:
    token = live_server.user("alice")
    with live_server.client(token) as admin:
        room = admin.post("/resources", json={"name": "Room A", "tags": ["meeting"]}).json()
        admin.post(
            "/reservations",
            json={
                "resource_id": room["id"],
                "start_time": "2099-01-01T10:00Z",
                "end_time": "2099-01-01T11:00Z",
            },
        )
        # Answers holding naive wall times (a series' start, a closure's bounds) too.
        series = admin.post(
            "/reservations/series",
            json={
                "resource_id": room["id"],
                "start": f"{date.today().year + 1}-01-31T09:00",
                "timezone": "Europe/Berlin",
                "length_minutes": 60,
                "repeat": "monthly",
                "count": 3,
            },
        )
        assert series.status_code == 201, series.text
        closed = admin.patch("/policies/default", json={"add_closed": ["2099-12-24 holidays"]})
        assert closed.status_code == 200, closed.text
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{live_server.url}/openapi.json",
        "--checks",
        "not_a_server_error,response_schema_conformance,status_code_conformance",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--header",
        f"Authorization: Bearer {token}",
        "--seed",
        "20261201",
        "--generation-database",
        "none",
        "--no-color",
        "--request-timeout",
        "30",
    ]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    assert " passed" in result.stdout, report
    assert '"status": 5' not in live_server.log(), live_server.log()[-5000:]
    assert httpx.get(f"{live_server.url}/health").status_code == 200
