from django.urls import path

from gridgov.registry.views import imports, ledgers, records

app_name = "registry"

#: (ledger kind, URL segment of the list, name of one record in URL names)
KINDS = [
    ("households", "households", "household"),
    ("residents", "residents", "resident"),
    ("places", "places", "place"),
    ("licences", "licences", "licence"),
]

urlpatterns = [
    path("", ledgers.index, name="index"),
    path("imports/", imports.imports, name="imports"),
    path("imports/<int:pk>/", imports.import_job, name="import_job"),
    path("imports/<int:pk>/progress/", imports.import_job_progress, name="import_job_progress"),
    path("imports/<int:pk>/errors/", imports.import_job_errors, name="import_job_errors"),
    path("templates/<str:kind>.xlsx", imports.template_download, name="template"),
    path("places/<int:pk>/check/", records.place_check, name="place_check"),
]
for kind, segment, one in KINDS:
    extra = {"kind": kind}
    urlpatterns += [
        path(f"{segment}/", ledgers.ledger_list, extra, name=segment),
        path(f"{segment}/export/", ledgers.ledger_export, extra, name=f"{segment}_export"),
        path(f"{segment}/new/", records.record_form, extra, name=f"{one}_create"),
        path(f"{segment}/<int:pk>/", records.record_detail, extra, name=one),
        path(f"{segment}/<int:pk>/edit/", records.record_form, extra, name=f"{one}_edit"),
    ]
    if kind != "licences":  # licences hold no personal numbers
        urlpatterns.append(
            path(f"{segment}/<int:pk>/unmask/", records.record_unmask, extra, name=f"{one}_unmask")
        )
