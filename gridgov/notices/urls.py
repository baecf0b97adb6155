from django.urls import path

from gridgov.notices import views

app_name = "notices"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/figures/", views.figures, name="figures"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/retry/", views.retry, name="retry"),
    path("<int:pk>/ack/", views.ack, name="ack"),
    path("<int:pk>/report/", views.report, name="report"),
    path("<int:pk>/export.xlsx", views.export, name="export"),
    path("<int:pk>/files/<int:attachment_pk>/", views.attachment, name="attachment"),
    path("reports/<int:report_pk>/case/", views.report_to_case, name="report_to_case"),
    path("reports/<int:report_pk>/photos/<int:photo_pk>/", views.report_photo, name="report_photo"),
    path("r/<str:token>/", views.read, name="read"),
    path("r/<str:token>/files/<int:attachment_pk>/", views.read_attachment, name="read_attachment"),
    path("groups/", views.groups, name="groups"),
    path("groups/import/", views.groups_import, name="groups_import"),
    path("groups/<str:code>/", views.group_edit, name="group"),
    path("groups/<str:code>/test/", views.group_test, name="group_test"),
]
