from django.contrib import admin

from gridgov.territory.models import Department, Grant, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("path", "depth")
    raw_id_fields = ("parent", "split_from")

    def has_delete_permission(self, request, obj=None):
        return False  # regions are retired, never deleted


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "county", "is_active", "sort_order")
    list_filter = ("is_active",)


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "region", "department")
    list_filter = ("role",)
    raw_id_fields = ("user", "region")
    list_select_related = ("user", "region", "department")
