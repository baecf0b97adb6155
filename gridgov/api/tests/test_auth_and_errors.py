import json
from gridgov.accounts.services import api_token_create


def test_probe(territory, client):
    _t, plain = api_token_create(actor=None, user=territory.user("admin"), name="x")
    h = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    for method, url, extra in [
        ("get", "/api/v1/me", {}),
        ("get", "/api/v1/me", h),
        ("post", "/api/v1/me", h),
        ("get", "/api/v1/nope", h),
        ("get", "/api/v1/regions/abc", h),
        ("get", "/api/v1/regions/1", h),
        ("get", "/api/v1/regions/411627/children?page_size=0", h),
        ("get", "/api/v1/regions/411627/children?page_size=10000&page=0", h),
        ("get", "/api/v1/regions/411627/children?include_retired=maybe", h),
        ("get", "/api/v1/regions/411627/children?page_size=1", h),
        ("get", "/api/v1/regions/411627", h),
        ("get", "/api/v1/openapi.json", {}),
        ("get", "/api/v1/regions/411627", {"HTTP_AUTHORIZATION": "Bearer"}),
        ("get", "/api/v1/regions/411627", {"HTTP_AUTHORIZATION": "Bearer ggv_\x00\u00e9"}),
        ("get", "/api/v1/regions/411627", {"HTTP_AUTHORIZATION": "Basic Zm9vOmJhcg=="}),
    ]:
        r = getattr(client, method)(url, **extra)
        print(method, url, r.status_code, r.headers.get("Content-Type"), r.content[:300].decode(errors="replace"))
    assert 0
