import io

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.core.management import CommandError, call_command

from gridgov.accounts.models import ApiToken
from gridgov.accounts.services import api_token_authenticate, api_token_create, api_token_revoke
from gridgov.core.exceptions import NotAllowed


def test_production_hashing_is_argon2(settings):
    from config.settings import base

    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    encoded = make_password("密码-123456", hasher="argon2")
    assert encoded.startswith("argon2$")
    assert check_password("密码-123456", encoded)


def test_tokens_are_stored_hashed_and_authenticate(territory):
    token, plain = api_token_create(actor=None, user=territory.user("officer"), name="手机端")
    assert plain not in {token.digest, token.prefix}
    assert not ApiToken.objects.filter(digest=plain).exists()
    assert api_token_authenticate(plain) == territory.user("officer")
    assert api_token_authenticate(plain + "x") is None
    assert api_token_authenticate("") is None


def test_revoked_tokens_and_inactive_users_fail(territory):
    token, plain = api_token_create(actor=None, user=territory.user("officer"))
    api_token_revoke(actor=territory.user("officer"), token=token)
    assert api_token_authenticate(plain) is None
    _token, plain2 = api_token_create(actor=None, user=territory.user("leader"))
    leader = territory.user("leader")
    leader.is_active = False
    leader.save()
    assert api_token_authenticate(plain2) is None


def test_users_cannot_make_or_revoke_tokens_for_others(territory):
    with pytest.raises(NotAllowed):
        api_token_create(actor=territory.user("grid_a"), user=territory.user("admin"))
    token, _plain = api_token_create(actor=None, user=territory.user("admin"))
    with pytest.raises(NotAllowed):
        api_token_revoke(actor=territory.user("grid_a"), token=token)


def test_create_token_prints_the_token_and_nothing_else(territory):
    out = io.StringIO()
    call_command("create_token", "supervisor", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert api_token_authenticate(lines[0]) == territory.user("supervisor")
    revoke_out = io.StringIO()
    call_command("revoke_token", lines[0], stdout=revoke_out)
    assert api_token_authenticate(lines[0]) is None
    assert "revoked 1" in revoke_out.getvalue()


def test_token_commands_report_bad_input(territory):
    with pytest.raises(CommandError, match="no user"):
        call_command("create_token", "ghost")
    with pytest.raises(CommandError, match="no such token"):
        call_command("revoke_token", "ggv_nonexistent")
