from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "gridgov.notices"
    label = "notices"
    verbose_name = _("网格通知")
