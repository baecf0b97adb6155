"""The upload page, the job page that follows the background import, the error report and the blank templates."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from gridgov.registry.models import Household, ImportJob
from gridgov.registry.tests.factories import make_id

HEADER = "户编号,网格编码,地址,户主姓名,户主身份证号,联系电话,人口数,标签"


def households_csv(territory, good: int = 3, bad: bool = True) -> bytes:
    lines = [HEADER]
    for i in range(good):
        number = make_id(sequence=f"{200 + i:03d}")
        lines.append(
            f"UP{i:03d},{territory.grid_a1_1.code},常营西村{i}号,户主{i},{number},1391234567{i},3,返乡"
        )
    if bad:
        lines.append(f"UPBAD,{territory.grid_a1_1.code},常营西村9号,户主9,411627198503121230,,2,")
    # Excel on a Chinese Windows saves CSV in GB18030; the page takes it as it is.
    return "\r\n".join(lines).encode("gb18030")


def upload(client, territory, *, run: bool, capture, **kwargs):
    data = {
        "kind": "households",
        "file": SimpleUploadedFile("常营镇户台账.csv", households_csv(territory, **kwargs)),
    }
    if run:
        with capture(execute=True):
            return client.post("/registry/imports/", data)
    return client.post("/registry/imports/", data)


def workbook_rows(content: bytes, sheet: int = 0) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(sheet).to_python()


def test_upload_runs_the_import_and_the_job_page_shows_the_result(
    territory, client_for, media, django_capture_on_commit_callbacks
):
    client = client_for(territory.user("township_a"))
    response = upload(client, territory, run=True, capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/registry/imports/{job.pk}/"
    assert (job.status, job.created, job.rejected, job.created_by) == (
        "done",
        3,
        1,
        territory.user("township_a"),
    )
    assert Household.objects.filter(code__startswith="UP").count() == 3

    html = client.get(response["Location"]).content.decode()
    assert "已完成" in html and "新增 3，更新 0，未变 0，拒绝 1" in html
    assert 'aria-valuenow="100"' in html
    assert "hx-trigger" not in html  # nothing left to follow
    assert f"/registry/imports/{job.pk}/errors/" in html

    report = client.get(f"/registry/imports/{job.pk}/errors/")
    assert report.status_code == 200
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=utf-8''" in report["Content-Disposition"]
    rows = workbook_rows(b"".join(report.streaming_content))
    assert rows[0] == ["行号", "列", "原值", "原因"]
    assert rows[1][0] == 5 and rows[1][1] == "户主身份证号" and "校验位" in rows[1][3]

    listing = client.get("/registry/imports/").content.decode()
    assert "常营镇户台账.csv" in listing and "新增 3，更新 0，拒绝 1" in listing


def test_the_same_file_again_changes_nothing(
    territory, client_for, media, django_capture_on_commit_callbacks
):
    client = client_for(territory.user("admin"))
    upload(client, territory, run=True, capture=django_capture_on_commit_callbacks, bad=False)
    upload(client, territory, run=True, capture=django_capture_on_commit_callbacks, bad=False)
    second = ImportJob.objects.order_by("-id").first()
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 0, 3, 0)
    assert second.error_report == ""
    html = client.get(f"/registry/imports/{second.pk}/").content.decode()
    assert "下载错误报告" not in html


def test_progress_partial_polls_while_the_job_runs_and_stops_when_done(
    territory, client_for, media, django_capture_on_commit_callbacks
):
    client = client_for(territory.user("township_a"))
    upload(client, territory, run=False, capture=django_capture_on_commit_callbacks)  # queued, not yet run
    job = ImportJob.objects.get()
    assert job.status == "queued"
    page = client.get(f"/registry/imports/{job.pk}/").content.decode()
    assert f'hx-get="/registry/imports/{job.pk}/progress/"' in page and 'hx-trigger="every 1s"' in page
    partial = client.get(f"/registry/imports/{job.pk}/progress/")
    body = partial.content.decode()
    assert body.lstrip().startswith('<div class="card" id="job-progress"')
    assert "<html" not in body and 'hx-trigger="every 1s"' in body and "排队中" in body
    assert "no-cache" in partial["Cache-Control"] or "max-age=0" in partial["Cache-Control"]

    from gridgov.registry.services.jobs import import_job_run

    import_job_run(job.pk)
    body = client.get(f"/registry/imports/{job.pk}/progress/").content.decode()
    assert "hx-trigger" not in body and "已完成" in body and "新增 3" in body


@pytest.mark.parametrize(("username", "status"), [("admin", 200), ("township_b", 404), ("grid_a", 404)])
def test_job_and_error_report_only_for_its_creator_and_county_admins(
    territory, client_for, media, django_capture_on_commit_callbacks, username, status
):
    upload(
        client_for(territory.user("township_a")),
        territory,
        run=True,
        capture=django_capture_on_commit_callbacks,
    )
    job = ImportJob.objects.get()
    client = client_for(territory.user(username))
    assert client.get(f"/registry/imports/{job.pk}/").status_code == status
    assert client.get(f"/registry/imports/{job.pk}/progress/").status_code == status
    assert client.get(f"/registry/imports/{job.pk}/errors/").status_code == status


@pytest.mark.parametrize("username", ["leader", "grid_a", "officer", "nobody"])
def test_only_import_roles_may_upload(territory, client_for, media, username):
    client = client_for(territory.user(username))
    assert client.get("/registry/imports/").status_code == 403
    data = {"kind": "households", "file": SimpleUploadedFile("h.csv", households_csv(territory))}
    assert client.post("/registry/imports/", data).status_code == 403
    assert not ImportJob.objects.exists()


def test_bad_upload_is_refused_with_the_reason(territory, client_for, media):
    client = client_for(territory.user("township_a"))
    response = client.post(
        "/registry/imports/", {"kind": "households", "file": SimpleUploadedFile("h.txt", b"not a ledger")}
    )
    assert response.status_code == 400
    assert ".xlsx 或 .csv" in " ".join(response.context["form"].errors["file"])
    response = client.post("/registry/imports/", {"kind": "pets", "file": SimpleUploadedFile("h.csv", b"x")})
    assert response.status_code == 400 and "kind" in response.context["form"].errors
    assert client.post("/registry/imports/", {"kind": "households"}).status_code == 400
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("kind", "name", "first_headers"),
    [
        ("households", "户台账导入模板.xlsx", ["户编号", "网格编码", "地址"]),
        ("residents", "居民台账导入模板.xlsx", ["户编号", "姓名", "身份证号"]),
        ("places", "场所台账导入模板.xlsx", ["名称", "类型", "行业"]),
        ("licences", "许可证台账导入模板.xlsx", ["许可证种类", "证号", "持证单位"]),
    ],
)
def test_blank_templates_download(territory, client_for, kind, name, first_headers):
    from urllib.parse import quote

    response = client_for(territory.user("grid_a")).get(f"/registry/templates/{kind}.xlsx")
    assert response.status_code == 200
    assert f"filename*=utf-8''{quote(name)}" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    assert book.sheet_names == ["数据", "填写说明"]
    assert workbook_rows(content)[0][:3] == first_headers


def test_unknown_template_is_404(territory, client_for):
    assert client_for(territory.user("admin")).get("/registry/templates/pets.xlsx").status_code == 404
