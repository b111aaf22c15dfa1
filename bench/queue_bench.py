"""Step 1 benchmarks on PostgreSQL: pickup latency, Time Spent end to end, throughput.

    .venv/bin/python bench/queue_bench.py            # prints its report
    .venv/bin/python bench/queue_bench.py --quick    # fewer runs

docs/BENCHMARKS.md is written by `make bench` (bench/run.py) alone, so that every
number in it comes from one run; this script is Step 1's focused check.

Starts real `run_worker` subprocesses against a scratch database
(`storyengine_bench`, dropped and recreated) on the PostgreSQL server named by
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/storyengine_bench).
Latencies come from database timestamps (created_at → started_at → finished_at),
so the benchmark's own polling does not inflate them.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/storyengine_bench"
SECTION_START = "<!-- queue-bench:start -->"
SECTION_END = "<!-- queue-bench:end -->"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def setup_django(database_url: str, media_root: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["MEDIA_ROOT"] = media_root
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storyengine.settings")
    sys.path.insert(0, str(PROJECT_DIR))
    import django

    django.setup()


def recreate_database(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


class Workers:
    def __init__(self, count: int, env: dict[str, str], *args: str) -> None:
        self.processes = [
            subprocess.Popen(
                [sys.executable, "manage.py", "run_worker", *args],
                cwd=PROJECT_DIR,
                env={**os.environ, **env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(count)
        ]

    def wait(self, timeout: float) -> None:
        for process in self.processes:
            process.wait(timeout=timeout)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until(predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark step timed out")
        time.sleep(0.005)


def enqueue(data: bytes, owner, name: str = "time-spent.fountain"):
    from transformations.services import job_config_build, job_create

    return job_create(
        user=owner, data=data, filename=name, config=job_config_build(on_duplicate="copy")
    )


def measure_pickup(owner, *, runs: int, listen: bool, poll: float) -> list[float]:
    """Enqueue one job at a time into an idle worker; return created → started in ms."""
    from django.db import close_old_connections

    from transformations.models import TransformationJob

    env = {"WORKER_POLL_INTERVAL": str(poll), "WORKER_LISTEN": "true" if listen else "false"}
    workers = Workers(1, env)
    try:
        time.sleep(2.0)  # let the worker connect and start listening
        latencies = []
        for n in range(runs):
            job = enqueue(f"A tiny story number {n}.\n\nIt ends.".encode(), owner, f"tiny-{n}.txt")
            wait_until(
                lambda job=job: TransformationJob.objects.filter(
                    pk=job.pk, finished_at__isnull=False
                ).exists()
            )
            row = TransformationJob.objects.get(pk=job.pk)
            latencies.append((row.started_at - row.created_at).total_seconds() * 1000)
            close_old_connections()
            # Land the next enqueue at a random point of the poll cycle.
            time.sleep(0.05 + (n * 0.137) % max(poll, 0.1))
    finally:
        workers.stop()
    return latencies


def measure_end_to_end(owner, data: bytes, *, runs: int) -> list[float]:
    from transformations.models import TransformationJob

    workers = Workers(1, {"WORKER_POLL_INTERVAL": "1"})
    try:
        time.sleep(2.0)
        durations = []
        for _ in range(runs):
            job = enqueue(data, owner)
            wait_until(
                lambda job=job: TransformationJob.objects.filter(
                    pk=job.pk, status="completed"
                ).exists()
            )
            row = TransformationJob.objects.get(pk=job.pk)
            durations.append((row.finished_at - row.created_at).total_seconds() * 1000)
    finally:
        workers.stop()
    return durations


def measure_throughput(owner, data: bytes, *, jobs: int, worker_count: int) -> float:
    from django.db.models import Max, Min

    from transformations.models import TransformationJob

    ids = [enqueue(data, owner).pk for _ in range(jobs)]
    workers = Workers(worker_count, {"WORKER_POLL_INTERVAL": "0.2"}, "--once")
    workers.wait(timeout=600)
    done = TransformationJob.objects.filter(pk__in=ids, status="completed")
    if done.count() != jobs:
        raise RuntimeError(f"only {done.count()} of {jobs} jobs completed")
    # First claim to last completion, by the database clock: process start-up is not counted.
    span = done.aggregate(first=Min("started_at"), last=Max("finished_at"))
    return jobs / (span["last"] - span["first"]).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(database_url)
    media_root = tempfile.mkdtemp(prefix="storyengine-bench-")
    setup_django(database_url, media_root)

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user("bench")
    data = (PROJECT_DIR / "samples" / "time-spent" / "time-spent.fountain").read_bytes()
    scale = 0.2 if args.quick else 1.0

    results: dict[str, list[float] | float] = {}
    results["pickup_notify"] = measure_pickup(owner, runs=int(100 * scale), listen=True, poll=1.0)
    results["pickup_poll"] = measure_pickup(owner, runs=int(40 * scale), listen=False, poll=1.0)
    results["end_to_end"] = measure_end_to_end(owner, data, runs=int(30 * scale))
    results["throughput_1"] = measure_throughput(owner, data, jobs=int(200 * scale), worker_count=1)
    results["throughput_2"] = measure_throughput(owner, data, jobs=int(200 * scale), worker_count=2)
    report = render(results, quick=args.quick)
    print(report)


def render(results, *, quick: bool) -> str:
    def row(name: str, values: list[float], target: str = "") -> str:
        return (
            f"| {name} | {len(values)} | {percentile(values, 50):.1f} | "
            f"{percentile(values, 95):.1f} | {min(values):.1f}–{max(values):.1f} | {target} |"
        )

    notify, poll = results["pickup_notify"], results["pickup_poll"]
    e2e = results["end_to_end"]
    t1, t2 = results["throughput_1"], results["throughput_2"]
    ratio = statistics.median(poll) / max(statistics.median(notify), 0.001)
    e2e_ok = "met" if percentile(e2e, 50) <= 1000 else "MISSED"
    notify_ok = "met" if percentile(notify, 50) <= 20 else "MISSED"
    lines = [
        SECTION_START,
        "# Benchmarks",
        "",
        "Each section is rewritten by the script named in it; the numbers are the ones it printed.",
        "",
        "Produced by `.venv/bin/python bench/queue_bench.py` "
        f"on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; the file is rewritten by each run.",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, PostgreSQL on 127.0.0.1, local engine."
        + (" (quick run)" if quick else ""),
        "",
        "## Step 1: queue and pipeline (PostgreSQL)",
        "",
        "Times in milliseconds, from database timestamps. Pickup is enqueue → claimed by an idle",
        "worker (`created_at` → `started_at`); end to end is enqueue → job completed with its",
        "universe (`created_at` → `finished_at`) for the Time Spent screenplay.",
        "",
        "| measure | runs | p50 | p95 | range | target |",
        "|---|---|---|---|---|---|",
        row("pickup, LISTEN/NOTIFY (poll 1 s as fallback)", notify, f"p50 ≤ 20 ms: {notify_ok}"),
        row("pickup, polling only (1 s)", poll, ""),
        row("Time Spent end to end, 1 idle worker", e2e, f"≤ 1000 ms: {e2e_ok}"),
        "",
        f"NOTIFY makes pickup {ratio:.0f}× faster than polling at the median.",
        "",
        "| throughput over queued Time Spent jobs | jobs/s |",
        "|---|---|",
        f"| 1 worker | {t1:.1f} |",
        f"| 2 workers | {t2:.1f} ({t2 / t1:.2f}× one worker) |",
        "",
        "Throughput is jobs over the span from the first claim to the last completion; each job",
        "runs all six stages and creates a universe (duplicates are imported as copies so every",
        "job does full work).",
        SECTION_END,
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
