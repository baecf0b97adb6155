"""Takes tracking codes out of the places staff read: tips filed before 0003 named their photos ``tip-<code>-1.png``
(shown on the case page, in the cases API and as the download's file name) and appeared in the audit and access
logs by their code (``str(tip)``). A code, with the secret, claims a reward; only the reporter should hold it."""

import re

from django.db import migrations

ALPHABET = "3467ACDEFGHJKMNPQRTWXY"  # gridgov.tips.services.codes.ALPHABET, frozen here
PHOTO_NAME = re.compile(rf"^tip-[{ALPHABET}]{{10}}-(\d+)(\.[a-z]+)$")
CODE = re.compile(rf"^[{ALPHABET}]{{10}}$")


def scrub(apps, schema_editor):
    CaseAttachment = apps.get_model("cases", "CaseAttachment")
    AuditLog = apps.get_model("core", "AuditLog")
    AccessLog = apps.get_model("core", "AccessLog")
    changed = []
    for attachment in CaseAttachment.objects.filter(original_name__startswith="tip-").only("pk", "original_name"):
        match = PHOTO_NAME.match(attachment.original_name)
        if match:
            attachment.original_name = f"tip-photo-{match.group(1)}{match.group(2)}"
            changed.append(attachment)
    CaseAttachment.objects.bulk_update(changed, ["original_name"], batch_size=500)
    for model in (AuditLog, AccessLog):
        rows = model.objects.filter(object_type="tips.tip")
        fixed = []
        for row in rows.only("pk", "object_id", "object_repr").iterator(chunk_size=2000):
            if CODE.match(row.object_repr):
                row.object_repr = f"#{row.object_id}"
                fixed.append(row)
        model.objects.bulk_update(fixed, ["object_repr"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_sources_visit_notice"),
        ("core", "0002_accesslog"),
        ("tips", "0003_rate_keys_submission_constraints"),
    ]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
