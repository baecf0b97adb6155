"""Checklists are data a county edits: the admin shows them with their items. Plans, inspections and
rectifications are read here and changed through the pages and the API (their services keep the rules)."""

from django.contrib import admin

from gridgov.inspections.models import Checklist, ChecklistItem, Plan, Rectification


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    fields = [
        "sort_order",
        "code",
        "topic",
        "text",
        "rule",
        "answer_type",
        "severity",
        "deadline_days",
        "stop_if_failed",
        "category_code",
    ]


@admin.register(Checklist)
class ChecklistAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "subject", "is_active"]
    inlines = [ChecklistItemInline]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "mode", "department", "state", "starts_on", "ends_on"]
    list_filter = ["mode", "state"]
    readonly_fields = [f.name for f in Plan._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Rectification)
class RectificationAdmin(admin.ModelAdmin):
    list_display = ["number", "party_name", "department", "severity", "state", "due_at"]
    list_filter = ["state", "severity"]
    readonly_fields = [f.name for f in Rectification._meta.fields]

    def has_add_permission(self, request):
        return False
