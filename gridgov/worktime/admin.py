from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from gridgov.worktime.calendar import year_is_known
from gridgov.worktime.models import CalendarOverride
from gridgov.worktime.selectors import holidays_missing_message, years_needing_holidays
from gridgov.worktime.services import calendar_override_delete, calendar_override_set


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "kind", "name", "library_knows_year", "updated_at")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("name",)
    ordering = ("-date",)

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarOverride) -> str:
        return str(WEEKDAYS[obj.date.weekday()])

    @admin.display(description=_("chinese-calendar 已收录该年"), boolean=True)
    def library_knows_year(self, obj: CalendarOverride) -> bool:
        return year_is_known(obj.date.year)

    def get_readonly_fields(
        self, request: HttpRequest, obj: CalendarOverride | None = None
    ) -> tuple[str, ...]:
        # The service keys overrides by date: moving a row to another date is a delete plus an add.
        return ("date",) if obj is not None else ()

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        for year in years_needing_holidays():
            messages.warning(request, holidays_missing_message(year))
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: CalendarOverride, form, change: bool) -> None:
        saved = calendar_override_set(actor=request.user, date=obj.date, kind=obj.kind, name=obj.name)
        # The admin goes on to log and redirect with the instance it built; give it the saved row's identity.
        obj.pk, obj.name = saved.pk, saved.name
        obj.created_at, obj.updated_at = saved.created_at, saved.updated_at

    def delete_model(self, request: HttpRequest, obj: CalendarOverride) -> None:
        calendar_override_delete(actor=request.user, date=obj.date)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarOverride]) -> None:
        for day in queryset.values_list("date", flat=True):
            calendar_override_delete(actor=request.user, date=day)
