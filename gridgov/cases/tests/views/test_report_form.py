"""The phone report form (上报问题), the hotline entry (热线登记), and the files they store."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gridgov.cases.models import Case, CaseAttachment, CaseReport, Category
from gridgov.cases.services import loop
from gridgov.cases.tests.views.uploads import png_upload


@pytest.fixture
def burning():
    return Category.objects.get(code="air_open_burning")


def _data(category, **extra):
    return {
        "category": category.pk,
        "title": "麦田焚烧秸秆",
        "description": "村东麦田有人焚烧秸秆，烟很大。",
        "address": "常营西村东 300 米",
        **extra,
    }


def test_grid_worker_with_one_grid_reports_there_without_typing_it(territory, client_for):
    html = client_for(territory.user("grid_a")).get("/cases/report/").content.decode()
    assert f'type="hidden" name="region" value="{territory.grid_a1_1.code}"' in html
    assert "第1网格" in html and "常营西村" in html
    assert 'accept="image/*"' in html and 'capture="environment"' in html and "multiple" in html
    assert 'id="locate"' in html  # the geolocation button
    assert '<optgroup label="大气污染">' in html and '<optgroup label="烟花爆竹">' in html
    assert "来电号码" not in html


def test_report_with_a_photo_lands_on_the_case_with_its_thumbnail(territory, client_for, burning):
    client = client_for(territory.user("grid_a"))
    response = client.post(
        "/cases/report/",
        _data(
            burning,
            region=territory.grid_a1_1.code,
            latitude="33.912345",
            longitude="114.876543",
            photos=[png_upload("fire.png", size=(800, 600))],
        ),
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert case.source == "grid_report" and case.category == burning and case.region == territory.grid_a1_1
    assert str(case.latitude) == "33.912345"
    photo = CaseAttachment.objects.get(case=case)
    assert photo.kind == "photo" and photo.phase == "report" and photo.thumbnail
    assert photo.event.action == "report"
    html = client.get(response["Location"]).content.decode()
    assert "已上报，案件编号" in html
    thumb_url = f"/cases/{case.pk}/files/{photo.pk}/thumbnail/"
    assert f'src="{thumb_url}"' in html
    assert f'href="/cases/{case.pk}/files/{photo.pk}/"' in html
    thumb = client.get(thumb_url)
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as image:
        assert max(image.size) <= 320
    full = client.get(f"/cases/{case.pk}/files/{photo.pk}/")
    assert full.status_code == 200 and full["Content-Type"] == "image/png"
    assert full["Cache-Control"].startswith("private")


def test_bad_input_keeps_everything_typed(territory, client_for, burning):
    response = client_for(territory.user("grid_a")).post(
        "/cases/report/",
        {
            **_data(burning, region=territory.grid_a1_1.code, title=""),
            "latitude": "33.9",
            "longitude": "114.8",
            "photos": [png_upload()],
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "这个字段是必填项" in html
    assert "村东麦田有人焚烧秸秆，烟很大。" in html
    assert 'value="常营西村东 300 米"' in html
    assert f'<option value="{burning.pk}" selected>' in html
    assert 'value="33.9"' in html and "已定位" in html
    assert "照片需要重新选择" in html
    assert not Case.objects.exists()


def test_a_file_that_is_not_an_image_files_nothing(territory, client_for, burning):
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a photo", content_type="image/jpeg")
    response = client_for(territory.user("grid_a")).post(
        "/cases/report/", _data(burning, region=territory.grid_a1_1.code, photos=[png_upload(), fake])
    )
    assert response.status_code == 400
    assert "photo.jpg" in response.content.decode()
    assert not Case.objects.exists() and not CaseAttachment.objects.exists()


def test_township_officer_types_a_code_checked_against_scope(territory, client_for, burning):
    client = client_for(territory.user("township_a"))
    html = client.get("/cases/report/").content.decode()
    assert 'name="region"' in html and 'list="region-options"' in html
    assert f'<option value="{territory.village_a1.code}">' in html
    assert territory.village_b1.code not in html
    response = client.post("/cases/report/", _data(burning, region=territory.village_b1.code))
    assert response.status_code == 400
    assert "不在您的管辖范围内" in response.content.decode()
    response = client.post("/cases/report/", _data(burning, region=territory.county.code))
    assert response.status_code == 400
    response = client.post("/cases/report/", _data(burning, region=territory.village_a2.code))
    assert response.status_code == 302
    assert Case.objects.get().region == territory.village_a2


def test_a_tampered_grid_is_refused(territory, client_for, burning):
    response = client_for(territory.user("grid_a")).post(
        "/cases/report/", _data(burning, region=territory.grid_a1_2.code)
    )
    assert response.status_code == 400
    assert not Case.objects.exists()


@pytest.mark.parametrize(("username", "status"), [("leader", 403), ("officer", 403), ("nobody", 403)])
def test_who_may_not_report(territory, client_for, username, status):
    assert client_for(territory.user(username)).get("/cases/report/").status_code == status


@pytest.mark.parametrize(
    ("username", "status"),
    [("supervisor", 200), ("commander", 200), ("grid_a", 403), ("township_a", 403), ("leader", 403)],
)
def test_who_may_enter_hotline_calls(territory, client_for, username, status):
    assert client_for(territory.user(username)).get("/cases/hotline/").status_code == status


def test_hotline_entry_records_the_caller_masked(territory, client_for, burning):
    client = client_for(territory.user("supervisor"))
    html = client.get("/cases/hotline/").content.decode()
    assert "来电人姓名" in html and "来电号码" in html
    response = client.post(
        "/cases/hotline/",
        _data(
            burning, region=territory.village_a1.code, reporter_name="王先生", reporter_contact="13812345678"
        ),
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.source == "hotline"
    report = CaseReport.objects.get(case=case)
    assert report.reporter_name == "王先生" and report.reporter_contact_masked == "138****5678"
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "热线受理" in html and "王先生" in html and "138****5678" in html
    assert "13812345678" not in html


def test_hotline_caller_is_not_shown_to_the_handling_department(territory, client_for, burning, make_case):
    client = client_for(territory.user("supervisor"))
    client.post(
        "/cases/hotline/",
        _data(
            burning, region=territory.village_a1.code, reporter_name="王先生", reporter_contact="13812345678"
        ),
    )
    case = Case.objects.get()
    loop.case_register(actor=territory.user("supervisor"), case=case)
    loop.case_dispatch(actor=territory.user("commander"), case=case, department=territory.department)
    html = client_for(territory.user("officer")).get(f"/cases/{case.pk}/").content.decode()
    assert case.title in html
    assert "王先生" not in html and "138****5678" not in html


def test_bad_phone_is_a_field_error(territory, client_for, burning):
    response = client_for(territory.user("commander")).post(
        "/cases/hotline/", _data(burning, region=territory.village_a1.code, reporter_contact="12345")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "电话号码" in html
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("username", "status"), [("grid_b", 404), ("township_b", 404), ("officer", 404), ("leader", 200)]
)
def test_attachments_are_served_only_to_who_may_see_the_case(
    territory, client_for, burning, username, status
):
    client = client_for(territory.user("grid_a"))
    client.post("/cases/report/", _data(burning, region=territory.grid_a1_1.code, photos=[png_upload()]))
    photo = CaseAttachment.objects.get()
    urls = [
        f"/cases/{photo.case_id}/files/{photo.pk}/",
        f"/cases/{photo.case_id}/files/{photo.pk}/thumbnail/",
    ]
    other = client_for(territory.user(username))
    for url in urls:
        assert other.get(url).status_code == status


def test_attachment_must_belong_to_the_case_in_the_url(territory, client_for, burning, make_case):
    client = client_for(territory.user("grid_a"))
    client.post("/cases/report/", _data(burning, region=territory.grid_a1_1.code, photos=[png_upload()]))
    photo = CaseAttachment.objects.get()
    unrelated = make_case()
    assert client.get(f"/cases/{unrelated.pk}/files/{photo.pk}/").status_code == 404
    assert client.get(f"/cases/{photo.case_id}/files/999999/").status_code == 404


def test_attachments_need_a_login(client, territory, burning, client_for):
    grid = client_for(territory.user("grid_a"))
    grid.post("/cases/report/", _data(burning, region=territory.grid_a1_1.code, photos=[png_upload()]))
    photo = CaseAttachment.objects.get()
    grid.logout()
    response = client.get(f"/cases/{photo.case_id}/files/{photo.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
