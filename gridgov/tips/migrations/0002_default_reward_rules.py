from django.db import migrations


def forwards(apps, schema_editor):
    from gridgov.tips.defaults import ensure_default_reward_rules

    ensure_default_reward_rules(apps.get_model("cases", "Category"), apps.get_model("tips", "RewardRule"))


class Migration(migrations.Migration):
    dependencies = [
        ("tips", "0001_initial"),
        ("cases", "0002_default_categories"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
