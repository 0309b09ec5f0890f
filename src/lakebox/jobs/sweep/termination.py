"""Early termination: which running trials a policy stops, judged on the primary metric as each trial
logs it. Each time a trial logs the metric counts as one interval; a policy looks at a trial at its
latest interval ``k`` past ``delay_evaluation`` that is a multiple of ``evaluation_interval``, against
every trial (finished ones included) that has reached ``k``."""

from __future__ import annotations

import math
import statistics

from lakebox.entities.sweep import BanditPolicy, MedianStoppingPolicy, Objective, TruncationSelectionPolicy

Policy = BanditPolicy | MedianStoppingPolicy | TruncationSelectionPolicy
Histories = dict[str, list[float]]


def trials_to_stop(policy: Policy, objective: Objective, histories: Histories, running: set[str]) -> dict[str, str]:
    """The running trials ``policy`` stops, each with the reason (its figures)."""
    stops = {}
    for trial in sorted(running):
        k = _evaluation_point(policy, len(histories.get(trial, [])))
        if k is None:
            continue
        peers = {name: values[:k] for name, values in histories.items() if len(values) >= k}
        if reason := _judge(policy, objective, trial, peers, k):
            stops[trial] = reason
    return stops


def _evaluation_point(policy: Policy, reports: int) -> int | None:
    interval = max(policy.evaluation_interval, 1)
    k = reports - reports % interval
    return k if k > policy.delay_evaluation and k >= 1 else None


def _judge(policy: Policy, objective: Objective, trial: str, peers: Histories, k: int) -> str | None:
    metric, maximize = objective.primary_metric, objective.goal == "maximize"
    better = max if maximize else min
    value = peers[trial][-1]
    if isinstance(policy, BanditPolicy):
        best = better(values[-1] for values in peers.values())
        if policy.slack_factor:
            limit = best / (1 + policy.slack_factor) if maximize else best * (1 + policy.slack_factor)
            slack = f"slack factor {policy.slack_factor}"
        else:
            limit = best - policy.slack_amount if maximize else best + policy.slack_amount
            slack = f"slack amount {policy.slack_amount}"
        if (value < limit) if maximize else (value > limit):
            return f"{metric} {value:g} at interval {k} is outside the {slack} of the best, {best:g} (limit {limit:g})"
    elif isinstance(policy, MedianStoppingPolicy):
        median = statistics.median(statistics.fmean(values) for values in peers.values())
        best_so_far = better(peers[trial])
        if (best_so_far < median) if maximize else (best_so_far > median):
            return (
                f"its best {metric}, {best_so_far:g}, at interval {k} is worse than the median of the trials' "
                f"running averages, {median:g}"
            )
    else:
        ranked = sorted(peers, key=lambda name: peers[name][-1], reverse=not maximize)  # worst first
        cut = math.floor(len(ranked) * policy.truncation_percentage / 100)
        if trial in ranked[:cut]:
            return (
                f"{metric} {value:g} at interval {k} is in the lowest {policy.truncation_percentage}% of the "
                f"{len(ranked)} trials"
            )
    return None
