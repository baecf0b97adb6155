"""The county admin corrects AQI table values and warning presets here, and manages stations. Warnings are read
here; they are issued and lifted on the warnings page or through the API (the services record who and why)."""

from django.contrib import admin

from gridgov.air.models import AirWarning, AqiBreakpoint, AqiTable, Station, WarningPreset


class AqiBreakpointInline(admin.TabularInline):
    model = AqiBreakpoint
    extra = 0
    fields = ("indicator", "concentrations", "above_use", "above_iaqi", "source")


@admin.register(AqiTable)
class AqiTableAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "valid_from")
    inlines = [AqiBreakpointInline]


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "township", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("code", "name")
    raw_id_fields = ("region",)
    readonly_fields = ("township",)

    def save_model(self, request, obj, form, change):
        from gridgov.air.services.stations import township_of

        obj.township = township_of(obj.region)
        super().save_model(request, obj, form, change)


@admin.register(WarningPreset)
class WarningPresetAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_active", "sort_order")


@admin.register(AirWarning)
class AirWarningAdmin(admin.ModelAdmin):
    list_display = ("__str__", "state", "issued_by", "issued_at", "notice_state")
    list_filter = ("level", "state")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
