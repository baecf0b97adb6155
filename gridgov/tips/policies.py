"""Who may see tips and rewards, who may see a reporter, and who decides (ARCHITECTURE §1, §7).

Only the reward officer (有奖举报办) sees who reported a tip. The county's admin, supervisor and commander see the
tips of their region without the reporter; departments, townships and grid workers see only the case.
"""

from gridgov.core.roles import Role
from gridgov.core.scope import scope_for

#: Roles that see the tip list (never the reporter, except the reward officer).
TIP_READERS = frozenset({Role.COUNTY_ADMIN, Role.SUPERVISOR, Role.COMMANDER, Role.REWARD_OFFICER})
#: Roles that type in a tip taken on the reward hotline.
PHONE_TAKERS = frozenset({Role.REWARD_OFFICER, Role.SUPERVISOR, Role.COMMANDER})
REWARD_DECIDERS = frozenset({Role.REWARD_OFFICER})
RULE_EDITORS = frozenset({Role.COUNTY_ADMIN})
SPAM_VOIDERS = frozenset({Role.SUPERVISOR})


class TipPolicy:
    @staticmethod
    def visible_q(user):
        return scope_for(user).region_q(TIP_READERS, field="case__region__path", acting=False)

    @staticmethod
    def can_list(user) -> bool:
        return bool(scope_for(user).root_paths(TIP_READERS, acting=False))

    @staticmethod
    def can_see_reporter(user, tip) -> bool:
        return scope_for(user).covers_path(tip.case.region.path, REWARD_DECIDERS)

    @staticmethod
    def is_reward_officer(user) -> bool:
        return bool(scope_for(user).root_paths(REWARD_DECIDERS))

    @staticmethod
    def can_take_phone_tips(user) -> bool:
        return bool(scope_for(user).root_paths(PHONE_TAKERS))

    @staticmethod
    def can_decide(user, reward) -> bool:
        return scope_for(user).covers_path(reward.case.region.path, REWARD_DECIDERS)

    @staticmethod
    def can_edit_rules(user) -> bool:
        return bool(scope_for(user).root_paths(RULE_EDITORS))

    @staticmethod
    def can_void_spam(user, tip) -> bool:
        return scope_for(user).covers_path(tip.case.region.path, SPAM_VOIDERS)
