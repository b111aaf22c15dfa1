"""Production behaviour: request logs, the content security policy, connection names per
process, Sentry only when configured, and a clean `check --deploy`."""

from __future__ import annotations

import http.server
import json
import logging
import os
import re
import secrets
import subprocess
import sys
import threading
import zlib

import pytest
from django.conf import settings
from django.db import connection
from django.utils.csp import CSP

from storyengine.processes import WEB, WORKER, process_name
from tests.helpers import PROJECT_DIR, database_url_for_subprocess

TEMPLATES_DIR = PROJECT_DIR / "templates"
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=|\son[a-z]+\s*=", re.IGNORECASE)
TEMPLATE_COMMENT = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.DOTALL)


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def request_log():
    """What core.request logs; works with or without pytest's logging plugin."""
    logger = logging.getLogger("core.request")
    handler, level = Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler.records
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def subprocess_database_url(tmp_path) -> str:
    """The test database on PostgreSQL; on SQLite a file of its own, since this process
    holds the test file's write lock for the length of a test."""
    if connection.vendor == "postgresql":
        return database_url_for_subprocess()
    return f"sqlite:///{tmp_path / 'subprocess.sqlite3'}"


def clean_env(database_url: str, **env: str) -> dict[str, str]:
    """This environment without its Django, Sentry or Render settings, plus `env`."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SENTRY_", "RENDER")) and k != "DB_APPLICATION_NAME"
    }
    base.pop("SQLITE_TEST_NAME", None)
    return {**base, "DATABASE_URL": database_url, **env}


def run_manage(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(PROJECT_DIR / "manage.py"), *args],
        cwd=PROJECT_DIR,
        env=clean_env(database_url, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env() -> dict[str, str]:
    # As scripts/test runs the deploy checks.
    return {
        "DJANGO_PRODUCTION": "true",
        "DJANGO_SECRET_KEY": f"ci-only-{secrets.token_urlsafe(48)}",
        "DJANGO_ALLOWED_HOSTS": "storyengine.example.com",
    }


# One log line per request -----------------------------------------------------------------


@pytest.mark.django_db
def test_each_request_logs_one_line_with_status_duration_user_and_request_id(
    client, user, request_log
):
    client.force_login(user)

    response = client.get("/?page=2&token=s3cret", HTTP_X_REQUEST_ID="req-42")

    (record,) = request_log
    assert record.levelno == logging.INFO
    message = record.getMessage()
    assert re.fullmatch(
        rf"method=GET path=/ status=200 duration_ms=\d+ user={user.pk} request_id=req-42",
        message,
    )
    assert record.http["status"] == 200 and record.http["duration_ms"] >= 0
    assert "s3cret" not in message and "token" not in message
    assert response["X-Request-ID"] == "req-42"


@pytest.mark.django_db
def test_api_requests_log_the_token_users_id(api, user, request_log):
    api.get("/api/transformations")

    (record,) = request_log
    assert record.http["user"] == user.pk
    assert record.http["path"] == "/api/transformations"


@pytest.mark.django_db
def test_a_forged_request_id_is_replaced_and_odd_paths_stay_on_one_line(client, request_log):
    response = client.get('/no such "page"', HTTP_X_REQUEST_ID="x\nINFO forged=1")

    (record,) = request_log
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert record.getMessage() == (
        f'method=GET path="/no such \\"page\\"" status=404 duration_ms={record.http["duration_ms"]}'
        f" user=- request_id={request_id}"
    )


@pytest.mark.django_db
def test_anonymous_static_like_requests_cost_no_query_to_log(
    client, request_log, django_assert_num_queries
):
    with django_assert_num_queries(0):
        client.get("/static/css/site.css")

    assert request_log[0].http["user"] is None


@pytest.mark.django_db
def test_healthy_health_checks_log_below_info(client, request_log):
    client.get("/healthz")

    assert [record.levelno for record in request_log] == [logging.DEBUG]


# Content security policy ------------------------------------------------------------------


def _policy(response) -> dict[str, list[str]]:
    directives = response["Content-Security-Policy"].split(";")
    return {name: values for name, *values in (d.split() for d in directives if d.strip())}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/docs/"])
def test_pages_carry_a_policy_without_inline_script_or_style(client, user, path):
    client.force_login(user)

    response = client.get(path)

    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == [CSP.SELF]
    assert policy["style-src"] == [CSP.SELF]
    assert policy["object-src"] == [CSP.NONE]
    assert policy["frame-ancestors"] == [CSP.NONE]
    assert not INLINE_SCRIPT.search(response.content.decode())


@pytest.mark.django_db
def test_the_api_docs_start_up_script_is_a_file_from_this_origin(client, user):
    client.force_login(user)
    page = client.get("/api/docs/").content.decode()
    (script_url,) = re.findall(r'<script src="(/api/docs/\?[^"]*)"', page)

    script = client.get(script_url.replace("&amp;", "&"))

    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


@pytest.mark.django_db
def test_admin_pages_allow_inline_styles_but_never_inline_scripts(client, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)

    policy = _policy(client.get("/admin/transformations/transformationjob/"))

    assert policy["script-src"] == [CSP.SELF]
    assert CSP.UNSAFE_INLINE in policy["style-src"]


def test_templates_have_no_inline_script_style_or_event_handler():
    offenders = [
        f"{path.relative_to(PROJECT_DIR)}: {match.group(0)!r}"
        for path in TEMPLATES_DIR.rglob("*.html")
        for pattern in (INLINE_SCRIPT, INLINE_STYLE)
        for match in pattern.finditer(TEMPLATE_COMMENT.sub("", path.read_text()))
    ]
    assert offenders == [], "move them to static/ (the policy blocks them)"


# application_name per process ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["/srv/.venv/bin/gunicorn", "storyengine.wsgi", "--bind", "0.0.0.0:10000"], WEB),
        (["/srv/.venv/lib/python3.12/site-packages/gunicorn/__main__.py", "x.wsgi"], WEB),
        (["manage.py", "runserver"], WEB),
        (["manage.py", "run_worker"], WORKER),
        (["/srv/manage.py", "run_worker", "--once"], WORKER),
        (["manage.py", "migrate", "--no-input"], "storyengine-migrate"),
        (["manage.py", "seed_demo"], "storyengine-seed_demo"),
        (["manage.py"], "storyengine-help"),
        (["/usr/lib/python3/site-packages/pytest/__main__.py", "-q"], "storyengine-test"),
        (["-c"], "storyengine"),
    ],
)
def test_each_kind_of_process_gets_its_own_connection_name(argv, name):
    assert process_name(argv) == name


SHOW_APPLICATION_NAME = """
import sys
sys.argv = {argv!r}
import django
django.setup()
from django.conf import settings
from django.db import connection
name = settings.DB_APPLICATION_NAME
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("SHOW application_name")
        name = cursor.fetchone()[0]
print(name)
"""


def _application_name_in_subprocess(database_url: str, argv: list[str], **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", SHOW_APPLICATION_NAME.format(argv=argv)],
        cwd=PROJECT_DIR,
        env=clean_env(database_url, DJANGO_SETTINGS_MODULE="storyengine.settings", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.django_db
def test_the_worker_process_connects_as_storyengine_worker(subprocess_database_url):
    # On PostgreSQL the server itself reports the name psycopg sent.
    name = _application_name_in_subprocess(subprocess_database_url, ["manage.py", "run_worker"])
    assert name == WORKER


@pytest.mark.django_db
def test_db_application_name_overrides_the_detected_name(subprocess_database_url):
    name = _application_name_in_subprocess(
        subprocess_database_url,
        ["manage.py", "run_worker"],
        DB_APPLICATION_NAME="storyengine-worker-images",
    )
    assert name == "storyengine-worker-images"


def test_postgresql_connections_are_reused_and_health_checked():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite opens a file, not a server connection")
    assert connection.settings_dict["CONN_MAX_AGE"] == 60
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


# Sentry ------------------------------------------------------------------------------------

SENTRY_STATE = (
    "import json, sentry_sdk; client = sentry_sdk.get_client(); "
    "print(json.dumps({'active': client.is_active(), 'options': {k: client.options.get(k) "
    "for k in ('send_default_pii', 'environment', 'release', 'max_request_body_size')}}))"
)


@pytest.mark.django_db
def test_sentry_stays_off_without_a_dsn(subprocess_database_url):
    result = run_manage(subprocess_database_url, "shell", "-c", SENTRY_STATE)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["active"] is False


@pytest.mark.django_db
def test_sentry_starts_with_a_dsn_without_personal_data(subprocess_database_url):
    result = run_manage(
        subprocess_database_url,
        "shell",
        "-c",
        SENTRY_STATE,
        SENTRY_DSN="https://public@sentry.invalid/1",
        SENTRY_ENVIRONMENT="staging",
        RENDER_GIT_COMMIT="0123abc",
    )

    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout.splitlines()[-1])
    assert state["active"] is True
    assert state["options"] == {
        "send_default_pii": False,
        "environment": "staging",
        "release": "0123abc",
        "max_request_body_size": "never",
    }


class _FakeSentry(http.server.BaseHTTPRequestHandler):
    envelopes: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        self.envelopes.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.django_db
def test_an_error_reaches_sentry_tagged_with_its_process(subprocess_database_url):
    server = http.server.HTTPServer(("127.0.0.1", 0), _FakeSentry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _FakeSentry.envelopes = []
    try:
        result = run_manage(
            subprocess_database_url,
            "shell",
            "-c",
            "import logging, sentry_sdk; "
            "logging.getLogger('jobqueue.worker').error('job=1 unexpected error'); "
            "sentry_sdk.flush(5)",
            SENTRY_DSN=f"http://public@127.0.0.1:{server.server_port}/1",
        )
    finally:
        server.shutdown()

    assert result.returncode == 0, result.stderr
    events = [
        json.loads(line)
        for envelope in _FakeSentry.envelopes
        for line in envelope.splitlines()
        if line.startswith(b"{") and b'"level"' in line
    ]
    (event,) = events
    assert event["logentry"]["message"] == "job=1 unexpected error"
    assert event["tags"]["process"] == "storyengine-shell"
    assert event["environment"] == "development"


# The deploy checks --------------------------------------------------------------------------


@pytest.mark.django_db
def test_deploy_checks_pass_with_production_settings(subprocess_database_url):
    result = run_manage(
        subprocess_database_url,
        *("check", "--deploy", "--fail-level", "WARNING"),
        **production_env(),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_production_refuses_to_start_without_a_secret_key(subprocess_database_url):
    env = production_env()
    del env["DJANGO_SECRET_KEY"]

    result = run_manage(subprocess_database_url, "check", **env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_production_trusts_render_for_https_and_its_hostname(subprocess_database_url):
    result = run_manage(
        subprocess_database_url,
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER, "
        "s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS > 0, s.CSRF_TRUSTED_ORIGINS, 'web.onrender.com' in s.ALLOWED_HOSTS)",
        **production_env(),
        RENDER_EXTERNAL_HOSTNAME="web.onrender.com",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "('HTTP_X_FORWARDED_PROTO', 'https') True True True True ['https://web.onrender.com'] True"
    )


def test_settings_in_this_test_run_are_not_production():
    # The subprocess tests above stand for production; this process must not.
    assert not settings.PRODUCTION
