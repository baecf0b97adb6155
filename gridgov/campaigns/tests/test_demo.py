"""The demo's campaigns: created once, counters equal to a recount, coverage that differs by township."""

import pytest
from django.utils import timezone

from gridgov.campaigns.demo import EPIDEMIC_CODE, FIREWORKS_CODE, demo_load
from gridgov.campaigns.models import Campaign, Commitment, PublicityActivity, VisitEntry
from gridgov.campaigns.selectors import campaign_figures
from gridgov.campaigns.services.counters import campaign_counts, counter_snapshot
from gridgov.campaigns.tests.conftest import make_household, make_place
from gridgov.registry.models import Place

pytestmark = pytest.mark.django_db


def test_demo_load_without_households(territory):
    created = demo_load(today=timezone.localdate(), households=0)
    assert created > 0
    campaign = Campaign.objects.get(code=FIREWORKS_CODE)
    assert campaign.state == "active" and campaign.letters.count() == 2 and campaign.forms.count() == 2
    assert campaign.team.filter(jointly_responsible=True).count() == 4  # two townships × secretary and head
    assert Commitment.objects.count() == 0
    assert demo_load(today=timezone.localdate(), households=0) == 0


def test_demo_load_with_households(territory):
    t = territory
    for n in range(60):
        grid = [t.grid_a1_1, t.grid_a1_2, t.grid_b1_1][n % 3]
        make_household(f"D{n:05d}", grid, "户主")
    make_place("小卖部", t.grid_a1_1, Place.Kind.SHOP)
    created = demo_load(today=timezone.localdate(), households=60)
    fireworks = Campaign.objects.get(code=FIREWORKS_CODE)
    epidemic = Campaign.objects.get(code=EPIDEMIC_CODE)
    assert created > 60
    assert VisitEntry.objects.filter(campaign=epidemic).count() > 0
    assert PublicityActivity.objects.filter(campaign=fireworks).exists()
    for campaign in (fireworks, epidemic):
        assert counter_snapshot(campaign) == {
            k: v for k, v in campaign_counts(campaign).items() if any(v.values())
        }
    figures = campaign_figures(campaign=fireworks, region=t.county)
    rates = [row.coverage for row in figures.rows]
    assert figures.total.targets == 61 and figures.total.problems > 0
    assert rates[0] != rates[1]
