"""Database sessions that ignore a malformed session cookie instead of querying with it."""

import string

from django.contrib.sessions.backends.db import SessionStore as DbSessionStore

SESSION_KEY_CHARS = frozenset(string.ascii_lowercase + string.digits)


class SessionStore(DbSessionStore):
    def _validate_session_key(self, key):
        # Django makes keys of [a-z0-9]; anything else (a NUL byte, say, which PostgreSQL rejects) is no session.
        return bool(super()._validate_session_key(key)) and set(key) <= SESSION_KEY_CHARS
