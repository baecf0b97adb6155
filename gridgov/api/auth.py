"""API authentication: the browser session (with CSRF on writes) or ``Authorization: Bearer <token>``."""

from ninja.security import HttpBearer, SessionAuth

from gridgov.accounts.services import api_token_authenticate


class BearerTokenAuth(HttpBearer):
    openapi_description = "gridgov create_token USERNAME"

    def authenticate(self, request, token: str):
        user = api_token_authenticate(token)
        if user is None:
            return None
        request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    def _get_key(self, request):
        # Without a signed-in session there is nothing to protect with CSRF: let the request fail as 401.
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


AUTH = [BearerTokenAuth(), ActiveSessionAuth()]
