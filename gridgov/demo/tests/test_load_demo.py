import io
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from gridgov.accounts.models import User
from gridgov.core.scope import scope_for
from gridgov.demo.accounts import DEMO_ACCOUNTS
from gridgov.registry.models import Household
from gridgov.territory.models import Department, Grant, Region


def test_load_demo_builds_taikang_and_is_idempotent(db):
    out = io.StringIO()
    call_command("load_demo", stdout=out, verbosity=0, scale="none")
    assert Region.objects.filter(level="township").count() == 23
    assert Region.objects.filter(level="village").count() == 782
    grids_per_village = {v.code: v.children.count() for v in Region.objects.filter(level="village")}
    assert set(grids_per_village.values()) <= {2, 3, 4, 5}
    assert len(set(grids_per_village.values())) > 1
    assert all(len(code) == 15 for code in Region.objects.filter(level="grid").values_list("code", flat=True))
    counts = (Region.objects.count(), User.objects.count(), Grant.objects.count(), Department.objects.count())
    out = io.StringIO()
    call_command("load_demo", stdout=out, verbosity=0, scale="none")
    assert "nothing changed" in out.getvalue()
    assert (
        Region.objects.count(),
        User.objects.count(),
        Grant.objects.count(),
        Department.objects.count(),
    ) == counts


def test_demo_accounts_hold_the_documented_roles(db):
    call_command("load_demo", stdout=io.StringIO(), verbosity=0, scale="none")
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        assert user.check_password("taikang-2026") or user.check_password(
            os.environ.get("GRIDGOV_DEMO_PASSWORD", "")
        )
        assert account.role in scope_for(user).roles
    changying = scope_for(User.objects.get(username="changying"))
    assert changying.can_see(Region.objects.get(code="411627101"))
    assert not changying.can_see(Region.objects.get(code="411627202"))
    grid1 = Grant.objects.get(user__username="grid1")
    assert grid1.region.level == "grid" and grid1.region.code.startswith("411627101")
    assert Grant.objects.get(user__username="yingji").department.name == "县应急管理局"


def test_load_demo_refuses_production_settings(db, settings):
    settings.GRIDGOV_ENV = "production"
    with pytest.raises(CommandError, match="production"):
        call_command("load_demo", verbosity=0, scale="small")
    assert Region.objects.count() == 0
    assert not Household.objects.exists()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "x" * 50, "GRIDGOV_FIELD_KEY": "k", "GRIDGOV_INDEX_KEY": "k"}, "DATABASE_URL"),
        (
            {
                "SECRET_KEY": "x" * 50,
                "GRIDGOV_FIELD_KEY": "k",
                "GRIDGOV_INDEX_KEY": "k",
                "DATABASE_URL": "postgres://u@127.0.0.1/db",
                "DEBUG": "1",
            },
            "DEBUG",
        ),
    ],
)
def test_production_settings_refuse_to_start_without_their_requirements(env, message):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL", "DEBUG"}}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings.prod"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=clean, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert message in result.stderr
