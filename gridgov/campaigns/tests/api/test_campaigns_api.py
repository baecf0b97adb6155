"""The campaigns API: who sees what, the visit that opens cases, imports with bad rows, exports, query counts."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.campaigns.models import Commitment
from gridgov.campaigns.tests.conftest import EPIDEMIC_OK, HOUSEHOLD_OK, make_household, png_bytes
from gridgov.cases.models import Case

pytestmark = pytest.mark.django_db
API = "/api/v1/campaigns"
NOT_FOUND = {"detail": "未找到，或不在您的管辖范围内。", "code": "not_found"}


def post_visit(client, world, household, fireworks=None, epidemic=None, **extra):
    return client.post(
        f"{API}/visits",
        {
            **extra,
            "target_kind": "household",
            "target_id": household.pk,
            "answers": {
                str(world.fireworks.pk): {**HOUSEHOLD_OK, **(fireworks or {})},
                str(world.epidemic.pk): {**EPIDEMIC_OK, **(epidemic or {})},
            },
        },
        content_type="application/json",
    )


def test_list_and_detail(as_user, world):
    client = as_user("grid_b")
    body = client.get(API).json()
    assert sorted(c["code"] for c in body) == ["ep", "fw"]
    detail = client.get(f"{API}/{world.fireworks.pk}").json()
    assert {f["target_kind"] for f in detail["forms"]} == {"household", "place"}
    assert detail["forms"][0]["questions"][0]["key"]
    assert client.get(f"{API}/999999").json() == NOT_FOUND
    assert as_user("nobody").get(f"{API}/{world.fireworks.pk}").status_code == 404


def test_visit_over_the_api_opens_cases_and_scope_is_kept(as_user, world):
    client = as_user("grid_a")
    response = post_visit(client, world, world.households["a1"], fireworks={"stock_found": "yes"})
    assert response.status_code == 201, response.json()
    entries = {e["campaign_id"]: e for e in response.json()["entries"]}
    finding = entries[world.fireworks.pk]["findings"][0]
    assert finding["question"] == "stock_found"
    assert Case.objects.get(number=finding["case_number"]).category.code == "fireworks_illegal_storage"
    # the sibling grid's worker cannot visit grid A1-1's household: it does not even exist for them
    response = post_visit(as_user("grid_a2"), world, world.households["a1"])
    assert response.status_code == 400 and "target_id" in response.json()["fields"]
    # the township can, the leader cannot write
    assert post_visit(as_user("township_a"), world, world.households["a2"]).status_code == 201
    assert post_visit(as_user("leader"), world, world.households["a3"]).status_code == 403
    bad = post_visit(as_user("grid_a"), world, world.households["a3"], fireworks={"stock_found": "perhaps"})
    assert bad.status_code == 400
    assert f"answers.{world.fireworks.pk}.stock_found" in bad.json()["fields"]
    # visits as each sees them
    assert as_user("grid_a").get(f"{API}/visits").json()["count"] == 2
    assert as_user("grid_a2").get(f"{API}/visits").json()["count"] == 0
    assert as_user("township_b").get(f"{API}/visits").json()["count"] == 0
    assert as_user("leader").get(f"{API}/visits").json()["count"] == 2
    visit_id = response_id = as_user("grid_a").get(f"{API}/visits").json()["items"][0]["id"]
    assert as_user("grid_b").get(f"{API}/visits/{visit_id}").json() == NOT_FOUND
    assert as_user("township_a").get(f"{API}/visits/{response_id}").status_code == 200


def test_figures_follow_scope(as_user, world):
    client = as_user("grid_a")
    client.post(
        f"{API}/{world.fireworks.pk}/commitments",
        {
            "target_kind": "household",
            "target_id": world.households["a1"].pk,
            "signer_name": "王一",
            "method": "on_screen",
            "evidence": SimpleUploadedFile("s.png", png_bytes(), content_type="image/png"),
        },
    )
    mine = client.get(f"{API}/{world.fireworks.pk}/figures").json()
    assert mine["region"]["code"] == world.territory.grid_a1_1.code
    assert mine["total"]["kinds"]["household"]["signed"] == 1
    assert mine["total"]["kinds"]["household"]["signed_rate"] == 0.25
    t = world.territory
    assert client.get(f"{API}/{world.fireworks.pk}/figures?region={t.grid_a1_2.code}").json() == NOT_FOUND
    township = as_user("township_a").get(f"{API}/{world.fireworks.pk}/figures").json()
    assert [r["region"]["code"] for r in township["rows"]] == [t.village_a1.code, t.village_a2.code]
    assert township["township_rank"] == 1 and township["best"]["region"]["code"] == t.township_a.code
    assert (
        as_user("township_a")
        .get(f"{API}/{world.fireworks.pk}/figures?region={t.township_b.code}")
        .status_code
        == 404
    )
    county = as_user("leader").get(f"{API}/{world.fireworks.pk}/figures").json()
    assert county["total"]["signed"] == 1 and len(county["rows"]) == 2


def test_commitment_import_over_the_api(as_user, world):
    client = as_user("grid_a")
    data = "户编号,签字人\nHA101,王一\nHA201,李一\nHA102,\n".encode("gb18030")
    response = client.post(
        f"{API}/{world.fireworks.pk}/commitments/import",
        {"file": SimpleUploadedFile("signed.csv", data, content_type="text/csv")},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["created"] == 1
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "户编号"), (4, "签字人")]
    assert Commitment.objects.get().household == world.households["a1"]
    leader = as_user("leader").post(
        f"{API}/{world.fireworks.pk}/commitments/import",
        {"file": SimpleUploadedFile("signed.csv", data, content_type="text/csv")},
    )
    assert leader.status_code == 403


def test_letter_and_exports(as_user, world):
    from docx import Document
    from python_calamine import CalamineWorkbook

    client = as_user("grid_a")
    response = client.get(
        f"{API}/{world.fireworks.pk}/letter?kind=household&target_id={world.households['a1'].pk}"
    )
    assert response.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "烟花爆竹禁燃禁放承诺书" in text and "王一" in text and "第1网格" in text
    assert (
        client.get(
            f"{API}/{world.fireworks.pk}/letter?kind=household&target_id={world.households['b1'].pk}"
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"{API}/{world.epidemic.pk}/letter?kind=household&target_id={world.households['a1'].pk}"
        ).status_code
        == 404
    )  # that campaign has no letter
    post_visit(client, world, world.households["a1"])
    post_visit(as_user("grid_b"), world, world.households["b1"])
    for ledger, rows in (("visits", 1), ("commitments", 0), ("venue_checks", 0), ("publicity", 0)):
        response = as_user("grid_a").get(f"{API}/{world.fireworks.pk}/exports/{ledger}")
        assert response.status_code == 200
        sheet = CalamineWorkbook.from_filelike(
            io.BytesIO(b"".join(response.streaming_content))
        ).get_sheet_by_index(0)
        assert len(sheet.to_python()) == rows + 1, ledger
    assert as_user("grid_a").get(f"{API}/{world.fireworks.pk}/exports/secrets").status_code == 400


def test_checks_and_publicity_over_the_api(as_user, world):
    t = world.territory
    client = as_user("officer")
    response = client.post(
        f"{API}/{world.fireworks.pk}/venue-checks",
        {"place_id": world.places["market_b"].pk, "sells_fireworks": True, "stock_found": True},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["result"] == "problem" and response.json()["case_number"]
    response = client.post(
        f"{API}/{world.fireworks.pk}/transport-checks",
        {"grid": t.grid_b1_1.code, "vehicle_plate": "豫P88888", "driver_name": "张", "permit_number": ""},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["reasons"] == "无运输许可证"
    response = as_user("township_a").post(
        f"{API}/{world.fireworks.pk}/publicity",
        {"channel": "loudspeaker", "region": t.village_a1.code, "count": 2},
        content_type="application/json",
    )
    assert response.status_code == 201
    response = as_user("township_a").post(
        f"{API}/{world.fireworks.pk}/publicity",
        {"channel": "loudspeaker", "region": t.village_b1.code},
        content_type="application/json",
    )
    assert response.status_code == 400 and "region" in response.json()["fields"]
    summary = as_user("admin").get(f"{API}/{world.fireworks.pk}/publicity/summary?days=3").json()
    assert [v["code"] for v in summary["silent_villages"]] == [
        t.village_a2.code,
        t.village_b1.code,
        t.village_b2.code,
    ]
    assert as_user("grid_a").get(f"{API}/{world.fireworks.pk}/venue-checks").json()["count"] == 0
    assert as_user("township_b").get(f"{API}/{world.fireworks.pk}/venue-checks").json()["count"] == 1


def test_todo_lists_query_count_does_not_grow(as_user, world):
    client = as_user("grid_a")
    url = f"{API}/{world.fireworks.pk}/todo?what=visit"
    with CaptureQueriesContext(connection) as few:
        body = client.get(url).json()
    assert [i["label"].split()[0] for i in body["items"]] == ["HA101", "HA102", "HA103", "HA104"]
    for n in range(20):
        make_household(f"HA3{n:02d}", world.territory.grid_a1_1)
    with CaptureQueriesContext(connection) as many:
        body = client.get(url).json()
    assert body["count"] == 24
    assert len(many) == len(few)
    post_visit(client, world, world.households["a1"])
    assert client.get(url).json()["count"] == 23
    signed = client.get(f"{API}/{world.fireworks.pk}/todo?what=sign").json()
    assert signed["count"] == 24


@pytest.mark.parametrize("path", ["visits", "{fw}/commitments", "{fw}/venue-checks", "{fw}/publicity", ""])
def test_lists_query_count_does_not_grow(as_user, world, path):
    from gridgov.campaigns.services.checks import venue_check_record
    from gridgov.campaigns.services.fieldwork import commitment_sign
    from gridgov.campaigns.services.publicity import publicity_record
    from gridgov.campaigns.tests.conftest import photo

    t = world.territory
    url = f"{API}/{path.format(fw=world.fireworks.pk)}".rstrip("/")
    client = as_user("township_a")

    def add(keys):
        for key in keys:
            post_visit(client, world, world.households[key])
            commitment_sign(
                actor=t.user("township_a"),
                campaign=world.fireworks,
                target=world.households[key],
                signer_name="x",
                method="paper_photo",
                evidence=photo(),
            )
            publicity_record(
                actor=t.user("township_a"), campaign=world.fireworks, channel="banner", region=t.village_a1
            )
        venue_check_record(
            actor=t.user("township_a"),
            campaign=world.fireworks,
            place=world.places["shop_a"],
            sells_fireworks=False,
            stock_found=False,
        )

    add(["a1"])
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    add(["a2", "a3", "a4", "c1"])
    with CaptureQueriesContext(connection) as five:
        response = client.get(url)
    assert response.status_code == 200
    assert len(five) == len(one), [q["sql"] for q in five.captured_queries]


def test_visit_retried_with_its_client_key_is_recorded_once(as_user, world):
    import uuid

    client = as_user("grid_a")
    key = str(uuid.uuid4())
    first = post_visit(
        client, world, world.households["a1"], fireworks={"stock_found": "yes"}, client_key=key
    )
    again = post_visit(
        client, world, world.households["a1"], fireworks={"stock_found": "yes"}, client_key=key
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Case.objects.filter(source="visit").count() == 1
    assert post_visit(client, world, world.households["a2"], client_key=key).status_code == 409
    bad = post_visit(client, world, world.households["a2"], client_key="nope")
    assert bad.status_code == 400
