"""Project configuration, read from the environment with safe development defaults.

Production (DEBUG off) refuses to start without SECRET_KEY and ALLOWED_HOSTS.
"""

import datetime as dt
import hashlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from actionplan import oidc_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "development-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "recommendations",
]

MIDDLEWARE = [
    # First: an oversized body is refused before anything reads it.
    "recommendations.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "recommendations.middleware.IdleSessionTimeoutMiddleware",
    "recommendations.middleware.PrivatePagesMiddleware",
    "csp.middleware.CSPMiddleware",
    # After CSPMiddleware, so the policy it writes lets forms lead on to the sign-in provider.
    "actionplan.oidc.ProviderFormActionMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its own response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Single sign-on first: it answers only the provider's callback, which the provider throttles
    # itself, so an address locked out for password failures can still sign in through it.
    "actionplan.oidc.SingleSignOnBackend",
    "actionplan.auth_backends.ThrottledSignInBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "actionplan.urls"

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
                "recommendations.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "actionplan.wsgi.application"

# SQLite by default: WAL lets readers carry on while one writer writes, and IMMEDIATE
# transactions take the write lock up front, so concurrent writers queue (busy timeout)
# instead of failing half way with "database is locked".
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
        "PRAGMA busy_timeout=20000;"
    ),
}
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The plan queries are many small indexed look-ups; JIT compilation only adds start-up time.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Evidence and other uploads live outside the web root and are only served through views
# that check permissions.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))

# Evidence is kept by the default storage: the file system under MEDIA_ROOT, or, when
# EVIDENCE_S3_BUCKET is set, an S3-compatible bucket (django-storages). Objects are private and
# never linked to: evidence is only served through the tracker's own view, which checks rights.
EVIDENCE_S3_BUCKET = os.environ.get("EVIDENCE_S3_BUCKET", "").strip()
if EVIDENCE_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": EVIDENCE_S3_BUCKET,
            "endpoint_url": os.environ.get("EVIDENCE_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("EVIDENCE_S3_REGION") or None,
            # Unset: boto3's own chain (an instance or pod role, AWS_* variables).
            "access_key": os.environ.get("EVIDENCE_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("EVIDENCE_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("EVIDENCE_S3_PREFIX", "").strip("/"),
            # A bucket with ACLs disabled is private by its own policy: EVIDENCE_S3_ACL= sends none.
            "default_acl": os.environ.get("EVIDENCE_S3_ACL", "private") or None,
            "querystring_auth": True,
            "custom_domain": None,
            "file_overwrite": False,
        },
    }

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "action-plans@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

# The address people use to reach the tracker, for links in e-mails (reminders).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Largest evidence file accepted, in bytes (10 MB unless set).
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))

# Largest request body accepted, in bytes: the largest evidence file (or a 5 MB import) and the
# form around it. Larger bodies are refused with 413 before they are read
# (RequestSizeLimitMiddleware); the proxy in front should refuse them first with the same limit.
MAX_REQUEST_BYTES = int(
    os.environ.get("MAX_REQUEST_BYTES", max(EVIDENCE_MAX_BYTES, 5 * 1024 * 1024) + 1024 * 1024)
)
# Form fields other than files are held in memory up to this much in all (Django's default,
# stated); uploaded files above this size are streamed to a temporary file, not held in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# What the force calls itself on returns, and the protective marking printed on them.
FORCE_NAME = os.environ.get("FORCE_NAME", "Hampshire and Isle of Wight Constabulary")
PROTECTIVE_MARKING = os.environ.get("PROTECTIVE_MARKING", "OFFICIAL")

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Backups are signed with this key (HMAC-SHA256 over the manifest); restore refuses a backup
# whose signature does not match. Unset, a key derived from SECRET_KEY: restoring on another
# deployment then needs the same SECRET_KEY, or the same BACKUP_KEY on both.
BACKUP_KEY = os.environ.get("BACKUP_KEY", "")


def release_fingerprint() -> str:
    """A digest of what renders a page (code, templates, static files, pinned libraries): the
    same on every server of a release, different for the next release."""
    digest = hashlib.sha256()
    paths = [BASE_DIR / "requirements.lock"]
    for folder in ("actionplan", "recommendations", "templates", "static"):
        found = (BASE_DIR / folder).rglob("*")
        paths += sorted(path for path in found if "__pycache__" not in path.parts)
    for path in paths:
        if path.is_file():
            digest.update(path.relative_to(BASE_DIR).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# Rendered page bodies (recommendations/page_cache.py), keyed by revision tokens kept in the
# database, so a change shows on every server at once. With REDIS_URL (redis://host:6379/0)
# every server and process shares them; without it each process keeps its own. A cache that
# fails is a miss: pages are rendered afresh, never refused. Keys start with CACHE_KEY_PREFIX,
# by default a digest of the release, so a release never serves a body its predecessor
# rendered. Sessions stay in the database and sign-in failures are counted there (django-axes'
# database handler, below): both are shared by every server, with or without Redis.
# PAGE_CACHE=off renders every page afresh.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": 24 * 60 * 60,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "").strip()
            or f"actionplan-{release_fingerprint()}",
            # A cache that does not answer at once is treated as down, not waited for.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "actionplan-pages",
            "TIMEOUT": 24 * 60 * 60,
            "OPTIONS": {"MAX_ENTRIES": 300},
        }
    }
PAGE_CACHE = env_bool("PAGE_CACHE", True)

# The national progress report on a public page (/public/national/<report>/), from published
# plans' approved content; off by default, when the page does not exist.
NATIONAL_PUBLIC_PAGE = env_bool("NATIONAL_PUBLIC_PAGE", False)

# Background work (django-tasks with its database backend, run by `manage.py db_worker`):
# large returns (recommendations/exports/jobs.py), and reminders when a timer enqueues them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A return is made by the worker when its plan holds more than this many recommendation rows
# plus updates (about two seconds of work on one core); smaller ones are made in the request.
# A negative value makes every return of that format in the request.
RETURN_WORKER_PDF_SIZE = int(os.environ.get("RETURN_WORKER_PDF_SIZE", 100))
RETURN_WORKER_XLSX_SIZE = int(os.environ.get("RETURN_WORKER_XLSX_SIZE", 12_000))
# Finished returns are kept (MEDIA_ROOT/returns/, never served directly) for this many days at
# most, and less once the plan changes.
RETURNS_KEEP_DAYS = int(os.environ.get("RETURNS_KEEP_DAYS", 7))
# /healthz reports the queue as failing when a task has waited longer than this for a worker.
HEALTH_QUEUE_MAX_WAIT_SECONDS = int(os.environ.get("HEALTH_QUEUE_MAX_WAIT_SECONDS", 600))

# ---------------------------------------------------------------------------- security

# Sessions end after this long without activity (see IdleSessionTimeoutMiddleware).
SESSION_IDLE_SECONDS = int(os.environ.get("SESSION_IDLE_SECONDS", 30 * 60))
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# No inline script or style anywhere: everything comes from our own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}


def client_address_settings(proxy_count: int) -> tuple[int | None, tuple[str, ...]]:
    """django-ipware's proxy count and headers for `proxy_count` proxies in front of us.

    With none, the socket's address is the client's and forwarded headers (which anyone can
    send) are ignored. Behind proxies, each appends the address it saw to X-Forwarded-For, so
    the client is the entry `proxy_count` from the right: the last proxy is the socket, the
    others are the entries after the client (ipware's count); anything a client wrote further
    left is ignored.
    """
    if proxy_count <= 0:
        return None, ("REMOTE_ADDR",)
    return proxy_count - 1, ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")


# Sign-in throttling: after 5 failures for one username from one address, or 20 from one
# address across usernames (password spraying), refuse for 15 minutes. The address limit is
# higher because a force's staff often reach the tracker from one address.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
SIGN_IN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("SIGN_IN_ADDRESS_FAILURE_LIMIT", 20))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "actionplan.auth_backends.SignInAttempts"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", 0))
AXES_IPWARE_PROXY_COUNT, AXES_IPWARE_META_PRECEDENCE_ORDER = client_address_settings(PROXY_COUNT)
# A client may write its own entries before the proxies': take the one the proxies vouch for
# rather than refusing a chain longer than the proxies make.
IPWARE_STRICT = False
AXES_VERBOSE = False

# Single sign-on with OpenID Connect (actionplan/oidc.py; README, "Single sign-on"): off unless
# OIDC_ISSUER is set. LOCAL_ACCOUNTS=off switches password sign-in off everywhere.
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").strip()
OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "").strip()
OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
OIDC_ROLES_CLAIM = os.environ.get("OIDC_ROLES_CLAIM", "roles")
OIDC_ROLE_MAP = oidc_config.parse_role_map(os.environ.get("OIDC_ROLE_MAP", ""))
OIDC_USERNAME_CLAIM = os.environ.get("OIDC_USERNAME_CLAIM", "sub")
OIDC_ORGANISATION_CLAIM = os.environ.get("OIDC_ORGANISATION_CLAIM", "")
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "your organisation's account")
OIDC_SIGNING_ALGORITHM = os.environ.get("OIDC_SIGNING_ALGORITHM", "RS256")
OIDC_ENDPOINTS = oidc_config.endpoints_from(os.environ)
LOCAL_ACCOUNTS = env_bool("LOCAL_ACCOUNTS", True)
oidc_config.check(
    issuer=OIDC_ISSUER,
    client_id=OIDC_CLIENT_ID,
    client_secret=OIDC_CLIENT_SECRET,
    role_map=OIDC_ROLE_MAP,
    endpoints=OIDC_ENDPOINTS,
    local_accounts=LOCAL_ACCOUNTS,
)
if not LOCAL_ACCOUNTS:
    # No password is checked anywhere (this sign-in page, the admin's), and sessions begun
    # with a password end.
    AUTHENTICATION_BACKENDS = ["actionplan.oidc.SingleSignOnBackend"]

if not DEBUG:
    # Behind a TLS-terminating proxy, set SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO.
    if os.environ.get("SECURE_PROXY_SSL_HEADER"):
        SECURE_PROXY_SSL_HEADER = (os.environ["SECURE_PROXY_SSL_HEADER"], "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers check /healthz over plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31_536_000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
