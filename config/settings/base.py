"""Settings shared by every gridgov environment. ``dev`` (the default, used by ``make demo``), ``test`` and
``prod`` build on this module."""

import os

import dj_database_url

from config.env import BASE_DIR, VAR_DIR, env_bool, env_int, env_list, env_str

GRIDGOV_ENV = "base"
DEBUG = False

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
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
    "axes",
    "django_tasks_db",
    "gridgov.core",
    "gridgov.territory",
    "gridgov.worktime",
    "gridgov.registry",
    "gridgov.cases",
    "gridgov.tips",
    "gridgov.notices",
    "gridgov.air",
    "gridgov.campaigns",
    "gridgov.inspections",
    "gridgov.accounts",
    "gridgov.api",
    "gridgov.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gridgov.core.middleware.RejectNullBytesMiddleware",
    "gridgov.api.middleware.ApiJsonErrorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "gridgov" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gridgov.core.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL names another (PostgreSQL in production).
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "gridgov.sqlite3",
            "CONN_MAX_AGE": env_int("CONN_MAX_AGE", 60),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DATABASE_PREPARED", True):
    # Server-side binding, and statements prepared once per connection after their fifth use: PostgreSQL then
    # skips parsing and planning the same few statements every request (half its CPU per case filing). Behind a
    # pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21, or without
    # max_prepared_statements), set DATABASE_PREPARED=0.
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; IMMEDIATE avoids "database is locked" on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        # a 64 MiB page cache keeps the indexes of a county-size import in memory (the default is 2 MiB)
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# django-axes: lock an account+address pair out after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "gridgov" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "gridgov" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "gridgov"}}

SESSION_ENGINE = "gridgov.core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Office hours for deadlines in working hours (工作时). Each pair is a span of one working day.
GRIDGOV_OFFICE_HOURS = [("08:30", "12:00"), ("14:30", "18:00")]
GRIDGOV_DEMO_PASSWORD = env_str("GRIDGOV_DEMO_PASSWORD", "taikang-2026")
GRIDGOV_SHOW_DEMO_ACCOUNTS = env_bool("GRIDGOV_SHOW_DEMO_ACCOUNTS", False)
GRIDGOV_API_ANON_RATE = env_str("GRIDGOV_API_ANON_RATE", "60/m")
GRIDGOV_API_USER_RATE = env_str("GRIDGOV_API_USER_RATE", "1200/m")
AXES_VERBOSE = False

# Cases: a new case of the same category in the same place within this window is offered for merging.
GRIDGOV_DUPLICATE_HOURS = env_int("GRIDGOV_DUPLICATE_HOURS", 72)
GRIDGOV_DUPLICATE_METERS = env_int("GRIDGOV_DUPLICATE_METERS", 300)
GRIDGOV_ESCALATION_INTERVAL_SECONDS = env_int("GRIDGOV_ESCALATION_INTERVAL_SECONDS", 300)

# Registry imports of at least GRIDGOV_IMPORT_PARALLEL_MIN_ROWS rows check and seal their rows in this many worker
# processes (forked; 0 turns it off) while the importing process reads and writes.
GRIDGOV_IMPORT_WORKERS = env_int("GRIDGOV_IMPORT_WORKERS", 2 if (os.cpu_count() or 1) > 1 else 0)
GRIDGOV_IMPORT_PARALLEL_MIN_ROWS = env_int("GRIDGOV_IMPORT_PARALLEL_MIN_ROWS", 20_000)

# The public tip line (gridgov/tips, docs/tips.md); further limits are read with defaults there.
GRIDGOV_TIP_HOTLINE = env_str("GRIDGOV_TIP_HOTLINE", "0394-12345")
GRIDGOV_TIP_RATE_PER_CLIENT_HOUR = env_int("GRIDGOV_TIP_RATE_PER_CLIENT_HOUR", 10)
GRIDGOV_TIP_RATE_PER_PHONE_DAY = env_int("GRIDGOV_TIP_RATE_PER_PHONE_DAY", 5)

# Notices down the grid (gridgov/notices, docs/notices.md). Links in messages start with GRIDGOV_SITE_URL; group
# webhooks may only point at the hosts listed (the "send test message" button must not reach the intranet).
GRIDGOV_SITE_URL = env_str("GRIDGOV_SITE_URL", "http://127.0.0.1:8000")
GRIDGOV_NOTICES_WEBHOOK_HOSTS = env_list(
    "GRIDGOV_NOTICES_WEBHOOK_HOSTS", ["qyapi.weixin.qq.com", "oapi.dingtalk.com"]
)
GRIDGOV_SMS_GATEWAY_URL = env_str("GRIDGOV_SMS_GATEWAY_URL", "")
GRIDGOV_SMS_GATEWAY_TOKEN = env_str("GRIDGOV_SMS_GATEWAY_TOKEN", "")
GRIDGOV_SMS_SIGN_NAME = env_str("GRIDGOV_SMS_SIGN_NAME", "")
GRIDGOV_SMS_TEMPLATE = env_str("GRIDGOV_SMS_TEMPLATE", "")
GRIDGOV_NOTICES_BOT_PER_MINUTE = env_int("GRIDGOV_NOTICES_BOT_PER_MINUTE", 20)
