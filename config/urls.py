from django.contrib import admin
from django.urls import include, path

from gridgov.api.main import api
from gridgov.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("favicon.ico", core_views.favicon),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("gridgov.accounts.urls")),
    path("regions/", include("gridgov.territory.urls")),
    path("calendar/", include("gridgov.worktime.urls")),
    path("registry/", include("gridgov.registry.urls")),
    path("cases/", include("gridgov.cases.urls")),
    path("tips/", include("gridgov.tips.urls")),
    path("open311/v2/", include("gridgov.tips.open311.urls")),
    path("notices/", include("gridgov.notices.urls")),
    path("air/", include("gridgov.air.urls")),
    path("campaigns/", include("gridgov.campaigns.urls")),
    path("inspections/", include("gridgov.inspections.urls")),
    path("django-admin/", admin.site.urls),
    path("", include("gridgov.core.urls")),
]
