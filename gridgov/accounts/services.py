"""Writes to accounts: users and API tokens."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import ApiToken, User
from gridgov.core.audit import audit_record
from gridgov.core.exceptions import NotAllowed

TOKEN_PREFIX = "ggv_"
#: last_used_at is written at most this often, so that busy clients do not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def token_digest(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a plain SHA-256 is enough (no slow hash needed).
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Makes a new token for ``user`` and returns it with the plain token, which is never stored."""
    if actor is not None and actor.pk != user.pk and not actor.is_superuser:
        raise NotAllowed()
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=plain[:12], digest=token_digest(plain))
    audit_record(actor=actor, action="token.create", obj=token, changes={"user": user.username, "name": name})
    return token, plain


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken) -> ApiToken:
    if actor is not None and actor.pk != token.user_id and not actor.is_superuser:
        raise NotAllowed()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="token.revoke", obj=token, changes={"user": token.user.username})
    return token


def api_token_authenticate(plain: str) -> User | None:
    """The active user behind a live token, or None."""
    if not plain or not plain.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(plain), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
