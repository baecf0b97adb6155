"""API authentication (bearer token, session with CSRF on writes), throttling and the error format (§5)."""

import io
import re

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import path
from ninja import NinjaAPI

from gridgov.accounts.models import ApiToken, User
from gridgov.accounts.services import api_token_create, api_token_revoke, token_digest
from gridgov.api.auth import AUTH
from gridgov.api.errors import install_error_handlers
from gridgov.api.main import api
from gridgov.conftest import COUNTY, TOWNSHIP_B, make_user

ME = "/api/v1/me"
REGION = f"/api/v1/regions/{COUNTY}"
UNAUTHENTICATED = {"detail": "需要登录或提供 API 令牌。", "code": "unauthenticated"}

# A write endpoint behind the real AUTH and error handlers: the API has no write endpoint yet, and CSRF on
# session writes must hold from the first one on.
probe_api = NinjaAPI(urls_namespace="csrf-probe", auth=AUTH, docs_url=None, openapi_url=None)
install_error_handlers(probe_api)


@probe_api.post("/write")
def probe_write(request):
    return {"username": request.auth.username}


urlpatterns = [path("probe/", probe_api.urls)]


def bearer(plain: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def token_for(user, name="test") -> str:
    _token, plain = api_token_create(actor=None, user=user, name=name)
    return plain


# --- 401 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [ME, REGION, f"{REGION}/children"])
def test_no_credentials_is_401_json(territory, client, url):
    response = client.get(url)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == UNAUTHENTICATED


def test_bearer_token_works(territory, client):
    plain = token_for(territory.user("township_b"))
    response = client.get(ME, **bearer(plain))
    assert response.status_code == 200
    assert response.json()["username"] == "township_b"
    # The token carries the user's scope, not more.
    assert client.get(f"/api/v1/regions/{TOWNSHIP_B}", **bearer(plain)).status_code == 200
    assert client.get(REGION, **bearer(plain)).status_code == 404


def test_bearer_scheme_is_case_insensitive(territory, client):
    plain = token_for(territory.user("admin"))
    assert client.get(ME, HTTP_AUTHORIZATION=f"bearer {plain}").status_code == 200


def test_bearer_records_last_use(territory, client):
    _token, plain = api_token_create(actor=None, user=territory.user("admin"), name="t")
    assert _token.last_used_at is None
    assert client.get(ME, **bearer(plain)).status_code == 200
    _token.refresh_from_db()
    assert _token.last_used_at is not None


def test_revoked_token_is_401(territory, client):
    token, plain = api_token_create(actor=None, user=territory.user("admin"), name="t")
    assert client.get(ME, **bearer(plain)).status_code == 200
    api_token_revoke(actor=None, token=token)
    response = client.get(ME, **bearer(plain))
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_revoking_one_token_keeps_the_others(territory, client):
    user = territory.user("admin")
    first, first_plain = api_token_create(actor=None, user=user, name="one")
    second_plain = token_for(user, "two")
    api_token_revoke(actor=None, token=first)
    assert client.get(ME, **bearer(first_plain)).status_code == 401
    assert client.get(ME, **bearer(second_plain)).status_code == 200


def test_token_of_inactive_user_is_401(territory, client):
    user = territory.user("admin")
    plain = token_for(user)
    # No service deactivates users yet (the admin site does): flip the flag directly.
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.get(ME, **bearer(plain))
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_session_of_inactive_user_is_401(territory, client_for):
    user = territory.user("township_a")
    client = client_for(user)
    assert client.get(ME).status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer    ",
        "Bearer not-a-token",
        "Bearer ggv_",
        "Bearer ggv_definitely-not-issued",
        "Bearer ggv_a b c",
        "Bearer ggv_\u00e9\u4e2d\u6587",
        "Bearer ggv_" + "x" * 10000,
        "Token ggv_abc",
        "Basic YWRtaW46Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5",
        "ggv_abc",
        "   ",
        "\u4e2d\u6587",
    ],
)
def test_malformed_authorization_is_401_not_500(territory, client, header):
    response = client.get(ME, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


# Cookie values as a WSGI server hands them over (latin-1 decoded bytes), including the quoted form whose
# octal escapes Django's cookie parser decodes: ``"abcdefgh\\000ijkl"`` is pure ASCII on the wire.
MALFORMED_SESSION_COOKIES = [
    "sessionid=",
    "sessionid=x",
    "sessionid=not-a-session-key-0123456789",
    "sessionid=" + "a" * 5000,
    "sessionid=" + "中文中文中文中文".encode().decode("latin-1"),
    'sessionid="abcdefgh\\000ijklmnop"',
    "sessionid",
    "=;;=",
]


@pytest.mark.parametrize("cookie", MALFORMED_SESSION_COOKIES)
def test_malformed_session_cookie_is_401_not_500(territory, client, cookie):
    response = client.get(ME, HTTP_COOKIE=cookie)
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_tampered_token_is_401(territory, client):
    plain = token_for(territory.user("admin"))
    tampered = plain[:-1] + ("A" if plain[-1] != "A" else "B")
    assert client.get(ME, **bearer(tampered)).status_code == 401


def test_session_auth_works(territory, client_for):
    client = client_for(territory.user("leader"))
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "leader"
    assert client.get(REGION).status_code == 200


# --- CSRF on session writes ---------------------------------------------------------------------------

PROBE = "/probe/write"
CSRF_SECRET = "A" * 32


@pytest.mark.urls(__name__)
def test_session_write_without_csrf_is_refused(territory):
    client = Client(enforce_csrf_checks=True)
    client.force_login(territory.user("admin"))
    response = client.post(PROBE)
    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF check Failed", "code": "forbidden"}


@pytest.mark.urls(__name__)
def test_session_write_with_csrf_token_passes(territory):
    client = Client(enforce_csrf_checks=True)
    client.force_login(territory.user("admin"))
    client.cookies["csrftoken"] = CSRF_SECRET
    response = client.post(PROBE, HTTP_X_CSRFTOKEN=CSRF_SECRET)
    assert response.status_code == 200
    assert response.json() == {"username": "admin"}
    # A wrong token is refused.
    assert client.post(PROBE, HTTP_X_CSRFTOKEN="B" * 32).status_code == 403


@pytest.mark.urls(__name__)
def test_bearer_write_needs_no_csrf(territory):
    client = Client(enforce_csrf_checks=True)
    response = client.post(PROBE, **bearer(token_for(territory.user("officer"))))
    assert response.status_code == 200
    assert response.json() == {"username": "officer"}


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("credentials", ["none", "revoked token", "unknown token"])
def test_write_without_valid_credentials_is_401(territory, credentials):
    """§5: 401 for no credentials, on writes too (not a 403 about CSRF for a client that has no session)."""
    headers = {}
    if credentials == "revoked token":
        token, plain = api_token_create(actor=None, user=territory.user("admin"), name="t")
        api_token_revoke(actor=None, token=token)
        headers = bearer(plain)
    elif credentials == "unknown token":
        headers = bearer("ggv_never-issued")
    response = Client(enforce_csrf_checks=True).post(PROBE, **headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_real_api_reads_need_no_csrf(territory):
    client = Client(enforce_csrf_checks=True)
    client.force_login(territory.user("admin"))
    assert client.get(ME).status_code == 200


# --- error bodies -------------------------------------------------------------------------------------


def test_404_body(territory, client):
    plain = token_for(territory.user("admin"))
    for url in ("/api/v1/regions/99999999", "/api/v1/regions/99999999/children"):
        response = client.get(url, **bearer(plain))
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert response.json() == {"detail": "未找到，或不在您的管辖范围内。", "code": "not_found"}


def test_unknown_api_path_is_json_404(territory, client):
    """§5: API errors are JSON, also for a path no endpoint serves."""
    response = client.get("/api/v1/no-such-endpoint", **bearer(token_for(territory.user("admin"))))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json"), response.content
    assert response.json()["code"] == "not_found"


def test_wrong_method_is_json_405(territory, client):
    """§5: API errors are JSON, also for a method the endpoint does not take."""
    response = client.post(ME, **bearer(token_for(territory.user("admin"))))
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json"), response.content
    assert set(response.json()) >= {"detail", "code"}


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("page_size=0", {"page_size"}),
        ("page_size=10000", {"page_size"}),
        ("page_size=-1", {"page_size"}),
        ("page_size=ten", {"page_size"}),
        ("page=0", {"page"}),
        ("page=0&page_size=10000", {"page", "page_size"}),
    ],
)
def test_400_body_for_bad_paging(territory, client, query, fields):
    response = client.get(f"{REGION}/children?{query}", **bearer(token_for(territory.user("admin"))))
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    assert body["code"] == "invalid"
    assert body["detail"] == "输入有误。"
    assert set(body["fields"]) == fields
    assert all(isinstance(msg, str) and msg for messages in body["fields"].values() for msg in messages)


@pytest.mark.parametrize("code", ["abc", "4", "4116271012010011", "41162７", "411627%20", "41-16"])
def test_400_body_for_bad_code(territory, client, code):
    plain = token_for(territory.user("admin"))
    for url in (f"/api/v1/regions/{code}", f"/api/v1/regions/{code}/children"):
        response = client.get(url, **bearer(plain))
        assert response.status_code == 400, (url, response.content)
        body = response.json()
        assert body["code"] == "invalid"
        assert list(body["fields"]) == ["code"]


def test_bad_input_is_checked_after_credentials(territory, client):
    response = client.get("/api/v1/regions/abc")
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


# --- throttling ---------------------------------------------------------------------------------------


@pytest.fixture
def tight_throttle(monkeypatch):
    """Two requests a minute on the real API's throttles; the rate history lives in the cache."""
    for throttle in api.throttle:
        monkeypatch.setattr(throttle, "rate", "2/m")
        monkeypatch.setattr(throttle, "num_requests", 2)
    cache.clear()
    yield
    cache.clear()


def test_429_when_throttle_is_exceeded(territory, client, tight_throttle):
    plain = token_for(territory.user("admin"))
    assert client.get(ME, **bearer(plain)).status_code == 200
    assert client.get(REGION, **bearer(plain)).status_code == 200
    response = client.get(ME, **bearer(plain))
    assert response.status_code == 429
    assert response.json() == {"detail": "请求过于频繁，请稍后再试。", "code": "throttled"}
    assert 0 < int(response["Retry-After"]) <= 60
    # Another user has a budget of their own.
    assert client.get(ME, **bearer(token_for(territory.user("leader")))).status_code == 200


def test_throttle_budget_is_per_user_not_per_display_name(territory, client, tight_throttle):
    """Two people may share a name (两个 “张伟”): one must not use up the other's budget."""
    first = make_user("zhangwei1", display_name="张伟")
    second = make_user("zhangwei2", display_name="张伟")
    first_plain, second_plain = token_for(first), token_for(second)
    assert client.get(ME, **bearer(first_plain)).status_code == 200
    assert client.get(ME, **bearer(first_plain)).status_code == 200
    assert client.get(ME, **bearer(first_plain)).status_code == 429
    assert client.get(ME, **bearer(second_plain)).status_code == 200


# --- tokens ----------------------------------------------------------------------------------------


def test_create_token_prints_one_line_that_authenticates(territory, client):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_token", "commander", "--name", "监控大屏", stdout=out, stderr=err)
    assert err.getvalue() == ""
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert out.getvalue() == lines[0] + "\n"
    assert re.fullmatch(r"ggv_[A-Za-z0-9_-]{40,}", lines[0])
    response = client.get(ME, **bearer(lines[0]))
    assert response.status_code == 200
    assert response.json()["username"] == "commander"
    assert ApiToken.objects.get(user=territory.user("commander")).name == "监控大屏"


def test_create_token_twice_gives_two_tokens(territory):
    tokens = set()
    for _ in range(2):
        out = io.StringIO()
        call_command("create_token", "admin", stdout=out)
        tokens.add(out.getvalue().strip())
    assert len(tokens) == 2
    assert ApiToken.objects.filter(user=territory.user("admin")).count() == 2


def test_create_token_refuses_unknown_and_inactive_users(territory):
    with pytest.raises(CommandError):
        call_command("create_token", "no-such-user", stdout=io.StringIO())
    User.objects.filter(pk=territory.user("leader").pk).update(is_active=False)
    with pytest.raises(CommandError):
        call_command("create_token", "leader", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_tokens_are_stored_hashed(territory):
    out = io.StringIO()
    call_command("create_token", "admin", stdout=out)
    plain = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert token.digest == token_digest(plain)
    assert token.digest != plain
    assert plain.startswith(token.prefix) and len(token.prefix) < len(plain) // 2
    # The plain token is nowhere in the database: not in the token row, not in the audit trail.
    secret_part = plain[len(token.prefix) :]
    for model in apps.get_models():
        for row in model._default_manager.values():
            assert secret_part not in repr(row), model
