"""Heavy-pollution warning rules: which level a daily AQI series reaches under a preset (pure functions)."""

from collections.abc import Sequence

from django.utils.translation import gettext as _

LEVELS_FROM_WORST = ("red", "orange", "yellow")


def longest_run(
    series: Sequence[int | None], *, above: int | None = None, at_least: int | None = None
) -> int:
    """The most consecutive days with AQI > ``above`` (or >= ``at_least``); a missing day breaks a run."""
    best = run = 0
    for value in series:
        hit = value is not None and (value > above if above is not None else value >= at_least)
        run = run + 1 if hit else 0
        best = max(best, run)
    return best


def condition_holds(series, condition: dict) -> bool:
    if "above" in condition:
        return longest_run(series, above=int(condition["above"])) >= int(condition["days"])
    return longest_run(series, at_least=int(condition["at_least"])) >= int(condition["days"])


def level_for(rules: dict, series: Sequence[int | None]) -> str | None:
    """The highest level whose rule holds on ``series`` (daily AQI in date order), or None."""
    for level in LEVELS_FROM_WORST:
        for clause in rules.get(level, []):
            if clause and all(condition_holds(series, condition) for condition in clause):
                return level
    return None


def rules_errors(rules) -> list[str]:
    """What is wrong with a rule set (empty when it is well formed)."""
    if not isinstance(rules, dict) or not rules:
        return [_("分级规则须为 {级别: [条件组, …]} 的形式。")]
    errors = []
    for level, clauses in rules.items():
        if level not in LEVELS_FROM_WORST:
            errors.append(_("未知的预警级别：%(level)s") % {"level": level})
            continue
        if not isinstance(clauses, list) or not clauses:
            errors.append(_("%(level)s：须为非空的条件组列表。") % {"level": level})
            continue
        for clause in clauses:
            if not isinstance(clause, list) or not clause:
                errors.append(_("%(level)s：每个条件组须为非空列表。") % {"level": level})
                continue
            for condition in clause:
                keys = set(condition) if isinstance(condition, dict) else set()
                ok = keys in ({"above", "days"}, {"at_least", "days"}) and all(
                    isinstance(condition[k], int) and not isinstance(condition[k], bool) and condition[k] > 0
                    for k in keys
                )
                if not ok:
                    errors.append(
                        _(
                            '%(level)s：条件须为 {"above": AQI, "days": 天数} 或 {"at_least": AQI, "days": 天数}。'
                        )
                        % {"level": level}
                    )
    return errors
