"""Bulk signing from a spreadsheet with bad rows; publicity records and the silent villages."""

import datetime as dt

import pytest
import xlsxwriter
from django.utils import timezone

from gridgov.campaigns.models import Commitment
from gridgov.campaigns.selectors import campaign_figures, publicity_summary
from gridgov.campaigns.services.counters import campaign_counts, counter_snapshot
from gridgov.campaigns.services.imports import commitment_import
from gridgov.campaigns.services.publicity import loudspeaker_schedule_add, publicity_record
from gridgov.core.exceptions import InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db


def write_xlsx(path, rows):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return path


def test_bulk_signing_reports_bad_rows_by_number_and_stores_the_good_ones(world, tmp_path):
    t = world.territory
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    path = write_xlsx(
        tmp_path / "signed.xlsx",
        [
            ["户编号", "统一社会信用代码", "签字人", "签署日期"],
            ["HA101", "", "王一", "2026-01-02"],  # 2 good
            ["HA999", "", "某人", ""],  # 3 unknown household
            ["HA102", "", "", ""],  # 4 no signer
            ["HA103", "", "王三", tomorrow],  # 5 date in the future
            ["HB101", "", "赵一", ""],  # 6 outside the township
            ["HA101", "", "王一", ""],  # 7 duplicate of row 2
            ["HA201", "", "李一", "2026/01/03"],  # 8 good (other grid of the same township)
            ["", "", "无名", ""],  # 9 no target
        ],
    )
    result = commitment_import(actor=t.user("township_a"), campaign=world.fireworks, path=path)
    assert result.created == 2 and result.skipped == 0
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "户编号"),
        (4, "签字人"),
        (5, "签署日期"),
        (6, "户编号"),
        (7, "户编号"),
        (9, "户编号"),
    ]
    assert "第 2 行" in result.errors[4].message
    stored = Commitment.objects.filter(campaign=world.fireworks).order_by("household__code")
    assert [(c.household.code, c.method, c.collected_by.username) for c in stored] == [
        ("HA101", "bulk", "township_a"),
        ("HA201", "bulk", "township_a"),
    ]
    assert timezone.localtime(stored[0].signed_at).date() == dt.date(2026, 1, 2)
    assert counter_snapshot(world.fireworks) == {
        k: v for k, v in campaign_counts(world.fireworks).items() if any(v.values())
    }
    # the same file again: the good rows are skipped, nothing doubles
    again = commitment_import(actor=t.user("township_a"), campaign=world.fireworks, path=path)
    assert (again.created, again.skipped) == (0, 2)
    assert campaign_figures(campaign=world.fireworks, region=t.township_a).total.signed == 2


def test_bulk_signing_refuses_a_file_without_the_columns(world, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("姓名,电话\n张三,1\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        commitment_import(actor=world.territory.user("admin"), campaign=world.fireworks, path=path)
    assert "file" in exc.value.fields and "签字人" in exc.value.fields["file"][0]


def test_places_sign_in_bulk_by_credit_code(world, tmp_path):
    from gridgov.registry.services.records import place_save

    shop = place_save(actor=None, place=world.places["shop_a"], data={"credit_code": "91411627MA44XXXX0W"})
    path = tmp_path / "shops.csv"
    path.write_text(f"统一社会信用代码,签字人\n{shop.credit_code.lower()},店主\n", encoding="utf-8")
    result = commitment_import(actor=world.territory.user("admin"), campaign=world.fireworks, path=path)
    assert result.created == 1, result.errors
    assert Commitment.objects.get().place == shop


def test_publicity_and_silent_villages(world):
    t = world.territory
    now = timezone.now()
    publicity_record(
        actor=t.user("township_a"),
        campaign=world.fireworks,
        channel="banner",
        region=t.village_a1,
        count=3,
        happened_at=now - dt.timedelta(days=1),
    )
    publicity_record(
        actor=t.user("grid_a"), campaign=world.fireworks, channel="leaflet", region=t.grid_a1_1, count=40
    )
    publicity_record(
        actor=t.user("admin"),
        campaign=world.fireworks,
        channel="tv",
        region=t.township_b,
        count=1,
        happened_at=now - dt.timedelta(days=20),
    )
    loudspeaker_schedule_add(
        actor=t.user("township_b"),
        campaign=world.fireworks,
        village=t.village_b2,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        hours="07:00-07:30 18:00-18:30",
    )
    summary = publicity_summary(campaign=world.fireworks, region=t.county, days=7)
    rows = {r.region.code: r for r in summary.rows}
    assert rows[t.township_a.code].channels == {"banner": 3, "leaflet": 40}
    assert rows[t.township_b.code].channels == {"tv": 1}
    # A1 has publicity this week, B2 a loudspeaker; A2 and B1 have nothing in the last 7 days
    assert [v.code for v in summary.silent_villages] == [t.village_a2.code, t.village_b1.code]
    with pytest.raises(NotAllowed):
        publicity_record(
            actor=t.user("township_a"), campaign=world.fireworks, channel="tv", region=t.township_b
        )
    with pytest.raises(NotAllowed):
        publicity_record(actor=t.user("leader"), campaign=world.fireworks, channel="tv", region=t.county)
    with pytest.raises(InvalidInput) as exc:
        publicity_record(
            actor=t.user("admin"), campaign=world.fireworks, channel="pigeon", region=t.county, count=0
        )
    assert set(exc.value.fields) == {"channel", "count"}
    with pytest.raises(InvalidInput) as exc:
        loudspeaker_schedule_add(
            actor=t.user("admin"),
            campaign=world.fireworks,
            village=t.village_a1,
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate(),
            hours="25:00-26:00",
        )
    assert "hours" in exc.value.fields


def test_notices_sent_through_the_grid_count_as_publicity(world):
    from gridgov.notices.services.notices import notice_create, notice_publish

    t = world.territory
    before = publicity_summary(campaign=world.fireworks, region=t.county, days=7)
    assert [v.code for v in before.silent_villages] == [
        t.village_a1.code,
        t.village_a2.code,
        t.village_b1.code,
        t.village_b2.code,
    ]
    notice = notice_create(
        actor=t.user("township_b"),
        title="禁燃禁放通告",
        body="全乡禁止燃放烟花爆竹。",
        regions=[t.township_b],
    )
    draft = notice_create(actor=t.user("township_a"), title="草稿", body="未发布", regions=[t.village_a1])
    notice_publish(actor=t.user("township_b"), notice=notice)
    summary = publicity_summary(campaign=world.fireworks, region=t.county, days=7)
    rows = {r.region.code: r for r in summary.rows}
    assert rows[t.township_b.code].channels == {"notice": 1}
    assert rows[t.township_a.code].channels == {}  # the draft does not count
    assert [v.code for v in summary.silent_villages] == [t.village_a1.code, t.village_a2.code]
    assert draft.state == "draft"


def test_background_signing_import_follows_its_counters(world, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.campaigns.services.imports import signing_import_create

    t = world.territory
    good = SimpleUploadedFile(
        "ok.csv", "户编号,签字人\nHA101,王一\nHA999,某\n".encode(), content_type="text/csv"
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = signing_import_create(actor=t.user("grid_a"), campaign=world.fireworks, upload=good)
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.created, job.rejected, job.percent) == ("done", 2, 1, 1, 100)
    assert job.errors == [{"row": 3, "column": "户编号", "message": "户编号 HA999 不在台账中。"}]
    bad = SimpleUploadedFile("bad.csv", "姓名\n张三\n".encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        failed = signing_import_create(actor=t.user("grid_a"), campaign=world.fireworks, upload=bad)
    failed.refresh_from_db()
    assert failed.status == "failed" and "签字人" in failed.message
    with pytest.raises(NotAllowed):
        signing_import_create(actor=t.user("leader"), campaign=world.fireworks, upload=good)
