"""Drafting, publishing, fan-out, read links, acknowledgement, reminders, escalation and reports back."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.cases.defaults import ensure_default_categories
from gridgov.cases.models import Case, CaseSource, Category, CategoryGroup
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed, NotFound
from gridgov.core.models import AuditLog, Notification
from gridgov.notices.models import (
    Audience,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Notice,
    NoticeGrid,
    NoticeState,
    Receipt,
    ReportOutcome,
)
from gridgov.notices.services import (
    notice_create,
    notice_fan_out,
    notice_grid_ack,
    notice_publish,
    notice_withdraw,
    notices_escalate_overdue,
    notices_remind_due,
    receipt_ack,
    receipt_open,
)
from gridgov.notices.services.notices import receipt_token
from gridgov.notices.services.reports import notice_report_add, notice_report_to_case
from gridgov.notices.tests.conftest import tomorrow

pytestmark = pytest.mark.django_db


def _draft(territory, actor="admin", regions=None, **extra):
    extra.setdefault("requires_ack", True)
    extra.setdefault("deadline", tomorrow())
    return notice_create(
        actor=territory.user(actor) if actor else None,
        title="重污染天气橙色预警",
        body="请各网格通知到户，停止露天烧烤。",
        regions=regions or [territory.county],
        **extra,
    )


def _published(territory, publish, **extra):
    notice = _draft(territory, **extra)
    publish(territory.user("admin"), notice)
    return notice


# --- scope ------------------------------------------------------------------------------------------------------
def test_township_officer_publishes_only_in_their_township(territory, publish):
    notice = _draft(territory, actor="township_a", regions=[territory.township_a])
    publish(territory.user("township_a"), notice)
    assert set(NoticeGrid.objects.filter(notice=notice).values_list("township_id", flat=True)) == {
        territory.township_a.pk
    }
    assert NoticeGrid.objects.filter(notice=notice).count() == 4
    with pytest.raises(NotAllowed):
        _draft(territory, actor="township_a", regions=[territory.township_b])
    with pytest.raises(NotAllowed):
        _draft(territory, actor="township_a", regions=[territory.county])
    draft = _draft(territory, actor="admin", regions=[territory.township_b])
    with pytest.raises(NotAllowed):
        notice_publish(actor=territory.user("township_a"), notice=draft)


@pytest.mark.parametrize("name", ["grid_a", "leader", "officer", "nobody", "supervisor"])
def test_non_publishers_cannot_draft(territory, name):
    with pytest.raises(NotAllowed):
        _draft(territory, actor=name, regions=[territory.grid_a1_1])


def test_system_can_publish_and_publish_twice_conflicts(territory, publish):
    notice = _draft(territory, actor=None, regions=[territory.township_b])
    notice_publish(actor=None, notice=notice)
    assert notice.state == NoticeState.PUBLISHED and notice.published_by is None
    with pytest.raises(Conflict):
        notice_publish(actor=None, notice=notice)


def test_bad_input_names_the_field(territory):
    with pytest.raises(InvalidInput) as exc:
        notice_create(actor=territory.user("admin"), title="", body="x", regions=[territory.county])
    assert "title" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        notice_create(actor=territory.user("admin"), title="t", body="x", regions=[])
    assert "scope" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        notice_create(
            actor=territory.user("admin"), title="t", body="x", regions=[territory.county], requires_ack=True
        )
    assert "deadline" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        notice_create(
            actor=territory.user("admin"),
            title="t",
            body="x",
            regions=[territory.county],
            audience=["everyone"],
        )
    assert "audience" in exc.value.fields
    past = timezone.now() - dt.timedelta(hours=1)
    with pytest.raises(InvalidInput) as exc:
        notice_create(
            actor=territory.user("admin"), title="t", body="x", regions=[territory.county], deadline=past
        )
    assert "deadline" in exc.value.fields
    assert not Notice.objects.exists()


# --- fan-out ----------------------------------------------------------------------------------------------------
def test_fan_out_creates_grids_receipts_and_in_app_notices_once(territory, publish):
    notice = _published(
        territory, publish, audience=[Audience.GROUPS, Audience.GRID_WORKERS, Audience.TOWNSHIP_OFFICERS]
    )
    assert NoticeGrid.objects.filter(notice=notice).count() == 8
    assert Receipt.objects.filter(notice_grid__notice=notice, user__isnull=True).count() == 8
    assert set(
        Receipt.objects.filter(notice_grid__notice=notice, user__isnull=False).values_list(
            "user__username", flat=True
        )
    ) == {
        "grid_a",
        "grid_a2",
        "grid_b",
    }
    notified = set(
        Notification.objects.filter(url=f"/notices/{notice.pk}/").values_list(
            "recipient__username", flat=True
        )
    )
    assert notified == {"grid_a", "grid_a2", "grid_b", "township_a", "township_b"}
    assert notice_fan_out(notice_id=notice.pk) == 0  # idempotent
    assert NoticeGrid.objects.filter(notice=notice).count() == 8
    assert Notification.objects.filter(url=f"/notices/{notice.pk}/").count() == 5
    assert AuditLog.objects.filter(action="notice.publish", object_id=str(notice.pk)).exists()


def test_fan_out_skips_retired_grids_and_the_audience_controls_receipts(territory, publish):
    notice = _published(territory, publish, regions=[territory.village_a1], audience=[Audience.GRID_WORKERS])
    assert Receipt.objects.filter(notice_grid__notice=notice, user__isnull=True).count() == 0
    assert Receipt.objects.filter(notice_grid__notice=notice).count() == 2


# --- read links and acknowledgement -----------------------------------------------------------------------------
def test_read_link_records_read_once_and_counts_reuse(territory, publish):
    notice = _published(territory, publish)
    ng = NoticeGrid.objects.get(notice=notice, grid=territory.grid_a1_1)
    token = receipt_token(ng.pk, None)
    receipt = receipt_open(token=token)
    first_read = receipt.read_at
    assert first_read is not None and receipt.read_count == 1
    again = receipt_open(token=token)
    assert again.read_at == first_read and again.read_count == 2
    ng.refresh_from_db()
    assert ng.read_at == first_read and ng.acked_at is None
    # the token is never stored in clear
    assert not Receipt.objects.filter(token_hash=token).exists()


@pytest.mark.parametrize("token", ["", "nope", "x" * 65, "A" * 24])
def test_wrong_tokens_are_not_found(territory, publish, token):
    _published(territory, publish)
    with pytest.raises(NotFound):
        receipt_open(token=token)
    assert not NoticeGrid.objects.filter(read_at__isnull=False).exists()


def test_token_of_a_withdrawn_notice_no_longer_opens(territory, publish):
    notice = _published(territory, publish)
    ng = NoticeGrid.objects.get(notice=notice, grid=territory.grid_a1_1)
    notice_withdraw(actor=territory.user("admin"), notice=notice)
    with pytest.raises(NotFound):
        receipt_open(token=receipt_token(ng.pk, None))


def test_worker_link_acknowledges_group_link_cannot(territory, publish):
    notice = _published(territory, publish)
    ng = NoticeGrid.objects.get(notice=notice, grid=territory.grid_a1_1)
    with pytest.raises(NotAllowed):
        receipt_ack(token=receipt_token(ng.pk, None), households_told=10)
    done = receipt_ack(token=receipt_token(ng.pk, territory.user("grid_a").pk), households_told="37")
    assert (
        done.acked_at is not None and done.households_told == 37 and done.acked_by == territory.user("grid_a")
    )
    with pytest.raises(Conflict):
        receipt_ack(token=receipt_token(ng.pk, territory.user("grid_a").pk))
    ng.refresh_from_db()
    assert ng.households_told == 37


def test_ack_scope_sibling_grid_worker_cannot_township_can(territory, publish):
    notice = _published(territory, publish)
    ng = NoticeGrid.objects.get(notice=notice, grid=territory.grid_a1_1)
    for name in ("grid_a2", "grid_b", "township_b", "leader"):
        with pytest.raises(NotAllowed):
            notice_grid_ack(actor=territory.user(name), notice_grid=ng)
    with pytest.raises(InvalidInput) as exc:
        notice_grid_ack(actor=territory.user("grid_a"), notice_grid=ng, households_told="-3")
    assert "households_told" in exc.value.fields
    notice_grid_ack(actor=territory.user("township_a"), notice_grid=ng)
    ng.refresh_from_db()
    assert ng.acked_by == territory.user("township_a")


# --- reminders and escalation -----------------------------------------------------------------------------------
def test_reminders_before_the_deadline_then_escalation_to_the_township(territory, groups, receiver, publish):
    notice = _published(territory, publish, deadline=timezone.now() + dt.timedelta(hours=5))
    acked = NoticeGrid.objects.get(notice=notice, grid=territory.grid_a1_1)
    notice_grid_ack(actor=territory.user("grid_a"), notice_grid=acked)
    assert notices_remind_due() == 0  # 5 hours left: too early
    soon = timezone.now() + dt.timedelta(hours=4)
    assert notices_remind_due(now=soon) == 7  # every grid but the acknowledged one
    assert notices_remind_due(now=soon) == 0  # once per grid
    reminders = Delivery.objects.filter(notice=notice, kind=DeliveryKind.REMINDER)
    assert reminders.count() == 6  # the grids with a bot (B2-2 has none)
    assert not reminders.filter(notice_grid=acked).exists()
    assert Notification.objects.filter(recipient=territory.user("grid_a2"), title__contains="截止").exists()
    assert not Notification.objects.filter(
        recipient=territory.user("grid_a"), title__contains="截止"
    ).exists()
    from gridgov.notices.services.sending import deliveries_send_due

    deliveries_send_due(now=soon)
    assert set(reminders.values_list("state", flat=True)) == {DeliveryState.SENT}
    assert "尚未确认转达" in receiver.bodies[f"wc{territory.grid_b1_1.code}"][-1]["markdown"]["content"]
    assert receiver.accepted[f"wc{territory.grid_a1_1.code}"] == 1  # the acknowledged grid got no reminder

    # the deadline passes: township officers are told which grids did not acknowledge
    late = timezone.now() + dt.timedelta(hours=6)
    assert notices_escalate_overdue(now=late) == 7
    assert notices_escalate_overdue(now=late) == 0
    note_a = Notification.objects.get(recipient=territory.user("township_a"), title__contains="逾期")
    assert "3 个网格" in note_a.title and "第1网格" not in note_a.body.split("、")[0:0]
    note_b = Notification.objects.get(recipient=territory.user("township_b"), title__contains="逾期")
    assert "4 个网格" in note_b.title
    assert Notice.objects.get(pk=notice.pk).escalated_at is not None


def test_escalation_by_sms_when_a_gateway_is_set(territory, receiver, publish, settings):
    settings.GRIDGOV_SMS_GATEWAY_URL = receiver.sms_url()
    officer = territory.user("township_b")
    officer.phone = "13900139000"
    officer.save()
    notice = _published(
        territory, publish, regions=[territory.township_b], deadline=timezone.now() + dt.timedelta(hours=1)
    )
    notices_escalate_overdue(now=timezone.now() + dt.timedelta(hours=2))
    from gridgov.notices.services.sending import deliveries_send_due

    deliveries_send_due(now=timezone.now() + dt.timedelta(hours=2))
    sms = Delivery.objects.get(notice=notice, kind=DeliveryKind.ESCALATION)
    assert sms.state == DeliveryState.SENT
    assert receiver.bodies[sms.idempotency_key][0]["phone"] == "13900139000"


# --- reports back -----------------------------------------------------------------------------------------------
def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()


def test_problem_report_becomes_a_case_in_one_step(territory, publish):
    ensure_default_categories(CategoryGroup, Category)
    notice = _published(territory, publish)
    ng = NoticeGrid.objects.get(notice=notice, grid=territory.grid_a1_1)
    report = notice_report_add(
        actor=territory.user("grid_a"),
        notice_grid=ng,
        outcome=ReportOutcome.PROBLEM,
        number="3",
        note="三户仍在院内焚烧秸秆",
        photos=[("p.png", PNG)],
    )
    assert report.photos.count() == 1 and report.number == 3
    category = Category.objects.filter(is_active=True).first()
    case = notice_report_to_case(actor=territory.user("grid_a"), report=report, category=category)
    assert case.source == CaseSource.NOTICE and case.region == territory.grid_a1_1
    assert Case.objects.filter(pk=case.pk, description="三户仍在院内焚烧秸秆").exists()
    report.refresh_from_db()
    assert report.case == case
    with pytest.raises(Conflict):
        notice_report_to_case(actor=territory.user("grid_a"), report=report, category=category)


def test_report_validation_and_scope(territory, publish):
    notice = _published(territory, publish)
    ng = NoticeGrid.objects.get(notice=notice, grid=territory.grid_a1_1)
    with pytest.raises(InvalidInput) as exc:
        notice_report_add(
            actor=territory.user("grid_a"),
            notice_grid=ng,
            outcome="maybe",
            number="x",
            photos=[("a.png", b"not an image")],
        )
    assert {"outcome", "number", "photos"} <= set(exc.value.fields)
    with pytest.raises(InvalidInput) as exc:
        notice_report_add(actor=territory.user("grid_a"), notice_grid=ng, outcome=ReportOutcome.PROBLEM)
    assert "note" in exc.value.fields
    with pytest.raises(NotAllowed):
        notice_report_add(actor=territory.user("grid_b"), notice_grid=ng, outcome=ReportOutcome.DONE)
    done = notice_report_add(
        actor=territory.user("grid_a"), notice_grid=ng, outcome=ReportOutcome.DONE, number=40
    )
    ensure_default_categories(CategoryGroup, Category)
    with pytest.raises(Conflict):
        notice_report_to_case(actor=territory.user("grid_a"), report=done, category=Category.objects.first())


def test_grid_groups_import_from_xlsx_with_numbers_as_floats(territory, tmp_path):
    """Excel keeps grid codes and counts as numbers (calamine gives floats): they are read as text and integers."""
    import xlsxwriter

    from gridgov.notices.models import GridGroup
    from gridgov.notices.services.groups import grid_groups_import
    from gridgov.registry.models import Household

    Household.objects.bulk_create(
        [Household(code=f"X{i}", grid=territory.grid_b1_1, address="x", head_name="户主") for i in range(10)]
    )
    path = tmp_path / "groups.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["网格编码", "群名称", "渠道", "Webhook地址", "加签密钥", "入群户数"])
    sheet.write_row(
        1,
        0,
        [
            int(territory.grid_b1_1.code),
            "王集一组",
            "企业微信",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc123def456",
            "",
            8,
        ],
    )
    sheet.write_row(2, 0, [int(territory.grid_a1_1.code), "常营", "none", "", "", 0])
    book.close()
    result = grid_groups_import(actor=territory.user("township_b"), path=path)
    assert result.created == 0 and len(result.errors) == 1
    assert "第 3 行" in result.errors[0] and "不在您的管辖范围内" in result.errors[0]
    result = grid_groups_import(actor=territory.user("admin"), path=path)
    assert (result.created, result.updated, result.errors) == (2, 0, [])
    group = GridGroup.objects.get(grid=territory.grid_b1_1)
    assert group.households_joined == 8 and group.webhook_masked.endswith("abc1…f456")
    assert "abc123def456" not in group.webhook_sealed


def test_township_officers_above_a_village_scope_are_told(territory, publish):
    notice = _published(
        territory,
        publish,
        regions=[territory.village_a1],
        audience=[Audience.TOWNSHIP_OFFICERS],
        requires_ack=False,
        deadline=None,
    )
    told = set(
        Notification.objects.filter(url=f"/notices/{notice.pk}/").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"township_a"}


@pytest.mark.parametrize("run", ["remind", "escalate"])
def test_concurrent_reminder_or_escalation_runs_do_not_repeat(territory, groups, publish, monkeypatch, run):
    """A second run that finishes between this run's first read and its write (the periodic task beside the
    command) leaves nothing for this run: no grid is reminded or escalated twice."""
    from django.db import transaction as real_transaction

    from gridgov.notices.services import notices as module

    notice = _published(territory, publish, deadline=timezone.now() + dt.timedelta(hours=1))
    when = timezone.now() + (dt.timedelta(minutes=30) if run == "remind" else dt.timedelta(hours=2))
    service = module.notices_remind_due if run == "remind" else module.notices_escalate_overdue
    other_runs = []

    class Racing:
        def atomic(self, *args, **kwargs):
            if not other_runs:
                other_runs.append(None)
                other_runs[0] = service(now=when)  # the other run commits first
            return real_transaction.atomic(*args, **kwargs)

    monkeypatch.setattr(module, "transaction", Racing())
    assert service(now=when) == 0
    assert other_runs == [8]
    kind = DeliveryKind.REMINDER if run == "remind" else DeliveryKind.ESCALATION
    assert Delivery.objects.filter(notice=notice, kind=kind).count() == (7 if run == "remind" else 0)
    word = "截止" if run == "remind" else "逾期"
    titles = list(Notification.objects.filter(title__contains=word).values_list("recipient_id", flat=True))
    assert len(titles) == len(set(titles)) and titles


def test_grid_groups_import_rejects_control_characters_by_row(territory, tmp_path):
    """A NUL or a line break inside a cell (a pasted key) names its row; nothing is stored."""
    from gridgov.notices.models import GridGroup
    from gridgov.notices.services.groups import grid_groups_import

    path = tmp_path / "groups.csv"
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc\x00def456"
    path.write_text(
        "网格编码,群名称,渠道,Webhook地址\n"
        f"{territory.grid_a1_1.code},常营一组,企业微信,https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=ok12345678\n"
        f"{territory.grid_b1_1.code},王集\x00一组,none,\n"
        f"{territory.grid_a1_2.code},王集二组,企业微信,{url}\n",
        encoding="utf-8",
    )
    result = grid_groups_import(actor=territory.user("admin"), path=path)
    assert (result.created, result.updated) == (0, 0)
    assert [e.split("：")[0] for e in result.errors] == ["第 3 行", "第 4 行"]
    assert all("控制字符" in e for e in result.errors)
    assert not GridGroup.objects.exists()


def test_an_unexpected_error_while_posting_fails_one_delivery_not_the_batch(
    territory, groups, receiver, publish, monkeypatch
):
    """httpx raises InvalidURL (not an HTTPError) for a URL it cannot use: that delivery fails and retries, the
    others of the batch are sent and recorded."""
    import httpx

    from gridgov.notices.services import sending

    real_post = httpx.Client.post
    bad = f"wc{territory.grid_b1_1.code}"

    def post(self, url, *args, **kwargs):
        if bad in str(url):
            raise httpx.InvalidURL("Invalid non-printable ASCII character in URL")
        return real_post(self, url, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "post", post)
    notice = notice_create(
        actor=territory.user("admin"),
        title="空气质量预警",
        body="明日重污染天气，请转达。",
        regions=[territory.county],
    )
    publish(territory.user("admin"), notice)
    states = dict(Delivery.objects.filter(notice=notice).values_list("group__grid__code", "state"))
    assert states.pop(territory.grid_b1_1.code) == DeliveryState.FAILED
    assert set(states.values()) == {DeliveryState.SENT}
    assert "InvalidURL" in Delivery.objects.get(notice=notice, group__grid=territory.grid_b1_1).last_error
    assert sending.deliveries_send_due().claimed == 0  # waiting for its backoff, not stuck in "sending"
