"""Story Engine settings, read from the environment (django-environ).

With no environment at all the project runs on an embedded SQLite database in
the project folder, so a newcomer needs no server. Bad values fail loudly at
start-up rather than at first use.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import environ
from django.utils.csp import CSP

from storyengine.processes import process_name

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    environ.Env.read_env(BASE_DIR / ".env")

# GENERAL
# ------------------------------------------------------------------------------
# Production hardening switches on when deployed (Render sets RENDER) or when asked.
PRODUCTION = env.bool("DJANGO_PRODUCTION", default="RENDER" in os.environ)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
if PRODUCTION:
    SECRET_KEY = env("DJANGO_SECRET_KEY")
else:
    SECRET_KEY = env(
        "DJANGO_SECRET_KEY",
        default="insecure-dev-key-set-DJANGO_SECRET_KEY-in-production-0123456789",
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
RENDER_EXTERNAL_HOSTNAME = env("RENDER_EXTERNAL_HOSTNAME", default="")
if RENDER_EXTERNAL_HOSTNAME:
    ALLOWED_HOSTS.append(RENDER_EXTERNAL_HOSTNAME)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
if RENDER_EXTERNAL_HOSTNAME:
    CSRF_TRUSTED_ORIGINS.append(f"https://{RENDER_EXTERNAL_HOSTNAME}")

TIME_ZONE = "UTC"
USE_TZ = True
LANGUAGE_CODE = "en-us"
USE_I18N = True

ROOT_URLCONF = "storyengine.urls"
WSGI_APPLICATION = "storyengine.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# APPS
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "core.admin_site.StoryEngineAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "jobqueue",
    "transformations",
    "universes",
    "assets",
]

MIDDLEWARE = [
    # Outermost, so that its duration and status cover every other layer.
    "core.request_logging.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.UploadSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# DATABASE
# ------------------------------------------------------------------------------
# Unset DATABASE_URL means the embedded SQLite file; PostgreSQL (psycopg 3) otherwise.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
_db = DATABASES["default"]
# How this process shows in pg_stat_activity: storyengine-web, storyengine-worker,
# storyengine-migrate, ... (storyengine/processes.py).
DB_APPLICATION_NAME = env.str("DB_APPLICATION_NAME", default="") or process_name(sys.argv)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions and a busy timeout let the web process and the
    # worker write the same file without "database is locked" errors.
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file (not :memory:) so that worker subprocesses in tests share it; one per test run.
    _db.setdefault("TEST", {})["NAME"] = env(
        "SQLITE_TEST_NAME",
        default=str(Path(tempfile.gettempdir()) / f"storyengine-test-{os.getpid()}.sqlite3"),
    )
else:
    # Reuse a connection for a minute instead of opening one per request; the health
    # check replaces one the server closed meanwhile (a database restart, an idle timeout).
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {})["application_name"] = DB_APPLICATION_NAME

# AUTH
# ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# STATIC AND MEDIA
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
# Uploads and generated media in S3-compatible object storage (AWS S3, Cloudflare R2, MinIO,
# Backblaze B2, ...) when a bucket is named: services on Render share no disk. Files stay
# private; readers get them through the app (assets/views.py), which checks who may read.
MEDIA_S3_BUCKET = env.str("MEDIA_S3_BUCKET", default="")
if MEDIA_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": env.str("MEDIA_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("MEDIA_S3_REGION", default="") or None,
            "access_key": env.str("MEDIA_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("MEDIA_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("MEDIA_S3_PREFIX", default=""),
            "default_acl": "private",
            "querystring_auth": True,
            # Asset names are content hashes: the same name is the same bytes.
            "file_overwrite": True,
        },
    }

# API
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so anonymous API calls get 401 with WWW-Authenticate, not 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Story Engine API",
    "DESCRIPTION": "Turn story-shaped documents into living story universes.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/",
}

# STORY ENGINE
# ------------------------------------------------------------------------------
STORY_ENGINE = env.str("STORY_ENGINE", default="local")
# Public base URL, for links printed by commands. Render sets RENDER_EXTERNAL_URL on web services.
SITE_URL = env.str(
    "SITE_URL", default=env.str("RENDER_EXTERNAL_URL", default="http://127.0.0.1:8000")
)
# Upload and parsing limits protect the workers (DESIGN §2).
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
# Uploads larger than this are spooled to a temporary file rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
INGEST_MAX_CHARS = env.int("INGEST_MAX_CHARS", default=2_000_000)
INGEST_MAX_SECTIONS = env.int("INGEST_MAX_SECTIONS", default=500)
INGEST_MAX_PAGES = env.int("INGEST_MAX_PAGES", default=600)
INGEST_MAX_SLIDES = env.int("INGEST_MAX_SLIDES", default=400)
INGEST_MAX_UNCOMPRESSED_BYTES = env.int("INGEST_MAX_UNCOMPRESSED_BYTES", default=200 * 1024 * 1024)
INGEST_MAX_COMPRESSION_RATIO = env.float("INGEST_MAX_COMPRESSION_RATIO", default=100.0)
# Wall time for reading a file (stage 0); past it the job fails with PARSE_TIMEOUT.
INGEST_PARSE_SECONDS = env.float("INGEST_PARSE_SECONDS", default=120.0)
# The OpenAI engine (DESIGN §4): any OpenAI-compatible server by base URL. A
# base URL alone is enough for a local model server that needs no key.
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")
# Per-stage models; each falls back to OPENAI_MODEL.
OPENAI_STAGE_MODELS = {
    stage: env.str(f"OPENAI_MODEL_{stage.upper()}", default="")
    for stage in ("read", "identify", "world", "moments", "craft", "vision")
}
OPENAI_TIMEOUT = env.float("OPENAI_TIMEOUT", default=60.0)
# Retries inside one call (429, 408/409, 5xx, timeouts), by the openai client:
# exponential backoff with jitter, honouring Retry-After.
OPENAI_MAX_RETRIES = env.int("OPENAI_MAX_RETRIES", default=3)
# The model's context window and the share kept for its answer; a stage never
# sends more than the difference in one call (long documents go in sections).
OPENAI_CONTEXT_TOKENS = env.int("OPENAI_CONTEXT_TOKENS", default=16_000)
OPENAI_MAX_OUTPUT_TOKENS = env.int("OPENAI_MAX_OUTPUT_TOKENS", default=2_000)
# USD per million tokens, "model=input/output,...", for the staff cost estimate.
OPENAI_PRICES = env.str(
    "OPENAI_PRICES",
    default="gpt-4o-mini=0.15/0.60,gpt-4o=2.50/10.00,gpt-4.1-mini=0.40/1.60,gpt-4.1=2.00/8.00",
)
# Media from the OpenAI engine (images, speech).
OPENAI_IMAGE_MODEL = env.str("OPENAI_IMAGE_MODEL", default="gpt-image-1")
OPENAI_IMAGE_SIZE = env.str("OPENAI_IMAGE_SIZE", default="1536x1024")
OPENAI_SPEECH_MODEL = env.str("OPENAI_SPEECH_MODEL", default="gpt-4o-mini-tts")
OPENAI_SPEECH_VOICE = env.str("OPENAI_SPEECH_VOICE", default="alloy")

# ASSETS (DESIGN §4, §5): media generated per universe by asset jobs on the same queue.
# ------------------------------------------------------------------------------
# Queue the asset jobs when a transformation creates a universe.
ASSETS_AUTO_GENERATE = env.bool("ASSETS_AUTO_GENERATE", default=True)
# "local" or "openai"; empty: the engine the universe's transformation used.
ASSET_ENGINE = env.str("ASSET_ENGINE", default="")
# Local narration needs a speech synthesiser; without it narration is skipped.
ESPEAK_BINARY = env.str("ESPEAK_BINARY", default="espeak-ng")
PORTRAIT_VARIANTS = env.int("PORTRAIT_VARIANTS", default=3)
# Attempts and wall-clock deadline (seconds) per asset type.
ASSET_MAX_ATTEMPTS = {
    "cover": 3,
    "card_image": 3,
    "portrait": 3,
    "narration": 2,
    "pdf": 2,
    "activities": 2,
}
ASSET_DEADLINES = {
    "cover": env.float("ASSET_DEADLINE_IMAGE", default=180.0),
    "card_image": env.float("ASSET_DEADLINE_IMAGE", default=180.0),
    "portrait": env.float("ASSET_DEADLINE_IMAGE", default=180.0) * 2,
    "narration": env.float("ASSET_DEADLINE_NARRATION", default=180.0),
    "pdf": env.float("ASSET_DEADLINE_PDF", default=120.0),
    "activities": env.float("ASSET_DEADLINE_ACTIVITIES", default=120.0),
}
# Fault injection for asset jobs (assets/faults.py): "card_image:3 transient 2", ...
ASSET_FAULTS = env.list("ASSET_FAULTS", default=[])
# How long the storybook waits for images still being made before it goes without them.
ASSET_PDF_IMAGE_WAIT = env.float("ASSET_PDF_IMAGE_WAIT", default=120.0)

# Fault injection for tests and drills: "STAGE:KIND[=VALUE]" entries, e.g.
# "2:fail", "2:transient", "3:sleep=5". Empty (the default) in production.
STORY_ENGINE_FAULTS = env.list("STORY_ENGINE_FAULTS", default=[])

# WORKER
# ------------------------------------------------------------------------------
WORKER_POLL_INTERVAL = env.float("WORKER_POLL_INTERVAL", default=1.0)
WORKER_LEASE_SECONDS = env.float("WORKER_LEASE_SECONDS", default=60.0)
WORKER_HEARTBEAT_INTERVAL = env.float("WORKER_HEARTBEAT_INTERVAL", default=10.0)
WORKER_RESCUE_INTERVAL = env.float("WORKER_RESCUE_INTERVAL", default=15.0)
WORKER_SHUTDOWN_GRACE = env.float("WORKER_SHUTDOWN_GRACE", default=25.0)
WORKER_STAGE_DEADLINE = env.float("WORKER_STAGE_DEADLINE", default=600.0)
WORKER_LISTEN = env.bool("WORKER_LISTEN", default=True)
WORKER_STALE_AFTER = env.float("WORKER_STALE_AFTER", default=60.0)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)
JOB_RETRY_BASE_DELAY = env.float("JOB_RETRY_BASE_DELAY", default=10.0)
JOB_RETRY_MAX_DELAY = env.float("JOB_RETRY_MAX_DELAY", default=600.0)
PROGRESS_WRITE_INTERVAL = env.float("PROGRESS_WRITE_INTERVAL", default=1.0)

# LOGGING
# ------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per HTTP request to the model server is noise: the engine logs each
        # call (with its purpose and tokens) and the openai client logs its retries.
        "httpx2": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        # "discarding data" for pages it cannot extract; the job reports that itself.
        "trafilatura": {"level": "ERROR"},
        # runserver's own request lines would repeat core.request_logging's.
        "django.server": {"level": "WARNING"},
    },
}

# ABUSE LIMITS
# ------------------------------------------------------------------------------
# The database cache is shared by every web process, so a throttle holds across processes
# and restarts. Deploys run `manage.py createcachetable` (idempotent); tests create it.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "storyengine_cache",
        # Past this many rows a write deletes expired keys, then arbitrary live ones: keep it
        # far above the throttle histories alive at once (one per user and scope).
        "OPTIONS": {"MAX_ENTRIES": env.int("CACHE_MAX_ENTRIES", default=20_000)},
    }
}
# Burst limits per user on the expensive API writes (core.quotas.WriteThrottle, for views
# that set throttle_scope): "N/period", period s, min, hour or day; empty turns one off.
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["core.quotas.WriteThrottle"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    scope: env.str(f"THROTTLE_{scope.upper()}", default=rate) or None
    for scope, rate in {
        "transformation_create": "10/min",
        "transformation_retry": "10/min",
        "asset_regenerate": "10/min",
        "portrait_request": "10/min",
    }.items()
}
for _scope, _rate in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].items():
    _count, _, _period = (_rate or "0/s").partition("/")
    if not _count.isdigit() or _period not in {"s", "sec", "m", "min", "h", "hour", "d", "day"}:
        raise environ.ImproperlyConfigured(
            f"THROTTLE_{_scope.upper()}={_rate!r}: expected N/period, e.g. 10/min or 100/day."
        )
# Per-creator quotas, checked when a transformation is created; staff are exempt; 0 turns
# one off. Transformations started in a rolling 24 hours; bytes of all stored sources.
QUOTA_TRANSFORMATIONS_PER_DAY = env.int("QUOTA_TRANSFORMATIONS_PER_DAY", default=50)
QUOTA_STORAGE_BYTES = env.int("QUOTA_STORAGE_BYTES", default=1024**3)
if QUOTA_TRANSFORMATIONS_PER_DAY < 0 or QUOTA_STORAGE_BYTES < 0:
    raise environ.ImproperlyConfigured("Quotas are counts and bytes: 0 or more.")
# The window of /metrics' pickup latency, stage durations and failures by code.
METRICS_WINDOW_SECONDS = env.int("METRICS_WINDOW_SECONDS", default=3600)

# SECURITY (production)
# ------------------------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# A content security policy everywhere, not only in production, so that the tests and the
# browser tests meet the policy users get. Pages load scripts and styles only as files from
# this origin: no inline <script>, style attribute or <style> (templates/, static/).
# Media are streamed through the app (assets/views.py), so object storage needs no entry.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    # data: for the icons Swagger UI's stylesheet embeds (/api/docs/).
    "img-src": [CSP.SELF, "data:"],
    "media-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# OBSERVABILITY
# ------------------------------------------------------------------------------
# Lets a Prometheus scraper read /metrics without a staff session; empty: staff only.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Errors (web requests, and jobs through the worker's ERROR log lines) go to Sentry only
# when a DSN is set. No personal data: no user details, IPs or cookies, and no request
# bodies at all (uploads and form posts carry the creators' stories).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        environment=env.str(
            "SENTRY_ENVIRONMENT", default="production" if PRODUCTION else "development"
        ),
        # Render sets RENDER_GIT_COMMIT: each deploy is a release.
        release=env.str("SENTRY_RELEASE", default=env.str("RENDER_GIT_COMMIT", default="")) or None,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
    # Web, worker or one-off command: the same code fails differently in each.
    sentry_sdk.get_global_scope().set_tag("process", DB_APPLICATION_NAME)
