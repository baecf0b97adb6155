"""Setting a campaign up over the API: only the county admin, errors naming the field, states as a machine."""

import pytest

pytestmark = pytest.mark.django_db
API = "/api/v1/campaigns"


@pytest.fixture
def as_user(client, territory):
    def _login(name):
        client.logout()
        client.force_login(territory.user(name))
        return client

    return _login


def test_create_activate_close_and_configure(as_user, territory):
    payload = {
        "code": "clean-up",
        "name": "农村人居环境整治",
        "kind": "environment",
        "starts_on": "2026-01-01",
        "ends_on": "2026-02-01",
        "regions": [territory.township_a.code],
        "target_place_kinds": ["market"],
    }
    assert as_user("township_a").post(API, payload, content_type="application/json").status_code == 403
    assert as_user("leader").post(API, payload, content_type="application/json").status_code == 403
    client = as_user("admin")
    bad = client.post(
        API,
        {**payload, "ends_on": "2025-01-01", "target_place_kinds": ["spaceport"]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and {"ends_on"} <= set(bad.json()["fields"])
    bad = client.post(API, {**payload, "target_place_kinds": ["spaceport"]}, content_type="application/json")
    assert bad.status_code == 400 and "target_place_kinds" in bad.json()["fields"]
    response = client.post(API, payload, content_type="application/json")
    assert response.status_code == 201, response.json()
    campaign = response.json()
    assert campaign["state"] == "draft" and campaign["regions"][0]["code"] == territory.township_a.code
    cid = campaign["id"]
    form = {
        "title": "市场排查",
        "questions": [
            {
                "key": "litter",
                "label": "是否有白色垃圾？",
                "problem_if": True,
                "category": "rural_white_litter",
            },
            {"key": "note", "label": "说明", "type": "text", "required": False},
        ],
    }
    r = client.put(f"{API}/{cid}/forms/place", form, content_type="application/json")
    assert r.status_code == 200, r.json()
    wrong = {
        "title": "x",
        "questions": [{"key": "Bad Key", "label": "", "problem_if": True, "category": "nope"}],
    }
    response = client.put(f"{API}/{cid}/forms/place", wrong, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"questions.0.key", "questions.0.label", "questions.0.category"}
    letter = {"title": "门前三包承诺书", "body": "{场所}承诺：……"}
    assert (
        client.put(f"{API}/{cid}/letters/place", letter, content_type="application/json").status_code == 200
    )
    member = {
        "name": "张书记",
        "position": "常营镇党委书记",
        "duty": "第一责任人",
        "region": territory.township_a.code,
        "jointly_responsible": True,
    }
    assert client.post(f"{API}/{cid}/team", member, content_type="application/json").status_code == 201
    detail = client.get(f"{API}/{cid}").json()
    assert (
        detail["team"][0]["jointly_responsible"] and detail["forms"][0]["questions"][1]["required"] is False
    )
    assert client.post(f"{API}/{cid}/activate").json()["state"] == "active"
    again = client.post(f"{API}/{cid}/activate")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    # the campaign is visible where it overlaps: township A's grid, not township B
    assert as_user("grid_a").get(f"{API}/{cid}").status_code == 200
    assert as_user("grid_b").get(f"{API}/{cid}").status_code == 404
    assert as_user("leader").post(f"{API}/{cid}/close").status_code == 403
    assert as_user("admin").post(f"{API}/{cid}/close").json()["state"] == "closed"
    assert as_user("admin").post(f"{API}/{cid}/recount").json() == {"rows": 0}
