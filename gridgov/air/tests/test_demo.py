"""The demo loader: stations, hours with an episode, a warning; idempotent."""

from django.utils import timezone

from gridgov.air import demo
from gridgov.air.models import AirWarning, DailyValue, Station


def test_demo_load_is_idempotent_and_has_an_episode_and_a_warning(territory):
    today = timezone.localdate()
    created = demo.demo_load(today=today, households=0)
    assert created > 0 and Station.objects.count() == 3  # the test county has two townships
    worst = DailyValue.objects.exclude(aqi=None).order_by("-aqi").first()
    assert worst.aqi > 200 and (today - worst.date).days in demo.EPISODE
    warning = AirWarning.objects.get()
    assert warning.issued_by.username == "commander" and warning.notice_id is not None
    assert demo.demo_load(today=today, households=0) == 0
