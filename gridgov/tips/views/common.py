"""What the tip pages share: tabs, the client key, and the reward's public wording."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.core.scope import scope_for
from gridgov.tips.models import Reward
from gridgov.tips.policies import PHONE_TAKERS, REWARD_DECIDERS, RULE_EDITORS, TIP_READERS

#: Service field names that the form calls differently.
FIELD_NAMES = {"region": "township", "latitude": "__all__", "longitude": "__all__", "channel": "__all__"}

REWARD_TONES = {
    Reward.State.PROPOSED: "amber",
    Reward.State.APPROVED: "",
    Reward.State.CLAIMED: "amber",
    Reward.State.PAID: "green",
    Reward.State.REFUSED: "gray",
}


def hotline_number() -> str:
    return getattr(settings, "GRIDGOV_TIP_HOTLINE", "0394-12345")


def client_key(request) -> str:
    """Who is sending, for per-client limits: the address the request came from (the proxy in front of gridgov
    must pass the real one as REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def tabs(user, active: str) -> list[dict]:
    scope = scope_for(user)
    items = []
    if scope.root_paths(TIP_READERS, acting=False):
        items.append({"url": reverse("tips:index"), "label": _("举报"), "active": active == "index"})
        items.append({"url": reverse("tips:rewards"), "label": _("奖励"), "active": active == "rewards"})
    if scope.root_paths(PHONE_TAKERS):
        items.append({"url": reverse("tips:phone"), "label": _("电话举报登记"), "active": active == "phone"})
    if scope.root_paths(TIP_READERS | RULE_EDITORS, acting=False):
        items.append({"url": reverse("tips:rules"), "label": _("奖励标准"), "active": active == "rules"})
    return items


def is_reward_officer(user) -> bool:
    return bool(scope_for(user).root_paths(REWARD_DECIDERS))


def public_reward_text(reward: Reward | None) -> tuple[str, str]:
    """(tone, what the reporter reads about their reward)."""
    if reward is None:
        return "", ""
    state = reward.state
    if state == Reward.State.PROPOSED:
        return "amber", _("举报经查证后已进入奖励审核。")
    if state == Reward.State.APPROVED:
        return "green", _("奖励已核定：%(amount)s 元，请凭领奖密钥申领。") % {"amount": reward.amount}
    if state == Reward.State.CLAIMED:
        return "amber", _("已申领 %(amount)s 元，等待发放。") % {"amount": reward.amount}
    if state == Reward.State.PAID:
        return "green", _("奖励 %(amount)s 元已于 %(date)s 发放。") % {
            "amount": reward.amount,
            "date": reward.paid_at.date().isoformat() if reward.paid_at else "",
        }
    return "gray", _("不予奖励：%(reason)s") % {"reason": reward.decision_note}
