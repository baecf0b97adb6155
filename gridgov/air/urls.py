from django.urls import path

from gridgov.air import views

app_name = "air"
urlpatterns = [
    path("", views.index, name="index"),
    path("calendar/", views.county_calendar, name="calendar"),
    path("rankings/", views.rankings, name="rankings"),
    path("warnings/", views.warnings, name="warnings"),
    path("warnings/<int:pk>/", views.warning, name="warning"),
    path("import/", views.import_page, name="import"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("stations/<str:code>/", views.station, name="station"),
]
