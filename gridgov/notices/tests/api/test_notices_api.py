"""The notices API: grid groups, drafting, publishing, figures, acknowledgement; scope and errors."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.notices.models import Delivery, DeliveryState, GridGroup, Notice, NoticeGrid
from gridgov.notices.tests.conftest import count_queries
from gridgov.registry.models import Household

pytestmark = pytest.mark.django_db
API = "/api/v1"


def _json(client, method, url, body=None):
    return getattr(client, method)(url, data=body, content_type="application/json")


def _households(grid, n):
    Household.objects.bulk_create(
        [Household(code=f"H{grid.code}{i:04d}", grid=grid, address="x", head_name="户主") for i in range(n)]
    )


# --- grid groups ------------------------------------------------------------------------------------------------
def test_put_and_get_grid_group(territory, client_for, receiver):
    _households(territory.grid_a1_1, 40)
    client = client_for(territory.user("township_a"))
    url = receiver.wecom_url("abcd1234efgh5678")
    r = _json(
        client,
        "put",
        f"{API}/grid-groups/{territory.grid_a1_1.code}",
        {"channel": "wecom", "webhook_url": url, "households_joined": 30},
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["coverage_pct"] == 75 and body["households"] == 40
    assert url not in r.content.decode() and body["webhook_masked"].endswith("abcd…5678")
    group = GridGroup.objects.get(grid=territory.grid_a1_1)
    assert url not in group.webhook_sealed
    # the URL is kept when omitted; the test button reaches the receiver
    r = _json(
        client,
        "put",
        f"{API}/grid-groups/{territory.grid_a1_1.code}",
        {"channel": "wecom", "households_joined": 35},
    )
    assert r.status_code == 200 and r.json()["households_joined"] == 35
    r = client.post(f"{API}/grid-groups/{territory.grid_a1_1.code}/test")
    assert r.status_code == 200 and r.json()["last_test_ok"] is True
    assert receiver.bodies["abcd1234efgh5678"][0]["msgtype"] == "text"
    assert client.get(f"{API}/grid-groups/{territory.grid_a1_1.code}").json()["channel"] == "wecom"


def test_grid_group_errors_and_scope(territory, client_for):
    code = territory.grid_a1_1.code
    client = client_for(territory.user("admin"))
    r = _json(
        client,
        "put",
        f"{API}/grid-groups/{code}",
        {"channel": "dingtalk", "webhook_url": "https://oapi.dingtalk.com/robot/send"},
    )
    assert r.status_code == 400 and "webhook_url" in r.json()["fields"]
    r = _json(
        client, "put", f"{API}/grid-groups/{code}", {"channel": "wecom", "webhook_url": "ftp://x?key=1"}
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    # only the bots' own hosts: no webhook into the intranet
    r = _json(
        client,
        "put",
        f"{API}/grid-groups/{code}",
        {"channel": "wecom", "webhook_url": "http://10.0.0.5/cgi-bin/webhook/send?key=1"},
    )
    assert r.status_code == 400 and "qyapi.weixin.qq.com" in r.json()["fields"]["webhook_url"][0]
    r = _json(client, "put", f"{API}/grid-groups/{code}", {"channel": "sms"})
    assert r.status_code == 400 and "channel" in str(r.json()["fields"])
    r = _json(client, "put", f"{API}/grid-groups/{code}", {"channel": "none", "households_joined": 5})
    assert r.status_code == 400 and "households_joined" in r.json()["fields"]  # the grid has no households
    assert not GridGroup.objects.exists()
    # sibling township: 404; own grid worker: sees it but may not change it
    assert client_for(territory.user("township_b")).get(f"{API}/grid-groups/{code}").status_code == 404
    worker = client_for(territory.user("grid_a"))
    assert worker.get(f"{API}/grid-groups/{code}").status_code == 200
    assert _json(worker, "put", f"{API}/grid-groups/{code}", {"channel": "none"}).status_code == 403
    assert (
        _json(
            client_for(territory.user("leader")), "put", f"{API}/grid-groups/{code}", {"channel": "none"}
        ).status_code
        == 403
    )
    assert client.get(f"{API}/grid-groups/411627101201999").status_code == 404
    assert client.get(f"{API}/grid-groups/{territory.township_a.code}").status_code == 404


# --- notices ----------------------------------------------------------------------------------------------------
def _draft_body(**extra):
    body = {
        "title": "春节禁放通告",
        "body": "全县范围内禁止燃放烟花爆竹。",
        "scope": ["411627101"],
        "requires_ack": True,
        "deadline": (timezone.now() + dt.timedelta(days=2)).isoformat(),
    }
    body.update(extra)
    return body


def test_draft_publish_figures_ack(
    territory, client_for, groups, receiver, django_capture_on_commit_callbacks
):
    officer = client_for(territory.user("township_a"))
    r = _json(officer, "post", f"{API}/notices", _draft_body())
    assert r.status_code == 201, r.content
    notice_id = r.json()["id"]
    assert r.json()["state"] == "draft" and r.json()["scope"] == ["411627101"]
    with django_capture_on_commit_callbacks(execute=True):
        r = officer.post(f"{API}/notices/{notice_id}/publish")
    assert r.status_code == 200 and r.json()["state"] == "published"
    r = officer.get(f"{API}/notices/{notice_id}")
    figures = r.json()["figures"]
    assert figures["grids"] == 4 and figures["deliveries"]["sent"] == 4 and figures["acknowledged"] == 0
    assert officer.post(f"{API}/notices/{notice_id}/publish").status_code == 409

    worker = client_for(territory.user("grid_a"))
    r = _json(worker, "post", f"{API}/notices/{notice_id}/ack", {"households_told": 28})
    assert r.status_code == 200 and r.json()["grid_code"] == territory.grid_a1_1.code
    assert _json(worker, "post", f"{API}/notices/{notice_id}/ack", {}).status_code == 409
    r = client_for(territory.user("township_a")).get(f"{API}/notices/{notice_id}")
    assert r.json()["figures"]["acknowledged"] == 1 and r.json()["figures"]["households_told"] == 28
    # a grid worker sees only their grid's figures (the test client is shared: sign in again)
    worker = client_for(territory.user("grid_a"))
    assert worker.get(f"{API}/notices/{notice_id}").json()["figures"]["grids"] == 1


def test_notice_scope_and_errors(territory, client_for):
    officer = client_for(territory.user("township_a"))
    r = _json(officer, "post", f"{API}/notices", _draft_body(scope=["411627202"]))
    assert r.status_code == 400 and "scope" in r.json()["fields"]
    r = _json(officer, "post", f"{API}/notices", _draft_body(scope=["411627"]))
    assert r.status_code == 400 and "scope" in r.json()["fields"]  # the county is above the officer's grant
    r = _json(officer, "post", f"{API}/notices", _draft_body(title="", deadline=None))
    assert r.status_code == 400 and "title" in str(r.json()["fields"])
    r = _json(officer, "post", f"{API}/notices", _draft_body(deadline=None))
    assert r.status_code == 400 and "deadline" in r.json()["fields"]
    r = _json(officer, "post", f"{API}/notices", _draft_body(scope=[]))
    assert r.status_code == 400
    naive_past = (timezone.localtime() - dt.timedelta(hours=1)).replace(tzinfo=None).isoformat()
    r = _json(officer, "post", f"{API}/notices", _draft_body(deadline=naive_past))
    assert r.status_code == 400 and "deadline" in r.json()["fields"]
    r = _json(officer, "post", f"{API}/notices", _draft_body(title="a\x00b"))
    assert r.status_code == 400
    assert (
        _json(
            client_for(territory.user("grid_a")),
            "post",
            f"{API}/notices",
            _draft_body(scope=[territory.grid_a1_1.code]),
        ).status_code
        == 403
    )
    assert (
        _json(
            client_for(territory.user("leader")), "post", f"{API}/notices", _draft_body(scope=["411627"])
        ).status_code
        == 403
    )
    assert not Notice.objects.exists()
    officer = client_for(territory.user("township_a"))
    draft_id = _json(officer, "post", f"{API}/notices", _draft_body()).json()["id"]
    # drafts: other township and grid workers cannot see them (404), nor publish them
    for name in ("township_b", "grid_a", "leader"):
        c = client_for(territory.user(name))
        assert c.get(f"{API}/notices/{draft_id}").status_code == 404
        assert c.post(f"{API}/notices/{draft_id}/publish").status_code == 404
    admin = client_for(territory.user("admin"))
    assert admin.get(f"{API}/notices/{draft_id}").status_code == 200
    assert admin.get(f"{API}/notices/99999999").status_code == 404
    assert admin.get(f"{API}/notices/0").status_code == 400
    assert _json(admin, "post", f"{API}/notices/{draft_id}/ack", {}).status_code == 400


def test_list_visibility_and_query_count(
    territory, client_for, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    from gridgov.notices.services import notice_create, notice_publish

    def make(n, regions):
        for i in range(n):
            notice = notice_create(actor=territory.user("admin"), title=f"通知{i}", body="b", regions=regions)
            with django_capture_on_commit_callbacks(execute=True):
                notice_publish(actor=territory.user("admin"), notice=notice)

    make(2, [territory.township_a])
    make(1, [territory.township_b])
    make(1, [territory.county])

    def titles(name, **params):
        r = client_for(territory.user(name)).get(f"{API}/notices", params)
        assert r.status_code == 200
        return r.json()["count"]

    assert titles("township_a") == 3  # its township's two and the county's
    assert titles("grid_b") == 2
    assert titles("grid_b", mine="true") == 2
    assert titles("leader") == 4
    assert titles("nobody") == 0
    client = client_for(territory.user("admin"))
    client.get(f"{API}/notices")  # warm the session and the scope
    small = count_queries(lambda: client.get(f"{API}/notices"))
    make(6, [territory.county])
    assert count_queries(lambda: client.get(f"{API}/notices")) == small <= 8
    assert client.get(f"{API}/notices").json()["count"] == 10


def test_retry_and_reports_api(
    territory, client_for, groups, receiver, settings, django_capture_on_commit_callbacks
):
    settings.GRIDGOV_NOTICES_BACKOFF_SECONDS = []
    receiver.script(f"wc{territory.grid_a1_1.code}", "http500")
    admin = client_for(territory.user("admin"))
    notice_id = _json(admin, "post", f"{API}/notices", _draft_body(scope=["411627"])).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"{API}/notices/{notice_id}/publish")
    assert admin.get(f"{API}/notices/{notice_id}").json()["figures"]["deliveries"]["dead"] == 1
    assert (
        client_for(territory.user("township_a")).post(f"{API}/notices/{notice_id}/retry").status_code == 403
    )
    admin = client_for(territory.user("admin"))
    with django_capture_on_commit_callbacks(execute=True):
        r = admin.post(f"{API}/notices/{notice_id}/retry")
    assert r.json() == {"retried": 1}
    assert not Delivery.objects.filter(notice_id=notice_id).exclude(state=DeliveryState.SENT).exists()
    worker = client_for(territory.user("grid_b"))
    r = _json(
        worker,
        "post",
        f"{API}/notices/{notice_id}/reports",
        {"outcome": "done", "number": 55, "note": "已逐户告知"},
    )
    assert r.status_code == 201 and r.json()["grid_code"] == territory.grid_b1_1.code
    r = _json(worker, "post", f"{API}/notices/{notice_id}/reports", {"outcome": "problem"})
    assert r.status_code == 400 and "note" in r.json()["fields"]
    r = _json(
        worker,
        "post",
        f"{API}/notices/{notice_id}/reports",
        {"outcome": "done", "grid_code": territory.grid_a1_1.code},
    )
    assert r.status_code == 404
    assert NoticeGrid.objects.filter(notice_id=notice_id, reports__isnull=False).count() == 1


BAD_BODIES = [
    "not json",
    "[]",
    "null",
    '{"title": 5}',
    '{"scope": "411627"}',
    '{"title": "t", "body": "b", "scope": ["411627"], "deadline": "tomorrow"}',
    '{"title": "t", "body": "b", "scope": ["411627"], "deadline": "9999-12-31T23:59:59"}',
    '{"title": "t", "body": "b", "scope": ["411627"], "deadline": "9999-12-31T23:59:59-12:00"}',
    '{"title": "t", "body": "b", "scope": ["411627"], "priority": "max"}',
    '{"title": "t", "body": "b", "scope": ["4116271012010019999"]}',
    '{"channel": "wecom", "webhook_url": "http://[::1"}',
    '{"channel": "wecom", "households_joined": 99999999999999999999}',
    '{"households_told": -1}',
    '{"households_told": "many"}',
    '{"grid_code": "x"}',
    '{"outcome": "done", "number": 1e30}',
]


def test_bad_input_never_gives_a_500(territory, client_for):
    from gridgov.notices.services import notice_create

    notice = notice_create(actor=territory.user("admin"), title="t", body="b", regions=[territory.county])
    client = client_for(territory.user("admin"))
    urls = [
        ("post", f"{API}/notices"),
        ("put", f"{API}/grid-groups/{territory.grid_a1_1.code}"),
        ("put", f"{API}/grid-groups/x" + "9" * 40),
        ("post", f"{API}/notices/{notice.pk}/ack"),
        ("post", f"{API}/notices/{notice.pk}/reports"),
        ("post", f"{API}/notices/{notice.pk}/publish"),
        ("get", f"{API}/notices/{notice.pk}"),
        ("get", f"{API}/notices/99999999999999999999999"),
        ("get", f"{API}/notices?state=nope&page=0"),
    ]
    for method, url in urls:
        for body in BAD_BODIES if method != "get" else [None]:
            if body is None:
                r = client.get(url)
            else:
                r = getattr(client, method)(url, data=body, content_type="application/json")
            assert r.status_code < 500, (method, url, body, r.content)
            if r.status_code >= 400:
                assert {"detail", "code"} <= set(r.json()), (method, url, body, r.content)
    # nothing was stored but the notice made for the test
    assert Notice.objects.count() == 1


def test_who_sees_a_township_notice(territory, client_for, django_capture_on_commit_callbacks):
    from gridgov.notices.services import notice_create, notice_publish

    notice = notice_create(
        actor=territory.user("township_a"), title="常营镇通知", body="b", regions=[territory.township_a]
    )
    with django_capture_on_commit_callbacks(execute=True):
        notice_publish(actor=territory.user("township_a"), notice=notice)
    url = f"{API}/notices/{notice.pk}"
    expected = {
        "grid_a": 200,  # a grid of the township
        "grid_a2": 200,
        "township_a": 200,
        "admin": 200,  # the county above
        "leader": 200,
        "grid_b": 404,  # the sibling township's grid
        "township_b": 404,
        "nobody": 404,
    }
    for name, status in expected.items():
        assert client_for(territory.user(name)).get(url).status_code == status, name
    # the leader reads but writes nothing; a grid worker cannot publish or retry
    leader = client_for(territory.user("leader"))
    assert leader.post(f"{url}/retry").status_code == 403
    assert _json(leader, "post", f"{url}/ack", {"grid_code": territory.grid_a1_1.code}).status_code == 404
    worker = client_for(territory.user("grid_a"))
    assert worker.post(f"{url}/retry").status_code == 403
    assert worker.post(f"{url}/publish").status_code in (403, 409)
    # the sibling grid worker cannot acknowledge for grid A1-1
    assert (
        _json(
            client_for(territory.user("grid_a2")),
            "post",
            f"{url}/ack",
            {"grid_code": territory.grid_a1_1.code},
        ).status_code
        == 404
    )
    assert not NoticeGrid.objects.filter(notice=notice, acked_at__isnull=False).exists()


def test_attachments_and_report_photos_over_the_api(
    territory, client_for, groups, receiver, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.notices.models import NoticeAttachment, NoticeReportPhoto
    from gridgov.notices.tests.services.test_notices import PNG

    officer = client_for(territory.user("township_a"))
    notice_id = _json(officer, "post", f"{API}/notices", _draft_body()).json()["id"]
    upload = SimpleUploadedFile("禁放通告.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    r = officer.post(f"{API}/notices/{notice_id}/attachments", {"files": [upload]})
    assert r.status_code == 201, r.content
    (attached,) = r.json()["attachments"]
    assert attached["name"] == "禁放通告.pdf" and attached["size"] == 13
    assert officer.get(attached["url"]).status_code == 200  # the page's download, with its access check
    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    r = officer.post(f"{API}/notices/{notice_id}/attachments", {"files": [bad]})
    assert r.status_code == 400 and "run.exe" in r.json()["fields"]["attachments"][0]
    assert NoticeAttachment.objects.filter(notice_id=notice_id).count() == 1
    # another township's officer cannot see the draft at all
    other = client_for(territory.user("township_b"))
    upload.seek(0)
    assert other.post(f"{API}/notices/{notice_id}/attachments", {"files": [upload]}).status_code == 404
    officer = client_for(territory.user("township_a"))
    with django_capture_on_commit_callbacks(execute=True):
        assert officer.post(f"{API}/notices/{notice_id}/publish").status_code == 200
    upload.seek(0)  # published: attachments are closed
    assert officer.post(f"{API}/notices/{notice_id}/attachments", {"files": [upload]}).status_code == 409

    worker = client_for(territory.user("grid_a"))
    report = _json(worker, "post", f"{API}/notices/{notice_id}/reports", {"outcome": "done", "number": 12})
    report_id = report.json()["id"]
    assert report.json()["photos"] == []
    url = f"{API}/notices/{notice_id}/reports/{report_id}/photos"
    r = worker.post(url, {"photos": [SimpleUploadedFile("门口.png", PNG, content_type="image/png")]})
    assert r.status_code == 201, r.content
    (photo,) = r.json()["photos"]
    assert photo["name"] == "门口.png" and worker.get(photo["url"]).status_code == 200
    r = worker.post(url, {"photos": [SimpleUploadedFile("fake.png", b"no image", content_type="image/png")]})
    assert r.status_code == 400 and "fake.png" in r.json()["fields"]["photos"][0]
    too_many = [SimpleUploadedFile(f"{i}.png", PNG, content_type="image/png") for i in range(6)]
    r = worker.post(url, {"photos": too_many})
    assert r.status_code == 400 and "最多上传 6 张照片" in r.json()["fields"]["photos"][0]
    assert NoticeReportPhoto.objects.filter(report_id=report_id).count() == 1
    # only the report's author adds photos: the township officer sees the notice but gets a 404 here
    officer = client_for(territory.user("township_a"))
    r = officer.post(url, {"photos": [SimpleUploadedFile("x.png", PNG, content_type="image/png")]})
    assert r.status_code == 404
    assert officer.get(photo["url"]).status_code == 200  # and sees the photo of a grid in their township
    assert client_for(territory.user("grid_b")).get(photo["url"]).status_code == 404
