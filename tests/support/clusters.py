"""A PostgreSQL cluster of a test's own, to stop, start, freeze and thaw.

Outage tests stop their database; they never touch the shared cluster. `own_cluster`
makes one with Debian's cluster tools on a free port (trust authentication for
local TCP, as root may set up) and drops it afterwards, whatever happened. Without
the tools the test is skipped, except under CI (see `support.databases`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from support.databases import unavailable
from support.servers import free_port


@dataclass
class Cluster:
    """One PostgreSQL cluster to make databases on, and to stop, start, freeze and thaw."""

    version: str
    name: str
    port: int
    data_dir: Path
    frozen: list[int] = field(default_factory=list)

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of `database` on this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """Create an empty database and return its URL."""
        name = f"reserver_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f"CREATE DATABASE {name}"))
        finally:
            admin.dispose()
        return self.url(name)

    def ctl(self, *args: str) -> None:
        """Run `pg_ctlcluster` on this cluster."""
        _run("pg_ctlcluster", self.version, self.name, *args)

    def start(self) -> None:
        """Start the cluster and wait until it accepts connections."""
        self.ctl("start")

    def stop(self) -> None:
        """Stop the cluster at once, as a crash would (no checkpoint, clients cut off)."""
        self.ctl("stop", "-m", "immediate")

    def freeze(self) -> None:
        """SIGSTOP the postmaster and every backend: connections stay open, nothing answers."""
        postmaster = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGSTOP)  # first, so that it starts no new process
        self.frozen = [postmaster]
        children = subprocess.run(
            ["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False
        ).stdout.split()
        for child in map(int, children):
            os.kill(child, signal.SIGSTOP)
            self.frozen.append(child)

    def thaw(self) -> None:
        """SIGCONT what `freeze` stopped."""
        for pid in reversed(self.frozen):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.frozen = []


def _run(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return done.stdout


def _newest_version() -> str | None:
    root = Path("/usr/lib/postgresql")
    found = [d.name for d in root.glob("*") if (d / "bin" / "initdb").exists()]
    return max(found, key=float) if found else None


@contextmanager
def own_cluster() -> Iterator[Cluster]:
    """A fresh, running cluster; thawed if frozen, then dropped at the end."""
    version = _newest_version()
    if shutil.which("pg_createcluster") is None or version is None:
        unavailable("PostgreSQL", "pg_createcluster is not installed")
    name = f"reserver_test_{uuid.uuid4().hex[:8]}"
    port = free_port()
    try:
        _run(
            "pg_createcluster", version, name, "-p", str(port),
            "--", "--auth-local=trust", "--auth-host=trust",
        )  # fmt: skip
    except RuntimeError as exc:
        unavailable("PostgreSQL", str(exc))
    try:
        listing = _run("pg_lsclusters", "--no-header", version, name).split()
        cluster = Cluster(version, name, port, Path(listing[5]))
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.thaw()
    finally:
        _run("pg_dropcluster", "--stop", version, name)
