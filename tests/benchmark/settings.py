"""Settings for the benchmark's server: production settings plus the ceiling view.

The ceiling (one ``SELECT 1`` over a persistent connection, behind the same middleware, server
and workers) exists only here, never in the production URLs. Its connection is a second alias
with a persistent connection of its own, so the ceiling stays the same whatever the dashboard's
own connection settings are.
"""

from dashboard.settings import *  # noqa: F403

ROOT_URLCONF = "tests.benchmark.urls"

DATABASES = {
    **DATABASES,  # noqa: F405
    "ceiling": {
        **DATABASES["default"],  # noqa: F405
        "OPTIONS": {
            name: value
            for name, value in DATABASES["default"].get("OPTIONS", {}).items()  # noqa: F405
            if name != "pool"
        },
        "CONN_MAX_AGE": None,
        "CONN_HEALTH_CHECKS": False,
    },
}

# Pages link their static files; without a collectstatic run, look them up by name only.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
