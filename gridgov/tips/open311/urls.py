"""GeoReport v2 at /open311/v2/ (mounted by config/urls.py). Every endpoint takes a ``.xml`` or ``.json`` suffix."""

from django.urls import re_path

from gridgov.tips.open311 import views

app_name = "open311"

FMT = r"(?:\.(?P<fmt>[^/.]*))?$"

urlpatterns = [
    re_path(r"^$", views.discovery, name="root"),
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.service_list, name="services"),
    re_path(r"^services/(?P<service_code>[^/]+?)" + FMT, views.service_definition, name="service_definition"),
    re_path(r"^requests" + FMT, views.requests_collection, name="requests"),
    re_path(r"^requests/(?P<service_request_id>[^/]+?)" + FMT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FMT, views.token_detail, name="token"),
]
