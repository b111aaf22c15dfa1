"""Helpers shared by tests: API clients, the worker's unit of work, subprocess workers."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from jobqueue.worker import Worker
from transformations.models import TransformationJob

PROJECT_DIR = Path(__file__).resolve().parent.parent
SAMPLES_DIR = PROJECT_DIR / "samples" / "time-spent"


def token_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def run_until_idle(worker: Worker | None = None, *, limit: int = 100) -> Worker:
    """Call the worker's unit of work until it finds nothing to do."""
    worker = worker or Worker()
    for _ in range(limit):
        if not worker.handle_one():
            return worker
    raise AssertionError(f"worker still busy after {limit} jobs")


def reload(job: TransformationJob) -> TransformationJob:
    return TransformationJob.objects.get(pk=job.pk)


def database_url_for_subprocess() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        user = db.get("USER") or "postgres"
        return f"postgres://{user}@{host}:{port}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


class WorkerProcess:
    def __init__(self, process: subprocess.Popen, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.process.pid

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.05, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(message or "condition not met in time")
