"""Production. Refuses to start without its secrets, without a real database, or with DEBUG on."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASE_URL

GRIDGOV_ENV = "production"

_missing = [name for name in ("SECRET_KEY", "GRIDGOV_FIELD_KEY", "GRIDGOV_INDEX_KEY") if not env_str(name)]
if _missing:
    raise ImproperlyConfigured(
        "gridgov production settings need these environment variables: " + ", ".join(_missing)
    )
if env_bool("DEBUG", False):
    raise ImproperlyConfigured("DEBUG must not be on in production (unset DEBUG).")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "Production needs DATABASE_URL (PostgreSQL, e.g. postgres://user@host/gridgov)."
    )

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
GRIDGOV_FIELD_KEY = env_str("GRIDGOV_FIELD_KEY")
GRIDGOV_INDEX_KEY = env_str("GRIDGOV_INDEX_KEY")
if len(SECRET_KEY) < 40:
    raise ImproperlyConfigured("SECRET_KEY must be at least 40 characters long.")

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
GRIDGOV_SHOW_DEMO_ACCOUNTS = False
