"""The demo registry's positions: every household and place lies in 太康县, each township a cluster and each
village a smaller cluster within it; the same every run, and loaded through the import."""

import io
import statistics
from collections import defaultdict

from django.core.management import call_command

from gridgov.demo.loader import demo_grids
from gridgov.demo.registry import HEADERS, RegistryGenerator
from gridgov.registry.models import Household, LocationSource, Place

HOUSEHOLDS = 3_000
BOX = (114.6, 115.2, 33.8, 34.3)  # 太康县: longitude from–to, latitude from–to


def positions():
    generator = RegistryGenerator(demo_grids(), households=HOUSEHOLDS)
    lng, lat = HEADERS["households"].index("经度"), HEADERS["households"].index("纬度")
    return [(row[1], float(row[lng]), float(row[lat])) for row, _members in generator.household_rows()]


def spread(points):
    return statistics.pstdev(p[0] for p in points) + statistics.pstdev(p[1] for p in points)


def test_households_cluster_by_township_and_village_inside_the_county():
    rows = positions()
    assert all(BOX[0] < x < BOX[1] and BOX[2] < y < BOX[3] for _grid, x, y in rows)
    by_township, by_village = defaultdict(list), defaultdict(list)
    for grid, x, y in rows:
        by_township[grid[:9]].append((x, y))
        by_village[grid[:12]].append((x, y))
    county = spread([(x, y) for _g, x, y in rows])
    township = statistics.median(spread(p) for p in by_township.values())
    village = statistics.median(spread(p) for p in by_village.values() if len(p) > 5)
    assert village < township / 2 < county / 4
    centres = {
        t: (statistics.fmean(p[0] for p in pts), statistics.fmean(p[1] for p in pts))
        for t, pts in by_township.items()
    }
    assert len({(round(x, 2), round(y, 2)) for x, y in centres.values()}) == len(centres)  # townships apart
    assert positions() == rows  # deterministic


def test_the_demo_loads_positions_through_the_import(db):
    call_command("load_demo", stdout=io.StringIO(), verbosity=0, scale="200")
    assert not Household.objects.filter(longitude__isnull=True).exists()
    assert not Place.objects.filter(longitude__isnull=True).exists()
    assert set(Household.objects.values_list("location_source", flat=True)) == {LocationSource.IMPORT}
