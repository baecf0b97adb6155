"""The reward rules gridgov ships with, for the categories the defaults mark reward-eligible. Amounts in yuan; a
county admin edits them afterwards (the data migration and ``ensure_default_reward_rules`` only fill gaps)."""

# code: (min, max, who qualifies, shared)
DEFAULT_REWARD_RULES = {
    "fireworks_illegal_sale": (1000, 10000, "举报未取得许可证销售烟花爆竹，经查证属实", "first"),
    "fireworks_illegal_storage": (1000, 10000, "举报非法储存烟花爆竹，经查证属实并查扣", "first"),
    "fireworks_illegal_transport": (1000, 5000, "举报非法运输烟花爆竹，经查证属实并查扣", "first"),
    "fireworks_banned_area": (100, 500, "举报在禁放区域燃放烟花爆竹，经查证属实", "first"),
    "fireworks_illegal_production": (2000, 20000, "举报非法生产烟花爆竹窝点，经查证属实并取缔", "first"),
    "safety_hazardous_chemicals": (500, 5000, "举报危险化学品重大事故隐患或非法经营，经查证属实", "first"),
    "safety_fireworks_business": (500, 3000, "举报烟花爆竹经营单位重大事故隐患，经查证属实", "first"),
    "air_open_burning": (100, 500, "举报露天焚烧秸秆、垃圾，经查证属实", "first"),
}
#: Reward-eligible categories without an entry above get this range.
FALLBACK_RULE = (100, 1000, "举报内容经查证属实", "first")


def ensure_default_reward_rules(category_model=None, rule_model=None) -> int:
    """Creates the rules missing for reward-eligible categories; returns how many it created."""
    if category_model is None:
        from gridgov.cases.models import Category as category_model
    if rule_model is None:
        from gridgov.tips.models import RewardRule as rule_model
    created = 0
    have = set(rule_model.objects.values_list("category_id", flat=True))
    for category in category_model.objects.filter(reward_eligible=True).exclude(pk__in=have):
        low, high, qualifies, shared = DEFAULT_REWARD_RULES.get(category.code, FALLBACK_RULE)
        rule_model.objects.create(
            category=category, min_amount=low, max_amount=high, qualifies=qualifies, shared=shared
        )
        created += 1
    return created
