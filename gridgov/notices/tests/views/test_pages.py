"""The notice pages: list (query count), drafting, the notice page with its roll-ups, 已转达, read links, export,
grid groups and their import."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from gridgov.notices.models import GridGroup, Notice, NoticeGrid, NoticeReport, NoticeState
from gridgov.notices.services import notice_create
from gridgov.notices.services.notices import receipt_token
from gridgov.notices.tests.conftest import count_queries
from gridgov.registry.models import Household

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(territory, publish):
    notice = notice_create(
        actor=territory.user("admin"),
        title="森林防火通告",
        body="清明期间严禁野外用火。",
        regions=[territory.county],
        requires_ack=True,
        deadline=timezone.now() + dt.timedelta(days=1),
    )
    publish(territory.user("admin"), notice)
    return notice


def test_index_for_a_grid_worker_is_my_notices(territory, client_for, published):
    r = client_for(territory.user("grid_a")).get(reverse("notices:index"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "我的通知" in html and "森林防火通告" in html and "待转达" in html


def test_index_query_count_does_not_grow(territory, client_for, publish):
    client = client_for(territory.user("township_a"))

    def make(n):
        for i in range(n):
            notice = notice_create(
                actor=territory.user("admin"), title=f"通知{i}", body="b", regions=[territory.county]
            )
            publish(territory.user("admin"), notice)

    make(1)
    url = reverse("notices:index")
    client.get(url)
    few = count_queries(lambda: client.get(url))
    make(5)
    assert count_queries(lambda: client.get(url)) == few < 20
    assert client.get(url).content.decode().count("notice-row") == 6
    worker = client_for(territory.user("grid_b"))
    worker.get(url)
    worker_few = count_queries(lambda: worker.get(url))
    make(3)
    assert count_queries(lambda: worker.get(url)) == worker_few < 20
    assert worker.get(url).content.decode().count("mine-card") == 9


def test_create_and_publish_from_the_page(
    territory, client_for, groups, receiver, django_capture_on_commit_callbacks
):
    client = client_for(territory.user("township_a"))
    assert client.get(reverse("notices:create")).status_code == 200
    deadline = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "title": "秸秆禁烧通知",
        "body": "严禁焚烧秸秆。",
        "scope": [territory.township_a.code],
        "audience": ["groups", "grid_workers"],
        "priority": "urgent",
        "requires_ack": "on",
        "deadline": deadline,
        "publish": "1",
        "attachments": [SimpleUploadedFile("通知.pdf", b"%PDF-1.4 test")],
    }
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("notices:create"), data)
    assert r.status_code == 302
    notice = Notice.objects.get(title="秸秆禁烧通知")
    assert notice.state == NoticeState.PUBLISHED and notice.attachments.count() == 1
    assert receiver.accepted[f"wc{territory.grid_a1_1.code}"] == 1
    # errors name the field and store nothing
    bad = dict(data, title="", attachments=[])
    r = client.post(reverse("notices:create"), bad)
    assert r.status_code == 400 and "field-error" in r.content.decode()
    bad = dict(data, attachments=[SimpleUploadedFile("x.exe", b"MZ")])
    r = client.post(reverse("notices:create"), bad)
    assert r.status_code == 400 and "x.exe" in r.content.decode()
    assert Notice.objects.count() == 1
    # township_b's grids are not offered to township_a
    assert territory.township_b.code not in client.get(reverse("notices:create")).content.decode()
    assert client_for(territory.user("grid_a")).get(reverse("notices:create")).status_code == 403


def test_notice_page_rollup_drill_down_and_scope(territory, client_for, published):
    client = client_for(territory.user("admin"))
    url = reverse("notices:detail", args=[published.pk])
    html = client.get(url).content.decode()
    assert "常营镇" in html and "王集乡" in html and "未转达的网格（8）" in html
    html = client.get(url, {"region": territory.township_a.code}).content.decode()
    assert "常营西村" in html and "王集村" not in html
    html = client.get(url, {"region": territory.village_a1.code}).content.decode()
    assert "第1网格" in html and "常营东村" not in html
    # the roll-up reads a constant number of queries whatever the number of rows
    village = {"region": territory.village_a1.code}
    client.get(url, village)
    two_grids = count_queries(lambda: client.get(url, village))
    from gridgov.notices.services import notice_publish
    from gridgov.territory.services import grid_add

    for name in ("第3网格", "第4网格", "第5网格"):
        grid_add(actor=None, village=territory.village_a1, name=name)
    more = notice_create(
        actor=territory.user("admin"), title="更多网格", body="b", regions=[territory.county]
    )
    notice_publish(actor=None, notice=more)
    from gridgov.notices.services import notice_fan_out

    notice_fan_out(notice_id=more.pk)
    more_url = reverse("notices:detail", args=[more.pk])
    client.get(more_url, village)
    assert count_queries(lambda: client.get(more_url, village)) == two_grids
    assert "第5网格" in client.get(more_url, village).content.decode()
    # sibling township sees only its own grids; nobody gets 404
    html = client_for(territory.user("township_b")).get(url).content.decode()
    assert "王集乡" in html and "常营镇" not in html
    assert client_for(territory.user("nobody")).get(url).status_code == 404
    # the leader reads but has no publish/withdraw/retry buttons
    html = client_for(territory.user("leader")).get(url).content.decode()
    assert "撤回" not in html and "导出" not in html


def test_grid_worker_acknowledges_on_the_page(territory, client_for, published):
    client = client_for(territory.user("grid_a"))
    url = reverse("notices:detail", args=[published.pk])
    html = client.get(url).content.decode()
    assert "已转达" in html and 'name="households_told"' in html
    assert NoticeGrid.objects.get(notice=published, grid=territory.grid_a1_1).read_at is not None
    r = client.post(
        reverse("notices:ack", args=[published.pk]),
        {"grid": territory.grid_a1_1.code, "households_told": "41"},
    )
    assert r.status_code == 302
    ng = NoticeGrid.objects.get(notice=published, grid=territory.grid_a1_1)
    assert ng.acked_at is not None and ng.households_told == 41
    # a sibling's grid is not found
    r = client.post(reverse("notices:ack", args=[published.pk]), {"grid": territory.grid_a1_2.code})
    assert r.status_code == 404
    assert NoticeGrid.objects.get(notice=published, grid=territory.grid_a1_2).acked_at is None


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def test_report_back_then_case_from_the_page(territory, client_for, published):
    client = client_for(territory.user("grid_a"))
    url = reverse("notices:report", args=[published.pk])
    assert client.get(url).status_code == 200
    r = client.post(url, {"grid": territory.grid_a1_1.code, "outcome": "problem", "number": "2", "note": ""})
    assert r.status_code == 400 and "有问题时请说明问题" in r.content.decode()
    r = client.post(
        url, {"grid": territory.grid_a1_1.code, "outcome": "problem", "number": "2", "note": "两处坟头焚纸"}
    )
    assert r.status_code == 302
    report = NoticeReport.objects.get()
    from gridgov.cases.models import Category

    admin = client_for(territory.user("admin"))
    r = admin.post(
        reverse("notices:report_to_case", args=[report.pk]),
        {"category": Category.objects.filter(is_active=True).first().pk},
    )
    assert r.status_code == 302 and "/cases/" in r["Location"]
    report.refresh_from_db()
    assert report.case is not None and report.case.source == "notice"
    assert (
        client_for(territory.user("grid_b")).get(url, {"grid": territory.grid_a1_1.code}).status_code == 404
    )


def test_read_link_wrong_and_reused_tokens(territory, client, published):
    ng = NoticeGrid.objects.get(notice=published, grid=territory.grid_a1_1)
    group_url = reverse("notices:read", args=[receipt_token(ng.pk, None)])
    r = client.get(group_url)
    assert (
        r.status_code == 200 and "森林防火通告" in r.content.decode() and "big-ack" not in r.content.decode()
    )
    assert client.get(group_url).status_code == 200  # reused: still fine, counted
    assert client.get(reverse("notices:read", args=["wrong-token"])).status_code == 404
    assert client.post(group_url, {"households_told": "3"}).status_code == 200
    ng.refresh_from_db()
    assert ng.read_at is not None and ng.acked_at is None
    worker_url = reverse("notices:read", args=[receipt_token(ng.pk, territory.user("grid_a").pk)])
    assert "big-ack" in client.get(worker_url).content.decode()
    assert client.post(worker_url, {"households_told": "abc"}).status_code == 400
    r = client.post(worker_url, {"households_told": "12"})
    assert r.status_code == 200 and "确认转达" in r.content.decode()
    ng.refresh_from_db()
    assert ng.acked_at is not None and ng.households_told == 12
    assert client.post(worker_url, {"households_told": "13"}).status_code == 409
    ng.refresh_from_db()
    assert ng.households_told == 12


def test_export_xlsx(territory, client_for, published):
    from python_calamine import CalamineWorkbook

    ng = NoticeGrid.objects.get(notice=published, grid=territory.grid_b1_1)
    client = client_for(territory.user("grid_b"))
    client.post(reverse("notices:ack", args=[published.pk]), {"grid": ng.grid.code, "households_told": "9"})
    r = client_for(territory.user("township_b")).get(reverse("notices:export", args=[published.pk]))
    assert r.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(r.content)).get_sheet_by_index(0).to_python()
    assert rows[0][2] == "网格编码" and len(rows) == 5  # header + township B's four grids
    acked = next(row for row in rows[1:] if row[2] == territory.grid_b1_1.code)
    assert acked[9] == 9 and acked[7]


def test_groups_pages_and_import(territory, client_for, receiver):
    Household.objects.bulk_create(
        [Household(code=f"H{i}", grid=territory.grid_a1_1, address="x", head_name="户主") for i in range(20)]
    )
    client = client_for(territory.user("township_a"))
    assert client.get(reverse("notices:groups")).status_code == 200
    html = client.get(reverse("notices:groups"), {"region": territory.village_a1.code}).content.decode()
    assert "第1网格" in html
    csv = (
        "网格编码,群名称,渠道,Webhook地址,加签密钥,入群户数\n"
        f"{territory.grid_a1_1.code},西村一组,企业微信,{receiver.wecom_url('k1')},,15\n"
        f"{territory.grid_a1_2.code},西村二组,dingtalk,{receiver.dingtalk_url('k2')},SECabc,0\n"
        f"{territory.grid_b1_1.code},王集一组,wecom,{receiver.wecom_url('k3')},,0\n"
        "411627101201999,不存在,wecom,,,1\n"
        f"{territory.grid_a1_1.code},重复,none,,,99\n"
    )
    r = client.post(
        reverse("notices:groups_import"), {"file": SimpleUploadedFile("groups.csv", csv.encode("utf-8"))}
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "第 4 行" in html and "第 5 行" in html and "第 6 行" in html and "第 2 行" not in html
    assert not GridGroup.objects.exists()
    good = "\n".join(csv.splitlines()[:3]) + "\n"
    r = client.post(
        reverse("notices:groups_import"), {"file": SimpleUploadedFile("groups.csv", good.encode("gb18030"))}
    )
    assert r.status_code == 302
    assert GridGroup.objects.get(grid=territory.grid_a1_1).households_joined == 15
    html = client.get(reverse("notices:groups"), {"region": territory.township_a.code}).content.decode()
    assert "75%" in html  # 15 of 20 households in 常营西村
    r = client.post(reverse("notices:group_test", args=[territory.grid_a1_1.code]))
    assert r.status_code == 302 and receiver.accepted["k1"] == 1
    assert GridGroup.objects.get(grid=territory.grid_a1_1).last_test_ok is True
    # edit form keeps the stored URL when left empty; the worker may look but not change
    r = client.post(
        reverse("notices:group", args=[territory.grid_a1_1.code]),
        {"channel": "wecom", "households_joined": "18"},
    )
    assert r.status_code == 302
    assert GridGroup.objects.get(grid=territory.grid_a1_1).bot_key
    worker = client_for(territory.user("grid_a"))
    assert worker.get(reverse("notices:group", args=[territory.grid_a1_1.code])).status_code == 200
    assert (
        worker.post(
            reverse("notices:group", args=[territory.grid_a1_1.code]), {"channel": "none"}
        ).status_code
        == 403
    )
    assert (
        client_for(territory.user("township_b"))
        .get(reverse("notices:group", args=[territory.grid_a1_1.code]))
        .status_code
        == 404
    )


def test_groups_pages_query_counts_do_not_grow(territory, client_for):
    from gridgov.notices.models import Channel
    from gridgov.notices.services.groups import grid_group_upsert
    from gridgov.territory.services import grid_add

    client = client_for(territory.user("admin"))
    url = reverse("notices:groups")
    village = {"region": territory.village_a1.code}
    client.get(url, village)
    before_grids = count_queries(lambda: client.get(url, village))
    before_top = count_queries(lambda: client.get(url))
    for name in ("第3网格", "第4网格", "第5网格"):
        grid = grid_add(actor=None, village=territory.village_a1, name=name)
        grid_group_upsert(actor=None, grid=grid, channel=Channel.NONE, name=name)
    assert count_queries(lambda: client.get(url, village)) == before_grids
    assert count_queries(lambda: client.get(url)) == before_top
    html = client.get(url, village).content.decode()
    assert html.count('class="list-item"') == 5
