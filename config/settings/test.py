"""The test suite: fixed throwaway keys, fast hashing, in-memory SQLite unless DATABASE_URL is set."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES

GRIDGOV_ENV = "test"
DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789"
GRIDGOV_FIELD_KEY = "test-field-key-0123456789abcdef0123456789abcdef"
GRIDGOV_INDEX_KEY = "test-index-key-0123456789abcdef0123456789abcdef"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # One test database per run, so that two runs on one server (a developer and CI) never collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_gridgov_{os.getpid()}"}
AXES_FAILURE_LIMIT = 3
GRIDGOV_API_ANON_RATE = "100000/m"
GRIDGOV_API_USER_RATE = "100000/m"
# Static files come from the finders in tests; no collectstatic run is needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# Uploaded files (imports, attachments) go to a throwaway folder, never into var/media.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="gridgov-test-media-"))
_MEDIA_ROOT_OWNER = os.getpid()


def _remove_media_root():
    # Only the process that made the folder removes it: a forked child (an import worker) inherits this hook.
    if os.getpid() == _MEDIA_ROOT_OWNER:
        shutil.rmtree(MEDIA_ROOT, ignore_errors=True)


atexit.register(_remove_media_root)
