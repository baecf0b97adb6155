from django.urls import path

from gridgov.territory import views

app_name = "territory"
urlpatterns = [
    path("", views.browse, name="browse"),
    path("<str:code>/", views.region_page, name="region"),
    path("<str:code>/grids/add/", views.grid_add, name="grid_add"),
    path("<str:code>/rename/", views.region_rename, name="rename"),
    path("<str:code>/split/", views.grid_split, name="grid_split"),
    path("<str:code>/retire/", views.grid_retire, name="grid_retire"),
]
