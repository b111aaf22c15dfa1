"""render.yaml checked against the code it deploys.

Every command must be a real command, every reference must resolve, every variable the
blueprint sets must be one the settings read (a renamed setting fails here, not on Render),
and everything production cannot run without must be provided or prompted for.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from functools import cache
from importlib import import_module
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command, get_commands
from django.db import connection
from django.utils.module_loading import import_string

from tests.helpers import PROJECT_DIR, database_url_for_subprocess

BLUEPRINT = PROJECT_DIR / "render.yaml"
SETTINGS_FILE = PROJECT_DIR / "storyengine" / "settings.py"
DEPLOY_DOC = PROJECT_DIR / "docs" / "DEPLOY.md"
# Read by the programs the blueprint starts rather than by settings.py.
READ_BY_GUNICORN = {"WEB_CONCURRENCY"}
# Production cannot run without these even though settings.py has local defaults: the
# SQLite file and MEDIA_ROOT would live on one instance's disk, and Render services share
# none (docs/ASSETS.md).
REQUIRED_IN_PRODUCTION = {
    "DJANGO_SECRET_KEY",
    "DATABASE_URL",
    "MEDIA_S3_BUCKET",
    "MEDIA_S3_ACCESS_KEY_ID",
    "MEDIA_S3_SECRET_ACCESS_KEY",
}
DATABASE_PROPERTIES = {"connectionString", "host", "port", "user", "password", "database"}
SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|DSN|PASSWORD")
# Render's ceiling for maxShutdownDelaySeconds.
MAX_SHUTDOWN_DELAY = 300
# After the grace the worker still hands its job back and closes its connections.
HAND_BACK_MARGIN_SECONDS = 15


@cache
def blueprint() -> dict:
    return yaml.safe_load(BLUEPRINT.read_text())


def services(kind: str) -> list[dict]:
    return [service for service in blueprint()["services"] if service["type"] == kind]


def web() -> dict:
    (service,) = services("web")
    return service


def worker() -> dict:
    (service,) = services("worker")
    return service


def env_entries(service: dict) -> list[dict]:
    """A service's own entries plus those of the groups it pulls in."""
    groups = {group["name"]: group for group in blueprint().get("envVarGroups", [])}
    entries = []
    for entry in service.get("envVars", []):
        if "fromGroup" in entry:
            entries.extend(groups[entry["fromGroup"]]["envVars"])
        else:
            entries.append(entry)
    return entries


def env_keys(service: dict) -> dict[str, dict]:
    return {entry["key"]: entry for entry in env_entries(service)}


def plain_values(service: dict) -> dict[str, str]:
    return {key: str(e["value"]) for key, e in env_keys(service).items() if "value" in e}


def commands(service: dict) -> list[list[str]]:
    """Each `&&`-separated command of the service's build, pre-deploy and start commands."""
    found = []
    for field in ("buildCommand", "preDeployCommand", "startCommand"):
        for part in (service.get(field) or "").split("&&"):
            if part.strip():
                found.append(shlex.split(part))
    return found


def manage_py_commands(service: dict) -> list[str]:
    return [argv[2] for argv in commands(service) if argv[:2] == ["python", "manage.py"]]


@cache
def settings_env_reads() -> tuple[dict[str, bool], tuple[str, ...]]:
    """Names settings.py reads from the environment, whether each has a default, and the
    prefixes of names it builds (OPENAI_MODEL_<STAGE>, THROTTLE_<SCOPE>)."""
    names: dict[str, bool] = {}
    prefixes: list[str] = []
    for node in ast.walk(ast.parse(SETTINGS_FILE.read_text())):
        if isinstance(node, ast.Call) and node.args and _reads_environment(node.func):
            first = node.args[0]
            has_default = len(node.args) > 1 or any(k.arg == "default" for k in node.keywords)
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                # Required when any read of it goes without a default.
                names[first.value] = names.get(first.value, True) and has_default
            elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
                prefixes.append(first.values[0].value)
        elif (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.ops[0], ast.In)
            and ast.unparse(node.comparators[0]) == "os.environ"
        ):
            names.setdefault(node.left.value, True)
    return names, tuple(prefixes)


def _reads_environment(func: ast.expr) -> bool:
    # env("X"), env.str("X"), env.int("X"), ..., os.environ.get("X")
    source = ast.unparse(func)
    return source == "env" or source.startswith("env.") or source == "os.environ.get"


def read_by_settings(name: str) -> bool:
    names, prefixes = settings_env_reads()
    return name in names or name.startswith(prefixes)


# The services -----------------------------------------------------------------------------


def test_blueprint_has_a_web_service_a_worker_and_one_database_in_one_region():
    assert {service["type"] for service in blueprint()["services"]} == {"web", "worker"}
    assert web()["runtime"] == worker()["runtime"] == "python"
    (database,) = blueprint()["databases"]
    # The private network (and connectionString) only reaches services in the same region.
    assert web()["region"] == worker()["region"] == database["region"]
    # Render cannot change a database's major version later: it is chosen on purpose.
    assert database["postgresMajorVersion"].isdigit()


def test_every_manage_py_command_exists():
    available = get_commands()
    used = manage_py_commands(web()) + manage_py_commands(worker())

    assert used, "the blueprint runs no manage.py command"
    assert [name for name in used if name not in available] == []


def test_the_web_service_runs_gunicorn_on_the_wsgi_application():
    start = shlex.split(web()["startCommand"])
    assert start[0] == "gunicorn"
    module = start[1]
    assert module == settings.WSGI_APPLICATION.rsplit(".", 1)[0]
    assert callable(import_module(module).application)
    # Render routes to $PORT; the process count comes from WEB_CONCURRENCY, not a flag.
    assert start[start.index("--bind") + 1] == "0.0.0.0:$PORT"
    assert "--workers" not in start and "-w" not in start
    assert int(plain_values(web())["WEB_CONCURRENCY"]) >= 1


def test_the_worker_runs_run_worker_and_never_migrates():
    assert shlex.split(worker()["startCommand"]) == ["python", "manage.py", "run_worker"]
    assert "migrate" not in manage_py_commands(worker())
    # It waits for the web's migrations instead, so new code never meets an old schema.
    assert shlex.split(worker()["preDeployCommand"])[:3] == [
        "python",
        "manage.py",
        "wait_for_migrations",
    ]


def test_migrations_run_once_per_deploy_before_the_web_starts():
    assert manage_py_commands(web()).count("migrate") == 1
    pre_deploy = commands({"preDeployCommand": web()["preDeployCommand"]})
    assert ["python", "manage.py", "migrate", "--no-input"] in pre_deploy
    # The throttles' database cache needs its table before the first request.
    if settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
        assert ["python", "manage.py", "createcachetable"] in pre_deploy
    assert "migrate" not in web()["startCommand"]


def test_both_services_install_the_project_from_pyproject():
    for service in (web(), worker()):
        assert ["pip", "install", "."] in commands({"buildCommand": service["buildCommand"]})
    pyproject = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    dependencies = " ".join(pyproject["project"]["dependencies"])
    for program in ("gunicorn", "whitenoise", "psycopg", "sentry-sdk", "django-storages"):
        assert program in dependencies


def test_python_is_pinned_to_the_version_the_project_supports():
    pinned = (PROJECT_DIR / ".python-version").read_text().strip()
    requires = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"][
        "requires-python"
    ]
    assert re.fullmatch(r"3\.\d+(\.\d+)?", pinned)
    assert requires == f">={'.'.join(pinned.split('.')[:2])}"
    for service in (web(), worker()):
        # PYTHON_VERSION would win over .python-version; Render wants it fully qualified.
        version = plain_values(service).get("PYTHON_VERSION")
        if version is not None:
            assert re.fullmatch(rf"{re.escape(pinned)}\.\d+", version)


def test_static_files_are_collected_at_build_and_served_by_whitenoise(settings, tmp_path):
    assert ["python", "manage.py", "collectstatic", "--no-input"] in commands(
        {"buildCommand": web()["buildCommand"]}
    )
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE
    backend = plain_values(web())["STATICFILES_BACKEND"]
    import_string(backend)
    # The manifest backend fails the build on a missing reference (a source map, a font):
    # run the build's collectstatic with it here first.
    settings.STATIC_ROOT = tmp_path / "staticfiles"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": backend}}
    call_command("collectstatic", "--no-input", verbosity=0)
    assert (tmp_path / "staticfiles" / "staticfiles.json").exists()


# Health and shutdown ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_health_check_path_answers_200_before_any_worker_runs(client):
    # A first deploy: the web must go live even though no worker has beaten yet.
    response = client.get(web()["healthCheckPath"])

    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_the_worker_has_longer_than_its_grace_to_hand_back_a_job_before_sigkill():
    delay = worker()["maxShutdownDelaySeconds"]
    grace = float(
        plain_values(worker()).get("WORKER_SHUTDOWN_GRACE", settings.WORKER_SHUTDOWN_GRACE)
    )
    assert read_by_settings("WORKER_SHUTDOWN_GRACE")
    assert isinstance(delay, int) and 1 <= delay <= MAX_SHUTDOWN_DELAY
    assert delay >= grace + HAND_BACK_MARGIN_SECONDS


def test_the_web_lets_gunicorn_drain_requests_before_sigkill():
    start = shlex.split(web()["startCommand"])
    graceful = int(start[start.index("--graceful-timeout") + 1])
    delay = web()["maxShutdownDelaySeconds"]
    assert isinstance(delay, int) and graceful < delay <= MAX_SHUTDOWN_DELAY


# Environment ------------------------------------------------------------------------------


def test_every_reference_resolves():
    groups = {group["name"] for group in blueprint()["envVarGroups"]}
    databases = {database["name"] for database in blueprint()["databases"]}
    for service in blueprint()["services"]:
        for entry in service.get("envVars", []):
            if "fromGroup" in entry:
                assert entry["fromGroup"] in groups
            if "fromDatabase" in entry:
                assert entry["fromDatabase"]["name"] in databases
                assert entry["fromDatabase"]["property"] in DATABASE_PROPERTIES
            assert "fromService" not in entry, "check fromService references here first"
    for group in blueprint()["envVarGroups"]:
        for entry in group["envVars"]:
            # Render ignores both inside a group.
            assert (
                "sync" not in entry and "fromDatabase" not in entry and "fromService" not in entry
            )


def test_each_entry_has_exactly_one_source():
    for service in blueprint()["services"]:
        for entry in env_entries(service):
            sources = {"value", "generateValue", "sync", "fromDatabase", "fromService"} & set(entry)
            assert len(sources) == 1, entry
            if "sync" in entry:
                assert entry["sync"] is False


def test_every_variable_the_blueprint_sets_is_read_by_the_code():
    unread = {
        key
        for service in blueprint()["services"]
        for key in env_keys(service)
        if not read_by_settings(key) and key not in READ_BY_GUNICORN
    }
    assert unread == set(), "set on Render but read by nothing: renamed or removed settings?"


def test_every_setting_without_a_default_is_provided_to_both_services():
    names, _ = settings_env_reads()
    required = {name for name, has_default in names.items() if not has_default}
    assert required, "settings.py should insist on DJANGO_SECRET_KEY in production"
    assert required | REQUIRED_IN_PRODUCTION <= set(names)
    for service in (web(), worker()):
        missing = (required | REQUIRED_IN_PRODUCTION) - set(env_keys(service))
        assert missing == set(), f"{service['name']} lacks {sorted(missing)}"


def test_one_generated_secret_key_is_shared_by_both_services():
    (group,) = [
        group
        for group in blueprint()["envVarGroups"]
        if any(entry["key"] == "DJANGO_SECRET_KEY" for entry in group["envVars"])
    ]
    (entry,) = [entry for entry in group["envVars"] if entry["key"] == "DJANGO_SECRET_KEY"]
    assert entry == {"key": "DJANGO_SECRET_KEY", "generateValue": True}
    for service in (web(), worker()):
        assert {"fromGroup": group["name"]} in service["envVars"]
        own = [entry.get("key") for entry in service["envVars"]]
        assert "DJANGO_SECRET_KEY" not in own, "a service's own key would override the shared one"


def test_database_url_comes_from_the_managed_database():
    (database,) = blueprint()["databases"]
    for service in (web(), worker()):
        assert env_keys(service)["DATABASE_URL"] == {
            "key": "DATABASE_URL",
            "fromDatabase": {"name": database["name"], "property": "connectionString"},
        }


def test_secrets_are_prompted_never_written_in_the_file():
    for service in blueprint()["services"]:
        for key, entry in env_keys(service).items():
            if SECRET_NAME.search(key):
                assert "value" not in entry, f"{key} has a literal value in render.yaml"
    prompted = {key for key, e in env_keys(web()).items() if e.get("sync") is False}
    assert {
        "OPENAI_API_KEY",
        "MEDIA_S3_BUCKET",
        "MEDIA_S3_ACCESS_KEY_ID",
        "MEDIA_S3_SECRET_ACCESS_KEY",
        "SENTRY_DSN",
        "METRICS_TOKEN",
    } <= prompted


def test_the_worker_is_prompted_for_the_same_storage_and_model_settings_as_the_web():
    # Both read and write the same bucket and call the same model server.
    def shared(service):
        return {
            key
            for key, entry in env_keys(service).items()
            if entry.get("sync") is False and key.startswith(("MEDIA_S3_", "OPENAI_", "SENTRY_"))
        }

    assert shared(worker()) == shared(web())


def test_the_deploy_guide_explains_every_prompted_variable():
    guide = DEPLOY_DOC.read_text()
    for service in blueprint()["services"]:
        for key, entry in env_keys(service).items():
            if entry.get("sync") is False:
                assert key in guide, f"docs/DEPLOY.md does not mention {key}"


# The start command, for real --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, host: str) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers={"Host": host})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.django_db
def test_the_start_command_serves_the_health_check_as_render_calls_it(tmp_path):
    """gunicorn as render.yaml starts it, with production settings: a plain-HTTP health
    check with the service's onrender.com Host header gets 200, while pages redirect to
    HTTPS."""
    port = _free_port()
    host = "storyengine-web.onrender.com"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SENTRY_"))},
        **plain_values(web()),
        "RENDER": "true",
        "RENDER_EXTERNAL_HOSTNAME": host,
        "DJANGO_SECRET_KEY": "test-only-" + "x" * 50,
        "DATABASE_URL": database_url_for_subprocess(),
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("SQLITE_TEST_NAME", None)
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        ["sh", "-c", f"exec {web()['startCommand']}"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, body = _get(f"http://127.0.0.1:{port}/healthz", host)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError((tmp_path / "gunicorn.log").read_text()) from None
                time.sleep(0.2)
        assert status == 200, body
        status, headers, _ = _get(f"http://127.0.0.1:{port}/", host)
        assert status == 301
        assert headers["Location"] == f"https://{host}/"
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE application_name = 'storyengine-web' AND datname = current_database()"
                )
                # CONN_MAX_AGE keeps the health check's connection open, named for the web.
                assert cursor.fetchone()[0] >= 1
    finally:
        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(timeout=30)
        log.close()
    output = (tmp_path / "gunicorn.log").read_text()
    assert exit_code == 0, output
    assert "method=GET path=/ status=301" in output
