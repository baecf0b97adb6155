from django.urls import path

from gridgov.cases import views, views_stats

app_name = "cases"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("all/", views.case_list_page, name="list"),
    path("report/", views.report, name="report"),
    path("hotline/", views.hotline, name="hotline"),
    path("stats/", views_stats.statistics, name="stats"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/actions/<slug:name>/", views.action, name="action"),
    path("<int:pk>/files/<int:attachment_pk>/", views.attachment, name="attachment"),
    path(
        "<int:pk>/files/<int:attachment_pk>/thumbnail/",
        views.attachment,
        {"thumbnail": True},
        name="attachment_thumbnail",
    ),
]
