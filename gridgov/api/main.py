"""The NinjaAPI at /api/v1/: one Router per app, shared auth, errors and throttling."""

from django.conf import settings
from ninja import NinjaAPI
from ninja.throttling import AnonRateThrottle, UserRateThrottle

from gridgov.api.auth import AUTH
from gridgov.api.errors import install_error_handlers

api = NinjaAPI(
    title="gridgov API",
    version="1",
    description="县域网格化综合治理平台 API. Errors: {detail, code[, fields]}.",
    urls_namespace="api-v1",
    auth=AUTH,
    throttle=[
        AnonRateThrottle(settings.GRIDGOV_API_ANON_RATE),
        UserRateThrottle(settings.GRIDGOV_API_USER_RATE),  # keyed by user id, not by display name
    ],
)
install_error_handlers(api)

from gridgov.accounts.api import router as accounts_router  # noqa: E402
from gridgov.air.api import router as air_router  # noqa: E402
from gridgov.campaigns.api import router as campaigns_router  # noqa: E402
from gridgov.cases.api import router as cases_router  # noqa: E402
from gridgov.inspections.api import router as inspections_router  # noqa: E402
from gridgov.notices.api import router as notices_router  # noqa: E402
from gridgov.registry.api import router as registry_router  # noqa: E402
from gridgov.territory.api import router as territory_router  # noqa: E402
from gridgov.tips.api import router as tips_router  # noqa: E402

api.add_router("/", accounts_router)
api.add_router("/regions", territory_router)
api.add_router("/registry", registry_router)
api.add_router("/cases", cases_router)
api.add_router("/tips", tips_router)
# /notices/... and /grid-groups/...
api.add_router("/", notices_router)
api.add_router("/air", air_router)
api.add_router("/campaigns", campaigns_router)
# /inspections/... and /rectifications/...
api.add_router("/", inspections_router)
