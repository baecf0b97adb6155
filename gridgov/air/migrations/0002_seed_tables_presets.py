"""Seeds the AQI tables (HJ 633—2012, HJ 633—2026) and the national warning presets from gridgov.air.standards.
Existing rows are left alone: a county's corrections survive re-running."""

from django.db import migrations

from gridgov.air.defaults import ensure_default_tables


def seed(apps, schema_editor):
    ensure_default_tables(apps.get_model("air", "AqiTable"), apps.get_model("air", "AqiBreakpoint"), apps.get_model("air", "WarningPreset"))


class Migration(migrations.Migration):
    dependencies = [("air", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
