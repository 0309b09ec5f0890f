"""ADF's dependency semantics, apart from the machinery that runs activities.

An activity runs when every ``dependsOn`` entry is met (entries are an AND), an entry being met when
its activity's outcome is one of the entry's conditions (an OR); ``Completed`` means Succeeded or
Failed. Otherwise the activity is Skipped. A pipeline (or a container's body) succeeds when every
leaf activity succeeded, a skipped leaf deferring to the activities it depends on, as ADF documents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

CONDITIONS = ("Succeeded", "Failed", "Skipped", "Completed")
Outcome = Literal["Succeeded", "Failed", "Skipped", "Cancelled"]
Decision = Literal["run", "skip", "wait"]


def dependencies(activity: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    return [
        (str(d.get("activity", "")), list(d.get("dependencyConditions") or [])) for d in activity.get("dependsOn") or []
    ]


def _met(condition: str, outcome: str) -> bool:
    return outcome == condition or (condition == "Completed" and outcome in ("Succeeded", "Failed"))


def decide(activity: Mapping[str, Any], outcomes: Mapping[str, Outcome]) -> Decision:
    """Whether ``activity`` runs, is skipped, or waits for an upstream activity still to finish."""
    entries = dependencies(activity)
    if any(name not in outcomes for name, _ in entries):
        return "wait"
    met = all(any(_met(condition, outcomes[name]) for condition in conditions) for name, conditions in entries)
    return "run" if met else "skip"


def succeeded(activities: Sequence[Mapping[str, Any]], outcomes: Mapping[str, Outcome]) -> bool:
    """The outcome of a set of activities by ADF's leaf rule."""
    parents = {str(a["name"]): [name for name, _ in dependencies(a)] for a in activities}
    has_children = {name for names in parents.values() for name in names}
    leaves = [name for name in parents if name not in has_children]

    def evaluate(name: str) -> bool:
        outcome = outcomes.get(name)
        if outcome == "Skipped":
            return all(evaluate(parent) for parent in parents.get(name, []))
        return outcome == "Succeeded"

    return all(evaluate(leaf) for leaf in leaves)


def problems(activities: Sequence[Mapping[str, Any]], where: str) -> list[str]:
    """What is wrong with the dependencies of one list of activities: unknown conditions or activities,
    a cycle, and an Upon Completion path beside an Upon Success or Upon Failure one."""
    found: list[str] = []
    names = {str(a.get("name")) for a in activities}
    paths: dict[str, set[str]] = {}

    for activity in activities:
        for upstream, conditions in dependencies(activity):
            label = f"{where}activity {activity.get('name')!r}"
            if upstream not in names:
                found.append(f"{label} depends on {upstream!r}, which is not an activity beside it")
            for condition in conditions:
                if condition not in CONDITIONS:
                    found.append(f"{label}: dependency condition {condition!r} is not one of {', '.join(CONDITIONS)}")
            if not conditions:
                found.append(f"{label}: its dependency on {upstream!r} lists no dependencyConditions")
            paths.setdefault(upstream, set()).update(conditions)
    for upstream, used in paths.items():
        if "Completed" in used and used & {"Succeeded", "Failed"}:
            found.append(
                f"{where}activity {upstream!r} has an Upon Completion path beside an Upon Success or Upon Failure "
                "path; ADF does not allow both"
            )
    if cycle := _cycle(activities):
        found.append(f"{where}dependsOn forms a cycle: {' -> '.join(cycle)}")
    return found


def _cycle(activities: Sequence[Mapping[str, Any]]) -> list[str] | None:
    edges = {str(a.get("name")): [name for name, _ in dependencies(a)] for a in activities}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        stack.append(name)
        for upstream in edges.get(name, []):
            if state.get(upstream) == 1:
                return [*stack[stack.index(upstream) :], upstream]
            if upstream in edges and state.get(upstream) is None and (found := visit(upstream)):
                return found
        stack.pop()
        state[name] = 2
        return None

    for name in edges:
        if state.get(name) is None and (found := visit(name)):
            return found
    return None
