"""How fast `reserver` starts: wall time of whole processes, as a person waits for them.

Runs each command N times (after a warm-up run) against a small throwaway
SQLite database and prints wall-clock min / median / p90 in seconds next to
the targets of issue 4: `reserver --help` < 0.15 s and `reserver resources
list --json` < 0.45 s. A bare interpreter start is measured too, as the floor, and `import
sqlalchemy.orm` as a yardstick (the issue puts it at ~0.23 s here): on a busy
machine, scale the figures by it.
The median CPU time (user + system) of the process is printed beside: on a
busy machine wall time grows with the load, CPU time much less.

    python bench/bench_cli_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"reserver --help": 0.15, "reserver resources list --json": 0.45}


def reserver_script() -> str:
    """The installed console script beside this interpreter (not a version-manager shim)."""
    beside = Path(sys.executable).parent / "reserver"
    if beside.exists():
        return str(beside)
    found = shutil.which("reserver")
    if found is None:
        raise SystemExit("the reserver console script is not installed: pip install -e .")
    return found


def timed(command: list[str], env: dict[str, str], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU times of `runs` runs of `command`, after one unmeasured warm-up."""
    subprocess.run(command, env=env, check=True, capture_output=True)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def main() -> None:
    """Prepare a small database, time the commands, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="measured runs per command")
    runs = parser.parse_args().runs
    script = reserver_script()
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ)
        for variable in ("RESERVER_SERVER", "RESERVER_DATABASE_URL", "DATABASE_URL"):
            env.pop(variable, None)
        # An installation caches its bytecode after the first run; with this set
        # (some sandboxes do), every run would compile reserver's modules afresh.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for variable, name in (
            ("RESERVER_CONFIG_DIR", "config"),
            ("RESERVER_DATA_DIR", "data"),
            ("RESERVER_LOG_DIR", "log"),
        ):
            env[variable] = str(Path(folder) / name)
        csv = Path(folder) / "resources.csv"
        rows = [f'Room {n},"room,floor-{n % 3}",true' for n in range(1, 21)]
        csv.write_text("name,tags,available\n" + "\n".join(rows) + "\n", encoding="utf-8")
        subprocess.run([script, "resources", "import", str(csv)], env=env, check=True)
        subprocess.run(
            [script, "book", "Room 1", "+1d", "--for", "1h"], env=env, check=True, stdout=-3
        )
        commands = {
            "python -c pass (floor)": [sys.executable, "-c", "pass"],
            # The yardstick: ~0.23 s on this machine when it is quiet.
            "import sqlalchemy.orm (yardstick)": [sys.executable, "-c", "import sqlalchemy.orm"],
            "reserver --help": [script, "--help"],
            "reserver resources --help": [script, "resources", "--help"],
            "reserver resources list --json": [script, "resources", "list", "--json"],
            "reserver resources list": [script, "resources", "list"],
            "reserver upcoming --json": [script, "upcoming", "--json"],
        }
        print(f"{runs} runs each, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
        print(f"{'command':34} {'min':>7} {'median':>7} {'p90':>7} {'cpu':>7}  target (median)")
        for label, command in commands.items():
            walls, cpus = timed(command, env, runs)
            times = sorted(walls)
            median = statistics.median(times)
            p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
            cpu = statistics.median(cpus)
            target = TARGETS.get(label)
            verdict = (
                "" if target is None else f"< {target:.2f} {'ok' if median < target else 'MISSED'}"
            )
            print(f"{label:34} {times[0]:7.3f} {median:7.3f} {p90:7.3f} {cpu:7.3f}  {verdict}")


if __name__ == "__main__":
    main()
