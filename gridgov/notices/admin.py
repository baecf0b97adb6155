from django.contrib import admin

from gridgov.notices.models import Delivery, GridGroup, Notice


@admin.register(GridGroup)
class GridGroupAdmin(admin.ModelAdmin):
    list_display = ("grid", "name", "channel", "webhook_masked", "households_joined", "last_test_ok")
    list_filter = ("channel",)
    search_fields = ("grid__code", "grid__name", "name")
    readonly_fields = ("webhook_masked", "last_test_at", "last_test_ok", "last_test_error")
    exclude = ("webhook_sealed", "secret_sealed", "bot_key")

    def has_add_permission(self, request):
        return False  # through the grid-group page or the API, which seal the URL


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("title", "state", "priority", "published_at", "deadline")
    list_filter = ("state", "priority")
    search_fields = ("title",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "notice", "channel", "kind", "state", "attempts", "next_attempt_at", "last_error")
    list_filter = ("state", "channel", "kind")
    exclude = ("phone_sealed",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
