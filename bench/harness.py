"""What bench/run.py stands on: the bench database, the environment, processes, waits, stats.

Everything here is started by the benchmark and stopped by it, by process id; nothing
outside the bench database and the processes it started is touched.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/storyengine_bench"


# ---------------------------------------------------------------- statistics


def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return percentile(values, 50)


# ---------------------------------------------------------------- the machine


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


# ---------------------------------------------------------------- PostgreSQL


def server_reachable(database_url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(database_url, dbname="postgres", connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def ensure_server(database_url: str) -> None:
    """Start the machine's PostgreSQL cluster if nothing answers on the bench URL.

    The machines this project runs on start PostgreSQL before a session; a stopped
    one is started the way they start it (Debian's pg_ctlcluster), else the run stops
    with a message that says what to do.
    """
    if server_reachable(database_url):
        return
    ctl = shutil.which("pg_ctlcluster")
    clusters = sorted(Path("/etc/postgresql").glob("*/main")) if ctl else []
    if clusters:
        version = clusters[-1].parent.name
        print(f"PostgreSQL not answering; starting cluster {version}/main", flush=True)
        subprocess.run([ctl, "--skip-systemctl-redirect", version, "main", "start"], check=False)
        for _ in range(30):
            if server_reachable(database_url):
                return
            time.sleep(1)
    sys.exit(
        f"PostgreSQL is not reachable at {database_url.rsplit('/', 1)[0]}. Start it, or set "
        "BENCH_DATABASE_URL to a server where the benchmark may create its own database."
    )


def recreate_database(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url, dbname="postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def server_version(database_url: str) -> str:
    return server_setting(database_url, "server_version")


def server_setting(database_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT current_setting(%s)", [name]).fetchone()[0]


def libpq_url(database_url: str) -> str:
    """psycopg and procrastinate want postgresql://; django-environ accepts both."""
    return "postgresql://" + database_url.split("://", 1)[1]


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """Subprocesses started by the benchmark; each stopped by its own pid, logs kept."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.running: list[subprocess.Popen] = []
        self._count = 0

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        self._count += 1
        log = open(self.log_dir / f"{self._count:03d}-{name}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            argv, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        process.log_path = log.name  # type: ignore[attr-defined]
        log.close()
        self.running.append(process)
        return process

    def stop(self, processes: list[subprocess.Popen], timeout: float = 30.0) -> None:
        """SIGTERM (a graceful stop for workers and gunicorn), SIGKILL if it lingers."""
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process in self.running:
                self.running.remove(process)

    def stop_all(self) -> None:
        self.stop(list(self.running), timeout=10)

    @staticmethod
    def check_alive(processes: list[subprocess.Popen]) -> None:
        for process in processes:
            if process.poll() is not None:
                log = Path(process.log_path).read_text(errors="replace")[-3000:]  # type: ignore[attr-defined]
                raise RuntimeError(f"{process.args[:4]} exited with {process.returncode}:\n{log}")


def peak_rss_mb(pid: int) -> float:
    """The process's high-water mark of resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_until(
    predicate: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    interval: float = 0.005,
    alive: list[subprocess.Popen] | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if alive:
            Processes.check_alive(alive)
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
