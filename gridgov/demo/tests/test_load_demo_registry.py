"""load_demo with a small registry: it goes through the registry's import, and a second run changes nothing."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.core.crypto import blind_index, unseal
from gridgov.core.identity import mask_resident_id
from gridgov.demo.accounts import DEMO_ACCOUNTS
from gridgov.demo.loader import demo_grids, load_demo
from gridgov.demo.registry import RegistryGenerator
from gridgov.registry.models import Household, Licence, Place, Resident
from gridgov.registry.policies import UNMASK_PERMISSION, RegistryPolicy

HOUSEHOLDS = 300


def counts():
    return {
        model.__name__: (
            model.objects.count(),
            max(model.objects.values_list("updated_at", flat=True), default=None),
        )
        for model in (Household, Resident, Place, Licence)
    }


def test_small_registry_loads_through_the_import_and_a_second_run_changes_nothing(db):
    out = io.StringIO()
    call_command("load_demo", stdout=out, verbosity=0, scale=str(HOUSEHOLDS))
    text = out.getvalue()
    assert f"registry households: created {HOUSEHOLDS}, updated 0, unchanged 0, rejected 0" in text
    generator = RegistryGenerator(demo_grids(), households=HOUSEHOLDS)
    pairs = list(generator.household_rows())
    residents = [r for _h, members in pairs for r in members]
    assert Household.objects.count() == HOUSEHOLDS
    assert Resident.objects.count() == len(residents)
    assert Place.objects.count() == HOUSEHOLDS // 10
    assert Licence.objects.count() == len(generator.licence_rows()) > 0

    # Stored the way the import stores personal data: sealed, blind-indexed, masked.
    _code, name, number, relation, _phone, _tags = residents[0]
    resident = Resident.objects.get(id_index=blind_index("ric", number))
    assert (resident.name, resident.relation, resident.household.code) == (name, relation, pairs[0][0][0])
    assert unseal(resident.id_sealed) == number and resident.id_masked == mask_resident_id(number)
    assert resident.birth_date == dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert Resident.objects.exclude(phone_index="").exists()

    today = timezone.localdate()
    retail = Licence.objects.filter(kind=Licence.Kind.FIREWORKS_RETAIL)
    assert retail.filter(valid_to__gte=today, valid_to__lte=today + dt.timedelta(days=30)).exists()
    assert retail.filter(valid_to__lt=today).exists()
    assert retail.filter(place__kind=Place.Kind.FIREWORKS_RETAIL).count() == retail.count()
    transport = Licence.objects.get(kind=Licence.Kind.FIREWORKS_TRANSPORT, number__endswith="第0001号")
    assert transport.consignor and transport.carrier and transport.route and transport.place_id
    assert Place.objects.filter(kind=Place.Kind.SUPERMARKET, sells_fireworks=True).exists()

    before = counts()
    out = io.StringIO()
    call_command("load_demo", stdout=out, verbosity=0, scale=str(HOUSEHOLDS))
    text = out.getvalue()
    assert "nothing changed" in text
    assert f"registry residents: created 0, updated 0, unchanged {len(residents)}, rejected 0" in text
    assert counts() == before


def test_a_larger_scale_adds_households_without_rewriting_the_first(db):
    load_demo(scale=100)
    first = dict(Household.objects.values_list("code", "updated_at"))
    report = load_demo(scale=150)
    assert report.registry["households"].created == 50
    assert report.registry["households"].unchanged == 100
    assert report.registry["residents"].updated == 0
    assert dict(Household.objects.filter(code__in=first).values_list("code", "updated_at")) == first


def test_admin_and_changying_may_unmask_and_the_grant_is_idempotent(db):
    report = load_demo(scale="none")
    assert sorted(report.permissions_granted) == [
        f"admin: {UNMASK_PERMISSION}",
        f"changying: {UNMASK_PERMISSION}",
    ]
    allowed = {a.username for a in DEMO_ACCOUNTS if UNMASK_PERMISSION in a.permissions}
    assert allowed == {"admin", "changying"}
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        assert RegistryPolicy.can_unmask(user) == (account.username in allowed), account.username
    changying = User.objects.get(username="changying")
    assert changying.user_permissions.count() == 1
    again = load_demo(scale="none")
    assert again.permissions_granted == [] and not again.changed
    assert User.objects.get(username="changying").user_permissions.count() == 1


def test_an_unknown_scale_is_refused(db):
    with pytest.raises(CommandError, match="scale"):
        call_command("load_demo", verbosity=0, scale="huge")
