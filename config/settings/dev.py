"""Local runs and ``make demo``: production-like serving, secrets generated into var/secrets.env."""

from config.env import env_bool, local_secrets
from config.settings.base import *  # noqa: F403

GRIDGOV_ENV = "development"
DEBUG = env_bool("DEBUG", False)
_secrets = local_secrets()
SECRET_KEY = _secrets["SECRET_KEY"]
GRIDGOV_FIELD_KEY = _secrets["GRIDGOV_FIELD_KEY"]
GRIDGOV_INDEX_KEY = _secrets["GRIDGOV_INDEX_KEY"]
GRIDGOV_SHOW_DEMO_ACCOUNTS = env_bool("GRIDGOV_SHOW_DEMO_ACCOUNTS", True)
