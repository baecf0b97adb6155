from django.db import migrations


def create_defaults(apps, schema_editor):
    from gridgov.inspections.defaults import ensure_default_checklists

    ensure_default_checklists(apps.get_model("inspections", "Checklist"), apps.get_model("inspections", "ChecklistItem"))


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
