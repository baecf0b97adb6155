from django.db import migrations


def create_defaults(apps, schema_editor):
    from gridgov.cases.defaults import ensure_default_categories

    ensure_default_categories(apps.get_model("cases", "CategoryGroup"), apps.get_model("cases", "Category"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
