"""Control flow: ForEach, IfCondition, Switch, Until, Filter, Wait, SetVariable, AppendVariable, Fail,
ExecutePipeline."""

from __future__ import annotations

import threading
import time
from typing import Any

from lakebox.expressions.timespan import parse_timespan
from lakebox.pipelines.activities.base import ActivityContext, ActivityFailure, Cancelled, activity, required

MAX_BATCH_COUNT = 50
DEFAULT_BATCH_COUNT = 20
UNTIL_DEFAULT_TIMEOUT = "7.00:00:00"
RETURN_VALUE = "pipelineReturnValue"


@activity("ForEach", container=True)
def for_each(context: ActivityContext, properties: dict[str, Any]) -> Any:
    items = context.evaluate(required(properties, "items", "ForEach"))
    if not isinstance(items, list):
        raise ActivityFailure(f"ForEach items must be an array; got {type(items).__name__}")
    body = list(properties.get("activities") or [])
    sequential = bool(properties.get("isSequential", False))
    width = 1 if sequential else min(int(properties.get("batchCount") or DEFAULT_BATCH_COUNT), MAX_BATCH_COUNT)
    results: list[bool | None] = [None] * len(items)
    next_index = iter(range(len(items)))
    lock = threading.Lock()

    def worker() -> None:
        while not context.state.cancel.is_set():
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            results[index] = context.body(body, f"[{index}]", item=items[index], has_item=True)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(width, len(items)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    context.check()
    failed = [index for index, ok in enumerate(results) if ok is False]
    if failed:
        raise ActivityFailure(f"{len(failed)} of {len(items)} iterations failed (items {failed[:10]})", "ForEachFailed")
    return {"itemsCount": len(items)}


def _condition(context: ActivityContext, properties: dict[str, Any], kind: str) -> bool:
    value = context.evaluate(required(properties, "expression", kind))
    value = value.get("value") if isinstance(value, dict) and "value" in value else value
    if not isinstance(value, bool):
        raise ActivityFailure(f"{kind} expression must give a boolean; got {value!r}")
    return value


@activity("IfCondition", container=True)
def if_condition(context: ActivityContext, properties: dict[str, Any]) -> Any:
    outcome = _condition(context, properties, "IfCondition")
    branch = "ifTrueActivities" if outcome else "ifFalseActivities"
    if not context.body(list(properties.get(branch) or []), f".{branch}"):
        raise ActivityFailure(f"an activity of {branch} failed", "IfConditionFailed")
    return {"expression": outcome}


@activity("Switch", container=True)
def switch(context: ActivityContext, properties: dict[str, Any]) -> Any:
    on = context.evaluate(required(properties, "on", "Switch"))
    on = on.get("value") if isinstance(on, dict) and "value" in on else on
    chosen = next((case for case in properties.get("cases") or [] if str(case.get("value")) == str(on)), None)
    activities = chosen.get("activities") if chosen else properties.get("defaultActivities")
    label = f".case[{chosen.get('value')}]" if chosen else ".default"
    if not context.body(list(activities or []), label):
        raise ActivityFailure(f"an activity of the {label.lstrip('.')} branch failed", "SwitchFailed")
    return {"case": chosen.get("value") if chosen else "default"}


@activity("Until", container=True)
def until(context: ActivityContext, properties: dict[str, Any]) -> Any:
    limit = time.monotonic() + parse_timespan(str(properties.get("timeout") or UNTIL_DEFAULT_TIMEOUT))
    iteration = 0
    while True:
        if not context.body(list(properties.get("activities") or []), f"[{iteration}]"):
            raise ActivityFailure(f"iteration {iteration} failed", "UntilFailed")
        iteration += 1
        if _condition(context, properties, "Until"):
            return {"iterations": iteration}
        if time.monotonic() > limit:
            raise ActivityFailure(f"the condition was still false after {iteration} iterations when timeout passed")
        context.check()


@activity("Filter", container=True)
def filter_items(context: ActivityContext, properties: dict[str, Any]) -> Any:
    items = context.evaluate(required(properties, "items", "Filter"))
    if not isinstance(items, list):
        raise ActivityFailure(f"Filter items must be an array; got {type(items).__name__}")
    condition = required(properties, "condition", "Filter")
    kept = []
    for item in items:
        keep = context.evaluate(condition, item=item, has_item=True)
        if not isinstance(keep, bool):
            raise ActivityFailure(f"Filter condition must give a boolean; got {keep!r}")
        if keep:
            kept.append(item)
    return {"ItemsCount": len(items), "FilteredItemsCount": len(kept), "Value": kept}


@activity("Wait")
def wait(context: ActivityContext, properties: dict[str, Any]) -> Any:
    seconds = properties.get("waitTimeInSeconds", 1)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float | str):
        raise ActivityFailure(f"waitTimeInSeconds must be a number; got {seconds!r}")
    context.wait(float(seconds))
    return {"waitTimeInSeconds": seconds}


@activity("SetVariable")
def set_variable(context: ActivityContext, properties: dict[str, Any]) -> Any:
    name = str(required(properties, "variableName", "SetVariable"))
    if properties.get("setSystemVariable") and name == RETURN_VALUE:
        values = {str(entry.get("key")): _return_item(entry.get("value")) for entry in properties.get("value") or []}
        with context.state.lock:
            context.state.return_value.update(values)
        return {"name": name, "value": values}
    value = properties.get("value")
    _check_type(context, name, value)
    with context.state.lock:
        context.state.variables[name] = value
    return {"name": name, "value": value}


def _return_item(value: Any) -> Any:
    """A return value entry: ``{"type": "Expression"|"String"|..., "content": ...}`` (already evaluated)."""
    if isinstance(value, dict) and "content" in value:
        return value["content"]
    return value


@activity("AppendVariable")
def append_variable(context: ActivityContext, properties: dict[str, Any]) -> Any:
    name = str(required(properties, "variableName", "AppendVariable"))
    if context.state.declared.get(name) != "Array":
        raise ActivityFailure(f"AppendVariable needs an Array variable; {name!r} is {context.state.declared.get(name)}")
    with context.state.lock:
        current = list(context.state.variables.get(name) or [])
        current.append(properties.get("value"))
        context.state.variables[name] = current
    return {"name": name, "value": current}


_TYPES = {"String": str, "Boolean": bool, "Array": list, "Integer": int, "Float": float}


def _check_type(context: ActivityContext, name: str, value: Any) -> None:
    declared = context.state.declared.get(name)
    if declared is None:
        raise ActivityFailure(f"variable {name!r} is not declared in the pipeline's variables")
    expected = _TYPES.get(declared)
    if expected is not None and not (isinstance(value, expected) and not (expected is int and isinstance(value, bool))):
        raise ActivityFailure(f"variable {name!r} is {declared}; the value {value!r} is not")


@activity("Fail")
def fail(context: ActivityContext, properties: dict[str, Any]) -> Any:
    message = str(required(properties, "message", "Fail"))
    raise ActivityFailure(message, error_code=str(properties.get("errorCode") or "Fail"))


@activity("ExecutePipeline")
def execute_pipeline(context: ActivityContext, properties: dict[str, Any]) -> Any:
    reference = required(properties, "pipeline", "ExecutePipeline")
    name = str(reference.get("referenceName", ""))
    child = context.state.children.start_child(name, dict(properties.get("parameters") or {}), context.state.run_id)
    if not properties.get("waitOnCompletion", False):
        return {"pipelineName": name, "pipelineRunId": child}
    try:
        while (status := context.state.children.status_of(child))[0] not in ("Succeeded", "Failed", "Cancelled"):
            context.wait(0.2)
    except Cancelled:
        context.state.children.cancel_child(child)
        raise
    if status[0] != "Succeeded":
        raise ActivityFailure(f"pipeline {name} (run {child}) {status[0]}: {status[1]}", "ExecutePipelineFailed")
    return {"pipelineName": name, "pipelineRunId": child, "pipelineReturnValue": status[2]}
