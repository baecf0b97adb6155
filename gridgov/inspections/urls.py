from django.urls import path

from gridgov.inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.index, name="index"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/new/", views.plan_new, name="plan_new"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("i/<int:pk>/", views.inspection_form, name="inspection"),
    path("i/<int:pk>/answers/<int:item_pk>/", views.answer_save, name="answer"),
    path("rectifications/", views.board, name="board"),
    path("rectifications/<int:pk>/", views.rectification_detail, name="rectification"),
    path("rectifications/<int:pk>/notice.docx", views.rectification_notice, name="notice"),
    path("places/<int:pk>/", views.place_history, name="place"),
    path("covert/", views.covert_record, name="covert"),
    path("covert/briefing.docx", views.covert_record, {"docx": True}, name="covert_briefing"),
    path("ledgers/<slug:kind>.xlsx", views.ledger, name="ledger"),
]
