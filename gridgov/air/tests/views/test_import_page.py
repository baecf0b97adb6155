"""CSV upload on the import page: a background job (run at once by the test task backend) whose status the page
polls; errors listed by row; who may upload."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gridgov.air.models import DailyValue, ImportJob, Reading

CSV = "\n".join(
    ["station,time,pm25,pm10,so2,no2,co,o3"]
    + [f"A01,2025-12-01 {h:02d}:00,80,100,10,30,0.8,90" for h in range(24)]
    + ["A01,2025-12-02 00:00,-5,,,,,", "NOPE,2025-12-02 01:00,5,,,,,"]
).encode()


def upload(client, data=CSV, name="hours.csv"):
    return client.post(
        reverse("air:import"), {"file": SimpleUploadedFile(name, data, content_type="text/csv")}
    )


def test_the_county_admin_uploads_and_follows_the_job(
    territory, stations, client_for, django_capture_on_commit_callbacks
):
    client = client_for(territory.user("admin"))
    assert "导入数据" in client.get(reverse("air:index")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("air:import_job", args=[job.pk])
    assert (job.state, job.total, job.processed, job.created, job.rejected) == ("done", 26, 26, 24, 2)
    assert [(e["row"], e["field"]) for e in job.errors] == [(26, "pm25"), (27, "station")]
    assert Reading.objects.count() == 24 and DailyValue.objects.get().aqi == 107
    partial = client.get(response.url, headers={"HX-Request": "true"}).content.decode()
    assert partial.startswith('<section class="card" id="job"') and "hx-trigger" not in partial
    assert "NOPE" in partial and "已完成" in partial
    with django_capture_on_commit_callbacks(execute=True):
        again = upload(client)
    assert again.status_code == 302 and ImportJob.objects.order_by("-pk").first().updated == 24
    assert Reading.objects.count() == 24


def test_a_line_the_csv_reader_refuses_ends_the_job_with_the_reason_and_keeps_the_rows_before(
    territory, stations, client_for, django_capture_on_commit_callbacks
):
    data = [*CSV.split(b"\n")[:25], b'A01,2025-12-02 00:00,"' + b"1" * 200_000 + b'",,,,,']
    with django_capture_on_commit_callbacks(execute=True):
        upload(client_for(territory.user("admin")), b"\n".join(data))
    job = ImportJob.objects.get()
    assert job.state == "failed" and "第 25 行之后" in job.message and "field larger" in job.message
    assert Reading.objects.count() == 24 and DailyValue.objects.get().aqi == 107


def test_a_running_job_is_polled(territory, stations, client_for):
    job = ImportJob.objects.create(
        created_by=territory.user("admin"),
        filename="x.csv",
        content="",
        total=10,
        processed=4,
        state="running",
    )
    body = (
        client_for(territory.user("admin"))
        .get(reverse("air:import_job", args=[job.pk]), headers={"HX-Request": "true"})
        .content.decode()
    )
    assert 'hx-trigger="every 1s"' in body and 'aria-valuenow="40"' in body


def test_bad_files_are_refused_with_the_reason(territory, stations, client_for):
    client = client_for(territory.user("admin"))
    for data, words in ((b"", "空"), (b"foo,bar\n1,2\n", "station"), ("站点".encode("gbk"), "UTF-8")):
        response = upload(client, data)
        assert response.status_code == 400 and words in response.content.decode()
    assert client.post(reverse("air:import"), {}).status_code == 400
    assert not ImportJob.objects.exists()


def test_only_loggers_and_the_county_admin_upload(territory, stations, client_for, logger_user):
    for username in ("commander", "township_a", "leader", "grid_a"):
        client = client_for(territory.user(username))
        assert "导入数据" not in client.get(reverse("air:index")).content.decode()
        assert upload(client).status_code == 404
    assert not ImportJob.objects.exists()
    # a job is seen only by whoever uploaded it
    upload(client_for(territory.user("admin")))
    job = ImportJob.objects.get()
    assert (
        client_for(territory.user("commander")).get(reverse("air:import_job", args=[job.pk])).status_code
        == 404
    )
