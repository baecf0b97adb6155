"""Settings for ``python -m bench``: a database of the benchmarks' own, never the demo's.

Without ``DATABASE_URL``: the SQLite file ``var/bench/bench-<pid>.sqlite3``, created by the run and deleted after
it. With ``DATABASE_URL`` (PostgreSQL): the same server, but the database ``gridgov_bench_<pid>``, which
``bench.db`` creates and drops through the server's ``postgres`` database. The process id keeps two runs at the
same time (two people, two terminals) out of each other's database.
"""

import os

from config.env import VAR_DIR, env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES

GRIDGOV_ENV = "bench"
DEBUG = False  # DEBUG would record every query and slow the ORM side down
SECRET_KEY = "bench-only-secret-key-not-for-production-use-0123456789abcdef"
GRIDGOV_FIELD_KEY = "bench-field-key-0123456789abcdef0123456789abcdef"
GRIDGOV_INDEX_KEY = "bench-index-key-0123456789abcdef0123456789abcdef"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

BENCH_DIR = VAR_DIR / "bench"
# The servers a benchmark starts (gunicorn) inherit the run's id, so they open the run's database.
BENCH_RUN = os.environ.setdefault("GRIDGOV_BENCH_RUN", str(os.getpid()))
BENCH_DB_NAME = f"gridgov_bench_{BENCH_RUN}"
BENCH_SQLITE_FILE = BENCH_DIR / f"bench-{BENCH_RUN}.sqlite3"
BENCH_DATABASE_URL = env_str("DATABASE_URL")

if BENCH_DATABASE_URL:
    # production's settings for that server (config.settings.base: options, prepared statements), on our database
    _db = dict(DATABASES["default"], NAME=BENCH_DB_NAME, CONN_MAX_AGE=0)
    if _db["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError("bench: DATABASE_URL must name a PostgreSQL server")
    DATABASES = {"default": _db}
else:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["NAME"] = BENCH_SQLITE_FILE
    DATABASES["default"]["CONN_MAX_AGE"] = 0
