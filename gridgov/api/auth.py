"""API authentication: the browser session (with CSRF on writes) or ``Authorization: Bearer <token>``."""

from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth

from gridgov.accounts.services import api_token_authenticate
from gridgov.core.exceptions import InvalidInput


def reject_nul_bytes(request) -> None:
    """PostgreSQL cannot compare text with NUL in it: refuse such a query string as bad input (JSON 400)."""
    bad = sorted({key for key, value in request.GET.items() if "\x00" in key or "\x00" in value})
    if bad or "\x00" in request.path:
        message = _("请求中含有非法字符。")
        raise InvalidInput(
            message, fields={key.replace("\x00", ""): [message] for key in bad} or {"path": [message]}
        )


class BearerTokenAuth(HttpBearer):
    openapi_description = "gridgov create_token USERNAME"

    def authenticate(self, request, token: str):
        user = api_token_authenticate(token)
        if user is None:
            return None
        request.user = user
        reject_nul_bytes(request)
        return user


class ActiveSessionAuth(SessionAuth):
    def _get_key(self, request):
        # Without a signed-in session there is nothing to protect with CSRF: let the request fail as 401.
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is None or not user.is_active:
            return None
        reject_nul_bytes(request)
        return user


AUTH = [BearerTokenAuth(), ActiveSessionAuth()]
