from django.contrib import admin

from gridgov.cases.models import Case, CaseEvent, Category, CategoryGroup


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = (
        "code",
        "name",
        "default_department_code",
        "deadline_value",
        "deadline_unit",
        "reward_eligible",
        "public",
        "is_active",
        "sort_order",
    )


@admin.register(CategoryGroup)
class CategoryGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "sort_order", "is_active")
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The county admin edits categories here: default department, time limit, 立案/结案 conditions, tip line."""

    list_display = (
        "name",
        "group",
        "default_department_code",
        "deadline_value",
        "deadline_unit",
        "public",
        "is_active",
    )
    list_filter = ("group", "deadline_unit", "public", "reward_eligible", "is_active")
    search_fields = ("name", "code")
    list_select_related = ("group",)


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = ("action", "actor", "from_state", "to_state", "note", "created_at")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases move only through the loop's services (pages and API)."""

    list_display = ("number", "title", "category", "state", "township", "due_at", "is_overdue")
    list_filter = ("state", "is_overdue", "source")
    search_fields = ("number", "title")
    list_select_related = ("category", "township")
    inlines = [CaseEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
