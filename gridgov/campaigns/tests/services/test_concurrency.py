"""Writers of one campaign at the same time on PostgreSQL: a double-clicked import, a letter signed at the door
and a recount, each in its own connection. (SQLite has one writer at a time, so the race cannot happen there.)"""

import threading

import pytest
from django.db import connection, connections

from gridgov.campaigns.models import Commitment
from gridgov.campaigns.services.counters import campaign_counts, campaign_recount, counter_snapshot
from gridgov.campaigns.services.fieldwork import commitment_sign
from gridgov.campaigns.services.imports import _store
from gridgov.campaigns.tests.conftest import photo

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are a PostgreSQL matter"),
]


def run_together(works) -> list[str]:
    """Runs each callable in its own thread and connection, all released at once; the errors they raised."""
    barrier = threading.Barrier(len(works))
    failures = []

    def run(work):
        try:
            barrier.wait(timeout=10)
            work()
        except Exception as exc:
            failures.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(w,)) for w in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return failures


def test_concurrent_imports_signing_and_recount_neither_fail_nor_drift(world):
    rows = [(i + 2, h.code, "", "户主", "") for i, h in enumerate(world.households.values())]
    door = world.households["a1"]
    grid_worker = world.territory.user("grid_a")

    works = [
        lambda: _store(actor=None, campaign=world.fireworks, rows=rows),
        lambda: _store(actor=None, campaign=world.fireworks, rows=rows),
        lambda: commitment_sign(
            actor=grid_worker,
            campaign=world.fireworks,
            target=door,
            signer_name="王一",
            method=Commitment.Method.PAPER_PHOTO,
            evidence=photo(),
        ),
        lambda: campaign_recount(actor=None, campaign=world.fireworks),
    ]
    failures = run_together(works)
    # the door signing may lose to an import that recorded a1 first (409), nothing else may fail
    assert [f for f in failures if "Conflict" not in f] == []
    assert Commitment.objects.filter(campaign=world.fireworks).count() == len(rows)
    assert counter_snapshot(world.fireworks) == {
        k: v for k, v in campaign_counts(world.fireworks).items() if any(v.values())
    }


def test_simultaneous_first_visits_and_checks_count_the_target_once(world):
    """Two workers at the same door (or shop) at once: one of the two is the first visit (first check)."""
    from gridgov.campaigns.models import VenueCheck, VisitEntry
    from gridgov.campaigns.services.checks import venue_check_record
    from gridgov.campaigns.services.fieldwork import visit_record
    from gridgov.campaigns.tests.conftest import EPIDEMIC_OK, HOUSEHOLD_OK

    t = world.territory

    def visit(user):
        return lambda: visit_record(
            actor=t.user(user),
            target=world.households["a1"],
            answers={world.fireworks.pk: HOUSEHOLD_OK, world.epidemic.pk: EPIDEMIC_OK},
        )

    def check(user):
        return lambda: venue_check_record(
            actor=t.user(user),
            campaign=world.fireworks,
            place=world.places["shop_a"],
            sells_fireworks=False,
            stock_found=False,
        )

    failures = run_together([visit("grid_a"), visit("township_a"), check("township_a"), check("admin")])
    assert failures == []
    assert VisitEntry.objects.filter(campaign=world.fireworks).count() == 2
    assert VisitEntry.objects.filter(campaign=world.fireworks, first=True).count() == 1
    assert VenueCheck.objects.count() == 2 and VenueCheck.objects.filter(first=True).count() == 1
    assert counter_snapshot(world.fireworks) == {
        k: v for k, v in campaign_counts(world.fireworks).items() if any(v.values())
    }
