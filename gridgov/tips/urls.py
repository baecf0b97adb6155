from django.urls import path

from gridgov.tips import views

app_name = "tips"
urlpatterns = [
    path("", views.index, name="index"),
    path("new", views.tip_new, name="new"),
    path("new/", views.tip_new),
    path("receipt/", views.tip_receipt, name="receipt"),
    path("track/", views.tip_track, name="track"),
    path("track/claim/", views.tip_claim, name="claim"),
    path("rewards/", views.rewards, name="rewards"),
    path("phone/", views.phone, name="phone"),
    path("rules/", views.rules, name="rules"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reporter/", views.reveal, name="reveal"),
    path("<int:pk>/spam/", views.void_spam, name="spam"),
    path("<int:pk>/rewards/<slug:name>/", views.reward_action, name="reward_action"),
]
