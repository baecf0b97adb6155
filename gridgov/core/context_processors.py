"""Navigation by role, computed once per request from the user's scope."""

from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import Notification
from gridgov.core.roles import Role
from gridgov.core.scope import scope_for

NAV_ITEMS = [
    # (url name, label, roles that see it; None = every signed-in user)
    ("core:home", _("工作台"), None),
    ("cases:inbox", _("案件"), None),
    ("territory:browse", _("网格"), None),
    ("registry:index", _("台账"), None),
    ("notices:index", _("网格通知"), None),
    ("campaigns:index", _("专项"), None),
    ("inspections:index", _("检查"), None),
    ("tips:index", _("举报"), {Role.COUNTY_ADMIN, Role.SUPERVISOR, Role.COMMANDER, Role.REWARD_OFFICER}),
    ("air:index", _("空气"), None),
    ("cases:stats", _("统计"), {Role.COUNTY_ADMIN, Role.SUPERVISOR, Role.COMMANDER, Role.LEADER}),
    ("core:audit", _("审计日志"), {Role.COUNTY_ADMIN}),
    ("worktime:overrides", _("工作日历"), {Role.COUNTY_ADMIN}),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    scope = scope_for(user)
    items = []
    for name, label, roles in NAV_ITEMS:
        if roles is not None and not scope.has_role(*roles):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:  # an app that is not installed in this deployment
            continue
        items.append({"url": url, "label": label, "active": False})
    # The item whose URL is the longest prefix of the path is the current one (/cases/stats/ is 统计, not 案件).
    matches = [item for item in items if request.path.startswith(item["url"])]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    role_labels = sorted({str(Role(g.role).label) for g in scope.grants})
    return {
        "nav_items": items,
        "user_scope": scope,
        "user_role_labels": role_labels,
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        ),
    }
