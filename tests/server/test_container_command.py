"""The container's command is the tested `reserver serve`: run it as the Dockerfile says."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml
from support.servers import free_port, health_when_up

ROOT = Path(__file__).parents[2]


def dockerfile_instruction(name: str) -> str:
    """The argument of the last `name` instruction of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found = [line.split(None, 1)[1] for line in text.splitlines() if line.startswith(name + " ")]
    assert found, name
    return found[-1]


def test_the_image_runs_as_a_user_with_a_health_check() -> None:
    assert dockerfile_instruction("USER") == "reserver"
    assert "/health" in dockerfile_instruction("HEALTHCHECK")
    assert json.loads(dockerfile_instruction("CMD"))[:2] == ["reserver", "serve"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    server = compose["services"]["server"]
    assert server["environment"]["RESERVER_DATABASE_URL"].startswith("postgresql://")
    assert server["depends_on"]["db"]["condition"] == "service_healthy"
    assert compose["services"]["db"]["image"].startswith("postgres:")


@pytest.mark.postgres
def test_the_container_command_serves_postgres_and_stops_on_sigterm(
    postgres_url: str, tmp_path: Path
) -> None:
    port = free_port()
    command = json.loads(dockerfile_instruction("CMD"))
    # Loopback only here; in the container it listens on every interface.
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    environment = {
        **os.environ,
        "RESERVER_DATA_DIR": str(tmp_path / "data"),
        "RESERVER_CONFIG_DIR": str(tmp_path / "data" / "config"),
        "RESERVER_DATABASE_URL": postgres_url,
        "RESERVER_BCRYPT_ROUNDS": "4",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=environment)
    try:
        health = health_when_up(port, process)
        assert health is not None, log.read_text()
        assert (health.status_code, health.json()["database"]) == (200, "healthy")
        registered = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/register",
            json={"username": "alice", "password": "correct-horse"},
        )
        assert registered.json()["role"] == "admin"
        key = tmp_path / "data" / "server-secret.key"
        assert oct(key.stat().st_mode & 0o777) == "0o600"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
