"""Registry imports cleaned in forked worker processes: the same stored rows and the same error report as in one
process, rows in file order across chunks and workers, and a worker that dies or fails stops the import cleanly."""

import multiprocessing
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.core.crypto import unseal
from gridgov.registry.models import Household, ImportJob, Resident
from gridgov.registry.readers import read_table
from gridgov.registry.services import importing
from gridgov.registry.services.importing import WorkerFailed, registry_import
from gridgov.registry.services.jobs import import_job_create, import_job_run
from gridgov.registry.tests.factories import make_id, table

HOUSEHOLDS = "户编号,网格编码,地址,户主姓名,户主身份证号,联系电话,人口数,标签"
RESIDENTS = "户编号,姓名,身份证号,与户主关系,联系电话,标签"
CHUNK, BATCH = 7, 40


@pytest.fixture
def households(territory):
    """H000–H039 in grid A1-1 (township A), G000–G009 in grid B1-1 (township B)."""
    lines = [HOUSEHOLDS]
    lines += [f"H{i:03d},{territory.grid_a1_1.code},常营{i}号,户主{i},,,3," for i in range(40)]
    lines += [f"G{i:03d},{territory.grid_b1_1.code},王集{i}号,户主{i},,,3," for i in range(10)]
    registry_import(actor=None, kind="households", table=table("\n".join(lines)))
    return territory


def workers(settings, monkeypatch, count: int) -> None:
    """``count`` worker processes (0: none) for files of 10 rows or more, in chunks of 7 rows and batches of 40,
    so that a small file spans many chunks, both workers and several batches."""
    settings.GRIDGOV_IMPORT_WORKERS = count
    settings.GRIDGOV_IMPORT_PARALLEL_MIN_ROWS = 10
    monkeypatch.setattr(importing, "CLEAN_CHUNK", CHUNK)
    monkeypatch.setattr(importing, "BATCH_SIZE", BATCH)


def residents_csv(rows: int = 150) -> list[str]:
    """A resident file with a bad row of every kind spread over the chunks; every fifth resident lives in
    township B (G000–G009), the others in township A."""
    lines = [RESIDENTS]
    for i in range(rows):
        household = f"G{i // 5 % 10:03d}" if i % 5 == 4 else f"H{i % 40:03d}"
        number = make_id(birth=f"19{50 + i % 50:02d}0{1 + i % 9}1{i % 10}", sequence=f"{i:03d}")
        if i == 19:  # a wrong check digit
            number = number[:17] + ("1" if number[17] != "1" else "2")
        phone = "" if i % 3 == 0 else ("0394-5123456" if i % 3 == 1 else f"139{i:08d}")
        if i == 32:
            phone = "12345"  # no such phone
        tags = "外出务工、返乡" if i % 4 == 0 else ""
        name = "" if i == 11 else f"居民{i}"  # 姓名 is required
        lines.append(f"{household},{name},{number},子女,{phone},{tags}")
    lines[47] = lines[47].replace("H006", "H999")  # no such household: found by the importing process
    lines[60] = lines[9]  # a duplicate of row 10, chunks away
    lines[75] = ",,,,,"  # a blank row: skipped, still counted in the row numbers
    lines[90] = lines[90].rsplit(",", 2)[0]  # a short row: the missing cells are blank
    return lines


def stored_residents():
    return sorted(
        (
            r.id_index,
            r.household.code,
            r.name,
            unseal(r.id_sealed),
            r.id_masked,
            r.gender,
            r.birth_date,
            unseal(r.phone_sealed),
            r.phone_index,
            r.phone_masked,
            r.relation,
            r.tags,
            r.is_active,
        )
        for r in Resident.objects.select_related("household")
    )


def errors(report):
    return [(e.row, e.column, e.value, e.reason) for e in report.errors]


def test_workers_store_and_reject_exactly_what_one_process_does(households, settings, monkeypatch):
    text = "\n".join(residents_csv())
    workers(settings, monkeypatch, 0)
    alone = registry_import(actor=None, kind="residents", table=table(text))
    expected = stored_residents()
    Resident.objects.all().delete()

    workers(settings, monkeypatch, 2)
    assert importing.import_workers(150) == 2
    parallel = registry_import(actor=None, kind="residents", table=table(text))
    assert not multiprocessing.active_children()
    assert stored_residents() == expected
    assert errors(parallel) == errors(alone)
    assert [(e.row, e.column) for e in parallel.errors] == [
        (13, "姓名"),
        (21, "身份证号"),
        (34, "联系电话"),
        (61, ""),  # the duplicate, naming row 10
        (48, "户编号"),  # household checks come per batch, after the rows the workers rejected
    ]
    assert "第 10 行" in parallel.errors[3].reason
    counts = (parallel.created, parallel.updated, parallel.unchanged, parallel.rejected)
    assert counts == (alone.created, alone.updated, alone.unchanged, alone.rejected) == (144, 0, 0, 5)
    short = Resident.objects.get(name="居民89")
    assert (short.phone_masked, short.tags) == ("", "")
    landline = Resident.objects.get(name="居民1")
    assert (unseal(landline.phone_sealed), landline.phone_masked) == ("03945123456", "0394***3456")


def test_reimport_in_workers_changes_nothing_then_updates_what_changed(households, settings, monkeypatch):
    lines = residents_csv()
    workers(settings, monkeypatch, 2)
    registry_import(actor=None, kind="residents", table=table("\n".join(lines)))
    before = list(Resident.objects.order_by("id").values_list("id", "id_sealed", "updated_at"))

    again = registry_import(actor=None, kind="residents", table=table("\n".join(lines)))
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 144, 5)
    assert list(Resident.objects.order_by("id").values_list("id", "id_sealed", "updated_at")) == before

    lines[2] = lines[2].replace("子女", "配偶")  # resident 1: another relation
    lines[3] = lines[3].replace("H002,", "H039,", 1)  # resident 2 moves house
    changed = registry_import(actor=None, kind="residents", table=table("\n".join(lines)))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 2, 142)
    assert Resident.objects.get(name="居民1").relation == "配偶"
    assert Resident.objects.get(name="居民2").household.code == "H039"
    assert Resident.objects.count() == 144


def test_workers_keep_the_importers_scope(households, settings, monkeypatch):
    workers(settings, monkeypatch, 2)
    report = registry_import(
        actor=households.user("township_a"), kind="residents", table=table("\n".join(residents_csv()))
    )
    outside = [e for e in report.errors if e.column == "户编号"]
    assert {e.value for e in outside} == {"H999", *(f"G{i:03d}" for i in range(10))}
    assert all("管辖范围" in e.reason for e in outside)
    assert not Resident.objects.filter(household__code__startswith="G").exists()
    assert report.created == 144 - (len(outside) - 1) == Resident.objects.count()  # H999 fails in any scope


def test_households_from_xlsx_in_workers_match_one_process(households, settings, monkeypatch, tmp_path):
    import xlsxwriter

    lines = [HOUSEHOLDS] + [
        f"X{i:03d},{households.grid_a1_1.code},常营西村{i}号,户主{i},{make_id(sequence=f'{i:03d}')},138{i:08d},{1 + i % 9},"
        for i in range(60)
    ]
    lines[30] = lines[30].replace(households.grid_a1_1.code, "411627999999001")  # no such grid
    path = tmp_path / "households.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r, line in enumerate(lines):
        for c, value in enumerate(line.split(",")):
            if c == 6 and value.isdigit():
                sheet.write_number(r, c, int(value))
            else:
                sheet.write_string(r, c, value)
    book.close()

    def state():
        return sorted(
            Household.objects.filter(code__startswith="X").values_list(
                "code", "grid_id", "address", "head_id_index", "phone_index", "members"
            )
        )

    workers(settings, monkeypatch, 0)
    alone = registry_import(actor=None, kind="households", table=read_table(path))
    expected = state()
    Household.objects.filter(code__startswith="X").delete()
    workers(settings, monkeypatch, 2)
    parallel = registry_import(actor=None, kind="households", table=read_table(path))
    assert state() == expected and len(expected) == 59
    assert errors(parallel) == errors(alone) and [e.row for e in parallel.errors] == [31]


def dies_in_a_worker(monkeypatch, when, action):
    """Makes ``ResidentImporter.clean`` run ``action`` in a worker process for the row ``when`` picks."""
    parent = os.getpid()
    real = importing.ResidentImporter.clean

    def clean(self, cells):
        if os.getpid() != parent and when(cells):
            action()
        return real(self, cells)

    monkeypatch.setattr(importing.ResidentImporter, "clean", clean)


def test_a_worker_that_dies_fails_the_import_and_a_rerun_completes_it(households, settings, monkeypatch):
    text = "\n".join(residents_csv())
    workers(settings, monkeypatch, 0)
    registry_import(actor=None, kind="residents", table=table(text))
    clean_run = stored_residents()
    Resident.objects.all().delete()

    workers(settings, monkeypatch, 2)
    dies_in_a_worker(monkeypatch, lambda cells: cells[1] == "居民120", lambda: os._exit(9))
    with pytest.raises(WorkerFailed, match="意外退出（退出码 9）"):
        registry_import(actor=None, kind="residents", table=table(text))
    assert not multiprocessing.active_children()  # the other worker is gone too
    landed = Resident.objects.count()
    assert 0 < landed < 144
    assert not Resident.objects.filter(name="居民120").exists()

    monkeypatch.undo()
    workers(settings, monkeypatch, 2)
    rerun = registry_import(actor=None, kind="residents", table=table(text))
    assert (rerun.created, rerun.unchanged) == (144 - landed, landed)
    assert stored_residents() == clean_run


def test_an_error_in_a_worker_fails_the_import_with_its_reason(households, settings, monkeypatch):
    workers(settings, monkeypatch, 2)

    def fail():
        raise ValueError("密钥不可用")

    dies_in_a_worker(monkeypatch, lambda cells: cells[1] == "居民30", fail)
    with pytest.raises(WorkerFailed, match="出错") as caught:
        registry_import(actor=None, kind="residents", table=table("\n".join(residents_csv())))
    assert "ValueError: 密钥不可用" in str(caught.value)
    assert not multiprocessing.active_children()
    assert not Resident.objects.filter(name="居民30").exists()


def test_a_hung_worker_is_given_up_after_the_timeout(households, settings, monkeypatch):
    import time

    workers(settings, monkeypatch, 2)
    monkeypatch.setattr(importing, "WORKER_TIMEOUT", 1)
    dies_in_a_worker(monkeypatch, lambda cells: cells[1] == "居民70", lambda: time.sleep(60))
    with pytest.raises(WorkerFailed, match="超过 1 秒没有响应"):
        registry_import(actor=None, kind="residents", table=table("\n".join(residents_csv())))
    assert not multiprocessing.active_children()  # the hung worker was stopped


def test_a_worker_failure_fails_the_upload_job(households, settings, monkeypatch, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    workers(settings, monkeypatch, 2)
    upload = SimpleUploadedFile("居民.csv", "\n".join(residents_csv()).encode())
    job = import_job_create(actor=households.user("admin"), kind="residents", upload=upload)
    dies_in_a_worker(monkeypatch, lambda cells: cells[1] == "居民50", lambda: os._exit(3))
    with pytest.raises(WorkerFailed):
        import_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "已导入的批次已保存" in job.message
    assert job.finished_at is not None
    assert not multiprocessing.active_children()


def test_a_resident_import_runs_the_same_queries_for_10_or_140_rows(households):
    def queries(rows: int) -> int:
        Resident.objects.all().delete()
        lines = [RESIDENTS] + [
            f"H{i % 40:03d},居民{i},{make_id(sequence=f'{i:03d}')},子女,,," for i in range(rows)
        ]
        with CaptureQueriesContext(connection) as captured:
            report = registry_import(
                actor=households.user("township_a"), kind="residents", table=table("\n".join(lines))
            )
        assert report.created == rows
        return len(captured.captured_queries)

    queries(5)  # what the process loads once (the actor's grants) is not the import's
    few = queries(10)
    assert queries(140) == few <= 8
