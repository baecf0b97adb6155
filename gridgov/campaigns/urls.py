from django.urls import path

from gridgov.campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:campaign_id>/", views.detail, name="detail"),
    path("<int:campaign_id>/publicity/", views.publicity_page, name="publicity"),
    path("<int:campaign_id>/import/", views.signing_import, name="import"),
    path("<int:campaign_id>/import/<int:job_id>/", views.import_job, name="import_job"),
    path("<int:campaign_id>/export/<slug:ledger>.xlsx", views.export, name="export"),
    path("<int:campaign_id>/letter/<slug:kind>/<int:target_id>.docx", views.letter, name="letter"),
    path("<int:campaign_id>/venue/<int:place_id>/", views.venue_check_page, name="venue_check"),
    path("<int:campaign_id>/transport/", views.transport_page, name="transport"),
    path("visit/<slug:kind>/<int:target_id>/", views.visit, name="visit"),
    path("evidence/<slug:kind>/<int:pk>/", views.evidence, name="evidence"),
]
