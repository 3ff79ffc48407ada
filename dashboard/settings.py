"""Settings for the dashboard, read from the environment (see the table in README.md).

Defaults suit a laptop: an SQLite file in the project folder and DEBUG off. Anything that would
be unsafe in production (a missing secret key, missing encryption keys) is refused at start-up
unless DEBUG is on.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from dashboard.envfile import DEBUG_ENCRYPTION_KEY, env_file
from dashboard.envfile import VARIABLE as ENV_FILE_VARIABLE

# Lets the typed generics of the stubs (ModelForm[Database], ModelAdmin[Team]) exist at runtime.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


class _SettingsEnv(environ.FileAwareEnv):
    """Reads SECRET_KEY_FILE (and any *_FILE) when the plain variable is absent, from a copy of
    the process's environment: the .env fills in that copy only, so the dashboard's keys never
    reach the programs a command starts (``runenv``). Every name it is asked for is noted, so
    that those programs do not inherit them from the environment either."""

    ENVIRON = environ.FileAwareMapping(env=dict(os.environ))
    names: ClassVar[set[str]] = set()

    def get_value(self, var: str, *args: Any, **kwargs: Any) -> Any:
        self.names.add(var)
        return super().get_value(var, *args, **kwargs)


env = _SettingsEnv()

# The project's .env (which `manage.py demo` writes) fills in what the environment leaves unset.
ENV_FILE = env_file()
if ENV_FILE is not None and ENV_FILE.exists():
    _SettingsEnv.read_env(ENV_FILE)


def _bool(name: str, default: bool) -> bool:
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def _int(name: str, default: int, minimum: int) -> int:
    raw = env.str(name, default=str(default)).strip()
    if not raw.isdigit() or int(raw) < minimum:
        raise ImproperlyConfigured(
            f"{name} must be a whole number of at least {minimum}, not {raw!r}."
        )
    return int(raw)


DEBUG = _bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE), or DEBUG=true on a laptop."
        )
    SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production"  # noqa: S105

# Fernet keys that encrypt secrets at rest; the first encrypts, all of them decrypt (rotation).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is not set. Generate one with "
            "`uv run python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`."
        )
    FIELD_ENCRYPTION_KEYS = [DEBUG_ENCRYPTION_KEY]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.forms",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "axes",
    "dashboard",
    "connections",
]

# Work that talks to servers and may have to wait (retries, the periodic drift check) goes
# through Django's tasks framework, queued in the dashboard's own database; run the worker with
# `manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dashboard.middleware.remember_team",
    # Last, as django-axes asks: it answers a locked-out login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context_processors.memberships",
                "dashboard.context_processors.team",
            ],
        },
    },
]

# Widgets render with the templates above (hence "django.forms" in INSTALLED_APPS).
FORM_RENDERER = "dashboard.forms.renderer.FormRenderer"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# A new PostgreSQL connection costs more than most requests: each process keeps a pool of them
# (psycopg's) or, with the pool off, may keep its one connection for DATABASE_CONN_MAX_AGE.
_conn_max_age = _int("DATABASE_CONN_MAX_AGE", default=0, minimum=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and _bool(
    "DATABASE_POOL", default=True
):
    if _conn_max_age:
        raise ImproperlyConfigured(
            "DATABASE_CONN_MAX_AGE keeps connections without a pool: set DATABASE_POOL=false "
            "to use it."
        )
    _pool = {
        "min_size": _int("DATABASE_POOL_MIN_SIZE", default=1, minimum=0),
        "max_size": _int("DATABASE_POOL_MAX_SIZE", default=4, minimum=1),
    }
    if _pool["min_size"] > _pool["max_size"]:
        raise ImproperlyConfigured("DATABASE_POOL_MIN_SIZE is larger than DATABASE_POOL_MAX_SIZE.")
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = _pool
else:
    DATABASES["default"]["CONN_MAX_AGE"] = _conn_max_age
    # A kept connection is checked before a request reuses it, so a restarted server costs
    # one reconnection, not an error.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = _conn_max_age > 0
# Django binds parameters in the client, so PostgreSQL plans each query anew. The deploy API's
# token lookup binds on the server and is prepared once per connection (after psycopg's
# default of 5 runs); the dashboard's other queries never are. Off (Django's default) for a
# transaction-mode pooler that cannot keep prepared statements (PgBouncer before 1.22, or
# without max_prepared_statements).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        5 if _bool("DATABASE_PREPARED_STATEMENTS", default=True) else None
    )
# Resolved environments are cached per version, encrypted (connections.environment). Each
# process has its own cache by default; a shared one (redis://…) spares each resolving again.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one user from one
# address, that user is refused from that address until LOGIN_COOLOFF_MINUTES pass without a
# new attempt. The same user from another address is not affected, so nobody can lock a known
# user out by guessing from elsewhere.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
if AXES_FAILURE_LIMIT < 1 or timedelta(0) >= AXES_COOLOFF_TIME:
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT and LOGIN_COOLOFF_MINUTES must be positive.")
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dashboard.views.login.locked_out"
AXES_CLIENT_IP_CALLABLE = "dashboard.http.client_address"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# A strict policy: our own scripts and styles only, nonces for the few inline tags.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# Behind TLS in production; off on a laptop so http://127.0.0.1 keeps working.
SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = _bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# The preload directive only takes effect once the domain owner submits it to the browsers.
SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS > 0)
BEHIND_PROXY = _bool("BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# The largest form is a variable's value (32 KiB); a request body past this is refused (400)
# before it is parsed. The deploy API bounds its own bodies far lower.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

# Seconds a page (or a task) waits for a database server before giving up; changes that could
# not reach their server are retried in the background.
SERVER_TIMEOUT = env.int("SERVER_TIMEOUT", default=5)
if not 1 <= SERVER_TIMEOUT <= 60:
    raise ImproperlyConfigured("SERVER_TIMEOUT must be a number of seconds from 1 to 60.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# What the settings read from the environment (each also as NAME_FILE), and the file that fills
# it in: the dashboard's own, which the commands it starts for applications do not inherit.
SETTINGS_FROM_ENVIRONMENT = frozenset(
    {"DJANGO_SETTINGS_MODULE", ENV_FILE_VARIABLE}
    | _SettingsEnv.names
    | {f"{name}_FILE" for name in _SettingsEnv.names}
)
