"""Who may act on a reward through the API: the reward officer of the place or above it; not the sibling
township's, not the leader (who writes nothing), not the roles that only read tips."""

import pytest

from gridgov.conftest import make_user
from gridgov.core.roles import Role
from gridgov.territory.services import grant_add
from gridgov.tips.tests.helpers import closed_with_reward

J = "application/json"


@pytest.fixture
def local_officers(territory):
    officers = {}
    for name, region in (("reward_a", territory.township_a), ("reward_b", territory.township_b)):
        officers[name] = make_user(name)
        grant_add(actor=None, user=officers[name], role=Role.REWARD_OFFICER, region=region)
    return officers


def test_only_the_reward_officer_of_the_place_or_above_acts(territory, sale, client, local_officers):
    receipt, reward = closed_with_reward(territory, sale)  # in township A
    base = f"/api/v1/tips/rewards/{reward.pk}"
    approve = {"amount": 1000, "violation_confirmed": True}
    attempts = {
        f"{base}/approve": approve,
        f"{base}/refuse": {"reason": "不符合"},
        f"/api/v1/tips/{receipt.tip.pk}/reporter": {"reason": "看看"},
        f"/api/v1/tips/{receipt.tip.pk}/void-spam": {"note": "恶意"},
        "/api/v1/tips/rewards/propose": {},
    }
    for user in (territory.user("leader"), local_officers["reward_b"], territory.user("township_a")):
        client.force_login(user)
        for url, body in attempts.items():
            if url.endswith("/propose") and user.username == "reward_b":
                continue  # the sweep is the task's, for the whole county: any reward officer may run it early
            status = client.post(url, body, content_type=J).status_code
            assert status in (403, 404), (user.username, url, status)  # 404: outside the user's scope
        put = client.put(
            f"/api/v1/tips/rules/{sale.code}", {"min_amount": 1, "max_amount": 2}, content_type=J
        )
        assert put.status_code == 403, user.username
    # the sibling township's officer does not even learn that the reward exists
    client.force_login(local_officers["reward_b"])
    assert client.get(base).status_code == 404
    assert client.get("/api/v1/tips/rewards").json()["count"] == 0
    # the township's own officer and the county's (the parent) may
    client.force_login(local_officers["reward_a"])
    assert client.get(base).status_code == 200
    client.force_login(territory.user("reward"))
    assert client.post(f"{base}/approve", approve, content_type=J).json()["state"] == "approved"
    assert client.post(f"{base}/approve", approve, content_type=J).status_code == 409  # approve twice
    assert client.post(f"{base}/refuse", {"reason": "晚了"}, content_type=J).status_code == 409
