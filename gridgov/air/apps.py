from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AirConfig(AppConfig):
    name = "gridgov.air"
    label = "air"
    verbose_name = _("空气质量")
