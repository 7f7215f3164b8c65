"""Settings, all from environment variables with working defaults for `make run`.

DATABASE_URL, REDIS_URL, EMAIL_URL, OPSDESK_SECRET_KEY, OPSDESK_DEBUG, OPSDESK_ALLOWED_HOSTS,
OPSDESK_DATA_DIR, OPSDESK_HUEY_IMMEDIATE, OPSDESK_LOG_LEVEL, OPSDESK_LOG_FORMAT; security (issue 7):
OPSDESK_SECURE_COOKIES, OPSDESK_BEHIND_HTTPS_PROXY, OPSDESK_HSTS_SECONDS, OPSDESK_TOKEN_DEFAULT_DAYS,
OPSDESK_TOKEN_MAX_DAYS, OPSDESK_API_RATE_PER_MINUTE, OPSDESK_METRICS_TOKEN; the directory:
OPSDESK_CONTACT_REVERIFY_DAYS; on-call: OPSDESK_BASE_URL; the inbox (issue 12):
OPSDESK_INBOX_RETENTION_DAYS, OPSDESK_INBOX_MAX_BODY_BYTES, OPSDESK_INTAKE_RATE_PER_MINUTE,
OPSDESK_SNS_MAX_AGE_SECONDS, OPSDESK_SNS_FETCHER, OPSDESK_SECURITY_PAGE_SEVERITY.
"""

import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url

from opsdesk.config.secret_key import secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("OPSDESK_DATA_DIR", Path.cwd() / "var"))
DATA_DIR.mkdir(parents=True, exist_ok=True)
TESTING = "pytest" in sys.modules or os.environ.get("OPSDESK_TESTING") == "1"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# No built-in key (issue 7): see config/secret_key.py. The test run may use PostgreSQL without a key.
SECRET_KEY = secret_key(
    data_dir=DATA_DIR,
    embedded=TESTING
    or (
        os.environ.get("DATABASE_URL", "sqlite:").startswith("sqlite")
        and not env_bool("OPSDESK_SECURE_COOKIES", False)
    ),
)
DEBUG = env_bool("OPSDESK_DEBUG", False)
ALLOWED_HOSTS = [
    h for h in os.environ.get("OPSDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("OPSDESK_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_prometheus",
    "huey.contrib.djhuey",
    "axes",
    "opsdesk.core",
    "opsdesk.calendars",
    "opsdesk.sla",
    "opsdesk.directory",
    "opsdesk.notifications",
    "opsdesk.oncall",
    "opsdesk.schedule",
    "opsdesk.inbox",
    "opsdesk.billing",
    "opsdesk.statuspage",
    "opsdesk.ood",
    "opsdesk.orders",
    "opsdesk.changes",
    "opsdesk.maintenance",
    "opsdesk.alerts",
    "opsdesk.incidents",
    "opsdesk.incidents.escalations",
    "opsdesk.incidents.rca",
    "opsdesk.incidents.attachments",
    "opsdesk.incidents.reports",
    "opsdesk.web",
    "opsdesk.demo",
]

MIDDLEWARE = [
    # Senders' POSTs to /intake/ are answered here, past the rest (inbox/middleware.py).
    "opsdesk.inbox.middleware.IntakeRouteMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "opsdesk.core.middleware.RequestLogMiddleware",
    "opsdesk.core.edge.EdgeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "opsdesk.core.security.DocsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "opsdesk.core.security.MetricsTokenMiddleware",
    "opsdesk.core.middleware.TokenAuthenticationMiddleware",
    "opsdesk.core.security.NoStoreMiddleware",
    "opsdesk.core.security.ApiRateLimitMiddleware",
    "opsdesk.core.middleware.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "opsdesk.web.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "opsdesk.config.urls"
WSGI_APPLICATION = "opsdesk.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            # The one date and duration format of every page (core.humanize).
            "builtins": ["opsdesk.core.templatetags.opsdesk_format"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opsdesk.web.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'opsdesk.sqlite3'}"),
        conn_max_age=int(os.environ.get("OPSDESK_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "directory.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]


# Sign-in (issue 7)
# Lockout (django-axes): after OPSDESK_LOCKOUT_FAILURES failed sign-ins within OPSDESK_LOCKOUT_MINUTES,
# the account (whatever address it is tried from) and the address (whatever account it tries) are
# locked until OPSDESK_LOCKOUT_MINUTES pass without another failure. Per account stops guessing one
# password from many addresses; per address stops trying a few passwords on many accounts. The cost:
# anyone can lock an account for a while by failing on purpose (its owner can still reset the
# password by email, which lifts the account's lock), and people behind one NAT share an address.
def _env_count(name: str, default: int, minimum: int = 1) -> int:
    """A whole number from the environment; a bad one stops the start with the variable's name."""
    raw = os.environ.get(name, str(default)).strip()
    if not raw.isdigit() or int(raw) < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, not {raw!r}.")
    return int(raw)


# I3: a named contact's details are re-verified at least every OPSDESK_CONTACT_REVERIFY_DAYS days
# (read through directory.selectors.contact_reverification_days).
CONTACT_REVERIFY_DAYS = _env_count("OPSDESK_CONTACT_REVERIFY_DAYS", 90)

# Issue 9 item 1: where links in pages (emails) lead, e.g. https://desk.example.com.
OPSDESK_BASE_URL = os.environ.get("OPSDESK_BASE_URL", "http://127.0.0.1:8000")
#: G6: the share of an engagement-month's allocated hours whose crossing notifies the CSDM and billing.
OPSDESK_OOD_THRESHOLD_PERCENT = _env_count("OPSDESK_OOD_THRESHOLD_PERCENT", 80)

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = _env_count("OPSDESK_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=_env_count("OPSDESK_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"  # the key the login form passes to authenticate()
# A success does not clear the count: it would let one valid account reset its address's count.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "opsdesk.web.views.login_locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "opsdesk.web.signin.client_ip"
# Nothing reads axes' per-login AccessLog (no admin site) and it would grow without end.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# The client address is core.audit.source_address (OPSDESK_TRUSTED_PROXY_HOPS): wrong behind a load
# balancer means every sign-in shares the proxy's address, so one person's typos lock everyone out.

# Argon2 first; PBKDF2 after it so existing hashes still verify and are re-hashed at sign-in.
SIGNIN_PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
PASSWORD_HASHERS = SIGNIN_PASSWORD_HASHERS

# Sessions: signed out after OPSDESK_SESSION_IDLE_MINUTES without a request, and OPSDESK_SESSION_MAX_HOURS
# after signing in whatever the activity (opsdesk.web.middleware.SessionTimeoutMiddleware).
SESSION_IDLE_MINUTES = _env_count("OPSDESK_SESSION_IDLE_MINUTES", 60)
SESSION_MAX_HOURS = _env_count("OPSDESK_SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600

# Password reset links work once, for OPSDESK_PASSWORD_RESET_MINUTES.
PASSWORD_RESET_TIMEOUT = _env_count("OPSDESK_PASSWORD_RESET_MINUTES", 60) * 60
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# WhiteNoise serves /static/ from every process (gunicorn included); without `collectstatic` it
# reads the app folders directly, so `make run` needs no extra step.
WHITENOISE_USE_FINDERS = True

# Attachments (issue 9, item 4) are kept through Django's storage API: files under
# $OPSDESK_DATA_DIR/attachments by default, or in S3 (django-storages, `pip install opsdesk[s3]`)
# when OPSDESK_ATTACHMENTS_S3_BUCKET is set. Credentials come the usual AWS way (environment,
# shared config, or the instance/task role). Files are never served by URL from the storage:
# opsdesk reads them and answers as a download, after checking who asks.
ATTACHMENTS_DIR = Path(
    os.environ.get(
        "OPSDESK_ATTACHMENTS_DIR",
        # Tests write their files outside the data directory (a rolled-back test keeps its files).
        Path(tempfile.gettempdir()) / "opsdesk-test-attachments" if TESTING else DATA_DIR / "attachments",
    )
)
ATTACHMENT_MAX_BYTES = int(os.environ.get("OPSDESK_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
_S3_BUCKET = os.environ.get("OPSDESK_ATTACHMENTS_S3_BUCKET", "")
if _S3_BUCKET:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _S3_BUCKET,
            "region_name": os.environ.get("OPSDESK_ATTACHMENTS_S3_REGION") or None,
            "endpoint_url": os.environ.get("OPSDESK_ATTACHMENTS_S3_ENDPOINT_URL") or None,
            "location": os.environ.get("OPSDESK_ATTACHMENTS_S3_PREFIX", "attachments"),
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "object_parameters": {"ServerSideEncryption": "AES256"},
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(ATTACHMENTS_DIR), "base_url": None},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
#: The largest multipart body the edge accepts: an attachment and its form fields.
UPLOAD_MAX_BODY_BYTES = max(5 * 1024 * 1024, ATTACHMENT_MAX_BYTES + 1024 * 1024)
#: Billing reviews (issue 12): AWS cost reports are large and read as a stream from a temporary file.
BILLING_IMPORT_MAX_BYTES = int(os.environ.get("OPSDESK_BILLING_IMPORT_MAX_BYTES", str(25 * 1024**2)))
UPLOAD_MAX_BODY_BYTES_BY_PATH = {"/api/v1/billing/imports": BILLING_IMPORT_MAX_BYTES}
#: An uploaded cost file is imported by a worker under this lease (a killed worker's import is
#: queued again by the sweep), at most this many times.
BILLING_IMPORT_LEASE_SECONDS = int(os.environ.get("OPSDESK_BILLING_IMPORT_LEASE_SECONDS", "1800"))
BILLING_IMPORT_MAX_ATTEMPTS = int(os.environ.get("OPSDESK_BILLING_IMPORT_MAX_ATTEMPTS", "3"))

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Email (L2): console by default; EMAIL_URL=smtp://user:pass@host:587/?tls=True for SMTP.
_email = dj_email_url.parse(os.environ.get("EMAIL_URL", "console:"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
# EMAIL_URL=file:////var/spool/opsdesk-mail: each message written to a file there (browser tests).
if _email.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
DEFAULT_FROM_EMAIL = os.environ.get("OPSDESK_FROM_EMAIL", "opsdesk <opsdesk@localhost>")
if TESTING:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Durable work (L2): Huey with SQLite storage embedded, Redis when REDIS_URL is set.
HUEY_IMMEDIATE = env_bool("OPSDESK_HUEY_IMMEDIATE", TESTING)
if os.environ.get("REDIS_URL") and not HUEY_IMMEDIATE:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "opsdesk",
        "url": os.environ["REDIS_URL"],
        "immediate": False,
        "consumer": {"workers": int(os.environ.get("OPSDESK_WORKER_THREADS", "4")), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "opsdesk",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": int(os.environ.get("OPSDESK_WORKER_THREADS", "2")), "worker_type": "thread"},
    }

# Outbox (L2)
OUTBOX_LEASE_SECONDS = int(os.environ.get("OPSDESK_OUTBOX_LEASE_SECONDS", "300"))
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OPSDESK_OUTBOX_MAX_ATTEMPTS", "8"))
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("OPSDESK_WEBHOOK_TIMEOUT_SECONDS", "10"))

# The inbox of raw deliveries (issue 12): leases as the outbox's; processed and refused deliveries
# are kept this many days; bodies above INBOX_MAX_BODY_BYTES are refused (413).
INBOX_LEASE_SECONDS = int(os.environ.get("OPSDESK_INBOX_LEASE_SECONDS", "300"))
INBOX_MAX_ATTEMPTS = int(os.environ.get("OPSDESK_INBOX_MAX_ATTEMPTS", "8"))
INBOX_RETENTION_DAYS = int(os.environ.get("OPSDESK_INBOX_RETENTION_DAYS", "30"))
INBOX_MAX_BODY_BYTES = int(os.environ.get("OPSDESK_INBOX_MAX_BODY_BYTES", str(256 * 1024)))
# Fault injection for the crash tests (issue 12, "Faults"), honoured only when testing: while this
# file exists, the next accepted intake request removes it and ends its process right after the
# delivery's commit, before the answer (web/tests/test_faults.py).
INBOX_TEST_CRASH_AFTER_COMMIT = os.environ.get("OPSDESK_TEST_CRASH_AFTER_COMMIT", "") if TESTING else ""
# Inbound email (issue 12 item 5, C5): `opsdesk mail serve` listens here; larger messages are 552.
MAIL_HOST = os.environ.get("OPSDESK_MAIL_HOST", "127.0.0.1")
MAIL_PORT = int(os.environ.get("OPSDESK_MAIL_PORT", "2525"))
MAIL_MAX_BYTES = int(os.environ.get("OPSDESK_MAIL_MAX_BYTES", str(10 * 1024 * 1024)))
# The domain of per-incident reply addresses (incident+<id>.<mac>@domain); default: the sender's.
MAIL_DOMAIN = os.environ.get("OPSDESK_MAIL_DOMAIN", "")
# A mail bomb: more messages than this per sender per hour go to triage, rate-limited.
MAIL_RATE_PER_HOUR = int(os.environ.get("OPSDESK_MAIL_RATE_PER_HOUR", "20"))
#: Intake requests a minute per address (/intake/…); 0 = no limit. SNS sends from few addresses.
INTAKE_RATE_PER_MINUTE = int(os.environ.get("OPSDESK_INTAKE_RATE_PER_MINUTE", "6000"))
# F2: security events of this severity or above (low, medium, high) page the security rota.
SECURITY_PAGE_SEVERITY = os.environ.get("OPSDESK_SECURITY_PAGE_SEVERITY", "medium").strip().lower()
if SECURITY_PAGE_SEVERITY not in ("low", "medium", "high"):  # alerts.choices.SecuritySeverity
    # A misspelt threshold must not quietly page more or fewer people than meant.
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("OPSDESK_SECURITY_PAGE_SEVERITY must be low, medium or high.")
# Amazon SNS: a message older than this is a replay; certificates and SubscribeURLs are fetched by
# SNS_FETCHER (a dotted path to fetch(url) -> bytes; empty: urllib) within the timeout.
SNS_MAX_AGE_SECONDS = int(os.environ.get("OPSDESK_SNS_MAX_AGE_SECONDS", "3600"))
SNS_MAX_FUTURE_SECONDS = 300
SNS_FETCHER = os.environ.get("OPSDESK_SNS_FETCHER", "")
SNS_FETCH_TIMEOUT_SECONDS = float(os.environ.get("OPSDESK_SNS_FETCH_TIMEOUT_SECONDS", "5"))
# Webhooks go to public addresses over HTTPS only (issue 7); these lift that for development and tests.
WEBHOOK_ALLOW_HTTP = env_bool("OPSDESK_WEBHOOK_ALLOW_HTTP", False)
WEBHOOK_ALLOW_PRIVATE = env_bool("OPSDESK_WEBHOOK_ALLOW_PRIVATE", False)

# API (L3)
API_PAGE_SIZE_DEFAULT = 50
API_PAGE_SIZE_MAX = 500
#: The largest JSON body the API reads (413 above it); forms and uploads keep DATA_UPLOAD_MAX_MEMORY_SIZE.
API_MAX_BODY_BYTES = int(os.environ.get("OPSDESK_API_MAX_BODY_BYTES", str(1024 * 1024)))
IDEMPOTENCY_KEY_TTL_HOURS = int(os.environ.get("OPSDESK_IDEMPOTENCY_TTL_HOURS", "48"))

# Structured logs (L6): JSON lines by default, OPSDESK_LOG_FORMAT=text for humans.
LOG_LEVEL = os.environ.get("OPSDESK_LOG_LEVEL", "WARNING" if TESTING else "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {"request_id": {"()": "opsdesk.core.edge.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": os.environ.get("OPSDESK_LOG_FORMAT", "json"),
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "huey": {"level": "INFO"},
        "django.request": {"level": "ERROR" if TESTING else "WARNING"},
    },
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("OPSDESK_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Audit (L1): how many reverse proxies in front of opsdesk append to X-Forwarded-For. 0 (default):
# the source address recorded in the audit log is REMOTE_ADDR and X-Forwarded-For is ignored.
try:
    OPSDESK_TRUSTED_PROXY_HOPS = int(os.environ.get("OPSDESK_TRUSTED_PROXY_HOPS", "0"))
except ValueError:
    OPSDESK_TRUSTED_PROXY_HOPS = -1
if not 0 <= OPSDESK_TRUSTED_PROXY_HOPS <= 10:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("OPSDESK_TRUSTED_PROXY_HOPS must be a whole number from 0 to 10.")

# Security (issue 7): headers, secrets, tokens and limits. ---------------------------------------
# API tokens always expire: after this many days unless asked otherwise, and never later than the max.
TOKEN_DEFAULT_DAYS = int(os.environ.get("OPSDESK_TOKEN_DEFAULT_DAYS", "90"))
TOKEN_MAX_DAYS = int(os.environ.get("OPSDESK_TOKEN_MAX_DAYS", "365"))

# Cache: the API rate-limit counters (and anything else cached) live where every web process sees
# them. Redis when REDIS_URL is set; otherwise local memory, shared by the threads of the single web
# process `opsdesk serve` runs (run several web processes only with REDIS_URL).
if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["REDIS_URL"], "KEY_PREFIX": "opsdesk"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "opsdesk"}}
#: API requests a minute per token (per user for session use, per address when anonymous); 0 = no limit.
API_RATE_PER_MINUTE = int(os.environ.get("OPSDESK_API_RATE_PER_MINUTE", "600"))

#: Bearer token Prometheus sends to scrape /metrics; without it only signed-in staff may read them.
METRICS_TOKEN = os.environ.get("OPSDESK_METRICS_TOKEN", "")

# Content-Security-Policy (django-csp): nothing inline, nothing from elsewhere. Pico's CSS draws its
# icons as data: images. htmx's own indicator <style> is switched off in base.html (htmx-config)
# and its rules live in opsdesk.css. /api/v1/docs relaxes style-src (core.security.DocsPolicyMiddleware).
# "ninja" in INSTALLED_APPS makes the docs page use django-ninja's bundled Swagger UI from /static/
# instead of a CDN and an inline script.
INSTALLED_APPS += ["ninja"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# HTTPS: with OPSDESK_SECURE_COOKIES on, cookies are Secure (above), plain HTTP is redirected to
# HTTPS (except /healthz, which load balancers probe over HTTP) and browsers are told to use HTTPS
# for a year (HSTS). Behind a TLS-terminating proxy set OPSDESK_BEHIND_HTTPS_PROXY=true so that the
# proxy's X-Forwarded-Proto says whether the request was HTTPS; never trust it otherwise, as any
# client can send it.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if SESSION_COOKIE_SECURE:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("OPSDESK_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Not preloaded (security.W021): the browsers' preload list binds the domain and every subdomain to
# HTTPS for good and is slow to leave; that is the domain owner's decision, made outside opsdesk.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if env_bool("OPSDESK_BEHIND_HTTPS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# An ordinary 403 is logged as one line without a traceback (core.security.QuietForbidden).
LOGGING["filters"]["quiet_forbidden"] = {"()": "opsdesk.core.security.QuietForbidden"}
for _logger in ("django.request", "django.security.csrf"):
    LOGGING["loggers"].setdefault(_logger, {}).setdefault("filters", []).append("quiet_forbidden")
