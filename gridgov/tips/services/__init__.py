"""Services of the tip line.

Public names (stable; the Open311 facade and the pages use them):

- ``tip_submit(*, category, region, description, title="", address="", latitude=None, longitude=None,
  reporter_name="", reporter_phone="", anonymous=False, photos=(), channel=Tip.Channel.WEB, client_key="",
  actor=None) -> TipReceipt`` — validates (``InvalidInput(fields=...)``), limits abuse (``TipRateLimited``, 429),
  attaches duplicates to the open case, files new ones as ``CaseSource.TIP`` cases.
- ``TipReceipt(tip, tracking_code, secret)`` — ``secret`` is the plain claim secret, shown once.
- ``TipRateLimited`` — raised when a client or a phone number sent too many tips.
- ``tip_by_tracking_code(code) -> Tip | None``.
- ``public_status(case) -> ("open" | "closed", [PublicNote(at, action, text)])`` — what the public may know.
- Rewards: ``reward_rule_save``, ``ensure_default_reward_rules``, ``rewards_propose_for_closed_cases``,
  ``reward_approve``, ``reward_refuse``, ``reward_claim``, ``reward_record_payment``; spam: ``tip_void_spam``;
  the reward officer's read of a reporter: ``tip_reporter_reveal``.
"""

from gridgov.tips.defaults import ensure_default_reward_rules
from gridgov.tips.services.rewards import (
    ClaimLocked,
    reward_approve,
    reward_claim,
    reward_record_payment,
    reward_refuse,
    reward_rule_save,
    rewards_propose_for_case,
    rewards_propose_for_closed_cases,
)
from gridgov.tips.services.staff import Reporter, tip_reporter_reveal, tip_void_spam
from gridgov.tips.services.status import PublicNote, public_status, tip_by_tracking_code
from gridgov.tips.services.submit import (
    TipRateLimited,
    TipReceipt,
    rate_keys_purge,
    tip_find_duplicate,
    tip_setting,
    tip_submit,
)

__all__ = [
    "ClaimLocked",
    "PublicNote",
    "Reporter",
    "TipRateLimited",
    "TipReceipt",
    "ensure_default_reward_rules",
    "public_status",
    "rate_keys_purge",
    "reward_approve",
    "reward_claim",
    "reward_record_payment",
    "reward_refuse",
    "reward_rule_save",
    "rewards_propose_for_case",
    "rewards_propose_for_closed_cases",
    "tip_by_tracking_code",
    "tip_find_duplicate",
    "tip_reporter_reveal",
    "tip_setting",
    "tip_submit",
    "tip_void_spam",
]
