"""Filing's prepared statements (gridgov.cases.services.hotpath) give what the ORM gives: the same instances from
the lookups, the same rows from the inserts, and the same refusals."""

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from gridgov.cases.models import Case, CaseCounter, CaseDayCount, CaseEvent, CaseReport, Category
from gridgov.cases.selectors import category_for_filing, category_list, region_for_filing
from gridgov.cases.services import intake
from gridgov.cases.services.intake import case_duplicates, case_report
from gridgov.core.exceptions import NotFound
from gridgov.core.models import AuditLog
from gridgov.territory.models import Region
from gridgov.territory.selectors import access_region


def fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_category_lookup_is_the_querysets(territory):
    for category in Category.objects.all()[:5]:
        expected = category_list().filter(code=category.code).first()
        found = category_for_filing(category.code)
        assert fields(found) == fields(expected)
        assert fields(found.group) == fields(expected.group)
    category = Category.objects.first()
    Category.objects.filter(pk=category.pk).update(is_active=False)
    assert category_for_filing(category.code) is None  # seen at once: nothing is cached
    assert category_for_filing("no-such-code") is None


def test_region_lookup_is_access_region_with_parents(territory, django_assert_num_queries):
    user = territory.user("grid_a")
    expected = access_region(user, territory.grid_a1_1.code, include_retired=False)
    with django_assert_num_queries(1):
        found = region_for_filing(user, territory.grid_a1_1.code)
        assert fields(found) == fields(expected)
        assert fields(found.parent) == fields(expected.parent)
        assert fields(found.parent.parent) == fields(expected.parent.parent)  # no query: loaded with it
    assert fields(region_for_filing(territory.user("admin"), territory.county.code)) == fields(
        territory.county
    )


def test_region_lookup_refuses_as_access_region_does(territory):
    with pytest.raises(NotFound):
        region_for_filing(territory.user("grid_a"), territory.grid_b1_1.code)  # out of scope
    with pytest.raises(NotFound):
        region_for_filing(territory.user("admin"), "999999999999999")  # missing
    Region.objects.filter(pk=territory.grid_a1_1.pk).update(
        is_active=False, retired_at=timezone.now()
    )  # retired
    with pytest.raises(NotFound):
        region_for_filing(territory.user("admin"), territory.grid_a1_1.code)


def _file(territory, **changes):
    data = {
        "actor": territory.user("grid_a"),
        "category": Category.objects.get(code="air_open_burning"),
        "region": territory.grid_a1_1,
        "title": "秸秆焚烧",
        "description": "田间焚烧",
        "latitude": "33.9",
        "longitude": "114.8",
    }
    return case_report(**(data | changes))


def test_filed_rows_are_what_save_writes(territory):
    case = _file(territory)
    stored = Case.objects.get(pk=case.pk)
    assert model_to_dict(stored) == model_to_dict(case)
    assert (stored.created_at, stored.updated_at) == (case.created_at, case.updated_at)
    report = CaseReport.objects.get(case=case)
    assert (report.reporter_id, report.description) == (territory.user("grid_a").pk, "田间焚烧")
    event = CaseEvent.objects.get(case=case)
    assert fields(event) == fields(case.filed_event)
    audit = AuditLog.objects.get(action="case.report", object_id=str(case.pk))
    assert audit.object_repr == str(stored)
    assert audit.changes == {"category": "air_open_burning", "region": territory.grid_a1_1.code}


def _rows(case) -> dict:
    """What a filing wrote for ``case``, without what differs between two filings (ids, number, times; the audit
    row's object_repr is checked against the case instead)."""
    differ = {"id", "case", "case_id", "number", "created_at", "updated_at", "object_id", "object_repr"}

    def plain(obj):
        return {k: v for k, v in model_to_dict(obj).items() if k not in differ}

    audit = AuditLog.objects.get(action="case.report", object_id=str(case.pk))
    assert audit.object_repr == str(Case.objects.get(pk=case.pk))
    return {
        "case": plain(Case.objects.get(pk=case.pk)),
        "report": plain(CaseReport.objects.get(case=case)),
        "event": plain(CaseEvent.objects.get(case=case)),
        "audit": plain(audit),
    }


def test_both_ways_of_filing_write_the_same_rows(territory, monkeypatch):
    """PostgreSQL files in one statement (intake.ONE_STATEMENT), SQLite statement by statement. On PostgreSQL
    this compares the two paths; SQLite has only the second (no data-modifying WITH), so there it checks that
    path alone: the same rows each time, consecutive numbers, 受理 counted once each."""
    one = _file(territory)
    monkeypatch.setattr(intake, "ONE_STATEMENT", frozenset())
    other = _file(territory)
    assert _rows(one) == _rows(other)
    assert int(other.number) == int(one.number) + 1
    assert CaseDayCount.objects.get(township=territory.township_a).accepted == 2


@pytest.mark.parametrize("one_statement", [True, False])
def test_numbers_start_each_day_and_grow_past_five_digits(territory, monkeypatch, one_statement):
    if not one_statement:
        monkeypatch.setattr(intake, "ONE_STATEMENT", frozenset())
    day = timezone.localdate()
    first = _file(territory)
    assert first.number == f"{day:%Y%m%d}00001"
    CaseCounter.objects.filter(day=day).update(last=99_999)
    assert _file(territory).number == f"{day:%Y%m%d}100000"
    assert _file(territory).number == f"{day:%Y%m%d}100001"


def test_duplicates_match_the_orm_filter(territory):
    category = Category.objects.get(code="air_open_burning")
    filed = [
        case_report(
            actor=territory.user("grid_a"),
            category=category,
            region=territory.grid_a1_1,
            title=f"焚烧 {i}",
            description="田间焚烧",
        )
        for i in range(13)
    ]
    newest = filed[-1]
    found = case_duplicates(newest)
    expected = list(
        Case.objects.filter(category=category, region=newest.region_id)
        .exclude(pk=newest.pk)
        .order_by("created_at", "id")[:10]
    )
    assert [c.pk for c in found] == [c.pk for c in expected]
    assert all(c.region.path == territory.grid_a1_1.path for c in found)


def test_filings_queue_on_their_own_locks_only_outside_a_callers_transaction(
    transactional_db, tmp_path, monkeypatch
):
    """On SQLite a filing that starts its own transaction queues on a thread lock and a file lock beside the
    database; one nested in a caller's transaction (which may hold the database's lock already) must not wait."""
    import contextlib

    from django.db import connection, transaction

    from gridgov.cases.services import intake

    if connection.vendor != "sqlite":
        assert isinstance(intake._one_writer(), contextlib.nullcontext)
        return
    monkeypatch.setitem(connection.settings_dict, "NAME", str(tmp_path / "county.sqlite3"))
    with transaction.atomic():
        assert isinstance(intake._one_writer(), contextlib.nullcontext)
    assert not connection.in_atomic_block
    with intake._one_writer():
        assert intake._SQLITE_WRITER.locked()
        assert (tmp_path / "county.sqlite3.writers").exists()
    assert not intake._SQLITE_WRITER.locked()
    monkeypatch.setitem(connection.settings_dict, "NAME", ":memory:")
    assert intake._one_writer() is intake._SQLITE_WRITER


@pytest.mark.parametrize("model", [Case, CaseReport, CaseEvent, AuditLog])
def test_a_connected_signal_receiver_sees_every_row_saved(territory, model):
    """Prepared statements skip Model.save(); if a receiver is ever connected to one of the filing's models, the
    filing saves through the ORM instead (on PostgreSQL too, leaving the one-statement path) and the receiver
    sees the row."""
    from django.db.models.signals import post_save

    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append((instance.pk, created))

    post_save.connect(receiver, sender=model)
    try:
        case = _file(territory)
    finally:
        post_save.disconnect(receiver, sender=model)
    assert len(seen) == 1 and seen[0][1] is True
    assert model.objects.filter(pk=seen[0][0]).exists()
    assert _rows(case)["case"]["title"] == "秸秆焚烧"
