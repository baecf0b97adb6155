"""Settings of the gunicorn server that ``bench_cases`` starts: the benchmarks' own database (``bench.settings``),
served the way production serves it, plus the framework-floor route (``bench.floor_urls``).

Differences from ``bench.settings``, each on purpose:

- ROOT_URLCONF adds ``/bench/floor``, the minimal authenticated insert that intake is compared with;
- CONN_MAX_AGE = 60, production's default (config.settings.base), for both routes alike;
- the API's per-user throttle is lifted: the benchmark's few clients send far more than 1200 requests a minute
  each, and a 429 would measure the throttle, not the intake.
"""

from bench.settings import *  # noqa: F403
from bench.settings import DATABASES

ROOT_URLCONF = "bench.floor_urls"
DATABASES["default"]["CONN_MAX_AGE"] = 60
GRIDGOV_API_ANON_RATE = "1000000/m"
GRIDGOV_API_USER_RATE = "1000000/m"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
