"""`reserver web` as a real process for tests, and a look at the app processes it runs.

`start_web(tmp_path, server_url)` runs `reserver [--server URL] web` on a free
loopback port and waits until its page answers; `WebProcess.sessions()` lists
the app processes (one per browser tab) it has running right now, read from /proc.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from .servers import free_port, stop_process

RESERVER = [sys.executable, "-c", "from reserver_cli import main; main()"]


@dataclass
class WebProcess:
    """A `reserver web` process: its page's `url` and its log."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def websocket_url(self) -> str:
        """Where a browser tab's terminal connects."""
        return "ws" + self.url.removeprefix("http") + "/ws"

    def sessions(self) -> list[int]:
        """Process ids of the app processes this server runs now (its children)."""
        return children_of(self.process.pid)

    def wait_for_sessions(self, count: int, seconds: float = 30) -> list[int]:
        """The children once there are `count` of them; AssertionError if that never came."""
        deadline = time.monotonic() + seconds
        while True:
            current = self.sessions()
            if len(current) == count or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert len(current) == count, f"{len(current)} app processes, not {count}: {current}"
        return current

    def log(self) -> str:
        """What the process wrote so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        """SIGTERM the process and wait for it; returns its exit code."""
        return stop_process(self.process, 20)


def children_of(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name, in brackets, may hold spaces: the fields follow its ')'.
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if int(parent) == pid and state != "Z":
            found.append(int(entry.name))
    return sorted(found)


def start_web(
    log_dir: Path, server_url: str | None, env: dict[str, str] | None = None
) -> WebProcess:
    """Start `reserver [--server URL] web` on a free loopback port; wait until it answers."""
    port = free_port()
    command = [*RESERVER, *(["--server", server_url] if server_url else []), "web"]
    command += ["--port", str(port)]
    log_path = log_dir / f"web-{port}.log"
    # Its temporary files (the tabs' config dirs) in the test's folder, even after a SIGKILL.
    scratch = log_dir / "tmp"
    scratch.mkdir(exist_ok=True)
    environment = {**os.environ, "TMPDIR": str(scratch), **(env or {})}
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, env=environment
        )
    web = WebProcess(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(web.url + "/", timeout=2).status_code == 200:
                return web
        except httpx.TransportError:
            time.sleep(0.05)
    web.stop()
    raise RuntimeError(f"reserver web did not start:\n{web.log()}")
