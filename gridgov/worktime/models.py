"""The county's own corrections to the national holiday calendar (放假 and 调休上班 days).

chinese-calendar carries the State Council's holiday notices for the years it knows; this table lets a
county enter a year the library does not know yet, or a local day off, and wins over the library for any
date it names.
Writes go through :mod:`gridgov.worktime.services`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarOverride(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=50, help_text=_("例如：春节、国庆节调休。"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}"

    @property
    def is_working_day(self) -> bool:
        return self.kind == self.Kind.WORKDAY
