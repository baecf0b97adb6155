import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from gridgov.cases.models import CaseAttachment, CaseReport, CaseSource, CaseState
from gridgov.core.crypto import unseal
from gridgov.core.exceptions import InvalidInput
from gridgov.core.models import AuditLog
from gridgov.tips.models import Tip
from gridgov.tips.services import TipRateLimited, public_status, tip_by_tracking_code, tip_submit
from gridgov.tips.services.codes import ALPHABET, secret_matches

NAME, PHONE = "王举报", "13912345678"


def submit(territory, category, **extra):
    data = dict(category=category, region=territory.village_a1, description="村口小卖部在卖烟花爆竹")
    data.update(extra)
    return tip_submit(**data)


def test_tip_files_a_reported_case_and_keeps_the_reporter_out_of_it(territory, sale):
    receipt = submit(
        territory, sale, reporter_name=NAME, reporter_phone="139 1234 5678", client_key="1.2.3.4"
    )
    tip, case = receipt.tip, receipt.tip.case
    assert case.state == CaseState.REPORTED and case.source == CaseSource.TIP and case.reported_by is None
    assert case.title == "群众举报：非法销售"
    assert len(receipt.tracking_code) == 10 and set(receipt.tracking_code) <= set(ALPHABET)
    assert receipt.secret not in tip.secret and secret_matches(tip.secret, receipt.secret)
    assert unseal(tip.reporter_name_sealed) == NAME and unseal(tip.reporter_phone_sealed) == PHONE
    assert tip.reporter_phone_masked == "139****5678" and not tip.anonymous
    report = CaseReport.objects.get(case=case)
    assert (report.reporter_id, report.reporter_name, report.reporter_contact_sealed) == (None, "", "")
    assert report.reporter_contact_masked == ""
    # nothing written in the same request carries the reporter in clear or masked
    for row in AuditLog.objects.all():
        assert NAME not in str(row.changes) and "5678" not in str(row.changes)
    for event in case.events.all():
        assert NAME not in event.note and "5678" not in event.note


def test_anonymous_is_one_flag_and_drops_what_was_typed(territory, sale):
    tip = submit(territory, sale, reporter_name=NAME, reporter_phone=PHONE, anonymous=True).tip
    assert tip.anonymous and tip.reporter_name_sealed == "" and tip.reporter_phone_sealed == ""
    assert tip.reporter_phone_index == ""


def test_errors_name_the_field_and_store_nothing(territory, sale, categories):
    cases = [
        ({"description": "短"}, "description"),
        ({"category": categories["other_general"]}, "category"),  # not open to the public
        ({"region": territory.county}, "region"),
        ({"reporter_phone": "12345"}, "reporter_phone"),
        ({"latitude": "abc", "longitude": "114"}, "latitude"),
        ({"latitude": "33.1"}, "longitude"),
        ({"channel": "fax"}, "channel"),
    ]
    for extra, field in cases:
        with pytest.raises(InvalidInput) as caught:
            submit(territory, extra.pop("category", sale), **extra)
        assert field in caught.value.fields, extra
    assert not Tip.objects.exists()


def test_duplicates_attach_to_the_open_case_and_each_keeps_a_code(territory, sale):
    first = submit(territory, sale, address="常营西村 东头小卖部")
    second = submit(territory, sale, address="常营西村东头小卖部", description="东头小卖部又在卖鞭炮")
    elsewhere = submit(territory, sale, address="常营西村 西头饭店")
    assert second.tip.case_id == first.tip.case_id and second.tip.attached
    assert elsewhere.tip.case_id != first.tip.case_id and not elsewhere.tip.attached
    assert second.tracking_code != first.tracking_code
    assert CaseReport.objects.filter(case=first.tip.case).count() == 2
    near = submit(territory, sale, latitude="34.000100", longitude="114.000100")
    nearer = submit(territory, sale, latitude="34.000200", longitude="114.000200")
    far = submit(territory, sale, latitude="34.100000", longitude="114.000100")
    assert nearer.tip.case_id == near.tip.case_id and far.tip.case_id != near.tip.case_id


@override_settings(GRIDGOV_TIP_RATE_PER_CLIENT_HOUR=2, GRIDGOV_TIP_RATE_PER_PHONE_DAY=3)
def test_rate_limits_per_client_and_per_phone(territory, sale):
    for _ in range(2):
        submit(territory, sale, client_key="10.0.0.1")
    with pytest.raises(TipRateLimited) as caught:
        submit(territory, sale, client_key="10.0.0.1")
    assert caught.value.status == 429
    submit(territory, sale, client_key="10.0.0.2")  # another client is not held up
    for key in ("10.0.0.3", "10.0.0.4", "10.0.0.5"):
        submit(territory, sale, client_key=key, reporter_phone=PHONE)
    with pytest.raises(TipRateLimited):
        submit(territory, sale, client_key="10.0.0.6", reporter_phone="+86 139-1234-5678")
    assert Tip.objects.count() == 6


@override_settings(GRIDGOV_TIP_RATE_PER_CLIENT_HOUR=2)
def test_rate_limit_rows_are_touched_by_each_tip_and_purged_when_stale(territory, sale):
    import datetime as dt

    from django.utils import timezone

    from gridgov.tips.models import TipRateKey
    from gridgov.tips.services import rate_keys_purge

    submit(territory, sale, client_key="10.0.0.1", reporter_phone=PHONE)
    assert TipRateKey.objects.count() == 2  # the client's and the phone's
    now = timezone.now()
    TipRateKey.objects.update(last_used=now - dt.timedelta(days=3))
    submit(territory, sale, client_key="10.0.0.9")  # another client; the phone's row stays stale
    fresh = TipRateKey.objects.filter(last_used__gte=now).count()
    assert fresh == 1
    assert rate_keys_purge() == 2  # the first client's and the phone's rows
    assert TipRateKey.objects.count() == 1
    assert rate_keys_purge() == 0
    # the limit still counts tips, not rows: the purged client is still held to its hourly limit
    submit(territory, sale, client_key="10.0.0.1")
    with pytest.raises(TipRateLimited):
        submit(territory, sale, client_key="10.0.0.1")


def test_photos_are_checked_renamed_and_attached(territory, sale, photo):
    tip = submit(territory, sale, photos=[photo]).tip
    attachment = CaseAttachment.objects.get(case=tip.case)
    assert attachment.kind == "photo" and "张三" not in attachment.original_name
    # neither the tracking code: the units that handle the case see the file's name (page, API, download)
    assert tip.tracking_code not in attachment.original_name
    assert tip.tracking_code not in attachment.file.name
    fake = SimpleUploadedFile("x.jpg", b"MZ not an image", content_type="image/jpeg")
    with pytest.raises(InvalidInput) as caught:
        submit(territory, sale, photos=[fake])
    assert "photos" in caught.value.fields
    with override_settings(GRIDGOV_TIP_MAX_PHOTOS=1), pytest.raises(InvalidInput):
        submit(territory, sale, photos=[photo, photo])
    with override_settings(GRIDGOV_TIP_PHOTO_MAX_BYTES=10):
        photo.seek(0)
        with pytest.raises(InvalidInput) as caught:
            submit(territory, sale, photos=[photo])
        assert "MB" in caught.value.fields["photos"][0]
    assert Tip.objects.count() == 1


def test_tracking_code_lookup_is_forgiving_and_status_public(territory, sale):
    receipt = submit(territory, sale)
    code = receipt.tracking_code
    typed = f"{code[:4].lower()}-{code[4:8]} {code[8:]}"
    assert tip_by_tracking_code(typed).pk == receipt.tip.pk
    assert tip_by_tracking_code("NOPE") is None and tip_by_tracking_code("") is None
    status, notes = public_status(receipt.tip.case)
    assert status == "open" and [n.action for n in notes] == ["report"]
