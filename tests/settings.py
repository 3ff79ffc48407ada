"""Settings for the test suite: production settings with test keys, fast hashing, plain storage.

DEBUG stays off, so the suite exercises what production runs. DATABASE_URL is honoured, so the
same suite runs on SQLite and on PostgreSQL.
"""

import os

# A laptop's .env (the demo's DEBUG=true) never leaks into the suite.
os.environ.setdefault("ENV_FILE", "")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dGVzdHMtb25seS1rZXktbmV2ZXItaW4tcHJvZHVjdGk=")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
# Playwright's sync API runs an event loop in the test thread; Django must allow the ORM there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from dashboard.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# No collectstatic in tests: serve straight from the finders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
