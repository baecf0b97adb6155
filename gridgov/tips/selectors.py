"""Reads of tips and rewards, already limited to what the user may see (TipPolicy)."""

from django.db.models import Count, Q

from gridgov.cases.models import Category
from gridgov.core.exceptions import NotFound
from gridgov.core.scope import scope_for
from gridgov.territory.models import Level, Region
from gridgov.tips.models import Reward, RewardRule, Tip
from gridgov.tips.policies import REWARD_DECIDERS, TIP_READERS, TipPolicy
from gridgov.tips.services.codes import normalize_code

TIP_RELATED = ("case", "case__category", "case__region", "case__township", "reward")
REWARD_FILTERS = ("none", *Reward.State.values)


def tip_list(*, user, channel: str = "", reward: str = "", spam: bool | None = None, q: str = ""):
    """Tips in the user's region, newest first. ``reward`` is a reward state, or "none" for tips without one."""
    qs = Tip.objects.filter(TipPolicy.visible_q(user)).select_related(*TIP_RELATED)
    if channel:
        qs = qs.filter(channel=channel)
    if reward == "none":
        qs = qs.filter(reward__isnull=True)
    elif reward:
        qs = qs.filter(reward__state=reward)
    if spam is not None:
        qs = qs.filter(is_spam=spam)
    q = (q or "").strip()
    if q:
        match = Q(case__number__startswith=q) | Q(description__contains=q)
        if TipPolicy.is_reward_officer(user):
            # only the reward officer looks tips up by tracking code: for anyone else, a hit would tie a code
            # someone read out (or showed) to a tip
            match |= Q(tracking_code=normalize_code(q))
        qs = qs.filter(match)
    return qs.order_by("-created_at", "-id")


def access_tip(user, pk) -> Tip:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    tip = tip_list(user=user).filter(pk=pk).first()
    if tip is None:
        raise NotFound()
    return tip


def reward_list(*, user, state: str = ""):
    """Rewards of tips in the user's region, for the roles that see tips."""
    qs = Reward.objects.filter(
        scope_for(user).region_q(TIP_READERS, field="case__region__path", acting=False)
    ).select_related("tip", "case", "case__category", "case__region", "decided_by", "paid_by")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-id")


def access_reward(user, pk) -> Reward:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    reward = reward_list(user=user).filter(pk=pk).first()
    if reward is None:
        raise NotFound()
    return reward


def reward_counts(*, user) -> dict[str, int]:
    rows = reward_list(user=user).order_by().values("state").annotate(n=Count("id"))
    return {row["state"]: row["n"] for row in rows}


def public_categories():
    """The categories open to the public, with their reward rule (for the form and the rules table)."""
    return list(
        Category.objects.filter(public=True, is_active=True)
        .select_related("group", "reward_rule")
        .order_by("group__sort_order", "sort_order", "code")
    )


def reward_rule_list():
    return list(
        RewardRule.objects.select_related("category", "category__group").order_by(*RewardRule._meta.ordering)
    )


def public_places():
    """Townships and their villages for the public form: two queries, whatever the size of the county."""
    townships = list(Region.objects.filter(level=Level.TOWNSHIP, is_active=True).order_by("code"))
    villages = list(
        Region.objects.filter(level=Level.VILLAGE, is_active=True, parent__in=townships).order_by("code")
    )
    return townships, villages


def is_reward_officer(user) -> bool:
    return bool(scope_for(user).root_paths(REWARD_DECIDERS))
