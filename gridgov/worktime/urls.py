from django.urls import path

from gridgov.worktime import views

app_name = "worktime"
urlpatterns = [
    path("", views.overrides, name="overrides"),
    path("save/", views.override_save, name="save"),
    path("<str:date>/delete/", views.override_delete, name="delete"),
]
