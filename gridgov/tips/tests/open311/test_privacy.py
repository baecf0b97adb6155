"""The reporter never appears in Open311 output: not the name, the phone (plain or masked), the e-mail, the
device or the integration account, in any endpoint or format."""

import pytest

from gridgov.conftest import TOWNSHIP_A
from gridgov.tips.models import Tip
from gridgov.tips.tests.open311.conftest import BASE, parse_json

pytestmark = pytest.mark.django_db

NAME_FIRST, NAME_LAST = "秀英", "欧阳"
PHONE = "13987654321"
EMAIL = "ouyang.xiuying@example.cn"
DEVICE = "device-ouyang-7f3a"


def leaks(body: bytes) -> list[str]:
    text = body.decode("utf-8")
    needles = [
        NAME_FIRST,
        NAME_LAST,
        PHONE,
        PHONE[-4:],
        "139****4321",
        EMAIL,
        "ouyang",
        DEVICE,
        "civic_app",
        "随手拍",
    ]
    return [n for n in needles if n in text]


def test_the_reporter_appears_in_no_open311_answer(client, territory, sale, integration):
    data = {
        "api_key": integration[1],
        "service_code": sale.code,
        "address_string": "王集乡农贸市场北门",
        "attribute[township]": TOWNSHIP_A,
        "description": "农贸市场北门有人摆摊卖鞭炮",
        "first_name": NAME_FIRST,
        "last_name": NAME_LAST,
        "phone": PHONE,
        "email": EMAIL,
        "device_id": DEVICE,
        "account_id": "ouyang-account",
    }
    answers = []
    for fmt in ("json", "xml"):
        response = client.post(
            f"{BASE}/requests.{fmt}", data | {"address_string": f"王集乡农贸市场北门 {fmt}"}
        )
        assert response.status_code == 201
        answers.append(response)
    (receipt,) = parse_json(answers[0])
    tip = Tip.objects.get(tracking_code=receipt["token"])
    assert tip.reporter_phone_masked == "139****4321"  # stored masked for the reward officer only
    number, token = receipt["service_request_id"], receipt["token"]
    for fmt in ("json", "xml"):
        for path, params in [
            ("requests", {}),
            ("requests", {"service_request_id": number}),
            ("requests", {"service_code": sale.code, "status": "open"}),
            (f"requests/{number}", {}),
            (f"tokens/{token}", {}),
            ("services", {}),
            (f"services/{sale.code}", {}),
            ("discovery", {}),
        ]:
            response = client.get(f"{BASE}/{path}.{fmt}", params)
            assert response.status_code == 200, (path, response.content)
            answers.append(response)
    found = {leak for response in answers for leak in leaks(response.content)}
    assert found == set()
    # and the check itself would catch a leak: the sealed values are the reporter's
    assert leaks(f"{NAME_LAST}{NAME_FIRST} {PHONE}".encode()) == [NAME_FIRST, NAME_LAST, PHONE, PHONE[-4:]]


def test_reads_are_public_and_the_same_for_everyone(client, client_for, territory, sale, integration):
    """Open311 is the public face: no login is needed, and staff (even the reward officer) see nothing more."""
    client.post(
        f"{BASE}/requests.json",
        {
            "api_key": integration[1],
            "service_code": sale.code,
            "address_string": "常营镇",
            "attribute[township]": TOWNSHIP_A,
            "description": "街边有人卖烟花爆竹",
            "first_name": NAME_FIRST,
            "phone": PHONE,
        },
    )
    anonymous = client.get(f"{BASE}/requests.json").content
    client.logout()
    for username in ("reward", "admin", "grid_b"):
        staff = client_for(territory.user(username)).get(f"{BASE}/requests.json").content
        assert staff == anonymous, username
    assert leaks(anonymous) == []
