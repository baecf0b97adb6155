from django.urls import path

from gridgov.cases import views_stats

app_name = "cases"
urlpatterns = [
    path("stats/", views_stats.statistics, name="stats"),
]
