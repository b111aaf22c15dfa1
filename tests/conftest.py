"""Shared fixtures: users, API clients, job helpers and real worker subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from rest_framework.test import APIClient

from tests.fake_openai import FakeOpenAI
from tests.helpers import (
    PROJECT_DIR,
    SAMPLES_DIR,
    WorkerProcess,
    database_url_for_subprocess,
    token_client,
)
from transformations.services import job_config_build, job_create


@pytest.fixture(autouse=True)
def _isolated_media_and_fast_worker(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PROGRESS_WRITE_INTERVAL = 0
    settings.JOB_RETRY_BASE_DELAY = 0.01
    settings.JOB_RETRY_MAX_DELAY = 0.05
    settings.WORKER_RESCUE_INTERVAL = 0
    settings.STORY_ENGINE_FAULTS = []
    settings.ASSET_FAULTS = []
    # Asset jobs are tested on their own (tests/assets); elsewhere they would only add work.
    settings.ASSETS_AUTO_GENERATE = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def time_spent_script() -> bytes:
    return (SAMPLES_DIR / "time-spent.fountain").read_bytes()


@pytest.fixture
def time_spent_pack() -> bytes:
    return (SAMPLES_DIR / "time-spent.storypack.json").read_bytes()


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("elena", password="pw-elena-123")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user("marcus", password="pw-marcus-123")


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user("staff", password="pw-staff-123", is_staff=True)


@pytest.fixture
def api(user) -> APIClient:
    return token_client(user)


@pytest.fixture
def make_job(user):
    def make(data: bytes = b"", *, filename="time-spent.fountain", owner=None, **config):
        return job_create(
            user=owner or user,
            data=data,
            filename=filename,
            mime="text/plain",
            config=job_config_build(**config),
        )

    return make


@pytest.fixture
def spawn_worker(settings, tmp_path):
    """Start `manage.py run_worker` subprocesses against the test database."""
    processes: list[WorkerProcess] = []

    def spawn(*args: str, **env_overrides: str) -> WorkerProcess:
        env = {
            **os.environ,
            "DATABASE_URL": database_url_for_subprocess(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "WORKER_POLL_INTERVAL": "0.1",
            "WORKER_HEARTBEAT_INTERVAL": "0.2",
            "WORKER_LEASE_SECONDS": "2",
            "WORKER_RESCUE_INTERVAL": "0.3",
            "PROGRESS_WRITE_INTERVAL": "0",
            "JOB_RETRY_BASE_DELAY": "0.05",
            "ASSETS_AUTO_GENERATE": "0",
            "PYTHONUNBUFFERED": "1",
            **env_overrides,
        }
        env.pop("SQLITE_TEST_NAME", None)
        log_path = tmp_path / f"worker-{len(processes)}.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
            [sys.executable, str(PROJECT_DIR / "manage.py"), "run_worker", *args],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        worker = WorkerProcess(process, log_path)
        processes.append(worker)
        return worker

    yield spawn
    for worker in processes:
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGKILL)
            worker.process.wait(timeout=10)


@pytest.fixture
def fake_openai(settings):
    """A fake OpenAI-compatible server on 127.0.0.1 (tests/fake_openai.py), configured as
    this site's model server. Modules override single settings in their own fixture."""
    fake = FakeOpenAI().start()
    settings.OPENAI_BASE_URL = fake.url
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_MODEL = "gpt-4o-mini"
    settings.OPENAI_MAX_RETRIES = 2
    settings.OPENAI_TIMEOUT = 10
    settings.OPENAI_IMAGE_MODEL = "gpt-image-1"
    settings.OPENAI_IMAGE_SIZE = "1536x1024"
    settings.OPENAI_SPEECH_MODEL = "gpt-4o-mini-tts"
    settings.OPENAI_SPEECH_VOICE = "alloy"
    yield fake
    fake.stop()
