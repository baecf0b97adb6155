from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from gridgov.accounts.models import ApiToken, User


@admin.register(User)
class GridgovUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("gridgov", {"fields": ("display_name", "phone")}))
    list_display = ("username", "display_name", "phone", "is_active", "is_staff")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")
    list_select_related = ("user",)
