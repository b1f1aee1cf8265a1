"""Settings for Breaking Point, read from the environment.

Every value has a safe default for a local run on SQLite. Bad values raise
ImproperlyConfigured with the variable's name, so a typo fails loudly at start-up.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


EMAIL_SCHEMES = {"smtp": (False, False), "smtp+tls": (True, False), "smtps": (False, True), "smtp+ssl": (False, True)}


def email_config(name: str = "EMAIL_URL") -> dict:
    """Django's MAILERS["default"] from one URL: empty or console:// prints mails to the console (works on
    a fresh machine); smtp://user:password@host:port sends plainly, smtp+tls:// with STARTTLS, smtps:// (or
    smtp+ssl://) over TLS. User and password are percent-decoded. (Django 6.1's MAILERS replaces the
    EMAIL_HOST/PORT/HOST_USER/HOST_PASSWORD/USE_TLS settings; the same values go into its OPTIONS.)"""
    from urllib.parse import unquote, urlsplit

    raw = os.environ.get(name, "").strip()
    if not raw or raw == "console://":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    try:
        url = urlsplit(raw)
        port = url.port
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not a mail URL ({exc}): {without_password(raw)!r}") from None
    if url.scheme not in EMAIL_SCHEMES:
        raise ImproperlyConfigured(f"{name} must start with console://, "
                                   f"{', '.join(s + '://' for s in EMAIL_SCHEMES)}; got {without_password(raw)!r}")
    if not url.hostname:
        raise ImproperlyConfigured(f"{name} has no host: {without_password(raw)!r}")
    use_tls, use_ssl = EMAIL_SCHEMES[url.scheme]
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": url.hostname,
            "port": port or (465 if use_ssl else 587 if use_tls else 25),
            "username": unquote(url.username or ""),
            "password": unquote(url.password or ""),
            "use_tls": use_tls,
            "use_ssl": use_ssl,
            "timeout": env_int("EMAIL_TIMEOUT", 10, minimum=1),
        },
    }


def without_password(url: str) -> str:
    """The URL as an error message may show it: the password (between "user:" and the last "@" before the
    path) replaced by ***, so a typo in EMAIL_URL does not print the mail password into the logs."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    netloc, slash, path = rest.partition("/")
    userinfo, at, host = netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{host}{slash}{path}"


def load_secret_key() -> str:
    """SECRET_KEY from the environment, else from an ignored local file made on first use."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    path = Path(env_str("SECRET_KEY_FILE", str(BASE_DIR / ".secret_key")))
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(50)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


SECRET_KEY = load_secret_key()
# "file" when the key was made on this machine: several hosts would each sign sessions and CSRF tokens with a
# key of their own (`check --deploy` warns, quizsite.checks).
SECRET_KEY_SOURCE = "environment" if env_str("SECRET_KEY") else "file"
DEBUG = env_bool("DEBUG", False)
# HTTPS=1 when the site is served behind TLS: secure cookies, HSTS and the redirect.
HTTPS = env_bool("HTTPS", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_tasks_db",
    "quizsite.accounts",
    "quizsite.questions",
    "quizsite.quizzes",
    "quizsite.cards",
    "quizsite.interviews",
    "labs",
    "exercises",
    "quizsite.journey",
    "quizsite.sitecache",
]

MIDDLEWARE = [
    "quizsite.health.HealthCheckMiddleware",  # first: /healthz reads no session, sets no cookie
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and auth: a visitor without a session gets a kept copy of a content page.
    "quizsite.sitecache.middleware.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "quizsite.middleware.TextHygieneMiddleware",
    "quizsite.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "quizsite.health.DatabaseUnavailableMiddleware",  # last: sees the views' exceptions first
]

ROOT_URLCONF = "quizsite.urls"
WSGI_APPLICATION = "quizsite.wsgi.application"

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


def database_config() -> dict:
    url = env_str("DATABASE_URL")
    if url:
        try:
            # Persistent connections, checked before each request reuses one: after a database restart
            # the first request of each thread reconnects instead of failing on a dead socket.
            config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        except ValueError as exc:
            raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
        if config["ENGINE"].endswith("postgresql"):
            # An unreachable server fails a request in seconds (then 503), not after the OS's TCP timeout.
            config.setdefault("OPTIONS", {}).setdefault(
                "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT_S", 5, minimum=1))
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        # Each worker thread keeps its connection: opening one (and its PRAGMAs) per request cost more than
        # most pages' own queries (bench/site.py: /healthz went from 1 query to an open, 2 PRAGMAs and a close).
        "CONN_MAX_AGE": 60,
        "OPTIONS": {
            # WAL lets the site read while the task worker writes; the busy timeout
            # (seconds) makes a writer wait for the lock instead of failing at once.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT_S", 20, minimum=0),
        },
        "TEST": {"NAME": env_str("SQLITE_TEST_PATH", "") or None},
    }


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"



def cache_config() -> dict:
    """Redis (shared by every worker and host: rate limits and lockouts hold across them) when REDIS_URL is
    set, else this process's memory."""
    url = env_str("REDIS_URL")
    if not url:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"REDIS_URL must be a redis://, rediss:// or unix:// URL, got {url!r}")
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "bp"),
    }


def pages_cache_config() -> dict:
    """Whole pages and API reads kept under the content version (quizsite.sitecache): apart from the default
    cache, so that a flood of distinct URLs evicts only other pages, never rate-limit or lockout counters."""
    config = cache_config()
    if config["BACKEND"].endswith("LocMemCache"):
        return {**config, "LOCATION": "pages", "OPTIONS": {"MAX_ENTRIES": env_int("PAGE_CACHE_ENTRIES", 2000,
                                                                                    minimum=10)}}
    return {**config, "KEY_PREFIX": f"{config['KEY_PREFIX']}-pages"}


CACHES = {"default": cache_config(), "pages": pages_cache_config()}

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "labs"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts-login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            # Hashed, compressed names from collectstatic (`make run` runs it); STATIC_MANIFEST=0 serves plain
            # names from the finders, for a server started without collectstatic (the fault tests' gunicorn).
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Tests run without collectstatic; WhiteNoise then serves from the finders.
# Source maps are for a developer's browser tools, not learners: brotli at its best quality (0.35 MB/s here)
# on the API docs' and Chart.js's maps was half of every collectstatic's 30-50 s.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    "jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br", "swf", "flv", "woff",
    "woff2", "3gp", "3gpp", "asf", "avi", "m4v", "mov", "mp4", "mpeg", "mpg", "webm", "wmv",  # WhiteNoise's own
    "map",
)
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)

CONTENT_DIR = Path(env_str("CONTENT_DIR", str(BASE_DIR / "content")))

# Labs: server-side limits on what a learner may ask of a load test, and the runner's clocks.
LAB_MAX_USERS = env_int("LAB_MAX_USERS", 200, minimum=1)
LAB_MAX_SPAWN_RATE = env_int("LAB_MAX_SPAWN_RATE", 50, minimum=1)
LAB_MAX_DURATION_S = env_int("LAB_MAX_DURATION_S", 120, minimum=1)
LAB_MAX_LOCUST_PROCESSES = env_int("LAB_MAX_LOCUST_PROCESSES", 4, minimum=1)
LAB_MAX_API_WORKERS = env_int("LAB_MAX_API_WORKERS", 4, minimum=1)
LAB_RUN_TIMEOUT_S = env_int("LAB_RUN_TIMEOUT_S", 300, minimum=10)
LAB_RUN_GRACE_S = env_int("LAB_RUN_GRACE_S", 30, minimum=0)
LAB_API_START_TIMEOUT_S = env_int("LAB_API_START_TIMEOUT_S", 20, minimum=1)
LAB_STALE_AFTER_S = env_int("LAB_STALE_AFTER_S", 15, minimum=3)
LAB_QUEUE_TIMEOUT_S = env_int("LAB_QUEUE_TIMEOUT_S", 300, minimum=10)
# Runs queued or running at once on the whole site, and runs one learner may start in an hour.
LAB_MAX_QUEUED_RUNS = env_int("LAB_MAX_QUEUED_RUNS", 10, minimum=1)
LAB_RUNS_PER_USER_PER_HOUR = env_int("LAB_RUNS_PER_USER_PER_HOUR", 20, minimum=1)
# Answers per checkpoint question per run; the expected value shows after the last one (or a correct one).
LAB_CHECKPOINT_ATTEMPTS = env_int("LAB_CHECKPOINT_ATTEMPTS", 3, minimum=1)
# Lab runs at once on this machine (a lock file per slot), whatever the number of workers: measurements must
# not compete for the CPU they measure, so at most one per pair of cores. Slot 0 locks LAB_LOCK_FILE (empty: a
# file in the temp dir), slot N the same path with ".N" added.
LAB_SLOTS = env_int("LAB_SLOTS", 1, minimum=1)
LAB_LOCK_FILE = env_str("LAB_LOCK_FILE", "")
# This machine's name in LabRun.worker_host and LabWorker.host (empty: the host name). Two workers with the
# same name and lock file are one machine; tests simulate several machines with different names and files.
LAB_HOST_NAME = env_str("LAB_HOST_NAME", "")
# Locustfile exercises: a learner's file runs in the sandbox (labs/sandbox.py) within these limits.
EXERCISE_MAX_USERS = env_int("EXERCISE_MAX_USERS", 20, minimum=1)
EXERCISE_MAX_SPAWN_RATE = env_int("EXERCISE_MAX_SPAWN_RATE", 20, minimum=1)
EXERCISE_MAX_DURATION_S = env_int("EXERCISE_MAX_DURATION_S", 30, minimum=2)
EXERCISE_GRACE_S = env_int("EXERCISE_GRACE_S", 30, minimum=5)
EXERCISE_SUBMISSIONS_PER_HOUR = env_int("EXERCISE_SUBMISSIONS_PER_HOUR", 30, minimum=1)
# Mock interviews: the interviewer's private link stops working this long after the interview ends.
INTERVIEWER_LINK_TTL_HOURS = env_int("INTERVIEWER_LINK_TTL_HOURS", 72, minimum=1)
# Flashcards: py-fsrs interval fuzzing (off keeps every card exactly rebuildable from its log).
CARDS_FUZZING = env_bool("CARDS_FUZZING", False)
# "I think this grade is wrong": how many grades one learner (or anonymous session) may flag in 24 hours.
GRADE_FLAGS_PER_DAY = env_int("GRADE_FLAGS_PER_DAY", 30, minimum=1)
# Solo mock interviews ask a missed core point's follow-up only with at least this many seconds left on the
# question's clock.
INTERVIEW_FOLLOW_UP_MIN_S = env_int("INTERVIEW_FOLLOW_UP_MIN_S", 90, minimum=0)

# Mail (password reset): EMAIL_URL, see email_config(); the sender's address from DEFAULT_FROM_EMAIL.
MAILERS = {"default": email_config()}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Breaking Point <noreply@localhost>")
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600, minimum=60)
# Proxies of ours in front of the site: X-Forwarded-For and X-Forwarded-Proto are believed only when this
# is 1 or more (the client address is then the NUM_PROXIES-th address from the right of X-Forwarded-For).
NUM_PROXIES = env_int("NUM_PROXIES", 0, minimum=0)
# Sign-in and sign-up throttles, counted in the default cache (Redis with REDIS_URL: shared by all workers).
LOGIN_FAILURES_PER_USERNAME = env_int("LOGIN_FAILURES_PER_USERNAME", 10, minimum=1)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 30, minimum=1)
LOGIN_LOCKOUT_S = env_int("LOGIN_LOCKOUT_S", 900, minimum=1)
SIGNUP_ATTEMPTS_PER_USERNAME = env_int("SIGNUP_ATTEMPTS_PER_USERNAME", 10, minimum=1)
SIGNUP_ATTEMPTS_PER_ADDRESS = env_int("SIGNUP_ATTEMPTS_PER_ADDRESS", 20, minimum=1)
SIGNUP_WINDOW_S = env_int("SIGNUP_WINDOW_S", 3600, minimum=1)
# API tokens stop working this many days after they were issued (a new POST /api/v1/auth/token renews).
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 30, minimum=1)

# Security. The HTTPS block is what `manage.py check --deploy` asks for behind TLS.
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Scripts, styles and everything else only from this site: no inline script or event handler anywhere
# (JavaScript lives in static/js). The API docs page relaxes styles only (quizsite/urls.py).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],  # Pico draws checkboxes and select arrows with data: SVGs
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Browser features no page uses, switched off for every page (quizsite.middleware.PrivatePagesMiddleware).
PERMISSIONS_POLICY = ("accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
                      "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), "
                      "interest-cohort=()")
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if NUM_PROXIES:
        # Only a proxy of ours may say the request came over HTTPS; without one the header is ignored.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "quizsite.accounts.authentication.ExpiringTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["quizsite.api.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "quizsite.api.exception_handler",
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "grade_anon": env_str("GRADE_RATE_ANON", "60/min"),
        "grade_user": env_str("GRADE_RATE_USER", "600/min"),
        "auth_token": env_str("AUTH_TOKEN_RATE", "20/min"),
        "grade_flag": env_str("GRADE_FLAG_RATE", "30/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Breaking Point API",
    "DESCRIPTION": "Questions, grading, quizzes and labs for scalability interview practice.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"QuizModeEnum": "quizsite.quizzes.models.Mode.choices"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "quizsite.redaction.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
