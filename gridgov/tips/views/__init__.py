from gridgov.tips.views.public import tip_claim, tip_new, tip_receipt, tip_track
from gridgov.tips.views.staff import detail, index, phone, reveal, reward_action, rewards, rules, void_spam

__all__ = [
    "detail",
    "index",
    "phone",
    "reveal",
    "reward_action",
    "rewards",
    "rules",
    "tip_claim",
    "tip_new",
    "tip_receipt",
    "tip_track",
    "void_spam",
]
