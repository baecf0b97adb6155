"""The shipped AQI tables and warning presets (gridgov.air.standards) as rows. Used by the data migration and by
tests on a flushed database; existing rows are left alone, so a county's corrections survive."""

from gridgov.air.standards import AQI_TABLES, WARNING_PRESETS


def ensure_default_tables(AqiTable, AqiBreakpoint, WarningPreset) -> int:
    created = 0
    for spec in AQI_TABLES:
        table, made = AqiTable.objects.get_or_create(
            code=spec["code"],
            defaults={"name": spec["name"], "valid_from": spec["valid_from"], "source": spec["source"]},
        )
        if not made:
            continue
        created += 1
        for indicator, values in spec["breakpoints"].items():
            rule = spec["above"].get(indicator, {})
            AqiBreakpoint.objects.create(
                table=table,
                indicator=indicator,
                concentrations=list(values),
                above_use=rule.get("use", ""),
                above_iaqi=rule.get("iaqi"),
                source=spec["sources"][indicator],
            )
    for order, spec in enumerate(WARNING_PRESETS, start=1):
        _preset, made = WarningPreset.objects.get_or_create(
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "source": spec["source"],
                "rules": spec["rules"],
                "sort_order": order,
            },
        )
        created += made
    return created
